"""The matcher: a compiled catalog evaluated for one subject on one date.

Input: a :class:`~credit_rules.model.Catalog` (compiled once by :func:`compile_catalog`), then
per call a :class:`~credit_rules.model.Dossier`, ``as_of`` and optionally the matter being
handled. Output: a :class:`~credit_rules.decision.Decision`. The fast path builds no traces;
``explain.py`` re-runs the same compiled conditions with tracing for why and why-not.
Errors: catalog problems surface at compile time (syntax, types, lint errors); evaluation
itself never raises on bad records — they are set aside with a reason.
"""

from __future__ import annotations

import datetime
import difflib
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import attrs

from credit_rules.check import Checked, Condition, check, index_keys, record_keys
from credit_rules.compile import CompiledCondition, Env, Witnesses, compile_conditions, make_env
from credit_rules.decision import (
    IN_FORCE,
    Check,
    Decision,
    MeasureOutcome,
    OutcomeStatus,
    Target,
)
from credit_rules.errors import (
    ConditionSyntaxError,
    ConditionTypeError,
    CreditRulesError,
    Diagnostic,
    LintError,
    UsageError,
    error,
)
from credit_rules.facts import Facts, build_facts, classifier_for, record_end
from credit_rules.lint import errors_of, lint
from credit_rules.model import (
    DISHONEST_KINDS,
    Catalog,
    CatalogInfo,
    Dossier,
    DurationKind,
    Measure,
    MeasureKind,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Role,
    Subject,
    SubjectKind,
)
from credit_rules.parser import parse
from credit_rules.proportion import Checker
from credit_rules.screen import Screen, ScreenPlan, conditions_reached, index_keys_of
from credit_rules.version import __version__


@attrs.frozen(slots=True)
class CompiledMeasure:
    """A measure with its checked and compiled condition and its trigger keys."""

    measure: Measure
    checked: Checked
    condition: CompiledCondition
    #: its place in the catalog (hits are reported in this order)
    position: int = 0


class Triggered(NamedTuple):
    """A measure whose condition holds for an entity (before targets and checks).

    An immutable tuple rather than an attrs class: one is made per hit on the evaluation path,
    and hits sort by their first field, the measure's place in the catalog (unique in a list
    of hits, so the rest is never compared).
    """

    position: int
    compiled: CompiledMeasure
    witnesses: tuple[Record, ...]
    pending: tuple[Record, ...]
    suspended: bool


def compile_measures(catalog: Catalog) -> tuple[CompiledMeasure, ...]:
    """Parse, check and compile every measure; all condition errors are raised at once.

    Measures whose conditions are the same (structurally) share one compiled function, and
    all of them are generated into one module.
    """
    problems: list[Diagnostic] = []
    checked_measures: list[tuple[Measure, Checked]] = []
    for measure in catalog.measures:
        source = measure.when_span.source if measure.when_span is not None else catalog.info.path
        try:
            expr = parse(
                measure.when,
                source=source,
                positions=measure.when_positions or None,
            )
            checked_measures.append((measure, check(expr, catalog.vocabulary)))
        except (ConditionSyntaxError, ConditionTypeError) as exc:
            problems.extend(
                attrs.evolve(d, measure_id=measure.id, catalog_path=d.catalog_path or "when")
                for d in exc.diagnostics
            )
    if problems:
        first = problems[0].code
        error_class: type[CreditRulesError] = (
            ConditionSyntaxError if first.startswith("CR-E30") else ConditionTypeError
        )
        raise error_class(problems)
    distinct: dict[object, tuple[str, Checked]] = {}
    for measure, checked in checked_measures:
        distinct.setdefault(checked.condition, (measure.id, checked))
    functions = dict(
        zip(distinct, compile_conditions(distinct.values()) if distinct else (), strict=True)
    )
    return tuple(
        CompiledMeasure(
            measure=measure,
            checked=checked,
            condition=attrs.evolve(functions[checked.condition], name=measure.id, checked=checked),
            position=position,
        )
        for position, (measure, checked) in enumerate(checked_measures)
    )


