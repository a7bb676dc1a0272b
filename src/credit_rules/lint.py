"""Legality and proportionality checks of a catalog (合法、关联、比例；过惩相当).

Input: a :class:`~credit_rules.model.Catalog` and the checked conditions of its measures
(:class:`~credit_rules.check.Checked`, keyed by measure id). Output: :class:`~credit_rules.errors.
Diagnostic` findings with stable ``CR-L1xx`` codes, documented in ``docs/checks.md``. Errors:
none raised here; ``engine.compile_catalog`` raises :class:`~credit_rules.errors.LintError` with
the error-severity findings.

Each rule is an entry in :data:`RULES`: a function that yields minimal :class:`Finding` values;
:func:`lint` places them (file, line, column, catalog path, measure id) and turns findings the
catalog acknowledges (``acknowledged: [{code, reason}]``) into ``info`` findings that keep the
reason. The rules read the catalog's policy data; nothing about the law is hard-coded here.

Model-level rules: CR-L101 legality, CR-L102 listing categories, CR-L105 advisory bodies,
CR-L106 bounded duration, CR-L107 supplementary overlap. Rules on the checked IR: CR-L103
proportion, CR-L104 relevance, CR-L108 conditions that can never hold, CR-L109 an incentive and
a restriction that can both apply in one matter.

The IR rules rest on two analyses, both sound in a stated direction:

- :class:`Solver` decides whether a condition (or a record filter) can hold. It answers
  ``UNSAT`` only when no subject and no records make it true; otherwise ``SAT`` (or ``UNKNOWN``
  past its search budget, treated like ``SAT``). It over-approximates what can hold: it does
  not know, for instance, that two different record queries may have to share records. So
  CR-L108 reports only conditions that truly never hold (it may miss some), and CR-L109 reports
  every pair that can both hold (it may report a pair that cannot).
- :meth:`Analysis.guarantee` computes, from the condition and not its text, the least gravity
  of conduct (see :func:`credit_rules.proportion.gravity_of`) that every satisfying case
  includes among the measure's witnesses, and whether such conduct is of the measure's
  domains. It under-approximates: when it says ``serious``, every case that triggers the
  measure has a witness of gravity ``serious`` or more, so a restriction that passes CR-L103
  and CR-L104 never fails the runtime checks CR-C001 and CR-C002; it may report a measure that
  could never in fact fail them (for example when one part of an ``and`` narrows the records
  another part finds).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence

import attrs

from credit_rules.ast import CompareOp, Quantifier, Since, Within
from credit_rules.check import (
    AllOf,
    AnyOf,
    Checked,
    Condition,
    Const,
    CountTest,
    DateTest,
    DishonestTest,
    Exists,
    KindTest,
    Listed,
    Negation,
    Query,
    RatingTest,
    RegionTest,
    RelatedTest,
    SeverityTest,
    SubjectFlagTest,
    SubjectKindTest,
    TagTest,
    TextTest,
)
from credit_rules.errors import Diagnostic, DiagnosticSeverity
from credit_rules.model import (
    DISHONEST_KINDS,
    Catalog,
    CatalogLevel,
    DurationKind,
    ListKind,
    Measure,
    MeasureKind,
    MeasureList,
    RecordKind,
    Sector,
    Severity,
    SubjectKind,
    Vocabulary,
)
from credit_rules.printer import to_text
from credit_rules.proportion import GRADED_LISTS
from credit_rules.spans import Span

ERROR = DiagnosticSeverity.ERROR
WARNING = DiagnosticSeverity.WARNING
INFO = DiagnosticSeverity.INFO


@attrs.frozen(slots=True)
class Finding:
    """What a rule found, before the driver places it."""

    code: str
    severity: DiagnosticSeverity
    message: str
    measure: Measure | None = None
    help: str | None = None
    #: field of the measure the finding is about (for its position), e.g. ``legal_basis``
    field: str | None = None
    span: Span | None = None
    #: catalog path when the finding is not about a measure (``vocabulary.lists.x``)
    path: str | None = None


@attrs.frozen(slots=True)
class LintContext:
    """Everything a rule may read, and where catalog fields are written (found on demand)."""

    catalog: Catalog
    checked: Mapping[str, Checked]
    _lines: dict[str, tuple[str, ...]] = attrs.field(factory=dict, eq=False, init=False)
    _analysis: list[Analysis] = attrs.field(factory=list, eq=False, init=False)

    def level_of(self, measure: Measure) -> CatalogLevel:
        """The level of the catalog layer a measure belongs to."""
        for info in self.catalog.layers:
            if info.id == measure.catalog_id:
                return info.level
        return CatalogLevel.BASIC

    @property
    def analysis(self) -> Analysis:
        """The condition analyses over this catalog's vocabulary (one shared cache)."""
        if not self._analysis:
            self._analysis.append(Analysis(self.catalog.vocabulary))
        return self._analysis[0]

    def lines(self, source: str) -> tuple[str, ...]:
        """The lines of a file the catalog was read from (none if it was not read)."""
        if source not in self._lines:
            self._lines[source] = tuple((self.catalog.source_text(source) or "").split("\n"))
        return self._lines[source]

    def index_in_file(self, measure: Measure) -> int:
        """The measure's index in its own file's ``measures:`` sequence."""
        source = measure.span.source if measure.span is not None else None
        same_file = [
            m for m in self.catalog.measures if (m.span.source if m.span else None) == source
        ]
        return same_file.index(measure)

    def field_span(self, measure: Measure, field: str) -> Span | None:
        """Where a field of a measure is written (its key), else where the measure starts.

        The key is looked for among the lines of the measure's block mapping, at the
        indentation of its first key; a measure written in flow style keeps its own span.
        """
        span = measure.span
        if span is None:
            return None
        lines = self.lines(span.source)
        for number in range(span.line, len(lines) + 1):
            line = lines[number - 1]
            head, rest = line[: span.column - 1], line[span.column - 1 :]
            if number > span.line and line.strip() and head.strip():
                break  # a line less indented than the measure's keys: its block has ended
            if rest.startswith(f"{field}:"):
                return _key_span(span.source, lines, number, span.column, field)
        return span

    def list_span(self, name: str) -> Span | None:
        """Where a list of the vocabulary is declared (its key), in the first file that does."""
        for source, _ in self.catalog.sources:
            lines = self.lines(source)
            inside = False
            for number, line in enumerate(lines, start=1):
                stripped = line.strip()
                if stripped.startswith("lists:"):
                    inside = True
                elif inside and stripped.startswith(f"{name}:"):
                    column = len(line) - len(line.lstrip()) + 1
                    return _key_span(source, lines, number, column, name)
                elif inside and line and not line[0].isspace():
                    inside = False
        return None


