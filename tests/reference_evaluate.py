"""A straightforward ``Engine.evaluate`` after the match, for differential tests.

It takes the engine's hits (``Engine.triggered``, tested on its own against evaluating every
measure) and follows the documented rules one outcome at a time: targets, the period
(``reference_period``, the plain form of ``engine._period``) and ``proportion.runtime_checks``
for every outcome (no memo, no shared work), status, dedupe by
(measure, target, role) keeping the strongest status, ``MeasureOutcome.sort_key`` order and
withholding with ``attrs.evolve``. Slow on purpose: the engine's fast path must give the same
``Decision``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import attrs

from credit_rules.decision import IN_FORCE, Decision, MeasureOutcome, OutcomeStatus, Target
from credit_rules.engine import Engine, Triggered
from credit_rules.facts import build_facts, counts_as_dishonest, record_end
from credit_rules.model import (
    Catalog,
    Dossier,
    DurationKind,
    Measure,
    MeasureKind,
    Record,
    RecordKind,
)
from credit_rules.proportion import runtime_checks
from credit_rules.version import __version__


def reference_decision(
    engine: Engine, dossier: Dossier, *, as_of: datetime.date, matter: str | None = None
) -> Decision:
    """The decision ``engine.evaluate`` must return, worked out the slow way."""
    catalog = engine.catalog
    facts = build_facts(dossier, as_of=as_of, vocabulary=catalog.vocabulary, policy=catalog.policy)
    subject = facts.subject
    outcomes: list[MeasureOutcome] = []
    for hit in engine.triggered(facts, as_of=as_of, matter=matter):
        measure = hit.compiled.measure
        targets = []
        if subject.kind in measure.target_kinds:
            targets.append(Target(subject.id, subject.name, subject.kind))
        if not subject.is_person:
            for related, _ in facts.related:
                if related.subject.is_person and related.role in measure.target_roles:
                    person = related.subject
                    targets.append(
                        Target(
                            person.id,
                            person.name,
                            person.kind,
                            subject.id,
                            subject.name,
                            related.role,
                        )
                    )
        outcomes.extend(_outcome(engine, hit, t, as_of) for t in targets)
    if subject.is_person:
        for related, org_facts in facts.related:
            if related.subject.is_person:
                continue
            org = related.subject
            target = Target(subject.id, subject.name, subject.kind, org.id, org.name, related.role)
            for hit in engine.triggered(org_facts, as_of=as_of, matter=matter):
                if related.role in hit.compiled.measure.target_roles:
                    outcomes.append(_outcome(engine, hit, target, as_of))
    return Decision(
        subject=subject,
        as_of=as_of,
        matter=matter,
        catalog_id=catalog.info.id,
        catalog_fingerprint=catalog.fingerprint,
        library_version=__version__,
        outcomes=_withhold(_dedupe(outcomes)),
        facts=facts,
    )


def _outcome(
    engine: Engine, hit: Triggered, target: Target, as_of: datetime.date
) -> MeasureOutcome:
    catalog = engine.catalog
    measure = hit.compiled.measure
    start, end, ends_by = reference_period(measure, hit.witnesses, catalog)
    checks = runtime_checks(
        measure, hit.witnesses, policy=catalog.policy, vocabulary=catalog.vocabulary
    )
    if any(not c.passed for c in checks):
        status = OutcomeStatus.SET_ASIDE
    elif hit.suspended:
        status = OutcomeStatus.SUSPENDED
    elif end is not None and end <= as_of:
        status = OutcomeStatus.ENDED
    elif measure.advisory:
        status = OutcomeStatus.ADVISORY
    else:
        status = OutcomeStatus.APPLIES
    return MeasureOutcome(
        measure=measure,
        status=status,
        target=target,
        start=start,
        end=end,
        ends_by=ends_by,
        witnesses=hit.witnesses,
        pending=hit.pending,
        checks=checks,
    )


def _dedupe(outcomes: list[MeasureOutcome]) -> list[MeasureOutcome]:
    """The first outcome of the strongest status per (measure, target, via, role)."""
    order = list(OutcomeStatus)
    best: dict[tuple[object, ...], MeasureOutcome] = {}
    for outcome in outcomes:
        t = outcome.target
        key = (outcome.measure.id, t.subject_id, t.via_id, t.role)
        if key not in best or order.index(outcome.status) < order.index(best[key].status):
            best[key] = outcome
    return sorted(best.values(), key=MeasureOutcome.sort_key)


def _withhold(outcomes: list[MeasureOutcome]) -> tuple[MeasureOutcome, ...]:
    """Incentives in force withheld from a target with a restriction in force."""
    result = []
    for outcome in outcomes:
        if (
            outcome.measure.kind is MeasureKind.INCENTIVE
            and outcome.status in IN_FORCE
            and not outcome.measure.overrides_restrictions
        ):
            blockers = sorted(
                {
                    other.measure.id
                    for other in outcomes
                    if other.measure.kind is MeasureKind.RESTRICTION
                    and other.status in IN_FORCE
                    and other.target.subject_id == outcome.target.subject_id
                }
            )
            if blockers:
                outcome = attrs.evolve(
                    outcome, status=OutcomeStatus.WITHHELD, withheld_by=tuple(blockers)
                )
        result.append(outcome)
    return tuple(result)


def reference_period(
    measure: Measure, witnesses: Sequence[Record], catalog: Catalog
) -> tuple[datetime.date | None, datetime.date | None, str]:
    """``engine._period`` as it was first written (comprehensions, one step at a time)."""
    dishonest = [r for r in witnesses if counts_as_dishonest(r)]
    if not dishonest:
        dishonest = list(witnesses)
    start: datetime.date | None = None
    for record in dishonest:
        if start is None or record.decided_on > start:
            start = record.decided_on
    duration = measure.duration
    if duration.kind is DurationKind.PERMANENT:
        return start, None, "permanent"
    if duration.kind is DurationKind.PERIOD:
        if start is None or duration.period is None:
            return start, None, "period"
        return start, duration.period.add_to(start), "period"
    if duration.kind is DurationKind.WHILE_LISTED:
        entries = [r for r in witnesses if r.kind is RecordKind.LIST_ENTRY]
        if entries:
            start = max(r.decided_on for r in entries)
            exits = [r.exit_on for r in entries]
            if any(e is None for e in exits):
                return start, None, "list_exit"
            return start, max(e for e in exits if e is not None), "list_exit"
    ends = [record_end(r, catalog.policy) for r in dishonest]
    if not ends or any(e is None for e in ends):
        return start, None, "repair"
    return start, max(e for e in ends if e is not None), "repair"