class Engine:
    """A catalog compiled for evaluation; build once with :func:`compile_catalog`."""

    #: the catalog's lint findings (warnings, acknowledged ones as info), set by compile_catalog
    findings: tuple[Diagnostic, ...] = ()

    def __init__(self, catalog: Catalog, measures: Sequence[CompiledMeasure]) -> None:
        self.catalog = catalog
        self.measures = tuple(measures)
        self._layers = {info.id: info for info in catalog.layers}
        # Measures with the same condition (structurally, positions aside) share one function
        # and one result per evaluation: the index is over distinct conditions.
        distinct: dict[Condition, int] = {}
        self._shared = tuple(
            distinct.setdefault(item.checked.condition, len(distinct)) for item in self.measures
        )
        functions: list[Callable[[Env], Witnesses | None]] = [_never] * len(distinct)
        keys_of: list[frozenset[str] | None] = [frozenset()] * len(distinct)
        relevant: list[frozenset[str] | None] = [frozenset()] * len(distinct)
        for item, shared in zip(self.measures, self._shared, strict=True):
            functions[shared] = item.condition.function
            keys_of[shared] = index_keys(item.checked)
            relevant[shared] = record_keys(item.checked)
        self._functions = tuple(functions)
        self._condition_keys = tuple(keys_of)
        #: per condition, the keys of records that can change its value (None: any record)
        self._record_keys = tuple(relevant)
        self._plans: dict[tuple[datetime.date, str | None], _Plan] = {}
        # Per place in ``measures`` (a hit's position), what the evaluation path reads of a
        # measure, in one tuple (``_Static``): read for every hit.
        alike: dict[object, int] = {}  # measures alike in all the period and checks read
        first: dict[str, int] = {}  # outcomes are one per measure id and target
        parts = [(0 if m.measure.kind is _RESTRICTION else 1, m.measure.id) for m in self.measures]
        ranks = {part: rank for rank, part in enumerate(sorted(set(parts)))}
        self._static = tuple(
            _Static(
                item.measure.target_kinds,
                item.measure.target_roles,
                alike.setdefault(_worked_signature(item.measure), len(alike)),
                item.measure.advisory,
                first.setdefault(item.measure.id, place),
                ranks[parts[place]],
            )
            for place, item in enumerate(self.measures)
        )
        self._checker = Checker(catalog.policy, catalog.vocabulary)
        #: the distinct conditions, in the order of ``_functions``
        self._conditions = tuple(distinct)
        self._screen: Screen | None = None
        self._screen_plans: dict[tuple[datetime.date, str | None], ScreenPlan] = {}

    @property
    def fingerprint(self) -> str:
        """The catalog fingerprint every decision carries."""
        return self.catalog.fingerprint

    def evaluate(
        self,
        dossier: Dossier,
        *,
        as_of: datetime.date,
        matter: str | None = None,
    ) -> Decision:
        """Every measure that applies to the subject (and to persons through it) on ``as_of``.

        Raises:
            UsageError: ``matter`` is not a matter of the catalog's vocabulary.
        """
        if matter is not None and matter not in self.catalog.vocabulary.matters:
            raise UsageError([_unknown_matter(matter, self.catalog.vocabulary.matters)])
        facts = build_facts(
            dossier,
            as_of=as_of,
            vocabulary=self.catalog.vocabulary,
            policy=self.catalog.policy,
        )
        outcomes = self._outcomes(facts, as_of=as_of, matter=matter)
        return Decision(
            subject=dossier.subject,
            as_of=as_of,
            matter=matter,
            catalog_id=self.catalog.info.id,
            catalog_fingerprint=self.catalog.fingerprint,
            library_version=__version__,
            outcomes=outcomes,
            facts=facts,
        )

    def screen(
        self,
        dossier: Dossier,
        *,
        as_of: datetime.date,
        matter: str | None = None,
    ) -> frozenset[tuple[str, bool]]:
        """(measure id, suspended) of every measure in force whose condition holds for the
        subject itself on ``as_of``: suspended when it holds only once the records under
        objection are counted.

        The fast path for screening many subjects (which of them does a list change reach?):
        the same records count as in :meth:`evaluate` and the same conditions hold, but no
        witnesses, targets, periods, proportion checks or withholding are worked out, and
        persons are not reached through their organisations. Evaluate the subjects it finds
        for the decision.

        Raises:
            UsageError: ``matter`` is not a matter of the catalog's vocabulary.
            CompileError: (on the first call) a condition is too deep to generate (CR-E321).
        """
        key = (as_of, matter)
        plan = self._screen_plans.get(key)
        if plan is None:
            if matter is not None and matter not in self.catalog.vocabulary.matters:
                raise UsageError([_unknown_matter(matter, self.catalog.vocabulary.matters)])
            plan = self._screen_plan(as_of, matter)
        return plan.answer(dossier.subject, dossier.records, dossier.related)

    def _screen_plan(self, as_of: datetime.date, matter: str | None) -> ScreenPlan:
        if self._screen is None:
            self._screen = Screen(self._conditions)
        if len(self._screen_plans) >= 256:
            self._screen_plans.clear()
        found = self._plan(as_of, matter)
        plan = self._screen_plans[(as_of, matter)] = ScreenPlan(
            self._screen,
            as_of,
            found.index,
            found.always,
            [
                (
                    frozenset((item.measure.id, False) for _, item in members),
                    frozenset((item.measure.id, True) for _, item in members),
                )
                for members in found.members
            ],
            classifier_for(self.catalog.vocabulary, self.catalog.policy),
        )
        return plan

    # -- internals --------------------------------------------------------------------------

    def triggered(
        self, facts: Facts, *, as_of: datetime.date, matter: str | None
    ) -> list[Triggered]:
        """Measures whose condition holds for one entity, with witnesses (no targets yet).

        Only conditions that a record (or relation) of the entity can make true are evaluated,
        each once however many measures share it; measures not in force on ``as_of`` or not
        in ``matter`` are never evaluated. Hits come in catalog order.
        """
        plan = self._plan(as_of, matter)
        candidates = plan.candidates(facts)
        if not candidates:
            return []
        functions = self._functions
        members = plan.members
        confirmed = make_env(facts, include_pending=False)
        with_pending: Env | None = None
        # keys of the records under objection (``related`` for a related subject's); None: none
        pending_keys = _pending_keys(facts)
        record_keys_ = self._record_keys
        hits: list[Triggered] = []
        new = _new_tuple
        for condition in candidates:
            function = functions[condition]
            witnesses = function(confirmed)
            if witnesses is not None:
                for position, compiled in members[condition]:
                    hits.append(new(Triggered, (position, compiled, witnesses, (), False)))
                continue
            if pending_keys is None:
                continue
            relevant = record_keys_[condition]
            if relevant is not None and relevant.isdisjoint(pending_keys):
                continue  # no record under objection can change this condition
            if with_pending is None:
                with_pending = make_env(facts, include_pending=True)
            witnesses = function(with_pending)
            if witnesses is not None:
                pending = tuple(r for r in witnesses if r.status is RecordStatus.OBJECTION_PENDING)
                # Through a negation the witnesses name no record; then every record under
                # objection is what tips it (they are all the two evaluations differ by).
                pending = pending or _all_pending(facts)
                for position, compiled in members[condition]:
                    hits.append(new(Triggered, (position, compiled, witnesses, pending, True)))
        if len(hits) > 1:
            hits.sort()
        return hits

    def _plan(self, as_of: datetime.date, matter: str | None) -> _Plan:
        """The trigger index restricted to measures in force on ``as_of`` in ``matter``."""
        key = (as_of, matter)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= 256:
                self._plans.clear()
            members: list[list[tuple[int, CompiledMeasure]]] = [[] for _ in self._functions]
            for position, item in enumerate(self.measures):
                if self._in_force(item.measure, as_of, matter):
                    members[self._shared[position]].append((position, item))
            always: list[int] = []
            index: dict[str, list[int]] = {}
            for condition, keys in enumerate(self._condition_keys):
                if not members[condition]:
                    continue
                if keys is None:
                    always.append(condition)
                else:
                    for trigger in keys:
                        index.setdefault(trigger, []).append(condition)
            plan = self._plans[key] = _Plan(
                always=tuple(always),
                index={trigger: tuple(found) for trigger, found in index.items()},
                members=tuple(tuple(found) for found in members),
            )
        return plan

    def _in_force(self, measure: Measure, as_of: datetime.date, matter: str | None) -> bool:
        if matter is not None and measure.applies_in and matter not in measure.applies_in:
            return False
        return self.measure_in_force(measure, as_of)

    def measure_in_force(self, measure: Measure, as_of: datetime.date) -> bool:
        """Whether the catalog layer a measure belongs to is in force on ``as_of``."""
        layer = self._layers.get(measure.catalog_id)
        return layer is None or _layer_in_force(layer, as_of)

    def _outcomes(
        self, facts: Facts, *, as_of: datetime.date, matter: str | None
    ) -> tuple[MeasureOutcome, ...]:
        """The outcomes of every hit for every target it reaches, one per (measure id,
        target, via, role) with the strongest status, in ``MeasureOutcome.sort_key`` order,
        incentives withheld (``_withhold``).

        Outcomes are rows (plain tuples) until the end: the dedupe key and the sort key are
        integers from ranks worked out once per engine (measures) and once per evaluation
        (targets), and each ``MeasureOutcome`` is built once, with its final status.
        """
        subject = facts.subject
        itself = _self_target(subject)
        hits = self.triggered(facts, as_of=as_of, matter=matter)
        # (hits, whether the subject itself can be their target, persons reached and roles)
        sources: list[tuple[list[Triggered], bool, list[tuple[Role, Target]]]] = []
        if subject.is_person:
            if hits:
                sources.append((hits, True, []))
            # A person reached through the organisations they hold a role in.
            for related, org_facts in facts.related:
                if related.subject.is_person:
                    continue
                org_hits = self.triggered(org_facts, as_of=as_of, matter=matter)
                if org_hits:
                    target = _person_target(subject, related.subject, related)
                    sources.append((org_hits, False, [(related.role, target)]))
        elif hits:
            # The subject's own triggered measures: to itself, and to persons through it.
            persons = [
                (related.role, _person_target(related.subject, subject, related))
                for related, _ in facts.related
                if related.subject.is_person
            ]
            sources.append((hits, True, persons))
        if not sources:
            return ()
        # Each target's identity for the dedupe, (subject, via, role), as an index, and its
        # place in the order, (through, subject, role), as a rank (equal places, equal ranks).
        identity: dict[tuple[str, str | None, Role | None], int] = {(subject.id, None, None): 0}
        places: list[tuple[int, str, str]] = [(0, subject.id, "")]
        reached: list[list[tuple[Role, Target, int]]] = []
        for _, _, persons in sources:
            indexed = []
            for role, target in persons:
                index = identity.setdefault((target.subject_id, target.via_id, role), len(places))
                if index == len(places):
                    places.append((1, target.subject_id, role._value_))
                indexed.append((role, target, index))
            reached.append(indexed)
        ranks = {place: rank for rank, place in enumerate(sorted(set(places)))}
        n = len(self.measures)
        # per target: its rank in the order, times n (a row's sort key adds the measure's)
        placed = [ranks[place] * n for place in places]
        static = self._static
        rank_of = _STATUS_RANK
        memo: dict[tuple[int, int], _Worked] = {}
        best: dict[int, _Row] = {}
        for (hits, direct, _), persons_ in zip(sources, reached, strict=True):
            for hit in hits:
                position = hit.position
                kinds, roles, alike, advisory, same, placed_measure = static[position]
                targets = []
                if direct and subject.kind in kinds:
                    targets.append((itself, 0))
                if roles:
                    for role, target, index in persons_:
                        if role in roles:
                            targets.append((target, index))
                if not targets:
                    continue
                shared = (id(hit.witnesses), alike)
                worked = memo.get(shared)
                if worked is None:
                    # the witnesses are kept alive by the memo, so their id is not reused
                    worked = memo[shared] = self._worked(hit)
                if worked.failed:
                    # A failed check decides even under objection: resolving it cannot make
                    # it apply.
                    status = OutcomeStatus.SET_ASIDE
                elif hit.suspended:
                    status = OutcomeStatus.SUSPENDED
                elif worked.end is not None and worked.end <= as_of:
                    status = OutcomeStatus.ENDED
                elif advisory:
                    status = OutcomeStatus.ADVISORY
                else:
                    status = OutcomeStatus.APPLIES
                rank = rank_of[status]
                for target, index in targets:
                    key = index * n + same
                    held = best.get(key)
                    if held is None or rank < held[0]:
                        # a key seen before keeps its place among the rows, as in a dict
                        best[key] = (
                            rank,
                            placed[index] + placed_measure,
                            status,
                            hit,
                            worked,
                            target,
                        )
        rows = list(best.values())
        if len(rows) > 1:
            rows.sort(key=_sort_key)  # stable: equal keys stay in the order first seen
        return _withhold(rows)

    def _worked(self, hit: Triggered) -> _Worked:
        """A hit's period and checks. They depend on the hit alone, so ``_outcomes`` works
        them out once however many persons the measure reaches — and once for all measures
        that share a condition (so the same witnesses) and what the period and the checks
        read of a measure (``_Static.alike``, the memo's key)."""
        measure = hit.compiled.measure
        witnesses = hit.witnesses
        start, end, ends_by = _period(measure, witnesses, self.catalog)
        found = self._checker.checks(measure, witnesses)
        failed = False
        for result in found:
            if not result.passed:
                failed = True
                break
        return _new_tuple(_Worked, (start, end, ends_by, found, failed, witnesses))