def _key_span(source: str, lines: Sequence[str], line: int, column: int, key: str) -> Span:
    """The span of ``key`` written at ``line``:``column`` of a file."""
    offset = sum(len(text) + 1 for text in lines[: line - 1]) + column - 1
    return Span(source, offset, offset + len(key), line, column, line, column + len(key))


Rule = Callable[[LintContext], Iterable[Finding]]


def _names(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


# -- model-level rules ------------------------------------------------------------------------


def legality(context: LintContext) -> Iterator[Finding]:
    """CR-L101: a restriction that reduces rights or adds obligations cites a basis of
    sufficient rank: for a basic list, the policy's ``legality.basic`` ranks; for a
    supplementary list, also its ``legality.supplementary`` ranks (local regulations)."""
    policy = context.catalog.policy
    for measure in context.catalog.measures:
        if measure.kind is not MeasureKind.RESTRICTION:
            continue
        if measure.impact not in policy.legality_impacts:
            continue
        level = context.level_of(measure)
        allowed = list(policy.basic_ranks)
        if level is CatalogLevel.SUPPLEMENTARY:
            allowed += [r for r in policy.supplementary_ranks if r not in allowed]
        ranks = [b.rank for b in measure.legal_basis]
        if not any(rank in allowed for rank in ranks):
            cited = _names(dict.fromkeys(r.value for r in ranks))
            yield Finding(
                "CR-L101",
                ERROR,
                f"restriction with impact `{measure.impact.value}` rests only on {cited}; "
                f"it needs a basis of rank {_names(r.value for r in allowed)}",
                measure,
                help="a normative document alone cannot reduce rights or add obligations "
                "(国办发〔2020〕49号); cite the law, regulation or central policy it rests on",
                field="legal_basis",
            )


def listing_domains(context: LintContext) -> Iterator[Finding]:
    """CR-L102: a serious-dishonesty list (black, gravity severe) declares the categories of
    conduct it covers (``category``, or ``categories`` for several), each one permitted by the
    policy's ``listing_categories``."""
    permitted = context.catalog.policy.listing_categories
    if not permitted:
        return
    for name, listed in sorted(context.catalog.vocabulary.lists.items()):
        if listed.kind is not ListKind.BLACK or listed.gravity is not Severity.SEVERE:
            continue
        covers = listed.covers
        outside = [c for c in covers if c not in permitted]
        if covers and not outside:
            continue
        found = f"covers {_names(outside)}" if covers else "declares no category"
        yield Finding(
            "CR-L102",
            ERROR,
            f"serious-dishonesty list `{name}` {found}; it may only cover {_names(permitted)}",
            help="the serious-dishonesty list is limited to four kinds of conduct "
            "(国办发〔2020〕49号); declare them with `category:` or `categories: [...]`",
            span=context.list_span(name),
            path=f"vocabulary.lists.{name}",
        )


def advisory_bodies(context: LintContext) -> Iterator[Finding]:
    """CR-L105: measures carried out by bodies outside public administration are
    recommended, never mandatory: banks, associations and media cannot be compelled."""
    for measure in context.catalog.measures:
        if measure.list is not MeasureList.MANDATORY:
            continue
        outside = [i.name for i in measure.implementers if i.sector is not Sector.PUBLIC]
        if outside:
            yield Finding(
                "CR-L105",
                ERROR,
                "mandatory measure carried out by bodies outside public administration: "
                + _names(outside),
                measure,
                help="make it `list: recommended`; such bodies can only be recommended to act",
                field="list",
            )


def bounded_duration(context: LintContext) -> Iterator[Finding]:
    """CR-L106: every restriction has a bounded period unless a basis allows a permanent one."""
    for measure in context.catalog.measures:
        if measure.kind is not MeasureKind.RESTRICTION:
            continue
        if measure.duration.kind is not DurationKind.PERMANENT:
            continue
        if not any(b.allows_permanent for b in measure.legal_basis):
            yield Finding(
                "CR-L106",
                ERROR,
                "permanent restriction without a basis that allows a permanent measure",
                measure,
                help="give a period (e.g. `P3Y`), or mark the basis `allows_permanent: true`",
                field="duration",
            )


def supplementary_overlap(context: LintContext) -> Iterator[Finding]:
    """CR-L107: a supplementary list may not redefine, weaken or duplicate a basic measure."""
    basic = [m for m in context.catalog.measures if context.level_of(m) is CatalogLevel.BASIC]
    by_title = {m.title: m for m in basic}
    by_shape = {(_canonical(context, m), m.kind, m.impact): m for m in basic}
    for measure in context.catalog.measures:
        if context.level_of(measure) is not CatalogLevel.SUPPLEMENTARY:
            continue
        same_title = by_title.get(measure.title)
        same_shape = by_shape.get((_canonical(context, measure), measure.kind, measure.impact))
        if same_title is not None:
            yield Finding(
                "CR-L107",
                ERROR,
                f"redefines basic measure `{same_title.id}` ({same_title.title})",
                measure,
                help="a supplementary list adds measures; it does not restate or change "
                "the basic list's",
                field="title",
            )
        elif (
            same_shape is not None
            and set(measure.target_kinds) <= set(same_shape.target_kinds)
            and set(measure.target_roles) <= set(same_shape.target_roles)
            and (
                not measure.applies_in
                or not same_shape.applies_in
                or set(measure.applies_in) <= set(same_shape.applies_in)
            )
        ):
            yield Finding(
                "CR-L107",
                WARNING,
                f"duplicates basic measure `{same_shape.id}`: same condition, kind and impact",
                measure,
                help="drop it, or say in `acknowledged` why the local list restates it",
                field="when",
            )


def _canonical(context: LintContext, measure: Measure) -> str:
    checked = context.checked.get(measure.id)
    return to_text(checked.expr) if checked is not None else measure.when


# -- the condition solver -----------------------------------------------------------------------


class Verdict(enum.Enum):
    """Whether a condition can hold: proven never (``unsat``), can (``sat``), or not known."""

    SAT = "sat"
    UNSAT = "unsat"
    UNKNOWN = "unknown"


@attrs.frozen(slots=True)
class Outcome:
    """A verdict, and for ``unsat`` one line saying why."""

    verdict: Verdict
    reason: str = ""


#: the most search steps one question may take before the answer is ``unknown``
SEARCH_BUDGET = 20_000

_LIST_ENTRY = frozenset({RecordKind.LIST_ENTRY})


def listed_query(name: str) -> Query:
    """``listed("name")`` as the record query it is: list entries of that list."""
    return Query(AllOf((KindTest(_LIST_ENTRY), TextTest("list", frozenset({name})))), None)


def atom(node: Condition) -> tuple[Hashable, bool] | None:
    """The atom a test stands for and whether the test asserts it (None: not an atom).

    Tests that say the same thing map to one atom with a polarity: ``severity < serious`` is
    the atom "severity in {general}" asserted, ``severity != general`` the same atom denied,
    ``no record where F`` the atom "a record matches F" denied, ``listed("x")`` the atom "a
    list entry of x exists" asserted. Spans are not part of an atom.
    """
    if isinstance(node, KindTest):
        return KindTest(node.kinds), not node.negated
    if isinstance(node, SeverityTest):
        return SeverityTest(node.severities), not node.negated
    if isinstance(node, TextTest):
        return TextTest(node.field, node.values), not node.negated
    if isinstance(node, TagTest):
        return TagTest(node.tag), not node.negated
    if isinstance(node, DishonestTest):
        return DishonestTest(True), node.value
    if isinstance(node, DateTest):
        positive = {
            CompareOp.NE: CompareOp.EQ,
            CompareOp.LT: CompareOp.GE,
            CompareOp.LE: CompareOp.GT,
        }
        if node.op in positive:
            return DateTest(positive[node.op], node.date), False
        return DateTest(node.op, node.date), True
    if isinstance(node, SubjectKindTest):
        return SubjectKindTest(node.kinds), not node.negated
    if isinstance(node, RegionTest):
        return RegionTest(node.regions), not node.negated
    if isinstance(node, SubjectFlagTest):
        return SubjectFlagTest(node.attribute, True), node.value
    if isinstance(node, RatingTest):
        return RatingTest(node.scheme, node.grades), not node.negated
    if isinstance(node, Listed):
        return Exists(Quantifier.ANY, listed_query(node.list_name)), True
    if isinstance(node, Exists):
        return Exists(Quantifier.ANY, node.query), node.quantifier is Quantifier.ANY
    if isinstance(node, CountTest):
        return CountTest(node.query, node.op, node.value), True
    if isinstance(node, RelatedTest):
        return RelatedTest(Quantifier.ANY, node.roles, node.body), (
            node.quantifier is Quantifier.ANY
        )
    return None


def _value(node: Condition, assignment: Mapping[Hashable, bool]) -> bool | None:
    """Three-valued truth of ``node`` under a partial assignment of its atoms."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, AllOf):
        unknown = False
        for item in node.items:
            value = _value(item, assignment)
            if value is False:
                return False
            unknown = unknown or value is None
        return None if unknown else True
    if isinstance(node, AnyOf):
        unknown = False
        for item in node.items:
            value = _value(item, assignment)
            if value is True:
                return True
            unknown = unknown or value is None
        return None if unknown else False
    if isinstance(node, Negation):
        value = _value(node.item, assignment)
        return None if value is None else not value
    found = atom(node)
    assert found is not None, node
    key, polarity = found
    held = assignment.get(key)
    return None if held is None else held is polarity


@attrs.frozen(slots=True)
class _Occurrence:
    """An atom as written: what truth value it requires there, and the text."""

    key: Hashable
    required: bool
    text: str


def _atoms(
    node: Condition, negated: bool, text_of: Callable[[Condition], str]
) -> list[_Occurrence]:
    """Atoms of a condition in source order (not looking inside queries or related bodies)."""
    if isinstance(node, Const):
        return []
    if isinstance(node, AllOf | AnyOf):
        return [o for item in node.items for o in _atoms(item, negated, text_of)]
    if isinstance(node, Negation):
        return _atoms(node.item, not negated, text_of)
    found = atom(node)
    assert found is not None, node
    key, polarity = found
    text = text_of(node)
    return [_Occurrence(key, polarity is not negated, f"not {text}" if negated else text)]


class _Budget(Exception):
    """The search took more than :data:`SEARCH_BUDGET` steps."""


class Solver:
    """Decides whether conditions and record filters can hold (see the module docstring).

    A small DPLL search over the atoms of a condition, with a theory check at each step:
    single-valued fields (a record's kind, severity and text fields, the subject's kind and
    region, a rating's grade) take one value; dates lie on a line; a record query's count is a
    number of at least zero, zero when its filter can never hold, and no larger than the count
    of a query that includes it; a ``related`` body that can never hold makes its ``any``
    false. Tags, ``dishonest``, subject flags and lists are free.
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._verdicts: dict[Condition, Verdict] = {}
        self._contains: dict[tuple[Query, Query], bool] = {}

    def verdict(self, node: Condition) -> Verdict:
        """Whether ``node`` can hold (cached; no reason)."""
        held = self._verdicts.get(node)
        if held is None:
            held = self.solve(node, _no_text).verdict
            self._verdicts[node] = held
        return held

    def never(self, node: Condition) -> bool:
        """``node`` can never hold (proven)."""
        return self.verdict(node) is Verdict.UNSAT

    def solve(self, node: Condition, text_of: Callable[[Condition], str]) -> Outcome:
        """Whether ``node`` can hold, with the reason when it cannot."""
        occurrences = _atoms(node, False, text_of)
        keys = list(dict.fromkeys(o.key for o in occurrences))
        conflicts: list[str] = []
        steps = [0]

        def search(assignment: dict[Hashable, bool]) -> bool:
            steps[0] += 1
            if steps[0] > SEARCH_BUDGET:
                raise _Budget
            value = _value(node, assignment)
            if value is False:
                return False
            conflict = self._theory(assignment, occurrences)
            if conflict is not None:
                conflicts.append(conflict)
                return False
            if value is True:
                return True
            key = next(k for k in keys if k not in assignment)
            for choice in (True, False):
                assignment[key] = choice
                if search(assignment):
                    return True
                del assignment[key]
            return False

        try:
            if search({}):
                return Outcome(Verdict.SAT)
        except _Budget:
            return Outcome(Verdict.UNKNOWN)
        return Outcome(Verdict.UNSAT, conflicts[0] if conflicts else _opposites(occurrences))

    # -- the theory ---------------------------------------------------------------------------

    def _theory(
        self, assignment: Mapping[Hashable, bool], occurrences: Sequence[_Occurrence]
    ) -> str | None:
        """None when the assigned atoms can all be as assigned, else why not."""
        fields: dict[str, list[tuple[Hashable, frozenset[object], bool]]] = {}
        dates: list[tuple[DateTest, bool]] = []
        counts: dict[Query, list[tuple[Hashable, bool]]] = {}
        for key, value in assignment.items():
            if isinstance(key, DateTest):
                dates.append((key, value))
            elif isinstance(key, Exists | CountTest):
                counts.setdefault(key.query, []).append((key, value))
            elif isinstance(key, RelatedTest):
                if value and self.never(key.body):
                    named = _conflict([(key, value)], occurrences)
                    return f"{named}: no related subject can meet its condition"
            else:
                slot = _field_of(key)
                if slot is not None:
                    fields.setdefault(slot[0], []).append((key, slot[1], value))
        for name, tests in fields.items():
            if not self._one_value(name, tests):
                pairs = [(key, value) for key, _, value in tests]
                return _conflict(pairs, occurrences)
        if dates and not _dates_possible(dates):
            return _conflict(list(dates), occurrences)
        if counts:
            return self._counts(counts, occurrences)
        return None

    def _one_value(
        self, name: str, tests: Sequence[tuple[Hashable, frozenset[object], bool]]
    ) -> bool:
        """Some value of the field passes every assigned membership test."""
        wanted = [values for _, values, held in tests if held]
        unwanted: set[object] = set()
        for _, values, held in tests:
            if not held:
                unwanted |= values
        universe = self._universe(name)
        if wanted:
            candidates = set(wanted[0]).intersection(*wanted[1:])
            return bool(candidates - unwanted)
        if universe is None:
            return True  # an open field: some value (or none) passes every "not in"
        return bool(universe - unwanted)

    def _universe(self, name: str) -> frozenset[object] | None:
        """The values a field can take (None when open-ended, like a domain or region)."""
        if name == "kind":
            return frozenset(RecordKind)
        if name == "severity":
            return frozenset({*Severity, None})
        if name == "subject.kind":
            return frozenset(SubjectKind)
        if name.startswith("rating:"):
            scheme = self.vocabulary.ratings.get(name.removeprefix("rating:"))
            return None if scheme is None else frozenset({*scheme.grades, None})
        return None

    def _counts(
        self,
        counts: Mapping[Query, list[tuple[Hashable, bool]]],
        occurrences: Sequence[_Occurrence],
    ) -> str | None:
        """Counts of the queries (bounded at one more than the largest number used) that meet
        every assigned test and the inclusions between the queries."""
        top = 1 + max(
            (k.value for tests in counts.values() for k, _ in tests if isinstance(k, CountTest)),
            default=1,
        )
        allowed: dict[Query, set[int]] = {}
        for query, tests in counts.items():
            values = set(range(top + 1))
            if query.filter is not None and self.never(query.filter):
                values = {0}
            for key, held in tests:
                values = {n for n in values if _count_holds(key, n) is held}
            if not values:
                return _conflict(tests, occurrences)
            allowed[query] = values
        queries = list(allowed)
        edges = [(a, b) for a in queries for b in queries if a != b and self.included(a, b)]
        changed = True
        while changed:
            changed = False
            for small, large in edges:
                low = min(allowed[small])
                high = max(allowed[large])
                keep_large = {n for n in allowed[large] if n >= low}
                keep_small = {n for n in allowed[small] if n <= high}
                if keep_large != allowed[large] or keep_small != allowed[small]:
                    changed = True
                    allowed[large], allowed[small] = keep_large, keep_small
                if not keep_large or not keep_small:
                    linked = [*counts[small], *counts[large]]
                    return _conflict(linked, occurrences)
        return None

    def included(self, small: Query, large: Query) -> bool:
        """Every record ``small`` finds, ``large`` finds too (proven)."""
        pair = (small, large)
        held = self._contains.get(pair)
        if held is None:
            held = _window_within(small.window, large.window)
            if held and large.filter is not None:
                narrow = small.filter if small.filter is not None else Const(True)
                held = self.never(AllOf((narrow, Negation(large.filter))))
            self._contains[pair] = held
        return held


def _no_text(node: Condition) -> str:
    return ""


def _field_of(key: Hashable) -> tuple[str, frozenset[object]] | None:
    """The single-valued field a membership atom tests, and the values it accepts."""
    if isinstance(key, KindTest):
        return "kind", frozenset(key.kinds)
    if isinstance(key, SeverityTest):
        return "severity", frozenset(key.severities)
    if isinstance(key, TextTest):
        return f"text:{key.field}", frozenset(key.values)
    if isinstance(key, SubjectKindTest):
        return "subject.kind", frozenset(key.kinds)
    if isinstance(key, RegionTest):
        return "subject.region", frozenset(key.regions)
    if isinstance(key, RatingTest):
        return f"rating:{key.scheme}", frozenset(key.grades)
    return None


def _count_holds(key: Hashable, count: int) -> bool:
    """Whether a query atom holds when its query finds ``count`` records.

    Counts are tried up to one more than the largest number any test uses: every larger count
    passes and fails the same tests as that one, so it stands for all of them.
    """
    if isinstance(key, Exists):
        return count >= 1
    assert isinstance(key, CountTest)
    return _compare(count, key.op, key.value)


def _compare(left: int, op: CompareOp, right: int) -> bool:
    return {
        CompareOp.EQ: left == right,
        CompareOp.NE: left != right,
        CompareOp.LT: left < right,
        CompareOp.LE: left <= right,
        CompareOp.GT: left > right,
        CompareOp.GE: left >= right,
    }[op]


def _dates_possible(tests: Sequence[tuple[DateTest, bool]]) -> bool:
    """Some date meets every assigned ``decided_on`` test."""
    low, high = datetime.date.min, datetime.date.max
    excluded: set[datetime.date] = set()
    day = datetime.timedelta(days=1)
    for test, held in tests:
        date = test.date
        if test.op is CompareOp.EQ and held:
            low, high = max(low, date), min(high, date)
        elif test.op is CompareOp.EQ:
            excluded.add(date)
        elif test.op is CompareOp.GE and held:
            low = max(low, date)
        elif test.op is CompareOp.GE:  # before ``date``
            if date == datetime.date.min:
                return False
            high = min(high, date - day)
        elif held:  # after ``date``
            if date == datetime.date.max:
                return False
            low = max(low, date + day)
        else:  # on or before ``date``
            high = min(high, date)
    if low > high:
        return False
    span = (high - low).days + 1
    return span > len({d for d in excluded if low <= d <= high})


def _window_within(small: Within | Since | None, large: Within | Since | None) -> bool:
    """Every date in the window ``small`` is in the window ``large`` (proven)."""
    if large is None:
        return True
    if small is None:
        return False
    if isinstance(small, Within) and isinstance(large, Within):
        a, b = small.period, large.period
        return a.years * 12 + a.months <= b.years * 12 + b.months and a.days <= b.days
    if isinstance(small, Since) and isinstance(large, Since):
        return small.date >= large.date
    return False


def _conflict(pairs: Sequence[tuple[Hashable, bool]], occurrences: Sequence[_Occurrence]) -> str:
    """ "`a` and `b` cannot both hold", naming the tests as written, in source order."""
    found: dict[str, int] = {}
    for key, value in pairs:
        index = next(
            (i for i, o in enumerate(occurrences) if o.key == key and o.required is value),
            None,
        )
        if index is not None:
            found.setdefault(occurrences[index].text, index)
            continue
        index = next((i for i, o in enumerate(occurrences) if o.key == key), None)
        if index is not None:
            found.setdefault(f"not ({occurrences[index].text})", index)
    texts = sorted(found, key=found.__getitem__)
    if not texts:
        return "its parts contradict each other"
    named = " and ".join(f"`{t}`" for t in texts)
    if len(texts) == 1:
        return f"{named} cannot hold"
    return f"{named} cannot {'both' if len(texts) == 2 else 'all'} hold"


def _opposites(occurrences: Sequence[_Occurrence]) -> str:
    """The reason for a contradiction in the logic alone: a test required both ways."""
    for first in occurrences:
        for second in occurrences:
            if first.key == second.key and first.required and not second.required:
                return f"`{first.text}` and `{second.text}` cannot both hold"
    return "its parts contradict each other"


# -- gravity and relevance ---------------------------------------------------------------------

#: levels of the guarantee lattice: no conduct, general, serious, severe, and "never holds"
NONE, NEVER = 0, 4
#: relevance level for "no witness of the measure's domains is guaranteed"
NO_RELEVANT = -1


def level_of(severity: Severity | None) -> int:
    """A severity's level in the guarantee lattice (None: no conduct)."""
    return NONE if severity is None else severity.rank + 1


@attrs.frozen(slots=True)
class Guarantee:
    """What every case satisfying a condition includes among its witnesses.

    ``gravity``: a witness of at least this level. ``relevant``: a witness of the measure's
    domains of at least this level (:data:`NO_RELEVANT`: none guaranteed). Sets of guarantees
    close downwards, so ``and`` joins them (max) and ``or`` meets them (min).
    """

    gravity: int
    relevant: int

    def join(self, other: Guarantee) -> Guarantee:
        """Both hold (``and``: the witnesses of both parts are witnesses)."""
        return Guarantee(max(self.gravity, other.gravity), max(self.relevant, other.relevant))

    def meet(self, other: Guarantee) -> Guarantee:
        """Either holds (``or``: the witnesses are those of the part that held)."""
        return Guarantee(min(self.gravity, other.gravity), min(self.relevant, other.relevant))


NOTHING = Guarantee(NONE, NO_RELEVANT)
NEVER_HOLDS = Guarantee(NEVER, NEVER)


class Analysis:
    """The IR analyses behind CR-L103, CR-L104, CR-L108 and CR-L109."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.solver = Solver(vocabulary)
        self._graded: dict[int, Condition] = {}

    def graded(self, level: int) -> Condition:
        """A record filter that holds exactly when ``proportion.gravity_of`` of the record is
        at least ``level`` (1 general, 2 serious, 3 severe): an entry of a graded list of that
        gravity, or a penalty, ruling, judgment, award or dishonest record of that severity
        (one without a severity counting as general)."""
        held = self._graded.get(level)
        if held is not None:
            return held
        conduct = AnyOf((KindTest(frozenset(DISHONEST_KINDS)), DishonestTest(True)))
        severities = frozenset(s for s in Severity if level_of(s) >= level)
        graded: Condition = conduct
        if level > level_of(Severity.GENERAL):
            graded = AllOf((conduct, SeverityTest(severities)))
        lists = frozenset(
            name
            for name, listed in self.vocabulary.lists.items()
            if listed.kind in GRADED_LISTS and level_of(listed.gravity) >= level
        )
        if lists:
            graded = AnyOf((AllOf((KindTest(_LIST_ENTRY), TextTest("list", lists))), graded))
        self._graded[level] = graded
        return graded

    def query_guarantee(self, query: Query, domains: Sequence[str]) -> Guarantee:
        """What the records of a query that finds at least one record guarantee."""
        base = query.filter if query.filter is not None else Const(True)
        if self.solver.never(base):
            return NEVER_HOLDS
        gravity = self._best(base, None)
        relevant = NO_RELEVANT
        if domains:
            relevant = self._best(base, TextTest("domain", frozenset(domains)))
        return Guarantee(gravity, relevant)

    def _best(self, base: Condition, domain: Condition | None) -> int:
        """The highest level every record passing ``base`` reaches; with ``domain``, while
        also being of the domains (:data:`NO_RELEVANT` when not even the domain is certain)."""

        def always(wanted: Condition) -> bool:
            return self.solver.never(AllOf((base, Negation(wanted))))

        if domain is not None and not always(domain):
            return NO_RELEVANT
        best = NONE
        for level in range(NONE + 1, NEVER):
            graded = self.graded(level)
            if not always(graded if domain is None else AllOf((graded, domain))):
                break
            best = level
        return best

    def guarantee(self, node: Condition, domains: Sequence[str]) -> Guarantee:
        """What every case satisfying ``node`` includes among its witnesses."""
        if self.solver.never(node):
            return NEVER_HOLDS
        if isinstance(node, AllOf):
            result = NOTHING
            for item in node.items:
                result = result.join(self.guarantee(item, domains))
            return result
        if isinstance(node, AnyOf):
            result = NEVER_HOLDS
            for item in node.items:
                if not self.solver.never(item):
                    result = result.meet(self.guarantee(item, domains))
            return result
        if isinstance(node, Const):
            return NOTHING if node.value else NEVER_HOLDS
        if isinstance(node, Listed):
            return self.query_guarantee(listed_query(node.list_name), domains)
        if isinstance(node, Exists) and node.quantifier is Quantifier.ANY:
            return self.query_guarantee(node.query, domains)
        if isinstance(node, CountTest) and not _compare(0, node.op, node.value):
            # it cannot hold with no record found, and its witnesses are the records found
            return self.query_guarantee(node.query, domains)
        if isinstance(node, RelatedTest) and node.quantifier is Quantifier.ANY:
            return self.guarantee(node.body, domains)
        # negations, "no" queries, ratings and subject tests have no conduct as witnesses
        return NOTHING


# -- IR rules -----------------------------------------------------------------------------------


def _restrictions(context: LintContext) -> Iterator[tuple[Measure, Checked]]:
    for measure in context.catalog.measures:
        checked = context.checked.get(measure.id)
        if checked is not None and measure.kind is MeasureKind.RESTRICTION:
            yield measure, checked


def proportion(context: LintContext) -> Iterator[Finding]:
    """CR-L103: a restriction's condition cannot hold on conduct less grave than
    ``policy.proportion[impact]`` requires (on conduct of its domains, when it has domains).

    The least gravity is computed from the checked condition (lists and their gravity,
    severities, record kinds, ``dishonest``), not from its text; see :class:`Analysis`."""
    table = context.catalog.policy.proportion
    analysis = context.analysis
    for measure, checked in _restrictions(context):
        required = table.get(measure.impact)
        if required is None:
            continue
        found = analysis.guarantee(checked.condition, measure.domains)
        scoped = bool(measure.domains) and found.relevant > NO_RELEVANT
        have = found.relevant if scoped else found.gravity
        if have >= level_of(required):
            continue
        of = f" of domain {_names(measure.domains)}" if scoped else ""
        reached = (
            f"with conduct{of} of gravity `{list(Severity)[have - 1].value}`"
            if have > NONE
            else f"with no graded conduct{of}"
        )
        yield Finding(
            "CR-L103",
            ERROR,
            f"impact `{measure.impact.value}` needs conduct of gravity `{required.value}` or "
            f"more (policy.proportion), but the condition can hold {reached}",
            measure,
            help=f"require it in every way the condition can hold: a list of gravity "
            f"`{required.value}`, or `severity >= {required.value}` in the record query (with "
            "`dishonest` for records other than penalties, rulings, judgments and awards); or "
            "lower the impact",
            span=checked.condition.span,
        )


def relevance(context: LintContext) -> Iterator[Finding]:
    """CR-L104: a measure limited to ``domains`` holds only with a triggering record of one of
    those domains (a record query that tests ``domain``); a list entry alone says nothing of
    the domain of the conduct."""
    analysis = context.analysis
    for measure in context.catalog.measures:
        checked = context.checked.get(measure.id)
        if checked is None or not measure.domains:
            continue
        found = analysis.guarantee(checked.condition, measure.domains)
        if found.relevant > NO_RELEVANT:
            continue
        wanted = ", ".join(f'"{d}"' for d in measure.domains)
        yield Finding(
            "CR-L104",
            ERROR,
            f"measure limited to domain {_names(measure.domains)} can hold without a "
            "triggering record of those domains",
            measure,
            help=f"test the domain in every way the condition can hold, such as "
            f"`any record where dishonest and domain in {{{wanted}}}`",
            span=checked.condition.span,
        )


def never_holds(context: LintContext) -> Iterator[Finding]:
    """CR-L108: a condition, or a part of one, that can never hold (contradictory tests,
    ``count(...) < 0``, ``X and not X``); warned at its smallest contradictory part, with the
    reason."""
    solver = context.analysis.solver
    for measure in context.catalog.measures:
        checked = context.checked.get(measure.id)
        if checked is None:
            continue
        text_of = _texts(measure)
        for top, node, reason in _never_parts(solver, checked.condition, text_of):
            whole = top is checked.condition
            yield Finding(
                "CR-L108",
                WARNING,
                f"condition can never hold: {reason}"
                if whole
                else f"`{text_of(top)}` can never hold: {reason}",
                measure,
                help="the measure can never apply; check the comparisons"
                if whole
                else "this part is always false, which is rarely what was meant; check the "
                "comparisons",
                span=node.span,
            )


def _texts(measure: Measure) -> Callable[[Condition], str]:
    """The text of an IR node as written in the measure's ``when`` (one line)."""

    def text_of(node: Condition) -> str:
        span = node.span
        if span.source == "<none>" or span.end <= span.start:
            return "…"
        return " ".join(measure.when[span.start : span.end].split())

    return text_of


def _never_parts(
    solver: Solver, node: Condition, text_of: Callable[[Condition], str]
) -> Iterator[tuple[Condition, Condition, str]]:
    """Each largest part of a condition that can never hold, with its smallest contradictory
    part (where the finding points) and the reason."""
    if solver.never(node):
        smallest, reason = _smallest(solver, node, text_of)
        yield node, smallest, reason
        return
    for child in _parts(node):
        yield from _never_parts(solver, child, text_of)


def _smallest(
    solver: Solver, node: Condition, text_of: Callable[[Condition], str]
) -> tuple[Condition, str]:
    if not isinstance(node, AnyOf | Negation):  # an "or" fails only when every part does
        for child in _parts(node):
            if solver.never(child):
                return _smallest(solver, child, text_of)
    return node, solver.solve(node, text_of).reason


def _parts(node: Condition) -> tuple[Condition, ...]:
    """The sub-conditions and filters of a node, in source order."""
    if isinstance(node, AllOf | AnyOf):
        return node.items
    if isinstance(node, Negation):
        return (node.item,)
    if isinstance(node, Exists | CountTest):
        return () if node.query.filter is None else (node.query.filter,)
    if isinstance(node, RelatedTest):
        return (node.body,)
    return ()


def conflicts(context: LintContext) -> Iterator[Finding]:
    """CR-L109: an incentive and restrictions that act in a same matter (both name it in
    ``applies_in``) on overlapping targets, with conditions that can both hold for one subject;
    one warning per incentive, naming each such restriction and the matters they share.

    Reported unless the solver proves the two conditions exclusive, so a pair may be named that
    cannot in fact both hold. Incentives marked ``overrides_restrictions`` are skipped: their
    authors said they are granted alongside restrictions."""
    solver = context.analysis.solver
    measures = context.catalog.measures
    restrictions = [m for m in measures if m.kind is MeasureKind.RESTRICTION and m.applies_in]
    for incentive in measures:
        if incentive.kind is not MeasureKind.INCENTIVE or incentive.overrides_restrictions:
            continue
        grant = context.checked.get(incentive.id)
        if grant is None or not incentive.applies_in:
            continue
        named: list[str] = []
        for restriction in restrictions:
            punish = context.checked.get(restriction.id)
            matters = [m for m in incentive.applies_in if m in restriction.applies_in]
            if punish is None or not matters or not _targets_overlap(incentive, restriction):
                continue
            if not solver.never(AllOf((grant.condition, punish.condition))):
                named.append(f"`{restriction.id}` (in {_names(matters)})")
        if not named:
            continue
        word = "restriction" if len(named) == 1 else "restrictions"
        yield Finding(
            "CR-L109",
            WARNING,
            f"incentive `{incentive.id}` and {word} {', '.join(named)} act in the same matter "
            "on the same targets, and can apply to one subject together",
            incentive,
            help="the engine withholds the incentive while a restriction applies; make the "
            "conditions exclusive (e.g. add `not …` of the restriction's condition to the "
            "incentive's) or mark the incentive `overrides_restrictions: true`",
            span=grant.condition.span,
        )


def _targets_overlap(first: Measure, second: Measure) -> bool:
    return bool(
        set(first.target_kinds) & set(second.target_kinds)
        or set(first.target_roles) & set(second.target_roles)
    )


# -- driver -------------------------------------------------------------------------------------

#: every lint rule, in the order of their codes
RULES: list[Rule] = [
    legality,
    listing_domains,
    proportion,
    relevance,
    advisory_bodies,
    bounded_duration,
    supplementary_overlap,
    never_holds,
    conflicts,
]

#: every lint code and the rule behind it
CODES: dict[str, str] = {
    "CR-L101": "legality: a restriction that reduces rights or adds obligations has a basis "
    "of sufficient rank",
    "CR-L102": "the serious-dishonesty list covers only the permitted categories of conduct",
    "CR-L103": "proportion: the condition cannot hold on conduct less grave than the impact "
    "requires",
    "CR-L104": "relevance: a measure limited to domains is triggered by records of those domains",
    "CR-L105": "bodies outside public administration are only recommended to act",
    "CR-L106": "a restriction has a bounded duration unless its basis allows a permanent one",
    "CR-L107": "a supplementary list does not redefine or duplicate a basic measure",
    "CR-L108": "a condition that can never hold",
    "CR-L109": "an incentive and a restriction that can both apply in one matter",
}


def lint(catalog: Catalog, checked: Mapping[str, Checked]) -> tuple[Diagnostic, ...]:
    """Run every rule; findings the catalog acknowledges become ``info`` with the reason.

    Args:
        catalog: the layered catalog.
        checked: the checked condition of each measure, by measure id (measures without one
            are skipped by the rules on conditions).

    Returns:
        Every finding, sorted by file, line and column.
    """
    context = LintContext(catalog, checked)
    found: list[Diagnostic] = []
    for rule in RULES:
        for finding in rule(context):
            found.append(_place(finding, context))
    return tuple(sorted(set(found), key=Diagnostic.sort_key))


def _place(finding: Finding, context: LintContext) -> Diagnostic:
    measure = finding.measure
    span = finding.span
    path = finding.path
    severity = finding.severity
    message = finding.message
    if measure is not None:
        if span is None:
            span = context.field_span(measure, finding.field) if finding.field else measure.span
        path = f"measures[{context.index_in_file(measure)}]" + (
            f".{finding.field}" if finding.field else ".when" if finding.span else ""
        )
        for ack in measure.acknowledged:
            if ack.code == finding.code:
                severity = INFO
                message = f"{message} (acknowledged: {ack.reason})"
                break
    return Diagnostic(
        finding.code,
        severity,
        message,
        help=finding.help,
        span=span,
        catalog_path=path,
        measure_id=measure.id if measure is not None else None,
    )


def errors_of(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Only the error-severity findings (acknowledged ones are ``info``)."""
    return tuple(d for d in diagnostics if d.severity is ERROR)
