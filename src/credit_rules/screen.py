"""Screening: which measures' conditions hold for a subject, without witnesses or targets.

Input: a catalog's distinct checked conditions (``engine.py`` hands them over once), then per
call a subject's records and related subjects. Output: per measure in force, whether its
condition holds on the records that count, or holds only once the records under objection are
counted too (suspended). Errors: ``CompileError`` (CR-E321) when a condition is too deep to
generate; none at run time (records are classified by ``facts``, which never raises).

This is the fast path of issue 8, kept apart from the explaining path (``compile.py`` returns
the witnesses that ``Engine.evaluate`` and ``explain.py`` need). Every distinct record query of
the catalog (``any``/``no``/``count record where … within/since …``, and ``listed(…)``, a query
for list entries) becomes a numbered *slot*. What a record feeds depends only on its *shape*
(the fields filters and index keys read) and on how many of the catalog's window bounds lie
before its date, so it is worked out once per shape: per record, what is left is a dictionary
lookup, a binary search among the bounds, one ``|`` for the slots that only need a record to
exist and one increment per slot that is counted. The conditions are generated as boolean
expressions over those bits and counters. A condition is tried only when a record feeds a slot
it needs (its *trigger*: a ``listed``, ``any record`` or ``count … >= n`` it requires; for an
``and``, one of its parts; for an ``or``, all of them; for ``any related``, its body's, fed by a
related subject); the rest are found by the trigger index from the records' keys, as on the
witness path. Only the records some query can read are classified at all, and of a related
subject only the list entries of the lists its bodies read. ``tests/test_screen.py`` holds this
path to evaluating every measure in force on its own, and to ``Engine.triggered``, on random
catalogs and dossiers.
"""

from __future__ import annotations

import bisect
import datetime
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from credit_rules.ast import NO_SPAN, CompareOp, Quantifier, Since, Within
from credit_rules.check import (
    AllOf,
    AnyOf,
    CountTest,
    DateTest,
    Exists,
    KindTest,
    Listed,
    Negation,
    Query,
    RatingTest,
    RegionTest,
    RelatedTest,
    SubjectFlagTest,
    SubjectKindTest,
    TextTest,
    compare,
    index_keys,
    keys_of_record,
    query_kinds,
    query_lists,
    walk,
)
from credit_rules.check import Condition as IRCondition
from credit_rules.compile import GENERATED_GLOBALS, PY_OPS, Generator, requires_dishonest
from credit_rules.errors import CompileError, error
from credit_rules.facts import (
    Classifier,
    counts_as_dishonest,
    current_ratings,
    window_start,
)
from credit_rules.model import DISHONEST_KINDS, Record, RecordKind, Related, Role, Subject

#: the record fields the index keys read (``index_keys_of``); filters may read more
_KEY_FIELDS = ("kind", "list_name", "dishonest", "domain", "severity", "tags")
#: filter fields outside ``_KEY_FIELDS`` that are plain record attributes
_EXTRA_FIELDS = ("authority", "scheme", "grade", "category")
_LIST_ENTRY = RecordKind.LIST_ENTRY
_RATING = RecordKind.RATING


def index_keys_of(record: Record) -> tuple[str, ...]:
    """The index keys (``check.index_keys``) a record of ``facts.Facts`` matches."""
    return keys_of_record(
        record.kind,
        record.list_name,
        counts_as_dishonest(record),
        record.domain,
        record.severity,
        record.tags,
    )


def conditions_reached(
    record: Record, index: Mapping[str, tuple[int, ...]], prefix: str = ""
) -> tuple[int, ...]:
    """The conditions (in order) that ``index`` gives for the keys of ``record``, each key read
    with ``prefix`` (``related:`` for a related subject's record)."""
    return tuple(sorted({c for key in index_keys_of(record) for c in index.get(prefix + key, ())}))