def compile_catalog(catalog: Catalog, *, strict: bool = True) -> Engine:
    """Compile a catalog into an engine: conditions parsed, checked, linted and compiled once.

    Lint findings (legality, proportion, relevance …, see ``docs/checks.md``) are kept on
    ``engine.findings``; unacknowledged lint errors stop compilation unless ``strict`` is off.

    Args:
        catalog: the layered catalog.
        strict: raise on lint errors (the default); with ``strict=False`` they are kept on
            ``engine.findings`` with the rest, for tools and tests that must evaluate a catalog
            that breaks a lint rule (the runtime checks still apply to every decision).

    Raises:
        ConditionSyntaxError: a ``when:`` is not in the condition language.
        ConditionTypeError: a ``when:`` uses unknown names or mismatched types.
        LintError: with every unacknowledged lint error (when ``strict``).
    """
    measures = compile_measures(catalog)
    findings = lint(catalog, {item.measure.id: item.checked for item in measures})
    errors = errors_of(findings)
    if strict and errors:
        raise LintError(errors)
    engine = Engine(catalog, measures)
    engine.findings = findings
    return engine


# ---------------------------------------------------------------------------------------------


def _all_pending(facts: Facts) -> tuple[Record, ...]:
    """Every record under objection of the subject and its related subjects."""
    return facts.pending + tuple(r for _, related in facts.related for r in related.pending)


