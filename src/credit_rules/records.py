"""Records input → :class:`~credit_rules.model.Dossier` values.

Input: a YAML or JSON file holding one dossier or a list of dossiers, a JSON Lines file with
one dossier per line, or plain data from an API caller. A dossier is one subject, its credit
records and its related subjects (see the "Records (input)" section of docs/architecture.md
and ``schemas/records.schema.json``).

Output: a tuple of frozen dossiers whose records and subjects carry their source spans, and
the inverse, :func:`dossier_to_data`, which gives JSON-ready data that reads back to an equal
dossier. (A record's ``notes`` are accepted for people and not kept: the model has no place
for them, and nothing evaluates them.)

Errors: :class:`~credit_rules.errors.RecordsError` holding every problem at once, each at
file:line:column (JSON Lines: the line of the file). Reading and schema problems use the
catalog codes CR-E100 to CR-E114; problems only records have use CR-E201 to CR-E206:

- ``CR-E201`` invalid unified social credit code;
- ``CR-E202`` invalid resident identity number, or one that contradicts ``birth_date``;
- ``CR-E203`` dates out of order or in disagreement (``status_since`` before ``decided_on``,
  ``exit_on`` before ``listed_on``, ``until`` before ``since`` …);
- ``CR-E204`` a record id used twice in one dossier;
- ``CR-E205`` a record whose ``subject_id`` is not the subject it is listed under;
- ``CR-E206`` an identifier of the wrong kind of subject (a resident identity number or birth
  date on an organisation, a unified social credit code on a natural person).

A resident identity number is never printed in full: messages mask it (脱敏).
"""

from __future__ import annotations

import datetime
import enum
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from credit_rules import identifiers
from credit_rules.errors import CatalogYamlError, Diagnostic, RecordsError, error
from credit_rules.loader import Data, Path, Positions, load_json, load_yaml, read_file
from credit_rules.model import (
    Dossier,
    EffectiveDocument,
    LenienceFacts,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Role,
    Severity,
    Subject,
    SubjectKind,
)
from credit_rules.schema import validate
from credit_rules.spans import Span

__all__ = [
    "SUFFIXES",
    "Format",
    "dossier_from_data",
    "dossier_to_data",
    "load_dossiers",
    "load_dossiers_text",
]

Format = Literal["yaml", "json", "jsonl"]

#: file suffix → input format
SUFFIXES: Mapping[str, Format] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".jsonl": "jsonl",
}

#: fields only a list entry has, and only a rating has (elsewhere they are mistakes)
_LIST_ONLY = ("list", "listed_on", "exit_on")
_RATING_ONLY = ("scheme", "grade", "valid_until")


def load_dossiers(path: str | os.PathLike[str]) -> tuple[Dossier, ...]:
    """Read the dossiers of a ``.yaml``/``.yml``, ``.json`` or ``.jsonl`` file.

    Raises:
        RecordsError: the file cannot be read, or any dossier in it is malformed; every
            problem is listed.
    """
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lower()
    form = SUFFIXES.get(suffix)
    if form is None:
        raise RecordsError(
            [
                error(
                    "CR-E100",
                    f"cannot read `{name}`: records files end in `.yaml`, `.yml`, `.json` or "
                    "`.jsonl`",
                    Span.point(name, 1, 1),
                )
            ]
        )
    text = read_file(name, RecordsError)
    return load_dossiers_text(text, source=name, format=form)


def load_dossiers_text(text: str, *, source: str, format: Format) -> tuple[Dossier, ...]:
    """Read dossiers from text: one dossier or a list (YAML, JSON), or one per line (JSON Lines).

    An empty YAML document and a JSON Lines text without lines hold no dossier.

    Raises:
        RecordsError: every problem found, each at ``source``:line:column.
    """
    if format == "jsonl":
        return _load_lines(text, source)
    try:
        data, positions = load_json(text, source) if format == "json" else load_yaml(text, source)
    except CatalogYamlError as exc:
        raise _records_error(exc.diagnostics) from None
    if data is None and format == "yaml":
        return ()
    problems = validate(data, positions, "records")
    if isinstance(data, list):
        items: list[tuple[Path, Any]] = [((index,), item) for index, item in enumerate(data)]
    else:
        items = [((), data)]
    dossiers = []
    for prefix, item in items:
        if _schema_valid(prefix, problems):
            builder = _Builder(positions, prefix, positioned=True)
            dossiers.append(builder.dossier(item))
            problems.extend(builder.problems)
    if problems:
        raise _records_error(problems)
    return tuple(dossiers)