class Entity:
    """One subject as screening sees it, without and with the records under objection: the
    slots some record fed (bits) and the counts of the counted slots."""

    __slots__ = (
        "_ratings",
        "counted",
        "counts",
        "mask",
        "minor",
        "pending",
        "pending_counts",
        "pending_mask",
        "related",
        "subject",
    )

    def __init__(
        self,
        subject: Subject,
        minor: bool,
        counted: Sequence[Record],
        pending: Sequence[Record],
        related: Sequence[tuple[Role, Entity]],
    ) -> None:
        self.subject = subject
        self.minor = minor
        self.counted = counted
        self.pending = pending
        self.related = related
        self._ratings: list[Mapping[str, Record] | None] | None = None

    #: the bits and counts without and with the records under objection (set by the plan)
    mask: int
    counts: list[int]
    pending_mask: int
    pending_counts: list[int]

    def grade(self, pending: bool, scheme: str) -> str | None:
        """The grade of the current rating of ``scheme`` (None: no rating)."""
        if self._ratings is None:
            self._ratings = [None, None]
        ratings = self._ratings[pending]
        if ratings is None:
            records: Iterable[Record] = self.counted
            if pending:
                records = [*self.counted, *self.pending]
            ratings = self._ratings[pending] = current_ratings(records)
        rating = ratings.get(scheme)
        return None if rating is None else rating.grade


#: what records of one shape feed: per date bucket (how many of the plan's window bounds lie
#: before the record's date), the bits of the slots it passes, the counted slots among them,
#: and the conditions it can make true (those its index keys reach, and those the slots it
#: feeds trigger)
Feeds = tuple[tuple[int, tuple[int, ...], tuple[int, ...]], ...]