@attrs.frozen(slots=True)
class _Plan:
    """The conditions to evaluate on one date in one matter, by the keys that trigger them."""

    #: conditions that can hold without records
    always: tuple[int, ...]
    #: trigger key -> conditions it can make true
    index: Mapping[str, tuple[int, ...]]
    #: condition -> (position, measure) of the measures in force that share it
    members: tuple[tuple[tuple[int, CompiledMeasure], ...], ...]
    #: record shape -> the conditions a record of that shape can make true (filled as met)
    by_shape: dict[tuple[object, ...], tuple[int, ...]] = attrs.field(factory=dict, eq=False)
    #: the same for a record of a related subject (``related:`` keys)
    by_related_shape: dict[tuple[object, ...], tuple[int, ...]] = attrs.field(
        factory=dict, eq=False
    )

    def candidates(self, facts: Facts) -> set[int]:
        """The conditions an entity's counted and pending records (or its related subjects'
        records) can make true: the union of what each record's keys index, looked up once
        per record shape."""
        found = set(self.always)
        sources: list[tuple[Facts, dict[tuple[object, ...], tuple[int, ...]], str]] = [
            (facts, self.by_shape, "")
        ]
        if facts.related:
            found.update(self.index.get("related", ()))
            sources += [(other, self.by_related_shape, "related:") for _, other in facts.related]
        for entity, known, prefix in sources:
            for records in (entity.counted, entity.pending):
                for record in records:
                    shape = _shape_of(record)
                    conditions = known.get(shape)
                    if conditions is None:
                        conditions = self._of_shape(shape, record, known, prefix)
                    if conditions:
                        found.update(conditions)
        return found

    def _of_shape(
        self,
        shape: tuple[object, ...],
        record: Record,
        known: dict[tuple[object, ...], tuple[int, ...]],
        prefix: str,
    ) -> tuple[int, ...]:
        """The conditions a record of a shape not met before can make true (kept in ``known``:
        the shape is all of a record its keys read)."""
        if len(known) >= 65536:
            known.clear()
        conditions = known[shape] = conditions_reached(record, self.index, prefix)
        return conditions


