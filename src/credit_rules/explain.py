"""Why a measure applied, and why another did not.

Input: an :class:`~credit_rules.engine.Engine`, a dossier, ``as_of`` and the matter, or a
decision already made for them. Output: an :class:`Explanation` — per measure, the verdict
(the decision's own status, or why not: not triggered, not a target, not in this matter, not in
force, or set aside before evaluation), the ``when:`` text as written with the value of every
sub-condition at its file:line:column, the witness records, the records set aside with their
reasons, for a failed record query the candidate records and which part of the filter each
failed, the runtime checks, and the period.

Tracing runs the same compiled code as the fast path: each sub-condition is compiled on its own
by ``compile.py`` (once per measure, cached) and evaluated on the same ``Env``. Nothing here
re-implements the language, so an explanation cannot disagree with the decision it explains.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterator, Sequence

import attrs

from credit_rules.ast import Quantifier
from credit_rules.check import (
    AllOf,
    AnyOf,
    Checked,
    Condition,
    CountTest,
    Exists,
    Listed,
    Negation,
    Query,
    RelatedTest,
    query_kinds,
)
from credit_rules.compile import CompiledCondition, Env, compile_conditions, make_env
from credit_rules.decision import Check, Decision, MeasureOutcome, Target
from credit_rules.engine import CompiledMeasure, Engine
from credit_rules.facts import Facts, SetAside, SetAsideReason, build_facts, is_dishonest
from credit_rules.model import Dossier, Measure, Record
from credit_rules.spans import Span


class Verdict(enum.Enum):
    """Where a measure stands for a target, including every way of not applying."""

    APPLIES = "applies"
    ADVISORY = "advisory"
    SUSPENDED = "suspended"
    WITHHELD = "withheld"
    SET_ASIDE = "set_aside"
    ENDED = "ended"
    NOT_TRIGGERED = "not_triggered"
    NOT_A_TARGET = "not_a_target"
    NOT_IN_MATTER = "not_in_matter"
    NOT_IN_FORCE = "not_in_force"

    def __str__(self) -> str:
        return self.value


#: records whose setting aside, rather than the condition, can keep a measure from applying
RESTORABLE = frozenset({SetAsideReason.LENIENCE, SetAsideReason.NO_EFFECTIVE_DOCUMENT})


@attrs.frozen(slots=True)
class Step:
    """One sub-condition as written, and its value on the evaluated subject."""

    text: str
    span: Span
    depth: int
    holds: bool
    #: for a ``count(...)`` comparison, the count
    count: int | None = None
    records: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class Candidate:
    """A record a failed record query looked at, and which parts of it the record failed."""

    record_id: str
    failed: tuple[str, ...]


@attrs.frozen(slots=True)
class MeasureExplanation:
    """Everything an auditor asks about one measure for one target."""

    measure: Measure
    verdict: Verdict
    target: Target | None
    condition: str
    steps: tuple[Step, ...] = ()
    witnesses: tuple[Record, ...] = ()
    pending: tuple[Record, ...] = ()
    #: records set aside that the condition would otherwise have counted
    set_aside: tuple[SetAside, ...] = ()
    #: for a record query that failed, the records of the kinds it asks for
    candidates: tuple[Candidate, ...] = ()
    #: what would have been needed: the sub-conditions that failed, as written
    needed: tuple[str, ...] = ()
    #: records whose presence makes a ``no record …`` part fail
    blocking: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    start: datetime.date | None = None
    end: datetime.date | None = None
    ends_by: str | None = None
    withheld_by: tuple[str, ...] = ()
    #: the organisation the condition was evaluated on, for a person reached through it
    evaluated_on: str | None = None


@attrs.frozen(slots=True)
class Explanation:
    """A decision and the explanation of each measure asked about."""

    decision: Decision
    measures: tuple[MeasureExplanation, ...]


@attrs.frozen(slots=True)
class _Traced:
    node: Condition
    compiled: CompiledCondition
    depth: int


class Explainer:
    """Explains decisions of one engine; sub-condition code is compiled once per measure."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._traced: dict[str, tuple[_Traced, ...]] = {}
        self._parts: dict[tuple[str, int], tuple[tuple[str, CompiledCondition], ...]] = {}

    # -- public ------------------------------------------------------------------------------

    def explain(
        self,
        dossier: Dossier,
        *,
        as_of: datetime.date,
        matter: str | None = None,
        measure_ids: Sequence[str] | None = None,
        decision: Decision | None = None,
    ) -> Explanation:
        """Explain the decision for a dossier: every outcome, or the named measures (why-not).

        Raises:
            KeyError: a named measure is not in the catalog.
        """
        engine = self.engine
        if decision is None:
            decision = engine.evaluate(dossier, as_of=as_of, matter=matter)
        facts = build_facts(
            dossier,
            as_of=as_of,
            vocabulary=engine.catalog.vocabulary,
            policy=engine.catalog.policy,
        )
        wanted = (
            list(measure_ids)
            if measure_ids is not None
            else list(dict.fromkeys(o.measure.id for o in decision.outcomes))
        )
        by_id = {item.measure.id: item for item in engine.measures}
        explained: list[MeasureExplanation] = []
        for measure_id in wanted:
            item = by_id.get(measure_id)
            if item is None:
                raise KeyError(measure_id)
            outcomes = [o for o in decision.outcomes if o.measure.id == measure_id]
            if outcomes:
                explained.extend(self._explain_outcome(item, o, facts) for o in outcomes)
            else:
                explained.append(self._why_not(item, facts, as_of=as_of, matter=matter))
        return Explanation(decision=decision, measures=tuple(explained))

    def steps(self, item: CompiledMeasure, env: Env) -> tuple[Step, ...]:
        """The value of every sub-condition of a measure on one Env (conditions outside
        record filters; a filter's parts are reported per record by :meth:`candidates`)."""
        steps = []
        when = item.measure.when
        for traced in self._traced_of(item):
            witnesses = traced.compiled.function(env)
            node = traced.node
            count = None
            if isinstance(node, CountTest):
                count = self._count(item, node.query, env)
            steps.append(
                Step(
                    text=_text(when, node.span),
                    span=node.span,
                    depth=traced.depth,
                    holds=witnesses is not None,
                    count=count,
                    records=tuple(r.id for r in witnesses or ()),
                )
            )
        return tuple(steps)

    # -- internals ---------------------------------------------------------------------------

    def _traced_of(self, item: CompiledMeasure) -> tuple[_Traced, ...]:
        found = self._traced.get(item.measure.id)
        if found is None:
            nodes = list(_conditions(item.checked.condition))
            compiled = compile_conditions(
                (f"{item.measure.id} step {i}", _sub(item.checked, node))
                for i, (node, _) in enumerate(nodes)
            )
            found = tuple(
                _Traced(node, code, depth)
                for (node, depth), code in zip(nodes, compiled, strict=True)
            )
            self._traced[item.measure.id] = found
        return found

    def _count(self, item: CompiledMeasure, query: Query, env: Env) -> int:
        matching = self._query_parts(item, query)[0][1].function(env)
        return len(matching or ())

    def _query_parts(
        self, item: CompiledMeasure, query: Query
    ) -> tuple[tuple[str, CompiledCondition], ...]:
        """(text, compiled ``any record where PART``) for the whole query, then each part."""
        key = (item.measure.id, id(query))
        found = self._parts.get(key)
        if found is None:
            when = item.measure.when
            parts: list[tuple[str, Condition]] = [
                (_text(when, query.span), Exists(Quantifier.ANY, query, span=query.span))
            ]
            conjuncts = (
                ()
                if query.filter is None
                else query.filter.items
                if isinstance(query.filter, AllOf)
                else (query.filter,)
            )
            for part in conjuncts:
                parts.append(
                    (
                        _text(when, part.span),
                        Exists(Quantifier.ANY, Query(part, None, span=part.span), span=part.span),
                    )
                )
            if query.window is not None:
                parts.append(
                    (
                        _text(when, query.window.span),
                        Exists(Quantifier.ANY, Query(None, query.window), span=query.window.span),
                    )
                )
            compiled = compile_conditions(
                (f"{item.measure.id} part {i}", _sub(item.checked, node))
                for i, (_, node) in enumerate(parts)
            )
            found = tuple((text, code) for (text, _), code in zip(parts, compiled, strict=True))
            self._parts[key] = found
        return found

    def candidates(self, item: CompiledMeasure, query: Query, env: Env) -> tuple[Candidate, ...]:
        """The records of the kinds a query asks for, with the parts each one fails."""
        parts = self._query_parts(item, query)
        kinds = query_kinds(query)
        result = []
        for record in env.records:
            if kinds is not None and record.kind not in kinds:
                continue
            single = Env(as_of=env.as_of, subject=env.subject, minor=env.minor, records=(record,))
            failed = tuple(text for text, code in parts[1:] if code.function(single) is None)
            result.append(Candidate(record.id, failed))
        return tuple(result)

    def _entity(self, outcome_target: Target | None, facts: Facts) -> Facts:
        """The facts a condition was evaluated on: the subject, or the organisation a person
        is reached through."""
        if outcome_target is None or outcome_target.via_id is None:
            return facts
        if facts.subject.id == outcome_target.via_id:
            return facts
        for _, related_facts in facts.related:
            if related_facts.subject.id == outcome_target.via_id:
                return related_facts
        return facts

    def _explain_outcome(
        self, item: CompiledMeasure, outcome: MeasureOutcome, facts: Facts
    ) -> MeasureExplanation:
        entity = self._entity(outcome.target, facts)
        env = make_env(entity, include_pending=bool(outcome.pending))
        return MeasureExplanation(
            measure=item.measure,
            verdict=Verdict(outcome.status.value),
            target=outcome.target,
            condition=item.measure.when,
            steps=self.steps(item, env),
            witnesses=outcome.witnesses,
            pending=outcome.pending,
            set_aside=self._relevant_set_aside(item, entity),
            checks=outcome.checks,
            start=outcome.start,
            end=outcome.end,
            ends_by=outcome.ends_by,
            withheld_by=outcome.withheld_by,
            evaluated_on=entity.subject.id if entity is not facts else None,
        )

    def _why_not(
        self, item: CompiledMeasure, facts: Facts, *, as_of: datetime.date, matter: str | None
    ) -> MeasureExplanation:
        measure = item.measure
        engine = self.engine
        if matter is not None and measure.applies_in and matter not in measure.applies_in:
            return MeasureExplanation(measure, Verdict.NOT_IN_MATTER, None, measure.when)
        if not engine.measure_in_force(measure, as_of):
            return MeasureExplanation(measure, Verdict.NOT_IN_FORCE, None, measure.when)
        entity = self._reachable_entity(measure, facts)
        if entity is None:
            return MeasureExplanation(measure, Verdict.NOT_A_TARGET, None, measure.when)
        env = make_env(entity, include_pending=True)
        steps = self.steps(item, env)
        restored = self._restored(item, entity)
        needed = tuple(s.text for s in steps if not s.holds and _leafish(s, steps))
        candidates: list[Candidate] = []
        blocking: list[str] = []
        for node in _failed_queries(item, env, self):
            if isinstance(node, Exists) and node.quantifier is Quantifier.NO:
                matching = self._query_parts(item, node.query)[0][1].function(env)
                blocking.extend(r.id for r in matching or ())
            else:
                candidates.extend(self.candidates(item, node.query, env))
        return MeasureExplanation(
            measure=measure,
            verdict=Verdict.SET_ASIDE if restored else Verdict.NOT_TRIGGERED,
            target=None,
            condition=measure.when,
            steps=steps,
            set_aside=restored or self._relevant_set_aside(item, entity),
            candidates=tuple(candidates),
            needed=needed if not restored else (),
            blocking=tuple(dict.fromkeys(blocking)),
            evaluated_on=entity.subject.id if entity is not facts else None,
        )

    def _reachable_entity(self, measure: Measure, facts: Facts) -> Facts | None:
        """The facts the measure's condition is judged on for this subject, if it can
        reach the subject (or, for an organisation, a person through it) at all."""
        subject = facts.subject
        if subject.kind in measure.target_kinds:
            return facts
        if subject.is_person:
            for relation, org_facts in facts.related:
                if not relation.subject.is_person and relation.role in measure.target_roles:
                    return org_facts
            return None
        if any(
            rel.role in measure.target_roles and rel.subject.is_person for rel, _ in facts.related
        ):
            return facts
        return None

    def _restored(self, item: CompiledMeasure, entity: Facts) -> tuple[SetAside, ...]:
        """Set-aside records (lenience, no effective document) without which the measure
        would have been triggered: those the restored evaluation names as witnesses."""
        restorable = [s for s in entity.set_aside if s.reason in RESTORABLE]
        if not restorable:
            return ()
        records = tuple(
            sorted(
                (*entity.counted, *entity.pending, *(s.record for s in restorable)),
                key=lambda r: (r.decided_on, r.id),
            )
        )
        env = Env(
            as_of=entity.as_of,
            subject=entity.subject,
            minor=entity.minor,
            records=tuple(self._normalise(r) for r in records),
            related=make_env(entity, include_pending=True).related,
        )
        witnesses = item.condition(env)
        if witnesses is None:
            return ()
        ids = {r.id for r in witnesses}
        return tuple(s for s in restorable if s.record.id in ids)

    def _normalise(self, record: Record) -> Record:
        """A set-aside record as the language would see it had it counted."""
        if record.dishonest is None:
            dishonest = is_dishonest(record, self.engine.catalog.vocabulary)
            return attrs.evolve(record, dishonest=dishonest)
        return record

    def _relevant_set_aside(self, item: CompiledMeasure, entity: Facts) -> tuple[SetAside, ...]:
        """Set-aside records of the kinds the measure's record queries look at."""
        kinds: set[str] = set()
        any_kind = False
        for query in _queries(item.checked.condition):
            found = query_kinds(query)
            if found is None:
                any_kind = True
            else:
                kinds.update(k.value for k in found)
        for condition in _conditions_only(item.checked.condition):
            if isinstance(condition, Listed):
                kinds.add("list_entry")
        return tuple(s for s in entity.set_aside if any_kind or s.record.kind.value in kinds)


