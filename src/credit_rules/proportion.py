"""Runtime proportionality checks (过惩相当) on a triggered measure.

Input: a measure, the witness records that triggered it, and the catalog's policy and
vocabulary. Output: :class:`~credit_rules.decision.Check` values; a failed check sets the
measure aside for that target, and the decision says which check and why. The rules are data
(``policy.proportion``, ``measure.domains``, list gravities), never constants here.
"""

from __future__ import annotations

from collections.abc import Iterable

from credit_rules.decision import Check
from credit_rules.model import (
    Measure,
    MeasureKind,
    Policy,
    Record,
    RecordKind,
    Severity,
    Vocabulary,
)

GRAVITY = "CR-C001"
RELEVANCE = "CR-C002"


def gravity_of(record: Record, vocabulary: Vocabulary) -> Severity | None:
    """How grave the conduct behind a record is: a list's declared gravity, else its severity."""
    if record.kind is RecordKind.LIST_ENTRY:
        listed = vocabulary.lists.get(record.list_name or "")
        return listed.gravity if listed is not None else None
    return record.severity


def runtime_checks(
    measure: Measure,
    witnesses: Iterable[Record],
    *,
    policy: Policy,
    vocabulary: Vocabulary,
) -> tuple[Check, ...]:
    """The checks a restriction must pass before it applies (incentives pass none)."""
    if measure.kind is not MeasureKind.RESTRICTION:
        return ()
    dishonest = [r for r in witnesses if r.dishonest]
    checks: list[Check] = []
    if measure.domains:
        relevant = [r for r in dishonest if r.domain is None or r.domain in measure.domains]
        if dishonest and not relevant:
            domains = ", ".join(sorted({r.domain or "" for r in dishonest}))
            checks.append(
                Check(
                    RELEVANCE,
                    False,
                    f"triggering records are of domains {domains}, not of the measure's "
                    f"domains {', '.join(measure.domains)}",
                )
            )
            return tuple(checks)
        dishonest = relevant
        checks.append(Check(RELEVANCE, True, f"conduct in {', '.join(measure.domains)}"))
    required = policy.proportion.get(measure.impact)
    if required is not None:
        gravities = [g for g in (gravity_of(r, vocabulary) for r in dishonest) if g is not None]
        worst = max(gravities) if gravities else None
        if worst is None or worst < required:
            found = "no graded conduct" if worst is None else f"conduct at most {worst.value}"
            checks.append(
                Check(
                    GRAVITY,
                    False,
                    f"impact {measure.impact.value} needs conduct of gravity {required.value} "
                    f"or more; {found}",
                )
            )
        else:
            checks.append(
                Check(
                    GRAVITY,
                    True,
                    f"conduct of gravity {worst.value} meets {required.value} "
                    f"for impact {measure.impact.value}",
                )
            )
    return tuple(checks)