class _Static(NamedTuple):
    """What the evaluation path reads of a measure (see ``Engine.__init__``)."""

    target_kinds: tuple[SubjectKind, ...]
    target_roles: tuple[Role, ...]
    #: the same number for measures alike in what the period and the checks read
    alike: int
    #: ``Measure.advisory`` (a property with a loop)
    advisory: bool
    #: the place of the first measure with the same id (the dedupe's measure part)
    same_id: int
    #: the rank of its part of ``MeasureOutcome.sort_key`` (restrictions first, then by id;
    #: equal parts, equal ranks)
    order: int


class _Worked(NamedTuple):
    """A hit's period and runtime checks (see ``Engine._worked``)."""

    start: datetime.date | None
    end: datetime.date | None
    ends_by: str
    checks: tuple[Check, ...]
    #: whether any of the checks failed
    failed: bool
    #: held so that the witnesses' id stays theirs while the memo lives
    witnesses: tuple[Record, ...]


def _worked_signature(measure: Measure) -> tuple[object, ...]:
    """What ``_period`` and ``proportion.runtime_checks`` (``Checker.checks``) read of a
    measure."""
    return (measure.duration, measure.kind, measure.domains, measure.impact)


#: a named tuple (a hit, a ``_Worked``) from its fields without its class's ``__new__`` (a
#: Python function) in between
_new_tuple = tuple.__new__