def explain(
    engine: Engine,
    dossier: Dossier,
    *,
    as_of: datetime.date,
    matter: str | None = None,
    measure_ids: Sequence[str] | None = None,
) -> Explanation:
    """Explain one evaluation (see :meth:`Explainer.explain`); builds a fresh explainer."""
    return Explainer(engine).explain(dossier, as_of=as_of, matter=matter, measure_ids=measure_ids)


# ---------------------------------------------------------------------------------------------


def _text(when: str, span: Span) -> str:
    if 0 <= span.start <= span.end <= len(when) and span.end > span.start:
        return " ".join(when[span.start : span.end].split())
    return " ".join(when.split())


def _sub(checked: Checked, node: Condition) -> Checked:
    return Checked(expr=checked.expr, condition=node, text=checked.text)


def _conditions(node: Condition, depth: int = 0) -> Iterator[tuple[Condition, int]]:
    """Sub-conditions outside record filters, with their depth (root first)."""
    yield node, depth
    if isinstance(node, AllOf | AnyOf):
        for item in node.items:
            yield from _conditions(item, depth + 1)
    elif isinstance(node, Negation):
        yield from _conditions(node.item, depth + 1)


def _conditions_only(node: Condition) -> Iterator[Condition]:
    for found, _ in _conditions(node):
        yield found
        if isinstance(found, RelatedTest):
            yield from _conditions_only(found.body)


def _queries(node: Condition) -> Iterator[Query]:
    for found in _conditions_only(node):
        if isinstance(found, Exists | CountTest):
            yield found.query


def _failed_queries(
    item: CompiledMeasure, env: Env, explainer: Explainer
) -> Iterator[Exists | CountTest]:
    for traced in explainer._traced_of(item):
        node = traced.node
        if isinstance(node, Exists | CountTest) and traced.compiled.function(env) is None:
            yield node


def _leafish(step: Step, steps: Sequence[Step]) -> bool:
    """A failed step with no failed step nested directly under it."""
    index = steps.index(step)
    for later in steps[index + 1 :]:
        if later.depth <= step.depth:
            break
        if later.depth == step.depth + 1 and not later.holds:
            return False
    return True