def dossier_from_data(data: Mapping[str, Any], *, source: str = "<data>") -> Dossier:
    """One dossier from plain data (as an API caller passes it), with the checks of a file.

    Besides JSON-like values, dates (``datetime.date``), tuples, sets and the model's enums are
    accepted. Diagnostics point at ``source`` line 1, column 1 and name the field in
    ``catalog_path`` (for example ``records[0].status_since``).

    Raises:
        RecordsError: every problem found.
    """
    try:
        plain = _plain(data)
    except RecursionError:
        raise RecordsError(
            [error("CR-E101", "invalid data: nested too deeply", Span.point(source, 1, 1))]
        ) from None
    positions = Positions(source=source, text="")
    if not isinstance(plain, dict):
        raise _records_error(
            [
                error(
                    "CR-E112",
                    f"expected one dossier (a mapping), got {_kind_of(plain)}",
                    Span.point(source, 1, 1),
                )
            ]
        )
    problems = validate(plain, positions, "records")
    if problems:
        raise _records_error(problems)
    builder = _Builder(positions, (), positioned=False)
    dossier = builder.dossier(plain)
    if builder.problems:
        raise _records_error(builder.problems)
    return dossier


def dossier_to_data(dossier: Dossier) -> dict[str, Any]:
    """JSON-ready data for a dossier (dates in ISO form, absent and default fields left out).

    :func:`dossier_from_data` reads it back to an equal dossier.
    """
    data: dict[str, Any] = {"subject": _subject_data(dossier.subject)}
    if dossier.records:
        data["records"] = [_record_data(r) for r in dossier.records]
    if dossier.related:
        data["related"] = [_related_data(r) for r in dossier.related]
    return data


# ---------------------------------------------------------------------------------------------
# Reading


def _load_lines(text: str, source: str) -> tuple[Dossier, ...]:
    """JSON Lines: each non-blank line one dossier, positioned in the whole file."""
    if text.startswith("\ufeff"):
        text = text[1:]
    dossiers: list[Dossier] = []
    problems: list[Diagnostic] = []
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        start, offset = offset, offset + len(line) + 1
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            data, own = load_json(line, source)
        except CatalogYamlError as exc:
            problems.extend(
                attrs.evolve(d, span=_shift(d.span, number, start)) for d in exc.diagnostics
            )
            continue
        positions = _shifted(own, text, number, start)
        if not isinstance(data, dict):
            problems.append(
                error(
                    "CR-E112",
                    f"a JSON Lines line holds one dossier (a mapping), got {_kind_of(data)}",
                    positions.at(()),
                )
            )
            continue
        found = validate(data, positions, "records")
        if found:
            problems.extend(found)
            continue
        builder = _Builder(positions, (), positioned=True)
        dossiers.append(builder.dossier(data))
        problems.extend(builder.problems)
    if problems:
        raise _records_error(problems)
    return tuple(dossiers)


def _shift(span: Span | None, line: int, offset: int) -> Span | None:
    """A span within one line of a file (as if the line were line 1) moved to ``line``."""
    if span is None:
        return None
    return Span(
        span.source,
        span.start + offset,
        span.end + offset,
        span.line + line - 1,
        span.column,
        span.end_line + line - 1,
        span.end_column,
    )


def _shifted(positions: Positions, text: str, line: int, offset: int) -> Positions:
    def moved(table: dict[Path, Span]) -> dict[Path, Span]:
        return {path: _shift(span, line, offset) or span for path, span in table.items()}

    return Positions(
        source=positions.source,
        text=text,
        values=moved(positions.values),
        keys=moved(positions.keys),
    )


def _schema_valid(prefix: Path, problems: Sequence[Diagnostic]) -> bool:
    """Whether no schema problem lies inside the dossier at ``prefix`` (or at the top)."""
    if not prefix:
        return not problems
    head = _path_text(prefix)
    for problem in problems:
        where = problem.catalog_path
        if where is None or where == head or where.startswith((head + ".", head + "[")):
            return False
    return True


def _records_error(problems: Sequence[Diagnostic]) -> RecordsError:
    """The error to raise, with every resident identity number in it masked."""
    return RecordsError([_finish(d) for d in problems])