def _never(env: Env) -> Witnesses | None:
    return None


#: a record's shape: all that ``index_keys_of`` reads of it (one C call for the tuple)
_shape_of = operator.attrgetter("kind", "list_name", "dishonest", "domain", "severity", "tags")

#: record shape -> its keys
_keys_by_shape: dict[tuple[object, ...], tuple[str, ...]] = {}


def _pending_keys(facts: Facts) -> set[str] | None:
    """The keys of the records under objection, ``related`` if a related subject has one;
    None when no record is under objection (or none has a key)."""
    related = any(other.pending for _, other in facts.related)
    if not facts.pending and not related:
        return None
    keys: set[str] = set()
    known = _keys_by_shape
    for record in facts.pending:
        shape = _shape_of(record)
        found = known.get(shape)
        if found is None:
            if len(known) >= 65536:
                known.clear()
            found = known[shape] = index_keys_of(record)
        keys.update(found)
    if related:
        keys.add("related")
    return keys or None


def _layer_in_force(info: CatalogInfo, as_of: datetime.date) -> bool:
    if info.effective_from is not None and info.effective_from > as_of:
        return False
    return info.effective_until is None or info.effective_until > as_of


def _self_target(subject: Subject) -> Target:
    return Target(subject.id, subject.name, subject.kind)


def _person_target(person: Subject, organisation: Subject, related: Related) -> Target:
    return Target(
        person.id,
        person.name,
        person.kind,
        via_id=organisation.id,
        via_name=organisation.name,
        role=related.role,
    )