class Screen:
    """A catalog's distinct conditions compiled to expressions over per-slot bits and counts."""

    def __init__(self, conditions: Sequence[IRCondition]) -> None:
        self.queries: dict[Query, int] = {}
        #: slot -> its index among the counted slots (``count(…)`` queries)
        self.counter: dict[int, int] = {}
        self.has_related = False
        #: the slots of ``listed(…)`` (a subject's list entries are fewer than its records)
        listed = 0
        fields: set[str] = set()
        for condition in conditions:
            for node in walk(condition):
                if isinstance(node, Exists):
                    self._slot(node.query)
                elif isinstance(node, CountTest):
                    slot = self._slot(node.query)
                    self.counter.setdefault(slot, len(self.counter))
                elif isinstance(node, Listed):
                    listed |= 1 << self._slot(_listed_query(node.list_name))
                elif isinstance(node, RelatedTest):
                    self.has_related = True
                elif isinstance(node, TextTest) and node.field in _EXTRA_FIELDS:
                    fields.add(node.field)
        self.shape_of = operator.attrgetter(*_KEY_FIELDS, *sorted(fields))
        #: the records of a subject (of a related subject) that can change a condition
        #: (None: any record)
        self.readable = _readable(conditions)
        bodies = [
            node.body
            for condition in conditions
            for node in walk(condition)
            if isinstance(node, RelatedTest)
        ]
        self.related_readable = _readable(bodies)
        #: whether every ``related(…)`` body needs a record to hold (``check.index_keys``), so
        #: that a related subject with none it can read changes no condition
        self.bodies_need_records = all(index_keys(body) is not None for body in bodies)
        #: per slot: whether its filter reads more than the shape (the record's date or its
        #: document, or the subject), so that it is tested on every record rather than once
        #: per shape
        self.per_record = [
            query.filter is not None and _reads_more_than_shape(query.filter)
            for query in self.queries
        ]
        try:
            source, namespace = self._generate(conditions)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as problem:
            raise CompileError(
                [
                    error(
                        "CR-E321",
                        f"catalog cannot be compiled for screening: {type(problem).__name__}",
                        conditions[0].span if conditions else NO_SPAN,
                        help="simplify the condition",
                    )
                ]
            ) from None
        #: the generated module (for reading; it is not registered in linecache)
        self.source = source
        #: per slot, its filter ``test(record, entity)`` (None: every record passes)
        self.tests: tuple[Callable[[Record, Entity | None], bool] | None, ...] = tuple(
            None if query.filter is None else namespace[f"test{slot}"]
            for slot, query in enumerate(self.queries)
        )
        #: per condition that holds exactly when one of some slots is fed (``listed(…)``,
        #: ``any record …``, ``count(…) >= 1``, and ``or`` of those), their bits, tested without
        #: a call; 0 for the others
        self.presence = tuple(self._presence(condition) for condition in conditions)
        self._listed = listed | listed << len(self.queries)
        #: per condition, the bits of slots one of which is fed whenever it holds (0: it can
        #: hold with none fed): it is only tried when a record feeds one of them. Bits from
        #: ``len(queries)`` on are a related subject's slots, for ``any related(…)``
        self.triggers = tuple(self._trigger(condition) for condition in conditions)
        #: per condition, ``function(entity, pending, bits, counts)`` with the entity's bits
        #: and counts without (``pending`` false) or with the records under objection:
        #: truthy when the condition holds
        self.functions: tuple[Callable[[Entity, bool, int, list[int]], object], ...] = tuple(
            namespace[f"condition{number}"] for number in range(len(conditions))
        )

    def _generate(self, conditions: Sequence[IRCondition]) -> tuple[str, dict[str, Any]]:
        """The module of the slots' filters and the conditions, and its namespace once run."""
        generator = Generator()
        lines: list[str] = []
        for slot, query in enumerate(self.queries):
            if query.filter is not None:
                test = generator.test(query.filter)
                lines += [f"def test{slot}(r, env):", f"    return {test}", ""]
        self._helpers = 0
        for number, condition in enumerate(conditions):
            self._function(f"condition{number}", condition, lines, generator, entry=True)
        source = generator.module("screening") + "\n".join(lines) + "\n"
        namespace: dict[str, Any] = dict(GENERATED_GLOBALS)
        # generated code only: user text appears in it as repr() literals
        exec(compile(source, "<credit_rules screening>", "exec"), namespace)
        return source, namespace

    def _presence(self, node: IRCondition) -> int:
        if isinstance(node, Listed):
            return 1 << self.queries[_listed_query(node.list_name)]
        if isinstance(node, Exists) and node.quantifier is Quantifier.ANY:
            return 1 << self.queries[node.query]
        if isinstance(node, CountTest) and (node.op, node.value) in _AT_LEAST_ONE:
            return 1 << self.queries[node.query]
        if isinstance(node, AnyOf):
            parts = [self._presence(item) for item in node.items]
            if all(parts):
                return _union(parts)
        return 0

    def _trigger(self, node: IRCondition, inside: bool = False) -> int:
        """Bits of slots one of which is fed whenever ``node`` holds (0: none such): a slot of
        the subject's own, or (shifted past them) of a related subject's; of an ``and``, the
        part with the fewest, lists first (rarer). ``inside`` a related test's body, the
        related subject's own slots (its own related are not screened)."""
        if isinstance(node, RelatedTest):
            if inside or node.quantifier is not Quantifier.ANY:
                return 0
            return self._trigger(node.body, inside=True) << len(self.queries)
        if isinstance(node, CountTest):  # fed when it cannot hold at 0
            return 0 if compare(0, node.op, node.value) else 1 << self.queries[node.query]
        if isinstance(node, Listed | Exists):
            return self._presence(node)
        if isinstance(node, AllOf):
            parts = [part for item in node.items if (part := self._trigger(item, inside))]
            if not parts:
                return 0
            return min(parts, key=lambda part: (part.bit_count(), part & self._listed != part))
        if isinstance(node, AnyOf):
            parts = [self._trigger(item, inside) for item in node.items]
            return _union(parts) if all(parts) else 0
        return 0

    def _slot(self, query: Query) -> int:
        return self.queries.setdefault(query, len(self.queries))

    def _function(
        self,
        name: str,
        node: IRCondition,
        lines: list[str],
        generator: Generator,
        *,
        entry: bool = False,
    ) -> None:
        """``def name(env, p)``: the value of ``node`` for ``env``, with the records under
        objection when ``p``; an ``entry`` is handed the bits and counts of that case as
        ``name(env, p, M, C)`` (saving each call two attribute reads)."""
        body = self._expression(node, lines, generator)
        if entry:
            lines += [f"def {name}(env, p, M, C):", f"    return {body}", ""]
            return
        prelude = []
        if "M & " in body:
            prelude.append("    M = env.pending_mask if p else env.mask")
        if "C[" in body:
            prelude.append("    C = env.pending_counts if p else env.counts")
        lines += [f"def {name}(env, p):", *prelude, f"    return {body}", ""]

    def _expression(self, node: IRCondition, lines: list[str], generator: Generator) -> str:
        """A Python expression over ``env``, ``p``, the bits ``M`` and the counts ``C``."""
        if isinstance(node, AllOf | AnyOf):
            joiner = " and " if isinstance(node, AllOf) else " or "
            parts = [self._expression(item, lines, generator) for item in node.items]
            return "(" + joiner.join(parts) + ")"
        if isinstance(node, Negation):
            return f"(not {self._expression(node.item, lines, generator)})"
        if isinstance(node, Listed):
            return f"(M & {1 << self.queries[_listed_query(node.list_name)]})"
        if isinstance(node, Exists):
            bit = f"(M & {1 << self.queries[node.query]})"
            return bit if node.quantifier is Quantifier.ANY else f"(not {bit})"
        if isinstance(node, CountTest):
            counter = self.counter[self.queries[node.query]]
            return f"(C[{counter}] {PY_OPS[node.op]} {node.value})"
        if isinstance(node, RatingTest):
            grade = f"env.grade(p, {node.scheme!r})"
            return f"({generator.text_membership(grade, node.grades, negated=node.negated)})"
        if isinstance(node, RelatedTest):
            self._helpers += 1
            name = f"related{self._helpers}"
            self._function(f"{name}_body", node.body, lines, generator)
            roles = generator.membership("role", list(node.roles), negated=False)
            any_ = node.quantifier is Quantifier.ANY
            lines += [
                f"def {name}(env, p):",
                "    for role, other in env.related:",
                f"        if {roles} and {name}_body(other, p):",
                f"            return {any_}",
                f"    return {not any_}",
                "",
            ]
            return f"{name}(env, p)"
        # subject tests and constants, as the witness path writes them
        return generator.test(node)


