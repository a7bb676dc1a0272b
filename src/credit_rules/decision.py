"""The decision: what applies to a subject, to whom, from when to when, and why.

Input: nothing (value classes only; ``engine.py`` builds them). Output: frozen, ordered,
JSON-ready values. A decision carries the catalog fingerprint, the library version and
``as_of`` so that it can be reproduced, and compact reasons small enough for every log line.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

import attrs

from credit_rules.facts import Facts, SetAside
from credit_rules.model import (
    Measure,
    MeasureKind,
    MeasureList,
    Record,
    Role,
    Subject,
    SubjectKind,
)


class OutcomeStatus(enum.Enum):
    """Where a measure stands for one target.

    ``applies``: in force. ``advisory``: a recommended measure carried out by a body outside
    public administration, which can only be recommended to it. ``suspended``: it would apply,
    but only because of a record under objection (暂不执行). ``withheld``: an incentive not given
    because a restriction applies. ``set_aside``: triggered, but a proportion or relevance check
    failed. ``ended``: triggered by records that still count, but its own period has run out.
    """

    APPLIES = "applies"
    ADVISORY = "advisory"
    SUSPENDED = "suspended"
    WITHHELD = "withheld"
    SET_ASIDE = "set_aside"
    ENDED = "ended"

    #: by identity, like the model's enums (members are singletons): ``enum.Enum.__hash__`` is
    #: Python code, and a status is looked up (``IN_FORCE``, ranks) for every outcome
    __hash__ = object.__hash__

    def __str__(self) -> str:
        return self.value


#: statuses under which a measure is actually carried out (or recommended)
IN_FORCE = frozenset({OutcomeStatus.APPLIES, OutcomeStatus.ADVISORY})


@attrs.frozen(slots=True)
class Target:
    """Who a measure reaches: the subject itself, or a person through an organisation and role."""

    subject_id: str
    subject_name: str
    kind: SubjectKind
    via_id: str | None = None
    via_name: str | None = None
    role: Role | None = None

    @property
    def through(self) -> bool:
        """Reached through an organisation (落实到人)."""
        return self.role is not None

    def to_data(self, *, masked_name: str | None = None) -> dict[str, Any]:
        """JSON-ready form."""
        data: dict[str, Any] = {
            "subject_id": self.subject_id,
            "name": masked_name if masked_name is not None else self.subject_name,
            "kind": self.kind.value,
        }
        if self.role is not None:
            data["via"] = {
                "subject_id": self.via_id,
                "name": self.via_name,
                "role": self.role.value,
            }
        return data


@attrs.frozen(slots=True)
class Check:
    """A runtime check on an applied measure (proportion, relevance …) and its result."""

    code: str
    passed: bool
    detail: str
    #: the same in Chinese, for the default renderer (empty: use ``detail``)
    detail_zh: str = ""

    def to_data(self) -> dict[str, Any]:
        """JSON-ready form."""
        data: dict[str, Any] = {"code": self.code, "passed": self.passed, "detail": self.detail}
        if self.detail_zh:
            data["detail_zh"] = self.detail_zh
        return data


@attrs.frozen(slots=True)
class MeasureOutcome:
    """One measure for one target, with its period and the records behind it."""

    measure: Measure
    status: OutcomeStatus
    target: Target
    start: datetime.date | None
    end: datetime.date | None
    #: what ends it: ``period``, ``list_exit``, ``repair``, ``permanent``, ``removal``
    ends_by: str
    witnesses: tuple[Record, ...] = ()
    pending: tuple[Record, ...] = ()
    checks: tuple[Check, ...] = ()
    withheld_by: tuple[str, ...] = ()

    @property
    def measure_id(self) -> str:
        """The measure's id."""
        return self.measure.id

    @property
    def mandatory(self) -> bool:
        """强制性措施."""
        return self.measure.list is MeasureList.MANDATORY

    @property
    def restriction(self) -> bool:
        """失信惩戒措施 (as opposed to an incentive)."""
        return self.measure.kind is MeasureKind.RESTRICTION

    def sort_key(self) -> tuple[int, str, str, int, str]:
        """Subject before persons reached through it; restrictions first; catalog order."""
        return (
            1 if self.target.through else 0,
            self.target.subject_id,
            self.target.role._value_ if self.target.role else "",  # .value is slow in 3.11
            0 if self.restriction else 1,
            self.measure.id,
        )

    def reason(self) -> dict[str, Any]:
        """Compact reasons: measure, status, witness ids, pending ids, failed check codes."""
        data: dict[str, Any] = {"measure": self.measure.id, "status": self.status.value}
        if self.target.through:
            data["target"] = self.target.subject_id
        if self.witnesses:
            data["records"] = [r.id for r in self.witnesses]
        if self.pending:
            data["pending"] = [r.id for r in self.pending]
        failed = [c.code for c in self.checks if not c.passed]
        if failed:
            data["failed_checks"] = failed
        if self.withheld_by:
            data["withheld_by"] = list(self.withheld_by)
        return data


def all_set_aside(facts: Facts | None) -> tuple[SetAside, ...]:
    """The records set aside for a subject and for each of its related subjects."""
    if facts is None:
        return ()
    return facts.set_aside + tuple(s for _, related in facts.related for s in related.set_aside)


@attrs.frozen(slots=True)
class Decision:
    """Every measure that applies (or is suspended, withheld, set aside) for one subject."""

    subject: Subject
    as_of: datetime.date
    matter: str | None
    catalog_id: str
    catalog_fingerprint: str
    library_version: str
    outcomes: tuple[MeasureOutcome, ...]
    #: the records as classified for the decision; decisions compare by the records they set
    #: aside, worked out from these when first read (``set_aside``)
    facts: Facts | None = attrs.field(default=None, eq=all_set_aside)

    @property
    def set_aside(self) -> tuple[SetAside, ...]:
        """The records that did not count, with why: the subject's, then each related
        subject's (worked out on first read: the matcher never needs them)."""
        return all_set_aside(self.facts)

    def applied(self) -> tuple[MeasureOutcome, ...]:
        """Outcomes in force (applies or advisory)."""
        return tuple(o for o in self.outcomes if o.status in IN_FORCE)

    def status_of(self, measure_id: str, subject_id: str | None = None) -> OutcomeStatus | None:
        """The status of a measure for the subject (or a named target); None if absent."""
        wanted = subject_id or self.subject.id
        for outcome in self.outcomes:
            if outcome.measure.id == measure_id and outcome.target.subject_id == wanted:
                return outcome.status
        return None

    def reasons(self) -> dict[str, Any]:
        """Compact, log-sized reasons for the whole decision."""
        return {
            "outcomes": [o.reason() for o in self.outcomes],
            "set_aside": [
                {"record": s.record.id, "reason": s.reason.value} for s in self.set_aside
            ],
        }