def _period(
    measure: Measure, witnesses: Sequence[Record], catalog: Catalog
) -> tuple[datetime.date | None, datetime.date | None, str]:
    """Start, end and what ends the measure, from its duration and its witnesses.

    It starts with the latest of the dishonest witnesses (of all witnesses when none is).
    A measure for as long as a subject is listed ends with the last exit of the listings
    among the witnesses (never, when one has no exit date); with none, and for a measure until
    repair, it ends when the last of those witnesses stops counting (never, when one does not
    end by time). Loops rather than comprehensions: this runs for every hit (a property test
    holds it to the plain version, ``reference_evaluate.reference_period``).
    """
    dishonest: list[Record] = []
    start: datetime.date | None = None
    for record in witnesses:
        flag = record.dishonest  # counts_as_dishonest, inlined
        if flag is True or (flag is None and record.kind in DISHONEST_KINDS):
            dishonest.append(record)
            if start is None or record.decided_on > start:
                start = record.decided_on
    chosen: Sequence[Record] = dishonest
    if not dishonest:
        chosen = witnesses
        for record in witnesses:
            if start is None or record.decided_on > start:
                start = record.decided_on
    duration = measure.duration
    kind = duration.kind
    if kind is DurationKind.PERMANENT:
        return start, None, "permanent"
    if kind is DurationKind.PERIOD:
        if start is None or duration.period is None:
            return start, None, "period"
        return start, duration.period.add_to(start), "period"
    if kind is DurationKind.WHILE_LISTED:
        listed: datetime.date | None = None
        last_exit: datetime.date | None = None
        open_ended = False
        for record in witnesses:
            if record.kind is RecordKind.LIST_ENTRY:
                if listed is None or record.decided_on > listed:
                    listed = record.decided_on
                exit_on = record.exit_on
                if exit_on is None:
                    open_ended = True
                elif last_exit is None or exit_on > last_exit:
                    last_exit = exit_on
        if listed is not None:
            return listed, None if open_ended else last_exit, "list_exit"
    policy = catalog.policy
    end: datetime.date | None = None
    for record in chosen:
        ends = record_end(record, policy)
        if ends is None:
            return start, None, "repair"
        if end is None or ends > end:
            end = ends
    return start, end, "repair"


_STATUS_RANK = {status: rank for rank, status in enumerate(OutcomeStatus)}
_RESTRICTION = MeasureKind.RESTRICTION
_INCENTIVE = MeasureKind.INCENTIVE


#: an outcome before it is built: (status rank, sort key, status, hit, period and checks,
#: target); see ``Engine._outcomes``
_Row = tuple[int, int, OutcomeStatus, Triggered, _Worked, Target]

#: a row's sort key (``MeasureOutcome.sort_key`` as ranks)
_sort_key = operator.itemgetter(1)


def _withhold(rows: list[_Row]) -> tuple[MeasureOutcome, ...]:
    """The outcomes of rows in order; incentives are not given to a target under a restriction
    in force (unless overridden)."""
    blocking: dict[str, list[str]] = {}
    incentives = False
    for _, _, status, hit, _, target in rows:
        kind = hit.compiled.measure.kind
        if kind is _RESTRICTION:
            if status in IN_FORCE:
                blocking.setdefault(target.subject_id, []).append(hit.compiled.measure.id)
        elif kind is _INCENTIVE:
            incentives = True
    withholding = bool(blocking) and incentives
    outcomes: list[MeasureOutcome] = []
    for _, _, status, hit, worked, target in rows:
        measure = hit.compiled.measure
        withheld_by: tuple[str, ...] = ()
        if withholding and measure.kind is _INCENTIVE and status in IN_FORCE:
            blockers = blocking.get(target.subject_id)
            if blockers and not measure.overrides_restrictions:
                status = OutcomeStatus.WITHHELD
                withheld_by = tuple(sorted(set(blockers)))
        outcomes.append(
            MeasureOutcome(
                measure,
                status,
                target,
                worked.start,
                worked.end,
                worked.ends_by,
                hit.witnesses,
                hit.pending,
                worked.checks,
                withheld_by,
            )
        )
    return tuple(outcomes)


def _unknown_matter(matter: str, matters: Iterable[str]) -> Diagnostic:
    names = sorted(matters)
    close = difflib.get_close_matches(matter, names, n=1)
    return error(
        "CR-E401",
        f"unknown matter `{matter}`",
        help=f"did you mean `{close[0]}`?" if close else "matters: " + ", ".join(names),
    )