def _union(parts: Iterable[int]) -> int:
    found = 0
    for part in parts:
        found |= part
    return found


#: (op, value) of the count tests that hold exactly when one record is counted
_AT_LEAST_ONE = {(CompareOp.GE, 1), (CompareOp.GT, 0), (CompareOp.NE, 0)}


def _listed_query(list_name: str) -> Query:
    """``listed("x")`` as the query it is: list entries of that list, any date."""
    kind = KindTest(frozenset({_LIST_ENTRY}))
    return Query(AllOf((kind, TextTest("list", frozenset({list_name})))), None)


def _reads_more_than_shape(node: IRCondition) -> bool:
    return any(
        isinstance(item, DateTest | SubjectKindTest | SubjectFlagTest | RegionTest)
        or (isinstance(item, TextTest) and item.field == "document")
        for item in walk(node)
    )


class Readable(NamedTuple):
    """The records some query or rating test can read: those of ``kinds`` (list entries only
    of ``lists``, when known), and, when ``flagged``, any record flagged as recording dishonest
    conduct."""

    kinds: frozenset[RecordKind]
    flagged: bool
    lists: frozenset[str] | None = None

    def of(self, records: Sequence[Record]) -> list[Record]:
        """The records among ``records`` that can be read (the rest change no condition): for a
        related subject's handful (a subject's own are sifted by ``Classifier.split``, by kind
        alone)."""
        found = []
        kinds, flagged, lists = self.kinds, self.flagged, self.lists
        for record in records:
            kind = record.kind
            if (
                kind in kinds
                and (lists is None or kind is not _LIST_ENTRY or record.list_name in lists)
            ) or (flagged and record.dishonest is True):
                found.append(record)
        return found


def _readable(nodes: Iterable[IRCondition]) -> Readable | None:
    """What the queries and rating tests under ``nodes`` can read (None: any record)."""
    kinds: set[RecordKind] = set()
    lists: set[str] | None = set()
    flagged = False
    for root in nodes:
        for node in walk(root):
            query: Query | None = None
            if isinstance(node, Exists | CountTest):
                query = node.query
            elif isinstance(node, Listed):
                query = _listed_query(node.list_name)
            elif isinstance(node, RatingTest):
                kinds.add(_RATING)
            if query is None:
                continue
            found = query_kinds(query)
            if found is not None:
                kinds |= found
                if _LIST_ENTRY in found and lists is not None:
                    names = query_lists(query)
                    lists = None if names is None else lists | names
            elif query.filter is not None and requires_dishonest(query.filter):
                # dishonest by kind, by list, or by the record's own flag
                kinds |= DISHONEST_KINDS | {_LIST_ENTRY}
                flagged = True
                lists = None
            else:
                return None
    return Readable(frozenset(kinds), flagged, None if lists is None else frozenset(lists))


