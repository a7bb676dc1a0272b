"""Decision logs (JSON Lines) and their replay.

Input: decisions with the dossiers they were made on; later, a log file and an engine.
Output: one JSON line per decision — catalog fingerprint, library version, ``as_of``, matter,
a sha256 digest of the full input, the input with resident identity numbers removed (the birth
date, which is all evaluation uses of them, is kept), the masked decision and its compact
reasons — and, on replay, the entries whose re-evaluation differs. Errors: replay refuses with
``CR-E501`` when the log was written with another catalog, ``CR-E502`` for unreadable lines.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import attrs

from credit_rules.decision import Decision
from credit_rules.engine import Engine
from credit_rules.errors import CreditRulesError, Diagnostic, RecordsError, UsageError, error
from credit_rules.model import Dossier
from credit_rules.records import dossier_from_data, dossier_to_data
from credit_rules.render.data import decision_data
from credit_rules.spans import Span

LOG_FORMAT = 1


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def input_digest(dossier: Dossier, *, as_of: datetime.date, matter: str | None) -> str:
    """sha256 of everything a decision depends on besides the catalog."""
    payload = {"as_of": as_of.isoformat(), "matter": matter, "dossier": dossier_to_data(dossier)}
    return "sha256:" + hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def masked_input(dossier: Dossier) -> dict[str, Any]:
    """The dossier's data without resident identity numbers (birth dates stay)."""
    data = dossier_to_data(dossier)
    subjects = [data["subject"], *(r["subject"] for r in data.get("related", ()))]
    for subject in subjects:
        subject.pop("resident_id", None)
    return data


def log_entry(decision: Decision, dossier: Dossier) -> dict[str, Any]:
    """The log line of one decision (masked: no resident identity number appears)."""
    return {
        "log_format": LOG_FORMAT,
        "catalog_fingerprint": decision.catalog_fingerprint,
        "library_version": decision.library_version,
        "as_of": decision.as_of.isoformat(),
        "matter": decision.matter,
        "input_digest": input_digest(dossier, as_of=decision.as_of, matter=decision.matter),
        "input": masked_input(dossier),
        "decision": decision_data(decision),
        "reasons": decision.reasons(),
    }


def write_entry(handle: TextIO, decision: Decision, dossier: Dossier) -> None:
    """Append one decision to an open log."""
    handle.write(canonical_json(log_entry(decision, dossier)) + "\n")


@attrs.frozen(slots=True)
class Difference:
    """A log entry whose re-evaluation differs, and in what."""

    line: int
    subject_id: str
    fields: tuple[str, ...]


@attrs.frozen(slots=True)
class ReplayReport:
    """How many entries were replayed and which differed."""

    entries: int
    differences: tuple[Difference, ...]


def replay(lines: Iterable[str], engine: Engine, *, source: str = "<log>") -> ReplayReport:
    """Re-evaluate every entry of a log with ``engine`` and compare.

    Raises:
        UsageError: ``CR-E501`` an entry was written with another catalog (nothing is
            replayed), ``CR-E502`` a line is not a decision log entry.
    """
    entries = list(_entries(lines, source))
    for number, entry in entries:
        if entry.get("catalog_fingerprint") != engine.fingerprint:
            raise UsageError(
                [
                    error(
                        "CR-E501",
                        "the log was written with catalog "
                        f"`{entry.get('catalog_fingerprint')}`, not `{engine.fingerprint}`",
                        Span.point(source, number, 1),
                        help="replay with the catalog version the log was written with",
                    )
                ]
            )
    differences = []
    for number, entry in entries:
        try:
            dossier = dossier_from_data(entry["input"], source=f"{source}:{number}")
            as_of = datetime.date.fromisoformat(entry["as_of"])
        except (RecordsError, KeyError, TypeError, ValueError) as exc:
            raise UsageError([_bad_line(source, number, exc)]) from None
        decision = engine.evaluate(dossier, as_of=as_of, matter=entry.get("matter"))
        fields = _compare(entry["decision"], decision_data(decision))
        if fields:
            differences.append(Difference(number, dossier.subject.id, fields))
    return ReplayReport(len(entries), tuple(differences))


def _entries(lines: Iterable[str], source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError([_bad_line(source, number, exc)]) from None
        if not isinstance(entry, dict) or entry.get("log_format") != LOG_FORMAT:
            raise UsageError(
                [error("CR-E502", "not a decision log entry", Span.point(source, number, 1))]
            )
        yield number, entry


def _bad_line(source: str, number: int, exc: Exception) -> Diagnostic:
    if isinstance(exc, CreditRulesError):
        detail = exc.diagnostics[0].message
    else:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return error(
        "CR-E502", f"not a readable decision log entry: {detail}", Span.point(source, number, 1)
    )


def _compare(logged: dict[str, Any], fresh: dict[str, Any]) -> tuple[str, ...]:
    """Top-level fields that differ (the subject's masked identity number is not compared)."""
    old, new = copy.deepcopy(logged), copy.deepcopy(fresh)
    for data in (old, new):
        subject = data.get("subject")
        if isinstance(subject, dict):
            subject.pop("resident_id", None)
    keys = sorted(set(old) | set(new))
    return tuple(k for k in keys if old.get(k) != new.get(k))