_NUMBER_FOR_TEXT = re.compile(r"expected text(?: or null)?, got `[0-9]+`$")


def _finish(diagnostic: Diagnostic) -> Diagnostic:
    """Identifiers masked; advice for digits written without quotes (``region: 350100``)."""
    help = diagnostic.help
    if help is None and _NUMBER_FOR_TEXT.search(diagnostic.message):
        help = "digits without quotes are read as a number: put the value in quotes"
    return attrs.evolve(
        diagnostic,
        message=identifiers.mask_identifiers(diagnostic.message),
        help=None if help is None else identifiers.mask_identifiers(help),
    )


def _plain(value: Any) -> Data:
    """API data → JSON-like data: dates to ISO text, enums to their values, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return [_plain(v) for v in sorted(value, key=str)]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    return value


def _kind_of(value: Any) -> str:
    """What a value is, in the words of the schema messages."""
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "text"
    return "a number"


class _Builder:
    """Schema-valid data of one dossier → model objects; identity and date problems are
    collected in ``problems``.

    INVARIANT: the data has passed the records schema, so fields have their types and
    required fields are present; anything else found is a problem, never an exception.
    """

    def __init__(self, positions: Positions, prefix: Path, *, positioned: bool) -> None:
        self.positions = positions
        self.prefix = prefix
        self.positioned = positioned
        self.problems: list[Diagnostic] = []

    # -- positions and problems

    def at(self, path: Path, *, key: bool = False) -> Span:
        return self.positions.at((*self.prefix, *path), key=key)

    def span(self, path: Path) -> Span | None:
        return self.at(path) if self.positioned else None

    def problem(
        self, code: str, message: str, path: Path, *, key: bool = False, help: str | None = None
    ) -> None:
        self.problems.append(
            error(
                code,
                message,
                self.at(path, key=key),
                help=help,
                catalog_path=_path_text((*self.prefix, *path)),
            )
        )

    def date(self, value: str | None, path: Path) -> datetime.date | None:
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:  # the schema's format check makes this unreachable; never crash
            self.problem(
                "CR-E113", f"`{_path_text(path)}`: {_shown(value)} is not a real date", path
            )
            return None

    # -- the dossier

    def dossier(self, data: Mapping[str, Any]) -> Dossier:
        subject = self.subject(data["subject"], ("subject",))
        records = tuple(
            self.record(item, ("records", index), subject, related=False)
            for index, item in enumerate(data.get("records") or ())
        )
        related = tuple(
            self.related(item, ("related", index))
            for index, item in enumerate(data.get("related") or ())
        )
        self.duplicate_ids(data)
        return Dossier(subject=subject, records=records, related=related)

    def subject(self, data: Mapping[str, Any], path: Path) -> Subject:
        kind = SubjectKind(data["kind"])
        subject_id: str = data["id"]
        who = f"subject {_shown(subject_id)}"
        uscc: str | None = data.get("uscc")
        resident_id: str | None = data.get("resident_id")
        born = self.date(data.get("birth_date"), (*path, "birth_date"))
        person = kind is SubjectKind.NATURAL_PERSON
        if uscc is not None:
            if person:
                self.problem(
                    "CR-E206",
                    f"{who}: a natural person has no unified social credit code",
                    (*path, "uscc"),
                    key=True,
                    help="give it to the organisation, as a related subject",
                )
            elif (found := identifiers.uscc_problem(uscc)) is not None:
                self.problem(
                    "CR-E201",
                    f"{who}: invalid unified social credit code {_shown(uscc)}: {found.message}",
                    (*path, "uscc"),
                )
        if resident_id is not None:
            if not person:
                self.problem(
                    "CR-E206",
                    f"{who}: an organisation (`{kind.value}`) has no resident identity number",
                    (*path, "resident_id"),
                    key=True,
                    help="give it to the natural person, as a related subject",
                )
            elif (found := identifiers.resident_id_problem(resident_id)) is not None:
                message = found.message
                if found.code == "birth_date":  # the birth date is personal data too
                    message = message.replace(f"`{resident_id[6:14]}`", "`********`")
                self.problem(
                    "CR-E202",
                    f"{who}: invalid resident identity number "
                    f"{_shown(identifiers.mask(resident_id))}: {message}",
                    (*path, "resident_id"),
                )
            else:
                written = identifiers.birth_date(resident_id)
                if born is None:
                    born = written
                elif born != written:
                    self.problem(
                        "CR-E202",
                        f"{who}: `birth_date` {born.isoformat()} is not the birth date in the "
                        f"resident identity number {_shown(identifiers.mask(resident_id))}",
                        (*path, "birth_date"),
                    )
        if born is not None and not person:
            self.problem(
                "CR-E206",
                f"{who}: an organisation (`{kind.value}`) has no birth date",
                (*path, "birth_date"),
                key=True,
            )
        return Subject(
            id=subject_id,
            kind=kind,
            name=data.get("name") or "",
            uscc=uscc,
            resident_id=resident_id,
            region=data.get("region"),
            state_owned=bool(data.get("state_owned", False)),
            birth_date=born,
            span=self.span(path),
        )

    def related(self, data: Mapping[str, Any], path: Path) -> Related:
        subject = self.subject(data["subject"], (*path, "subject"))
        since = self.date(data.get("since"), (*path, "since"))
        until = self.date(data.get("until"), (*path, "until"))
        if since is not None and until is not None and until < since:
            self.problem(
                "CR-E203",
                f"related subject {_shown(subject.id)}: `until` {until.isoformat()} is before "
                f"`since` {since.isoformat()}",
                (*path, "until"),
            )
        records = tuple(
            self.record(item, (*path, "records", index), subject, related=True)
            for index, item in enumerate(data.get("records") or ())
        )
        return Related(
            role=Role(data["role"]), subject=subject, records=records, since=since, until=until
        )

    def record(
        self, data: Mapping[str, Any], path: Path, owner: Subject, *, related: bool
    ) -> Record:
        kind = RecordKind(data["kind"])
        record_id: str = data["id"]
        what = f"record {_shown(record_id)}"
        self.misplaced_fields(data, path, kind)
        decided = self.date(data.get("decided_on"), (*path, "decided_on"))
        listed = self.date(data.get("listed_on"), (*path, "listed_on"))
        start_name = "decided_on"
        if kind is RecordKind.LIST_ENTRY and listed is not None:
            if decided is not None and decided != listed:
                self.problem(
                    "CR-E203",
                    f"{what}: `listed_on` {listed.isoformat()} and `decided_on` "
                    f"{decided.isoformat()} disagree",
                    (*path, "listed_on"),
                    help="`listed_on` is another name for `decided_on`: give one of them",
                )
            if decided is None:
                decided, start_name = listed, "listed_on"
        subject_id: str = data.get("subject_id", owner.id)
        if subject_id != owner.id:
            whose = "the related subject" if related else "the subject of this dossier"
            self.problem(
                "CR-E205",
                f"{what}: subject {_shown(subject_id)} is not {whose} {_shown(owner.id)}",
                (*path, "subject_id"),
                help="list a record under the subject it is about",
            )
        dates = {
            name: self.date(data.get(name), (*path, name))
            for name in ("status_since", "exit_on", "valid_until", "expires_on")
        }
        if decided is not None:
            for name, later in dates.items():
                if later is not None and later < decided:
                    self.problem(
                        "CR-E203",
                        f"{what}: `{name}` {later.isoformat()} is before `{start_name}` "
                        f"{decided.isoformat()}",
                        (*path, name),
                    )
        document = data.get("document")
        lenience = data.get("lenience") or {}
        return Record(
            id=record_id,
            subject_id=subject_id,
            kind=kind,
            # INVARIANT: the schema requires decided_on, or listed_on for a list entry
            decided_on=decided or datetime.date.min,
            domain=data.get("domain"),
            severity=Severity(data["severity"]) if data.get("severity") is not None else None,
            document=EffectiveDocument(document["kind"], document.get("number"))
            if document is not None
            else None,
            authority=data.get("authority"),
            status=RecordStatus(data.get("status", "active")),
            status_since=dates["status_since"],
            tags=frozenset(data.get("tags") or ()),
            lenience=LenienceFacts.of(
                minor=bool(lenience.get("minor", False)),
                force_majeure=bool(lenience.get("force_majeure", False)),
                unintentional=bool(lenience.get("unintentional", False)),
            ),
            list_name=data.get("list"),
            exit_on=dates["exit_on"],
            category=data.get("category"),
            scheme=data.get("scheme"),
            grade=data.get("grade"),
            valid_until=dates["valid_until"],
            expires_on=dates["expires_on"],
            dishonest=data.get("dishonest"),
            span=self.span(path),
        )

    def misplaced_fields(self, data: Mapping[str, Any], path: Path, kind: RecordKind) -> None:
        """List-entry fields on other records, rating fields on other records."""
        for names, owner_kind, words in (
            (_LIST_ONLY, RecordKind.LIST_ENTRY, "list entries"),
            (_RATING_ONLY, RecordKind.RATING, "ratings"),
        ):
            if kind is owner_kind:
                continue
            for name in names:
                if name in data:
                    self.problem(
                        "CR-E110",
                        f"unknown field `{name}` in `{_path_text((*self.prefix, *path))}`: "
                        f"only {words} (kind `{owner_kind.value}`) have it",
                        (*path, name),
                        key=True,
                        help="use `decided_on`" if name == "listed_on" else None,
                    )

    def duplicate_ids(self, data: Mapping[str, Any]) -> None:
        """Record ids repeated anywhere in the dossier (own and related records)."""
        first: dict[str, Path] = {}
        found = list(_all_records(data))
        if self.positioned:  # "first" in the order of the file
            found.sort(key=lambda pair: self.at(pair[0]).start)
        for path, item in found:
            record_id = item["id"]
            if record_id not in first:
                first[record_id] = path
                continue
            earlier = first[record_id]
            where = (
                f"line {self.at((*earlier, 'id')).line}"
                if self.positioned
                else f"`{_path_text((*self.prefix, *earlier))}`"
            )
            self.problem(
                "CR-E204",
                f"duplicate record id {_shown(record_id)} (first at {where})",
                (*path, "id"),
            )


def _all_records(data: Mapping[str, Any]) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    for index, item in enumerate(data.get("records") or ()):
        yield ("records", index), item
    for rel_index, rel in enumerate(data.get("related") or ()):
        for index, item in enumerate(rel.get("records") or ()):
            yield ("related", rel_index, "records", index), item


def _shown(value: str) -> str:
    """User text for a one-line message: in backticks, control characters escaped, shortened."""
    text = "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in value
    )
    if len(text) > 60:
        text = text[:57] + "..."
    return f"`{text}`"


def _path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# ---------------------------------------------------------------------------------------------
# Writing


def _subject_data(subject: Subject) -> dict[str, Any]:
    data: dict[str, Any] = {"id": subject.id, "kind": subject.kind.value}
    if subject.name:
        data["name"] = subject.name
    for name in ("uscc", "resident_id", "region"):
        value = getattr(subject, name)
        if value is not None:
            data[name] = value
    if subject.state_owned:
        data["state_owned"] = True
    if subject.birth_date is not None:
        data["birth_date"] = subject.birth_date.isoformat()
    return data


def _record_data(record: Record) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "subject_id": record.subject_id,
        "kind": record.kind.value,
        "decided_on": record.decided_on.isoformat(),
    }
    optional: dict[str, Any] = {
        "domain": record.domain,
        "severity": None if record.severity is None else record.severity.value,
        "document": None
        if record.document is None
        else {
            k: v
            for k, v in (("kind", record.document.kind), ("number", record.document.number))
            if v is not None
        },
        "authority": record.authority,
        "status": None if record.status is RecordStatus.ACTIVE else record.status.value,
        "status_since": record.status_since,
        "tags": sorted(record.tags) or None,
        "lenience": {
            k: True
            for k in ("minor", "force_majeure", "unintentional")
            if getattr(record.lenience, k)
        }
        or None,
        "list": record.list_name,
        "exit_on": record.exit_on,
        "category": record.category,
        "scheme": record.scheme,
        "grade": record.grade,
        "valid_until": record.valid_until,
        "expires_on": record.expires_on,
        "dishonest": record.dishonest,
    }
    for name, value in optional.items():
        if value is not None:
            data[name] = value.isoformat() if isinstance(value, datetime.date) else value
    return data


def _related_data(related: Related) -> dict[str, Any]:
    data: dict[str, Any] = {"role": related.role.value}
    if related.since is not None:
        data["since"] = related.since.isoformat()
    if related.until is not None:
        data["until"] = related.until.isoformat()
    data["subject"] = _subject_data(related.subject)
    if related.records:
        data["records"] = [_record_data(r) for r in related.records]
    return data