class ScreenPlan:
    """A screen for one ``as_of`` and the measures in force (``Engine._plan``): window bounds
    worked out, record shapes learnt as they are met."""

    def __init__(
        self,
        screen: Screen,
        as_of: datetime.date,
        index: Mapping[str, tuple[int, ...]],
        always: tuple[int, ...],
        answers: Sequence[tuple[frozenset[tuple[str, bool]], frozenset[tuple[str, bool]]]],
        classifier: Classifier,
    ) -> None:
        self.screen = screen
        self.as_of = as_of
        #: per condition, what ``answer`` reads to try it: its presence bits, its function and
        #: its measures' answers when it holds and when it holds suspended (none: no measure
        #: of it is in force)
        self.tries = tuple(
            (bit, function, holds, suspended)
            for bit, function, (holds, suspended) in zip(
                screen.presence, screen.functions, answers, strict=True
            )
        )
        triggers = screen.triggers
        #: the number of slots: a related subject's are numbered from it on
        self.slots = len(screen.queries)
        #: per slot, the conditions in force tried when it is fed (``Screen.triggers``): the
        #: subject's own slots, then a related subject's
        self.by_slot = tuple(
            tuple(
                condition
                for condition, bits in enumerate(triggers)
                if bits >> slot & 1 and answers[condition][0]
            )
            for slot in range(2 * self.slots)
        )
        #: trigger key -> the other conditions it can make true; and those needing no key
        self.index = {
            key: tuple(condition for condition in found if not triggers[condition])
            for key, found in index.items()
        }
        self.always = tuple(condition for condition in always if not triggers[condition])
        #: the catalog's vocabulary and policy, for ``facts``' decisions
        self.split = classifier.split
        self.resolved = classifier.resolved
        self.related_conditions = self.index.get("related", ())
        bounds: list[datetime.date | None] = []
        for query in screen.queries:
            window = query.window
            if isinstance(window, Within):
                bounds.append(window_start(as_of, window.period))
            elif isinstance(window, Since) and window.date > datetime.date.min:
                bounds.append(window.date - datetime.timedelta(days=1))
            else:
                bounds.append(None)
        #: per slot, the last day outside its window (None: no window)
        self.bounds = bounds
        #: the distinct bounds in ascending order: a record decided on ``day`` is inside the
        #: windows of the first ``bisect_left(edges, day)`` of them
        self.edges = sorted({bound for bound in bounds if bound is not None})
        self.residual = tuple(
            (slot, bounds[slot], test)
            for slot, (test, more) in enumerate(zip(screen.tests, screen.per_record, strict=True))
            if more and test is not None
        )
        self.counters = len(screen.counter)
        self._by_shape: dict[tuple[object, ...], Feeds] = {}
        self._by_related_shape: dict[tuple[object, ...], Feeds] = {}

    def answer(
        self, subject: Subject, records: Sequence[Record], related: Sequence[Related]
    ) -> frozenset[tuple[str, bool]]:
        """(measure id, suspended) of every measure in force whose condition holds."""
        found: set[int] = set(self.always)
        pending = False
        others: list[tuple[Role, Entity]] = []
        if related and self.screen.has_related:
            as_of = self.as_of
            readable = self.screen.related_readable
            skip_empty = self.screen.bodies_need_records
            for relation in related:
                own: Sequence[Record] = relation.records
                if not own and skip_empty:
                    continue  # (see below)
                if relation.current_on(as_of):
                    if readable is not None:
                        own = readable.of(own)
                    if own:
                        other = self._entity(
                            relation.subject, own, self._by_related_shape, "related:", found, ()
                        )
                        pending = pending or bool(other.pending)
                    elif skip_empty:
                        continue  # no body can hold for it: as if it were not there
                    else:  # nothing a body reads: all slots empty
                        other = self._nobody(relation.subject)
                    others.append((relation.role, other))
            if others:
                found.update(self.related_conditions)
        env = self._entity(
            subject, records, self._by_shape, "", found, others, self.screen.readable
        )
        pending = pending or bool(env.pending)
        tries = self.tries
        hits: list[frozenset[tuple[str, bool]]] = []
        mask, counts = env.mask, env.counts
        pending_mask, pending_counts = env.pending_mask, env.pending_counts
        for condition in found:
            bit, function, holds, suspended = tries[condition]
            if bit:
                if mask & bit:
                    hits.append(holds)
                elif pending_mask & bit:  # (``mask`` itself when nothing is under objection)
                    hits.append(suspended)
            elif function(env, False, mask, counts):
                hits.append(holds)
            elif pending and function(env, True, pending_mask, pending_counts):
                hits.append(suspended)
        return _NOTHING.union(*hits)

    def _entity(
        self,
        subject: Subject,
        records: Sequence[Record],
        known: dict[tuple[object, ...], Feeds],
        prefix: str,
        found: set[int],
        related: Sequence[tuple[Role, Entity]],
        readable: Readable | None = None,
    ) -> Entity:
        """Classify the ``readable`` records (``facts``; list entries left unresolved), then
        feed each that counts (and, apart, each under objection) into the slots its shape and
        date pass; add to ``found`` the conditions its index keys reach."""
        if readable is None:
            split = self.split(subject, records, self.as_of, False)
        else:
            split = self.split(
                subject, records, self.as_of, False, readable.kinds, readable.flagged
            )
        counted, pending, _, _, minor = split
        entity = Entity(subject, minor, counted, pending, related)
        mask = 0
        counts = [0] * self.counters
        shape_of = self.screen.shape_of
        edges = self.edges
        reached: list[tuple[int, ...]] = []
        for part in (counted, pending) if pending else (counted,):
            if part is pending:
                entity.mask, entity.counts = mask, counts
                counts = counts.copy()
            for record in part:
                shape = shape_of(record)
                feeds = known.get(shape)
                if feeds is None:
                    feeds = self._learn(shape, record, known, prefix)
                bits, counters, reach = feeds[_bisect_left(edges, record.decided_on)]
                mask |= bits
                for counter in counters:
                    counts[counter] += 1
                reached.append(reach)
            for slot, bound, test in self.residual:
                counted_as = self.screen.counter.get(slot)
                for record in part:
                    if bound is not None and record.decided_on <= bound:
                        continue
                    if test(self.resolved(record), entity):
                        mask |= 1 << slot
                        reached.append(self.by_slot[slot + (self.slots if prefix else 0)])
                        if counted_as is not None:
                            counts[counted_as] += 1
        found.update(*reached)
        entity.pending_mask, entity.pending_counts = mask, counts
        if not pending:
            entity.mask, entity.counts = mask, counts
        return entity

    def _nobody(self, subject: Subject) -> Entity:
        """The entity of a subject without records."""
        entity = Entity(subject, subject.minor_on(self.as_of), (), (), ())
        entity.mask = entity.pending_mask = 0
        entity.counts = entity.pending_counts = [0] * self.counters
        return entity

    def _learn(
        self,
        shape: tuple[object, ...],
        record: Record,
        known: dict[tuple[object, ...], Feeds],
        prefix: str,
    ) -> Feeds:
        """What the records of a shape not met before feed (then kept in ``known``)."""
        if len(known) >= 65536:
            known.clear()
        record = self.resolved(record)  # (a shape holds the list: once per shape)
        screen = self.screen
        passed = [
            slot
            for slot, (test, more) in enumerate(zip(screen.tests, screen.per_record, strict=True))
            if not more and (test is None or test(record, None))
        ]
        keyed = conditions_reached(record, self.index, prefix)
        offset = self.slots if prefix else 0  # (a related subject's slots)
        buckets: list[tuple[int, tuple[int, ...], tuple[int, ...]]] = []
        for inside in range(len(self.edges) + 1):
            edges = set(self.edges[:inside])
            fed = [
                slot for slot in passed if self.bounds[slot] is None or self.bounds[slot] in edges
            ]
            reach = tuple(
                sorted({*keyed, *(c for slot in fed for c in self.by_slot[offset + slot])})
            )
            buckets.append(
                (
                    _union(1 << slot for slot in fed),
                    tuple(screen.counter[slot] for slot in fed if slot in screen.counter),
                    reach,
                )
            )
        feeds = known[shape] = tuple(buckets)
        return feeds


_NOTHING: frozenset[tuple[str, bool]] = frozenset()
_bisect_left = bisect.bisect_left
