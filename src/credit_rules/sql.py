"""The SQL back end: a catalog's checked conditions and the matcher's semantics as SQL views.

Input: a :class:`~credit_rules.model.Catalog` whose conditions were checked by ``check.py``
(through :func:`credit_rules.engine.compile_measures`), ``as_of``, the matter being handled,
and a :class:`Dialect` (DuckDB or Spark SQL). Output: a :class:`Plan` — named ``SELECT``
statements in dependency order, to be created as views over three normalised input views
(``cr_subjects``, ``cr_records``, ``cr_relations``; see ``batch/tables.py``), ending with
``cr_outcomes``: one row per evaluated subject × measure × target, the same rows as the union
of :meth:`credit_rules.engine.Engine.evaluate` over every subject's dossier.

Errors: :class:`~credit_rules.errors.CompileError` when a condition uses a construct the
dialect cannot express, naming the construct and pointing at it; nothing is approximated.

Layout of the views (each pure, in data-flow order):

``cr_facts``
    every record with the reason it is set aside as of ``as_of`` (NULL when it counts), its
    normalised ``dishonest`` and (lenience-reduced) ``severity``, whether it is pending an
    objection, and the dates and gravity the matcher derives from it (facts.py,
    proportion.py).
``cr_links``
    the relations current on ``as_of``, both ways round, as they appear in each dossier.
``cr_hits_*``
    per measure, the entities whose condition holds (without, else with, pending records),
    and the records that witness it.
``cr_outcomes``
    targets, proportion checks, periods, statuses, de-duplication and withholding
    (engine.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence

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
    ir_children,
    triggers,
)
from credit_rules.errors import CompileError, Diagnostic, error
from credit_rules.facts import window_start
from credit_rules.model import (
    DISHONEST_KINDS,
    CatalogInfo,
    DurationKind,
    LenienceAction,
    ListKind,
    Measure,
    MeasureKind,
    Period,
    Policy,
    RecordKind,
    Severity,
    Vocabulary,
)
from credit_rules.proportion import (
    DOCUMENT,
    GRADED_LISTS,
    GRAVITY,
    LISTING_CATEGORY,
    RELEVANCE,
    list_categories,
)
from credit_rules.spans import Span

# ---------------------------------------------------------------------------------------------
# Dialects


def _quote_standard(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_spark(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _shift_duckdb(date: str, months: int, days: int) -> str:
    expr = date
    if months:
        expr = f"CAST({expr} + to_months(CAST({months} AS INTEGER)) AS DATE)"
    if days:
        expr = f"CAST({expr} + to_days(CAST({days} AS INTEGER)) AS DATE)"
    return expr


def _shift_spark(date: str, months: int, days: int) -> str:
    expr = date
    if months:
        expr = f"add_months({expr}, {months})"
    if days:
        expr = f"date_add({expr}, {days})"
    return expr


@attrs.frozen(slots=True)
class Dialect:
    """What differs between SQL engines: a table of small emitters, not a subclass hook.

    Every field is a function from SQL fragments to a SQL fragment (or a constant).
    """

    name: str
    #: a string literal
    string: Callable[[str], str]
    #: ``date`` moved by months (a day past the month's end clamps), then by days
    shift: Callable[[str, int, int], str]
    #: the same with the months and days given as (integer) SQL expressions
    shift_by: Callable[[str, str, str], str]
    #: whether a list column contains a value
    contains: Callable[[str, str], str]
    #: the value of ``value`` on the row where ``key`` is greatest
    arg_max: Callable[[str, str], str]
    #: the sorted list of a column's values in a group, over the rows passing a filter
    sorted_list: Callable[[str, str], str]
    #: the sorted list of a column's distinct values in a group
    sorted_set: Callable[[str], str]
    #: a list of the given fragments
    array: Callable[[Sequence[str]], str]
    #: the lists given, one after the other
    concat_lists: Callable[[Sequence[str]], str]
    #: the number of items of a list
    size: Callable[[str], str]
    #: the sorted concatenation of a list column's lists in a group
    flatten_lists: Callable[[str], str]
    #: a list, sorted
    sort_list: Callable[[str], str]
    #: an empty list of strings
    empty_list: str
    #: a struct of fragments, for ordering by several keys
    struct: Callable[[Sequence[str]], str]
    #: a date from year, month and day expressions
    make_date: Callable[[str, str, str], str]
    #: a quoted identifier
    ident: Callable[[str], str]
    #: a date plus a whole number of days given as an expression
    plus_days: Callable[[str, str], str]
    #: a list without its NULL items (of distinct values)
    compact: Callable[[str], str]
    #: a 64-bit hash of the values of some columns
    hash64: Callable[[Sequence[str]], str]
    #: one row per item of a list (in a select list)
    explode: Callable[[str], str]
    #: a number distinct for each row of a query (in a select list)
    row_id: str

    def text_type(self) -> str:
        """The SQL type of text."""
        return "STRING" if self.name == "spark" else "VARCHAR"

    def date(self, value: datetime.date) -> str:
        """A date literal."""
        return f"DATE '{value.isoformat()}'"

    def add(self, date: str, period: Period, sign: int = 1) -> str:
        """``date`` moved forward (or back, ``sign`` = -1) by a calendar period."""
        months = sign * (period.years * 12 + period.months)
        return self.shift(date, months, sign * period.days)

    def strings(self, values: Iterable[str]) -> str:
        """A parenthesised list of string literals for ``IN``; ``(NULL)`` when empty."""
        items = sorted(set(values))
        if not items:
            return "(NULL)"
        return "(" + ", ".join(self.string(v) for v in items) + ")"


DUCKDB = Dialect(
    name="duckdb",
    string=_quote_standard,
    shift=_shift_duckdb,
    shift_by=lambda date, months, days: (
        f"CAST(CAST({date} + to_months(CAST({months} AS INTEGER)) AS DATE) "
        f"+ to_days(CAST({days} AS INTEGER)) AS DATE)"
    ),
    contains=lambda column, value: f"list_contains({column}, {value})",
    arg_max=lambda value, key: f"arg_max({value}, {key})",
    sorted_list=lambda column, where: f"list_sort(list({column}) FILTER (WHERE {where}))",
    sorted_set=lambda column: f"list_sort(list(DISTINCT {column}))",
    array=lambda items: "[" + ", ".join(items) + "]",
    concat_lists=lambda lists: "(" + " || ".join(lists) + ")" if lists else "CAST([] AS VARCHAR[])",
    size=lambda column: f"len({column})",
    flatten_lists=lambda column: f"list_sort(flatten(list({column})))",
    sort_list=lambda value: f"list_sort({value})",
    empty_list="CAST([] AS VARCHAR[])",
    struct=lambda parts: (
        "struct_pack(" + ", ".join(f"k{i} := {p}" for i, p in enumerate(parts)) + ")"
    ),
    make_date=lambda y, m, d: (
        f"make_date(CAST({y} AS BIGINT), CAST({m} AS BIGINT), CAST({d} AS BIGINT))"
    ),
    ident=lambda name: '"' + name.replace('"', '""') + '"',
    plus_days=lambda date, days: f"CAST({date} + CAST({days} AS INTEGER) AS DATE)",
    compact=lambda value: f"list_distinct({value})",
    hash64=lambda columns: f"hash({', '.join(columns)})",
    explode=lambda value: f"unnest({value})",
    row_id="row_number() OVER ()",
)

SPARK = Dialect(
    name="spark",
    string=_quote_spark,
    shift=_shift_spark,
    shift_by=lambda date, months, days: f"date_add(add_months({date}, {months}), {days})",
    contains=lambda column, value: f"array_contains({column}, {value})",
    arg_max=lambda value, key: f"max_by({value}, {key})",
    sorted_list=lambda column, where: f"array_sort(collect_list({column}) FILTER (WHERE {where}))",
    sorted_set=lambda column: f"array_sort(collect_set({column}))",
    array=lambda items: "array(" + ", ".join(items) + ")",
    concat_lists=lambda lists: (
        "concat(" + ", ".join(lists) + ")" if lists else "CAST(array() AS ARRAY<STRING>)"
    ),
    size=lambda column: f"size({column})",
    flatten_lists=lambda column: f"array_sort(flatten(collect_list({column})))",
    sort_list=lambda value: f"array_sort({value})",
    empty_list="CAST(array() AS ARRAY<STRING>)",
    struct=lambda parts: "struct(" + ", ".join(f"{p} AS k{i}" for i, p in enumerate(parts)) + ")",
    make_date=lambda y, m, d: f"make_date({y}, {m}, {d})",
    ident=lambda name: "`" + name.replace("`", "``") + "`",
    plus_days=lambda date, days: f"date_add({date}, {days})",
    compact=lambda value: f"array_compact({value})",
    hash64=lambda columns: f"xxhash64({', '.join(columns)})",
    explode=lambda value: f"explode({value})",
    row_id="monotonically_increasing_id()",
)

DIALECTS = {d.name: d for d in (DUCKDB, SPARK)}


@attrs.frozen(slots=True)
class View:
    """One named ``SELECT`` of a plan; ``materialise``: computed once and kept (a temporary
    table in DuckDB, a cached DataFrame in Spark) because several later views read it."""

    name: str
    sql: str
    materialise: bool = False
    #: created again for each partition of a partitioned plan (its SQL names the partition)
    per_partition: bool = False


#: placeholders of a partitioned plan's SQL: the number of partitions, and the partition
#: being evaluated (replaced by :meth:`Plan.shared` and :meth:`Plan.partition`)
PARTITIONS_MARK = "__cr_partitions__"
PART_MARK = "__cr_part__"


@attrs.frozen(slots=True)
class Plan:
    """Views in dependency order; the last one is the result.

    A partitioned plan (``compile_plan(partitioned=True)``) has shared views, computed once,
    then per-partition views, computed for one partition of the subjects at a time: the
    result of partition ``k`` is the outcomes of the subjects in bucket ``k`` of
    ``cr_bucket``, and the union over every partition is the unpartitioned result.
    """

    views: tuple[View, ...]
    partitioned: bool = False

    @property
    def result(self) -> str:
        """The name of the view holding the result."""
        return self.views[-1].name

    def shared(self, partitions: int = 1) -> tuple[View, ...]:
        """The views computed once (every view of an unpartitioned plan), for a number of
        partitions."""
        if partitions < 1:
            raise ValueError("partitions must be at least 1")
        count = str(int(partitions))
        return tuple(
            attrs.evolve(v, sql=v.sql.replace(PARTITIONS_MARK, count))
            for v in self.views
            if not v.per_partition
        )

    def partition(self, part: int) -> tuple[View, ...]:
        """The per-partition views for partition ``part`` (0-based); none when unpartitioned."""
        number = str(int(part))
        return tuple(
            attrs.evolve(v, sql=v.sql.replace(PART_MARK, number))
            for v in self.views
            if v.per_partition
        )

    def script(self) -> str:
        """The whole plan as ``CREATE TEMP VIEW`` statements (for reading and golden tests)."""
        return "\n\n".join(f"CREATE OR REPLACE TEMP VIEW {v.name} AS\n{v.sql};" for v in self.views)


# ---------------------------------------------------------------------------------------------
# Which records count (facts.py as SQL)

#: input views the plan reads
SUBJECTS_VIEW = "cr_subjects"
RECORDS_VIEW = "cr_records"
RELATIONS_VIEW = "cr_relations"
FACTS_VIEW = "cr_facts"
COUNTED_VIEW = "cr_counted"
LINKS_VIEW = "cr_links"
TARGET_LINKS_VIEW = "cr_target_links"

_SEVERITIES = tuple(Severity)


def severity_rank(dialect: Dialect, column: str) -> str:
    """The rank of a severity column (0 general … 2 severe), NULL when it is NULL."""
    whens = " ".join(f"WHEN {dialect.string(s.value)} THEN {s.rank}" for s in _SEVERITIES)
    return f"(CASE {column} {whens} END)"


def _minor(dialect: Dialect, birth: str, as_of: str) -> str:
    # Subject.minor_on: the 18th birthday; 29 February gives 1 March in a common year.
    first = dialect.make_date(f"year({birth}) + 18", f"month({birth})", "1")
    adult = dialect.plus_days(first, f"day({birth}) - 1")
    return f"({birth} IS NOT NULL AND {as_of} < {adult})"


def _record_end(dialect: Dialect, severity: str, policy: Policy) -> str:
    """facts.record_end over columns of the records view, with ``severity`` as given."""
    dishonest_kinds = dialect.strings(k.value for k in DISHONEST_KINDS)
    whens = [
        "WHEN expires_on IS NOT NULL THEN expires_on",
        f"WHEN kind = {dialect.string(RecordKind.LIST_ENTRY.value)} THEN exit_on",
        f"WHEN kind = {dialect.string(RecordKind.RATING.value)} THEN valid_until",
    ]
    for level in _SEVERITIES:
        periods = policy.publication.get(level)
        if periods is None:
            continue
        whens.append(
            f"WHEN kind IN {dishonest_kinds} AND {severity} = {dialect.string(level.value)} "
            f"THEN {dialect.add('decided_on', periods.max)}"
        )
    return "(CASE " + " ".join(whens) + " END)"


def facts_view(
    *, vocabulary: Vocabulary, policy: Policy, as_of: datetime.date, dialect: Dialect
) -> View:
    """``cr_facts``: every record of a known subject, classified as of ``as_of``.

    Columns: every records column, then the subject's ``s_kind``, ``s_state_owned``,
    ``s_region``, ``is_person`` and ``s_minor`` (minor on ``as_of``), ``reason`` (the
    set-aside reason code, NULL when the record counts), ``pending`` (objection pending),
    ``dishonest_n`` and ``severity_n`` (normalised as in ``Facts.counted``), ``reduced_from``
    (the severity before a lenience reduction), ``severity_rank``, ``gravity_rank``
    (proportion.gravity_of), ``end_n`` (facts.record_end of the normalised record) and
    ``is_person``.
    """
    d = dialect
    day = d.date(as_of)
    q = d.string
    black = [
        name
        for name, listed in vocabulary.lists.items()
        if listed.kind in (ListKind.BLACK, ListKind.KEY_ATTENTION)
    ]
    dishonest_kinds = d.strings(k.value for k in DISHONEST_KINDS)
    list_entry = q(RecordKind.LIST_ENTRY.value)
    by_kind = (
        f"CASE WHEN kind = {list_entry} THEN COALESCE(list_name IN {d.strings(black)}, FALSE) "
        f"ELSE kind IN {dishonest_kinds} END"
    )
    fact = (
        "CASE WHEN lenience_minor OR s_minor THEN 'minor' "
        "WHEN lenience_force_majeure THEN 'force_majeure' "
        "WHEN lenience_unintentional THEN "
        f"(CASE WHEN severity IS NULL OR severity = {q('general')} "
        "THEN 'unintentional_minor' ELSE 'unintentional' END) END"
    )
    set_aside_facts = [f for f, a in policy.lenience.items() if a is LenienceAction.SET_ASIDE]
    reduce_facts = [f for f, a in policy.lenience.items() if a is LenienceAction.REDUCE]
    subjects = (
        "SELECT id AS s_id, kind AS s_kind, birth_date AS s_birth, "
        f"state_owned AS s_state_owned, region AS s_region FROM {SUBJECTS_VIEW}"
    )
    stage1 = (
        "SELECT r.*, s.s_kind, s.s_state_owned, s.s_region, "
        f"(s.s_kind = {q('natural_person')}) AS is_person, "
        f"{_minor(d, 's.s_birth', day)} AS s_minor, "
        f"COALESCE(r.dishonest, {by_kind}) AS dishonest_n "
        f"FROM {RECORDS_VIEW} r JOIN ({subjects}) s ON s.s_id = r.subject_id"
    )
    stage2 = (
        "SELECT *, "
        f"{_record_end(d, 'severity', policy)} AS end_o, "
        f"(CASE WHEN dishonest_n THEN {fact} END) AS lenience_fact "
        f"FROM ({stage1}) s1"
    )

    def in_effect(status: str) -> str:
        return f"status = {q(status)} AND (status_since IS NULL OR status_since <= {day})"

    reason = (
        f"CASE WHEN decided_on > {day} THEN 'future' "
        f"WHEN {in_effect('revoked')} THEN 'revoked' "
        f"WHEN {in_effect('corrected')} THEN 'corrected' "
        f"WHEN {in_effect('repaired')} THEN 'repaired' "
        f"WHEN end_o IS NOT NULL AND end_o <= {day} THEN 'expired' "
        f"WHEN dishonest_n AND kind <> {list_entry} AND document_kind IS NULL "
        "THEN 'no_effective_document' "
        f"WHEN COALESCE(lenience_fact IN {d.strings(set_aside_facts)}, FALSE) THEN 'lenience' "
        "END"
    )
    lower = " ".join(
        f"WHEN {q(s.value)} THEN {q(_SEVERITIES[s.rank - 1].value)}" for s in _SEVERITIES[1:]
    )
    reduced = (
        f"COALESCE(lenience_fact IN {d.strings(reduce_facts)}, FALSE) "
        f"AND severity IN {d.strings(s.value for s in _SEVERITIES[1:])}"
    )
    stage3 = (
        "SELECT *, "
        f"({reason}) AS reason, "
        f"(status = {q('objection_pending')}) AS pending, "
        f"(CASE WHEN {reduced} THEN (CASE severity {lower} END) ELSE severity END) AS severity_n, "
        f"(CASE WHEN {reduced} THEN severity END) AS reduced_from "
        f"FROM ({stage2}) s2"
    )
    graded = [
        (name, listed.gravity.rank)
        for name, listed in sorted(vocabulary.lists.items())
        if listed.kind in GRADED_LISTS and listed.gravity is not None
    ]
    list_gravity = (
        "(CASE list_name "
        + " ".join(f"WHEN {q(name)} THEN {rank}" for name, rank in graded)
        + " END)"
        if graded
        else "CAST(NULL AS INTEGER)"
    )
    # proportion.gravity_of: the gravest of the list's gravity (graded lists) and, for
    # conduct (a dishonest kind, or marked dishonest), its severity (general when none)
    conduct = f"(kind IN {dishonest_kinds} OR dishonest_n)"
    conduct_rank = f"(CASE WHEN {conduct} THEN COALESCE({severity_rank(d, 'severity_n')}, 0) END)"
    gravity = (
        f"(CASE WHEN kind = {list_entry} THEN "
        f"(CASE WHEN {conduct_rank} IS NULL THEN {list_gravity} "
        f"WHEN {list_gravity} IS NULL THEN {conduct_rank} "
        f"ELSE greatest({list_gravity}, {conduct_rank}) END) "
        f"ELSE {conduct_rank} END)"
    )
    stage4 = (
        "SELECT *, "
        f"{severity_rank(d, 'severity_n')} AS severity_rank, "
        f"{gravity} AS gravity_rank, "
        f"{_record_end(d, 'severity_n', policy)} AS end_n "
        f"FROM ({stage3}) s3"
    )
    return View(FACTS_VIEW, stage4)


#: the columns of ``cr_counted`` (the facts rows that count or are pending)
COUNTED_COLUMNS = (
    "subject_id",
    "id",
    "kind",
    "decided_on",
    "domain",
    "severity_n",
    "document_kind",
    "authority",
    "tags",
    "list_name",
    "exit_on",
    "category",
    "scheme",
    "grade",
    "dishonest_n",
    "pending",
    "end_n",
    "gravity_rank",
    "s_kind",
    "s_minor",
    "s_state_owned",
    "s_region",
)


def counted_view() -> View:
    """``cr_counted``: the facts rows that count (or are pending), with the columns
    conditions, witnesses and periods read; computed once."""
    columns = ", ".join(COUNTED_COLUMNS)
    return View(COUNTED_VIEW, f"SELECT {columns} FROM {FACTS_VIEW} WHERE reason IS NULL", True)


def links_view(*, as_of: datetime.date, dialect: Dialect) -> View:
    """``cr_links``: each dossier's related subjects current on ``as_of``.

    Columns: ``subject_id`` (whose dossier), ``other_id`` (the related subject), ``role``,
    ``other_is_person``. A relation row appears in its ``subject_id``'s dossier and, when it
    is organisation → person, in the person's dossier too (see ``batch/tables.py``).
    """
    d = dialect
    day = d.date(as_of)
    current = f"(r.since IS NULL OR r.since <= {day}) AND (r.until IS NULL OR r.until > {day})"
    person = d.string("natural_person")
    sql = (
        "SELECT r.subject_id AS subject_id, r.related_id AS other_id, r.role AS role, "
        f"(h.kind = {person}) AS other_is_person "
        f"FROM {RELATIONS_VIEW} r JOIN {SUBJECTS_VIEW} h ON h.id = r.related_id "
        f"WHERE {current} "
        "UNION ALL "
        "SELECT r.related_id AS subject_id, r.subject_id AS other_id, r.role AS role, "
        "FALSE AS other_is_person "
        f"FROM {RELATIONS_VIEW} r JOIN {SUBJECTS_VIEW} h ON h.id = r.related_id "
        f"JOIN {SUBJECTS_VIEW} o ON o.id = r.subject_id "
        f"WHERE {current} AND h.kind = {person} AND o.kind <> {person}"
    )
    return View(LINKS_VIEW, sql)


# ---------------------------------------------------------------------------------------------
# Conditions (check.py IR → SQL) and the matcher (engine.py → SQL)

ENTITY_VIEW = "cr_entity"
RELATED_VIEW = "cr_related"
EVAL_VIEW = "cr_eval"
HITS_VIEW = "cr_hits"
WITNESS_VIEW = "cr_witness"
MEASURES_VIEW = "cr_measures"
INFO_VIEW = "cr_info"
TARGETS_VIEW = "cr_targets"
OUTCOMES_VIEW = "cr_outcomes"

#: the columns of ``cr_outcomes``, in order
OUTCOME_COLUMNS = (
    "subject_id",
    "measure_id",
    "target_id",
    "via_id",
    "role",
    "status",
    "start_date",
    "end_date",
    "ends_by",
    "records",
    "pending",
    "failed_checks",
    "withheld_by",
)
#: columns of ``cr_outcomes`` holding lists of strings
LIST_COLUMNS = ("records", "pending", "failed_checks", "withheld_by")

#: IR nodes the SQL emitter understands outside record filters (others: ``CR-E322``)
SQL_CONDITIONS: tuple[type, ...] = (
    Const,
    AllOf,
    AnyOf,
    Negation,
    Listed,
    RatingTest,
    SubjectKindTest,
    SubjectFlagTest,
    RegionTest,
    Exists,
    CountTest,
    RelatedTest,
)
#: IR nodes the SQL emitter understands inside record filters
SQL_RECORD_TESTS: tuple[type, ...] = (
    Const,
    AllOf,
    AnyOf,
    Negation,
    KindTest,
    SeverityTest,
    TextTest,
    TagTest,
    DishonestTest,
    DateTest,
    SubjectKindTest,
    SubjectFlagTest,
    RegionTest,
)

_SQL_OPS = {
    CompareOp.EQ: "=",
    CompareOp.NE: "<>",
    CompareOp.LT: "<",
    CompareOp.LE: "<=",
    CompareOp.GT: ">",
    CompareOp.GE: ">=",
}
#: record field of the language → column of ``cr_facts``
_TEXT_COLUMNS = {
    "domain": "domain",
    "authority": "authority",
    "document": "document_kind",
    "list": "list_name",
    "scheme": "scheme",
    "grade": "grade",
    "category": "category",
}
_MODES = ("c", "p")  # counted records only; counted and pending records
_IN_FORCE = ("applies", "advisory")


@attrs.frozen(slots=True)
class MeasureCondition:
    """A measure and its checked condition, as the emitter takes them."""

    measure: Measure
    checked: Checked


@attrs.frozen(slots=True)
class _Leaf:
    """A part of a condition whose records witness it: a query, a list or a rating."""

    kind: str  # "query", "listed", "rating"
    query: Query | None = None
    name: str = ""


class _Emitter:
    """Writes conditions as SQL and collects the aggregates they read.

    Aggregates are per subject over ``cr_facts``: for each distinct record match, how many
    counted records match (``n{i}_c``) and how many counted or pending ones (``n{i}_p``); for
    each rating scheme, the current rating's grade and id by mode; for each trigger key,
    whether a counted or pending record has it.
    """

    def __init__(self, dialect: Dialect, as_of: datetime.date) -> None:
        self.d = dialect
        self.as_of = as_of
        self.matches: dict[str, int] = {}
        self.schemes: dict[str, int] = {}
        self.flags: dict[str, int] = {}
        self.related: list[tuple[RelatedTest, str, str]] = []
        self.problems: list[Diagnostic] = []
        self.measure: Measure | None = None
        #: the record tests of measures whose witnesses are simply every record their parts
        #: match, each distinct test once (its index is the hit's ``scan``)
        self.scans: dict[str, int] = {}
        #: the select list of a witness row over a counted record ``f`` (_witness_columns)
        self.witness_columns = ""

    # -- record filters (over a cr_facts row whose columns start with ``p``) -----------------

    def record_test(self, node: Condition, p: str) -> str:
        """A NULL-free boolean over facts columns."""
        d = self.d
        if isinstance(node, AllOf):
            return "(" + " AND ".join(self.record_test(i, p) for i in node.items) + ")"
        if isinstance(node, AnyOf):
            return "(" + " OR ".join(self.record_test(i, p) for i in node.items) + ")"
        if isinstance(node, Negation):
            return f"(NOT {self.record_test(node.item, p)})"
        if isinstance(node, Const):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node, KindTest):
            return self._member(f"{p}kind", (k.value for k in node.kinds), node.negated)
        if isinstance(node, SeverityTest):
            values = (v.value for v in node.severities)
            return self._member(f"{p}severity_n", values, node.negated)
        if isinstance(node, TextTest):
            return self._member(f"{p}{_TEXT_COLUMNS[node.field]}", node.values, node.negated)
        if isinstance(node, TagTest):
            test = d.contains(f"{p}tags", d.string(node.tag))
            return f"(NOT {test})" if node.negated else test
        if isinstance(node, DishonestTest):
            return f"{p}dishonest_n" if node.value else f"(NOT {p}dishonest_n)"
        if isinstance(node, DateTest):
            return f"({p}decided_on {_SQL_OPS[node.op]} {d.date(node.date)})"
        if isinstance(node, SubjectKindTest | SubjectFlagTest | RegionTest):
            return self.subject_test(node, f"{p}s_")
        self.refuse(node)
        return "FALSE"

    def _member(self, column: str, values: Iterable[str], negated: bool) -> str:
        test = f"COALESCE({column} IN {self.d.strings(values)}, FALSE)"
        return f"(NOT {test})" if negated else test

    def subject_test(self, node: SubjectKindTest | SubjectFlagTest | RegionTest, s: str) -> str:
        """A NULL-free boolean over the subject columns ``{s}kind``, ``{s}minor`` …"""
        if isinstance(node, SubjectKindTest):
            return self._member(f"{s}kind", (k.value for k in node.kinds), node.negated)
        if isinstance(node, SubjectFlagTest):
            column = f"{s}minor" if node.attribute == "minor" else f"{s}state_owned"
            return column if node.value else f"(NOT {column})"
        return self._member(f"{s}region", node.regions, node.negated)

    def leaf_match(self, leaf: _Leaf, p: str) -> str:
        """Whether a counted (or pending) facts row is one of a leaf's records."""
        d = self.d
        if leaf.kind == "listed":
            kind = d.string(RecordKind.LIST_ENTRY.value)
            return f"({p}kind = {kind} AND {p}list_name = {d.string(leaf.name)})"
        if leaf.kind == "rating":
            kind = d.string(RecordKind.RATING.value)
            return f"({p}kind = {kind} AND {p}scheme = {d.string(leaf.name)})"
        query = leaf.query
        assert query is not None
        parts = []
        if isinstance(query.window, Within):
            start = window_start(self.as_of, query.window.period)
            parts.append(f"{p}decided_on > {d.date(start)}")
        elif isinstance(query.window, Since):
            parts.append(f"{p}decided_on >= {d.date(query.window.date)}")
        if query.filter is not None:
            parts.append(self.record_test(query.filter, p))
        return "(" + " AND ".join(parts) + ")" if parts else "TRUE"

    def count_column(self, leaf: _Leaf, mode: str, e: str) -> str:
        match = self.leaf_match(leaf, "")
        index = self.matches.setdefault(match, len(self.matches))
        return f"{e}n{index}_{mode}"

    def flag_column(self, key: str, e: str) -> str:
        index = self.flags.setdefault(key, len(self.flags))
        return f"{e}t{index}"

    def flag_match(self, key: str) -> str:
        """A facts-row test for a trigger key (``kind:K`` or ``list:N``)."""
        kind, _, name = key.partition(":")
        if kind == "kind":
            return f"(kind = {self.d.string(name)})"
        return self.leaf_match(_Leaf("listed", name=name), "")

    # -- conditions (over a cr_eval row whose columns start with ``e``) ----------------------

    def holds(self, node: Condition, mode: str, *, bare: bool, e: str = "") -> str:
        """A NULL-free boolean: the condition holds for the entity in ``mode``.

        ``bare``: the entity is seen without related subjects, as ``facts.build_facts`` sees a
        related subject (and as the matcher sees an organisation from a person's dossier).
        """
        if isinstance(node, Const):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node, AllOf | AnyOf):
            joiner = " AND " if isinstance(node, AllOf) else " OR "
            return "(" + joiner.join(self.holds(i, mode, bare=bare, e=e) for i in node.items) + ")"
        if isinstance(node, Negation):
            return f"(NOT {self.holds(node.item, mode, bare=bare, e=e)})"
        if isinstance(node, Listed):
            return f"({self.count_column(_Leaf('listed', name=node.list_name), mode, e)} > 0)"
        if isinstance(node, RatingTest):
            k = self.schemes.setdefault(node.scheme, len(self.schemes))
            test = f"COALESCE({e}rg{k}_{mode} IN {self.d.strings(node.grades)}, FALSE)"
            if node.negated:
                return f"({e}ri{k}_{mode} IS NULL OR NOT {test})"
            return f"({e}ri{k}_{mode} IS NOT NULL AND {test})"
        if isinstance(node, SubjectKindTest | SubjectFlagTest | RegionTest):
            return self.subject_test(node, e)
        if isinstance(node, Exists):
            n = self.count_column(_Leaf("query", node.query), mode, e)
            return f"({n} > 0)" if node.quantifier is Quantifier.ANY else f"({n} = 0)"
        if isinstance(node, CountTest):
            n = self.count_column(_Leaf("query", node.query), mode, e)
            return f"({n} {_SQL_OPS[node.op]} {node.value})"
        if isinstance(node, RelatedTest):
            if bare:
                return "FALSE" if node.quantifier is Quantifier.ANY else "TRUE"
            column = f"{e}rel{self.related_index(node)}_{mode}"
            return column if node.quantifier is Quantifier.ANY else f"(NOT {column})"
        self.refuse(node)
        return "FALSE"

    def related_index(self, node: RelatedTest) -> int:
        """The index of a related test (its body is registered in bare mode)."""
        for index, (known, _, _) in enumerate(self.related):
            if known is node:
                return index
        bodies = [self.holds(node.body, mode, bare=True) for mode in _MODES]
        self.related.append((node, bodies[0], bodies[1]))
        return len(self.related) - 1

    def candidate(self, keys: frozenset[str] | None, *, bare: bool) -> str:
        """engine._candidates: the entity has a record (or relation) the condition needs."""
        if keys is None:
            return "TRUE"
        tests = []
        for key in sorted(keys):
            if key == "related":
                if not bare:
                    tests.append("has_related")
            else:
                tests.append(self.flag_column(key, ""))
        return "(" + " OR ".join(tests) + ")" if tests else "FALSE"

    # -- witnesses ----------------------------------------------------------------------------

    def selections(
        self, node: Condition, mode: str, selected: str, *, bare: bool, e: str
    ) -> list[tuple[str, _Leaf | RelatedTest]]:
        """(when selected, part) for each part whose records witness the condition.

        Mirrors compile.py: ``and`` unites its items' witnesses, ``or`` takes the first item
        that holds, ``not`` and ``no`` give none, a record query or count gives the records it
        matched, ``listed`` the list's entries, ``rating`` the current rating, and ``any
        related`` the witnesses of every related subject for which its body holds.
        """
        if isinstance(node, AllOf):
            return [
                part
                for item in node.items
                for part in self.selections(item, mode, selected, bare=bare, e=e)
            ]
        if isinstance(node, AnyOf):
            parts: list[tuple[str, _Leaf | RelatedTest]] = []
            before: list[str] = []
            for item in node.items:
                here = self.holds(item, mode, bare=bare, e=e)
                guard = " AND ".join([selected, *(f"NOT {b}" for b in before), here])
                parts += self.selections(item, mode, f"({guard})", bare=bare, e=e)
                before.append(here)
            return parts
        if isinstance(node, Listed):
            return [(selected, _Leaf("listed", name=node.list_name))]
        if isinstance(node, RatingTest):
            return [(selected, _Leaf("rating", name=node.scheme))]
        if isinstance(node, Exists) and node.quantifier is Quantifier.ANY:
            return [(selected, _Leaf("query", node.query))]
        if isinstance(node, CountTest):
            return [(selected, _Leaf("query", node.query))]
        if isinstance(node, RelatedTest) and node.quantifier is Quantifier.ANY and not bare:
            return [(selected, node)]
        return []

    def witness_test(self, leaf: _Leaf, mode: str, p: str, e: str) -> str:
        """A facts row (prefix ``p``) is a witness of ``leaf`` for the entity row ``e``."""
        match = self.leaf_match(leaf, p)
        if leaf.kind == "rating":
            k = self.schemes.setdefault(leaf.name, len(self.schemes))
            return f"({match} AND {p}id = {e}ri{k}_{mode})"
        return match

    def refuse(self, node: object) -> None:
        """Record that ``node`` cannot be expressed (raised at the end as CR-E322)."""
        assert self.measure is not None
        span = getattr(node, "span", None)
        self.problems.append(
            error(
                "CR-E322",
                f"`{type(node).__name__}` cannot be compiled to SQL for {self.d.name}",
                span if isinstance(span, Span) else None,
                measure_id=self.measure.id,
                catalog_path="when",
                help="evaluate this catalog with the per-subject matcher",
            )
        )


def _conditions(condition: Condition) -> Iterator[tuple[Condition, bool]]:
    """Every condition node with whether it is inside a record filter."""
    stack: list[tuple[Condition | Query, bool]] = [(condition, False)]
    while stack:
        node, in_filter = stack.pop()
        if isinstance(node, Query):
            if node.filter is not None:
                stack.append((node.filter, True))
            continue
        yield node, in_filter
        stack.extend((child, in_filter) for child in ir_children(node))


def _uses_related(condition: Condition) -> bool:
    return any(isinstance(node, RelatedTest) for node, _ in _conditions(condition))


def _layer_in_force(info: CatalogInfo, as_of: datetime.date) -> bool:
    if info.effective_from is not None and info.effective_from > as_of:
        return False
    return info.effective_until is None or info.effective_until > as_of


def measures_in_force(
    items: Sequence[MeasureCondition],
    *,
    layers: Sequence[CatalogInfo],
    as_of: datetime.date,
    matter: str | None,
) -> list[MeasureCondition]:
    """engine._in_force: the matter filter and the catalog layer in force on ``as_of``."""
    by_id = {info.id: info for info in layers}
    kept = []
    for item in items:
        measure = item.measure
        if matter is not None and measure.applies_in and matter not in measure.applies_in:
            continue
        layer = by_id.get(measure.catalog_id)
        if layer is not None and not _layer_in_force(layer, as_of):
            continue
        kept.append(item)
    return kept


def compile_plan(
    items: Sequence[MeasureCondition],
    *,
    vocabulary: Vocabulary,
    policy: Policy,
    layers: Sequence[CatalogInfo] = (),
    as_of: datetime.date,
    matter: str | None = None,
    dialect: Dialect = DUCKDB,
    partitioned: bool = False,
) -> Plan:
    """The plan computing ``cr_outcomes`` for every subject of the input views.

    ``partitioned``: split the evaluation into partitions of subjects, so that memory is
    bounded by a partition's size (see :func:`partition_views`); the union of the partitions'
    results is the unpartitioned result, row for row.

    Args:
        items: every measure of the catalog with its checked condition, in catalog order.
        vocabulary: the catalog's vocabulary.
        policy: the catalog's policy.
        layers: the catalog's layers (for "catalog layer in force").
        as_of: the evaluation date (a constant of the plan).
        matter: the matter handled, or None for every matter.
        dialect: the SQL dialect.
        partitioned: a partitioned plan (its views take the number of partitions and the
            partition from :meth:`Plan.shared` and :meth:`Plan.partition`).

    Raises:
        CompileError: a condition uses a construct the dialect cannot express (``CR-E322``),
            every one of them listed.
    """
    emitter = _Emitter(dialect, as_of)
    emitter.witness_columns = _witness_columns(dialect, vocabulary, policy)
    # DuckDB's rows are sorted in Arrow on ORDER_KEY (batch.duck); Spark's are not sorted
    keyed = dialect.name == DUCKDB.name
    kept = measures_in_force(items, layers=layers, as_of=as_of, matter=matter)
    hits: list[str] = []
    witnesses: list[str] = []
    related: list[str] = []
    for number, item in enumerate(kept):
        emitter.measure = item.measure
        for node, in_filter in _conditions(item.checked.condition):
            allowed = SQL_RECORD_TESTS if in_filter else SQL_CONDITIONS
            if not isinstance(node, allowed):
                emitter.refuse(node)
        measure_hits, measure_witnesses, measure_related = _measure_sql(emitter, item, number)
        hits += measure_hits
        witnesses += measure_witnesses
        related += measure_related
    if emitter.problems:
        raise CompileError(emitter.problems)
    d = dialect
    t = d.text_type()
    witness_columns = emitter.witness_columns
    no_hits = (
        f"SELECT CAST(NULL AS {t}) AS entity, CAST(NULL AS {t}) AS measure_id, "
        "CAST(NULL AS INTEGER) AS measure_no, "
        f"CAST(NULL AS {t}) AS relmode, CAST(NULL AS {t}) AS mode, "
        f"CAST(NULL AS INTEGER) AS scan FROM {SUBJECTS_VIEW} WHERE FALSE"
    )
    if emitter.scans:
        # each record with the tests it passes, tested once (not once per hit), joined to the
        # hits by subject and test
        tested = d.array([f"CASE WHEN {test} THEN {j} END" for test, j in emitter.scans.items()])
        read = ", ".join(f"f.{c}" for c in _WITNESS_READS)
        scans = f"SELECT {read}, {d.explode(d.compact(tested))} AS scan FROM {COUNTED_VIEW} f"
        witnesses.append(
            f"SELECT h.hit, h.measure_id, {witness_columns} "
            f"FROM {HITS_VIEW} h JOIN ({scans}) f ON f.subject_id = h.entity AND f.scan = h.scan "
            "WHERE h.mode = 'p' OR NOT f.pending"
        )
    no_witnesses = (
        f"SELECT h.hit, h.measure_id, {witness_columns} "
        f"FROM {HITS_VIEW} h JOIN {COUNTED_VIEW} f ON f.subject_id = h.entity WHERE FALSE"
    )
    facts = facts_view(vocabulary=vocabulary, policy=policy, as_of=as_of, dialect=d)
    links = attrs.evolve(links_view(as_of=as_of, dialect=d), materialise=True)
    measures = _measures_view(d, [item.measure for item in kept], policy)
    matcher = [
        _entity_view(emitter, partitioned=partitioned, keyed=keyed),
        _related_view(emitter),
        attrs.evolve(_eval_view(emitter, partitioned=partitioned), materialise=True),
        # each hit numbered: its witnesses are grouped and joined back by that number
        View(
            HITS_VIEW,
            f"SELECT *, {d.row_id} AS hit FROM ({' UNION ALL '.join(hits) if hits else no_hits}) u",
            True,
        ),
        _witness_view(witnesses, related, no_witnesses),
        _info_view(d, as_of, policy, vocabulary),
        _targets_view(d, partitioned=partitioned, keyed=keyed),
        _outcomes_view(d, keyed=keyed),
    ]
    if not partitioned:
        views = [
            facts,
            counted_view(),
            links,
            View(TARGET_LINKS_VIEW, f"SELECT DISTINCT * FROM {LINKS_VIEW}"),
            *matcher[:5],
            measures,
            *matcher[5:],
        ]
        return Plan(tuple(views))
    shared, scopes = partition_views(d)
    views = [
        facts,
        attrs.evolve(links, name=ALL_LINKS_VIEW),
        *shared,
        measures,
        *scopes,
        *(attrs.evolve(v, per_partition=True) for v in matcher),
    ]
    return Plan(tuple(views), partitioned=True)


# ---------------------------------------------------------------------------------------------
# Partitions

#: shared tables of a partitioned plan: every current link, each subject's bucket, the links
#: and the counted records with the buckets of their subjects (sorted by bucket, so that a
#: partition reads only its own blocks)
ALL_LINKS_VIEW = "cr_links_all"
BUCKET_VIEW = "cr_bucket"
BUCKET_LINKS_VIEW = "cr_bucket_links"
ALL_COUNTED_VIEW = "cr_counted_all"
#: per partition: the entities whose hits it evaluates (scope 1), the entities whose records
#: and aggregates those read (scope 2), and the subject rows of scope 2
SCOPE1_VIEW = "cr_scope1"
SCOPE2_VIEW = "cr_scope2"
SCOPE_SUBJECTS_VIEW = "cr_scope_subjects"


def partition_views(d: Dialect) -> tuple[list[View], list[View]]:
    """The shared views and the per-partition scope views of a partitioned plan.

    A subject's outcomes read (engine.py): its own hits; for a person, the hits of the
    organisations it holds a role in, evaluated without their relations; and, for the
    ``any related`` tests and the objections of a hit, the records and aggregates of the
    entity's related subjects. So partition ``k`` evaluates the hits of scope 1 = its
    subjects and the organisations its persons hold roles in, and reads the records of
    scope 2 = scope 1 and every subject related to one of them; it writes the outcomes of
    its own subjects only, so every row is written once.

    Buckets keep related subjects together, so that the scopes rarely leave the bucket: a
    person is ordered by the smallest organisation it holds a role in, every other subject by
    its own id, and the order is cut into equal runs of subjects. Any cut is correct (the
    scopes take what crosses it); a good one only saves work.
    """
    person = d.string("natural_person")
    k = PART_MARK
    cluster = f"CASE WHEN s.kind = {person} THEN COALESCE(o.org, s.id) ELSE s.id END"
    orgs = (
        f"SELECT subject_id, min(other_id) AS org FROM {ALL_LINKS_VIEW} "
        "WHERE NOT other_is_person GROUP BY subject_id"
    )
    ordered = (
        "SELECT s.id, s.kind, s.birth_date, s.state_owned, s.region, "
        f"(s.kind = {person}) AS is_person, "
        f"row_number() OVER (ORDER BY {cluster}, s.id) - 1 AS position, "
        "row_number() OVER (ORDER BY s.id) - 1 AS id_rank, "
        "count(*) OVER () AS total "
        f"FROM {SUBJECTS_VIEW} s LEFT JOIN ({orgs}) o ON o.subject_id = s.id"
    )
    # The last bucket is half the size of the others: its rows are written after every other
    # partition's, with no evaluation left to overlap (the others are written meanwhile).
    bucket = View(
        BUCKET_VIEW,
        "SELECT id, kind, birth_date, state_owned, region, is_person, id_rank, "
        f"CAST(floor(position * (2 * {PARTITIONS_MARK} - 1) / (2 * total)) AS INTEGER) "
        f"AS bucket FROM ({ordered}) x ORDER BY bucket",
        True,
    )
    bucket_links = View(
        BUCKET_LINKS_VIEW,
        "SELECT l.subject_id, l.other_id, l.role, l.other_is_person, "
        "b.is_person AS subject_is_person, b.bucket, o.bucket AS other_bucket "
        f"FROM {ALL_LINKS_VIEW} l JOIN {BUCKET_VIEW} b ON b.id = l.subject_id "
        f"JOIN {BUCKET_VIEW} o ON o.id = l.other_id ORDER BY b.bucket",
        True,
    )
    counted_columns = ", ".join(f"f.{c}" for c in COUNTED_COLUMNS)
    counted_all = View(
        ALL_COUNTED_VIEW,
        f"SELECT {counted_columns}, b.bucket FROM {FACTS_VIEW} f "
        f"JOIN {BUCKET_VIEW} b ON b.id = f.subject_id WHERE f.reason IS NULL ORDER BY b.bucket",
        True,
    )

    def in_scope(table: str, columns: str, key: str, scope: str) -> str:
        # rows of the partition's bucket (read by block), then those of the scope's entities
        # from other buckets (usually none, then the join ends at once)
        return (
            f"SELECT {columns} FROM {table} WHERE bucket = {k} UNION ALL "
            f"SELECT {columns} FROM {table} WHERE bucket <> {k} "
            f"AND {key} IN (SELECT id FROM {scope} WHERE bucket <> {k})"
        )

    scope1 = View(
        SCOPE1_VIEW,
        f"SELECT id, bucket FROM {BUCKET_VIEW} WHERE bucket = {k} UNION "
        f"SELECT other_id AS id, other_bucket AS bucket FROM {BUCKET_LINKS_VIEW} "
        f"WHERE bucket = {k} AND subject_is_person AND NOT other_is_person",
        True,
    )
    link_columns = "subject_id, other_id, role, other_is_person, other_bucket"
    links = View(
        LINKS_VIEW, in_scope(BUCKET_LINKS_VIEW, link_columns, "subject_id", SCOPE1_VIEW), True
    )
    scope2 = View(
        SCOPE2_VIEW,
        f"SELECT id, bucket FROM {SCOPE1_VIEW} UNION "
        f"SELECT other_id AS id, other_bucket AS bucket FROM {LINKS_VIEW}",
        True,
    )
    subject_columns = "id, kind, birth_date, state_owned, region, bucket, id_rank"
    subjects = View(SCOPE_SUBJECTS_VIEW, in_scope(BUCKET_VIEW, subject_columns, "id", SCOPE2_VIEW))
    counted = View(
        COUNTED_VIEW,
        in_scope(ALL_COUNTED_VIEW, ", ".join(COUNTED_COLUMNS), "subject_id", SCOPE2_VIEW),
        True,
    )
    # a partition's outcomes go to its own subjects: the links they hold
    target_links = View(
        TARGET_LINKS_VIEW,
        "SELECT DISTINCT subject_id, other_id, role, other_is_person "
        f"FROM {BUCKET_LINKS_VIEW} WHERE bucket = {k}",
    )
    scopes = [scope1, links, scope2, subjects, counted, target_links]
    return [bucket, bucket_links, counted_all], [
        attrs.evolve(v, per_partition=True) for v in scopes
    ]


def _entity_view(em: _Emitter, *, partitioned: bool, keyed: bool = False) -> View:
    """``cr_entity``: one row per subject with every aggregate the conditions read.

    Partitioned: the subjects of scope 2 (``has_related`` is read only for scope 1, whose
    links the partition holds). Keyed: with ``id_rank``, the subject's rank among the
    population's ids (for ``ORDER_KEY``).
    """
    d = em.d
    # each distinct record test is evaluated once per record, in a projection beneath the
    # aggregate (the counts by mode, the ratings and the trigger keys read the same column)
    tests: dict[str, str] = {}

    def tested(test: str) -> str:
        return tests.setdefault(test, f"m{len(tests)}")

    aggregates = ["subject_id"]
    for match, index in em.matches.items():
        m = tested(match)
        aggregates.append(f"count_if({m} AND NOT pending) AS n{index}_c")
        aggregates.append(f"count_if({m}) AS n{index}_p")
    key = d.struct(["decided_on", "id"])
    value = d.struct(["grade", "id"])
    for scheme, index in em.schemes.items():
        m = tested(em.leaf_match(_Leaf("rating", name=scheme), ""))
        for mode, extra in (("c", " AND NOT pending"), ("p", "")):
            aggregates.append(
                f"{d.arg_max(value, key)} FILTER (WHERE {m}{extra}) AS rs{index}_{mode}"
            )
    for flag, index in em.flags.items():
        aggregates.append(f"count_if({tested(em.flag_match(flag))}) > 0 AS t{index}")
    aggregates.append("count_if(pending) > 0 AS has_pending")
    aggregates.append(f"{d.sorted_list('id', 'pending')} AS own_pending")
    projected = ", ".join(
        ["subject_id", "id", "pending", "grade", "decided_on"]
        + [f"{test} AS {name}" for test, name in tests.items()]
    )
    agg = (
        f"SELECT {', '.join(aggregates)} FROM (SELECT {projected} FROM {COUNTED_VIEW}) c "
        "GROUP BY subject_id"
    )
    day = d.date(em.as_of)
    columns = [
        "s.id AS entity",
        "s.kind AS kind",
        f"{_minor(d, 's.birth_date', day)} AS minor",
        "s.state_owned AS state_owned",
        "s.region AS region",
        f"(s.kind = {d.string('natural_person')}) AS is_person",
        "COALESCE(a.has_pending, FALSE) AS has_pending",
        f"COALESCE(a.own_pending, {d.empty_list}) AS own_pending",
        "(l.subject_id IS NOT NULL) AS has_related",
    ]
    if keyed:  # ranked once in cr_bucket when partitioned, else over the subjects below
        columns.append("s.id_rank AS id_rank")
    for index in em.matches.values():
        columns += [f"COALESCE(a.n{index}_{m}, 0) AS n{index}_{m}" for m in _MODES]
    for index in em.schemes.values():
        for m in _MODES:
            columns.append(f"a.rs{index}_{m}.k0 AS rg{index}_{m}")
            columns.append(f"a.rs{index}_{m}.k1 AS ri{index}_{m}")
    for index in em.flags.values():
        columns.append(f"COALESCE(a.t{index}, FALSE) AS t{index}")
    subjects = SCOPE_SUBJECTS_VIEW if partitioned else SUBJECTS_VIEW
    if keyed and not partitioned:  # ranked here, over the subjects' few columns
        subjects = f"(SELECT *, row_number() OVER (ORDER BY id) - 1 AS id_rank FROM {subjects})"
    sql = (
        f"SELECT {', '.join(columns)} "
        f"FROM {subjects} s "
        f"LEFT JOIN ({agg}) a ON a.subject_id = s.id "
        f"LEFT JOIN (SELECT DISTINCT subject_id FROM {LINKS_VIEW}) l ON l.subject_id = s.id"
    )
    if em.related:
        bodies = ", ".join(
            f"{body_c} AS b{i}_c, {body_p} AS b{i}_p"
            for i, (_, body_c, body_p) in enumerate(em.related)
        )
        sql = f"SELECT *, {bodies} FROM ({sql}) x"
    # kept: the eval, related and target views and the witnesses of related subjects read it
    return View(ENTITY_VIEW, sql, True)


def _related_view(em: _Emitter) -> View:
    """``cr_related``: per dossier subject, whether each ``any related`` holds (by mode), and
    the records under objection of its current related subjects."""
    d = em.d
    columns = [
        "bool_or(o.has_pending) AS rel_has_pending",
        f"{d.flatten_lists('o.own_pending')} AS rel_pending",
    ]
    for i, (node, _, _) in enumerate(em.related):
        roles = d.strings(r.value for r in node.roles)
        columns += [f"bool_or(l.role IN {roles} AND o.b{i}_{m}) AS rel{i}_{m}" for m in _MODES]
    sql = (
        f"SELECT l.subject_id AS entity, {', '.join(columns)} FROM {LINKS_VIEW} l "
        f"JOIN {ENTITY_VIEW} o ON o.entity = l.other_id GROUP BY l.subject_id"
    )
    return View(RELATED_VIEW, sql)


def _eval_view(em: _Emitter, *, partitioned: bool) -> View:
    """``cr_eval``: entities with their related tests: the table conditions are read from.

    ``has_pending_full``: the matcher evaluates a second time, with records under objection,
    when the subject or a current related subject has one (engine._has_pending);
    ``pending_full`` lists them all (engine._all_pending). Partitioned: the entities of scope
    1 only (those whose hits the partition evaluates).
    """
    d = em.d
    related = "".join(
        f", COALESCE(r.rel{i}_{m}, FALSE) AS rel{i}_{m}"
        for i in range(len(em.related))
        for m in _MODES
    )
    others = f"COALESCE(r.rel_pending, {d.empty_list})"
    pending = d.sort_list(d.concat_lists(["e.own_pending", others]))
    sql = (
        "SELECT e.*, (e.has_pending OR COALESCE(r.rel_has_pending, FALSE)) AS has_pending_full, "
        f"{pending} AS pending_full{related} "
        f"FROM {ENTITY_VIEW} e LEFT JOIN {RELATED_VIEW} r ON r.entity = e.entity"
    )
    if partitioned:
        sql += f" WHERE e.entity IN (SELECT id FROM {SCOPE1_VIEW})"
    return View(EVAL_VIEW, sql)


#: the columns of a counted record a witness row carries as they are
_WITNESS_CARRIED = (
    "subject_id",
    "id",
    "decided_on",
    "dishonest_n",
    "exit_on",
    "end_n",
    "domain",
    "gravity_rank",
    "pending",
)
#: the columns of a counted record that :func:`_witness_columns` reads
_WITNESS_READS = (*_WITNESS_CARRIED, "kind", "category", "document_kind", "list_name")


def _witness_columns(d: Dialect, vocabulary: Vocabulary, policy: Policy) -> str:
    """The columns of a witness row, over a counted record ``f``: what the periods and checks
    read of it (``cr_info``), the record's texts reduced to the flags they decide, so that
    each witness row carries two strings (the record's subject and id) and no more.

    ``is_le``: a list entry; ``no_doc``: conduct of a kind other than a list entry without a
    legally effective document (proportion.DOCUMENT); ``bad_entry``: an entry of a list whose
    categories are restricted, in another category (proportion._listing_category).
    """
    le = d.string(RecordKind.LIST_ENTRY.value)
    restricted = []
    for name, list_def in sorted(vocabulary.lists.items()):
        allowed = list_categories(list_def, policy)
        if allowed:
            restricted.append(f"WHEN {d.string(name)} THEN f.category NOT IN {d.strings(allowed)}")
    bad_entry = (
        f"(f.kind = {le} AND f.category IS NOT NULL AND "
        f"COALESCE(CASE f.list_name {' '.join(restricted)} END, FALSE))"
        if restricted
        else "FALSE"
    )
    columns = [f"f.{c}" for c in _WITNESS_CARRIED]
    columns += [
        f"(f.kind = {le}) AS is_le",
        f"(f.kind <> {le} AND f.gravity_rank IS NOT NULL AND f.document_kind IS NULL) AS no_doc",
        f"{bad_entry} AS bad_entry",
    ]
    return ", ".join(columns)


def _measure_sql(
    em: _Emitter, item: MeasureCondition, number: int
) -> tuple[list[str], list[str], list[str]]:
    """The hits and the witness rows of one measure (the only per-measure SQL).

    Witnesses of a measure whose parts are all selected whenever it holds (no ``or`` to
    choose among, no rating) are left to one shared join on the hit's ``scan`` (``em.scans``).
    Witnesses of related subjects are the second list.
    """
    d = em.d
    measure = item.measure
    condition = item.checked.condition
    keys = triggers(item.checked)
    mid = d.string(measure.id)
    relmodes = ["full", "bare"] if _uses_related(condition) else ["both"]
    if not measure.target_roles and "bare" in relmodes:
        relmodes.remove("bare")
    hits = []
    witnesses = []
    related = []
    columns = em.witness_columns
    for relmode in relmodes:
        bare = relmode == "bare"
        held = {m: em.holds(condition, m, bare=bare) for m in _MODES}
        # In its own mode a hit's condition holds, so the root is selected ("TRUE"); a part
        # needs the entity row only under an `or` (first item that holds) or for a rating.
        selected = {m: em.selections(condition, m, "TRUE", bare=bare, e="e.") for m in _MODES}
        simple = all(
            sel == "TRUE" and leaf.kind != "rating"
            for m in _MODES
            for sel, leaf in selected[m]
            if isinstance(leaf, _Leaf)
        )
        scan = "CAST(NULL AS INTEGER)"
        if simple:
            leaves = [leaf for _, leaf in selected["c"] if isinstance(leaf, _Leaf)]
            if leaves:
                test = " OR ".join(sorted({em.leaf_match(leaf, "f.") for leaf in leaves}))
                scan = str(em.scans.setdefault(test, len(em.scans)))
        hits.append(
            f"SELECT entity, {mid} AS measure_id, {number} AS measure_no, '{relmode}' AS relmode, "
            f"CASE WHEN hc THEN 'c' ELSE 'p' END AS mode, {scan} AS scan FROM "
            f"(SELECT entity, is_person, {em.candidate(keys, bare=bare)} AS ok, "
            f"{held['c']} AS hc, ({'has_pending' if bare else 'has_pending_full'} "
            f"AND {held['p']}) AS hp FROM {EVAL_VIEW}) x "
            "WHERE ok AND (hc OR hp)" + (" AND NOT is_person" if bare else "")
        )
        # One scan of the records per measure and relation mode, for hits of both modes: a
        # hit's mode chooses its test (a counted-only hit never takes a pending record).
        hit = (
            f"FROM {HITS_VIEW} h JOIN {EVAL_VIEW} e ON e.entity = h.entity "
            f"AND h.measure_id = {mid} AND h.relmode = '{relmode}' "
        )
        own: dict[str, str] = {}
        scans: set[str] = set()
        for mode in _MODES:
            leaves_here = [(sel, leaf) for sel, leaf in selected[mode] if isinstance(leaf, _Leaf)]
            if leaves_here and not simple:
                own[mode] = _witness_tests(em, leaves_here, mode, "e.", scans)
        if own:
            witnesses.append(
                f"SELECT h.hit, h.measure_id, {columns} {hit}"
                f"JOIN {COUNTED_VIEW} f ON f.subject_id = h.entity "
                f"WHERE ({' OR '.join(sorted(scans))}) AND {_by_mode(own)}"
            )
        # the related parts, in the same places of both modes' selections
        for index_in_parts, (_, node) in enumerate(selected["c"]):
            if not isinstance(node, RelatedTest):
                continue
            index = em.related_index(node)
            roles = d.strings(r.value for r in node.roles)
            by_mode: dict[str, str] = {}
            scans = set()
            for mode in _MODES:
                sel, same = selected[mode][index_in_parts]
                assert same is node
                # the join keeps the related subjects whose body holds: its root is selected
                body_leaves = [
                    (s, leaf)
                    for s, leaf in em.selections(node.body, mode, "TRUE", bare=True, e="o.")
                    if isinstance(leaf, _Leaf)
                ]
                if body_leaves:
                    tests = _witness_tests(em, body_leaves, mode, "o.", scans)
                    by_mode[mode] = f"o.b{index}_{mode} AND {sel} AND ({tests})"
            if by_mode:
                related.append(
                    f"SELECT h.hit, h.measure_id, {columns} {hit}"
                    f"JOIN {LINKS_VIEW} l ON l.subject_id = h.entity AND l.role IN {roles} "
                    f"JOIN {ENTITY_VIEW} o ON o.entity = l.other_id "
                    f"JOIN {COUNTED_VIEW} f ON f.subject_id = l.other_id "
                    f"WHERE ({' OR '.join(sorted(scans))}) AND {_by_mode(by_mode)}"
                )
    return hits, witnesses, related


def _witness_tests(
    em: _Emitter, leaves: list[tuple[str, _Leaf]], mode: str, e: str, scans: set[str]
) -> str:
    """A record ``f`` witnesses one of the selected leaves for the entity row ``e``; the
    leaves' tests on the record alone are added to ``scans`` (the engine pushes them into the
    scan of the records)."""
    scans.update(em.leaf_match(leaf, "f.") for _, leaf in leaves)
    return " OR ".join(
        f"({sel} AND {em.witness_test(leaf, mode, 'f.', e)})" for sel, leaf in leaves
    )


def _by_mode(tests: dict[str, str]) -> str:
    """A hit's test by its mode (``c``: counted records only, so never a pending one)."""
    counted = f"(NOT f.pending AND ({tests['c']}))" if "c" in tests else "FALSE"
    pending = f"({tests['p']})" if "p" in tests else "FALSE"
    return f"(CASE WHEN h.mode = 'c' THEN {counted} ELSE {pending} END)"


def _witness_view(own: list[str], related: list[str], empty: str) -> View:
    """``cr_witness``: each witness of each hit once (compile.union: by identity).

    Branches of a hit's own records never overlap (the shared join gives a record once per
    hit, the per-measure branches are the other measures'); a related subject's record can be
    reached through two relations or two ``any related`` parts, so those rows are made
    distinct (they never meet the hit's own records: their subjects differ).
    """
    branches = list(own)
    if related:
        branches.append(f"SELECT DISTINCT * FROM ({' UNION ALL '.join(related)}) r")
    if not branches:
        return View(WITNESS_VIEW, empty)
    return View(WITNESS_VIEW, " UNION ALL ".join(branches))


def _measures_view(d: Dialect, measures: Sequence[Measure], policy: Policy) -> View:
    """``cr_measures``: the constants of each measure in force that the outcome views read."""
    t = d.text_type()

    def texts(values: Iterable[str]) -> str:
        items = [d.string(v) for v in values]
        return f"CAST({d.array(items)} AS {_list_type(d)})"

    rows = []
    # a measure's place among the ids in force in text order (the file order's second key)
    rank = {measure_id: n for n, measure_id in enumerate(sorted({m.id for m in measures}))}
    for m in measures:
        period = m.duration.period if m.duration.kind is DurationKind.PERIOD else None
        required = policy.proportion.get(m.impact)
        restriction = m.kind is MeasureKind.RESTRICTION
        blockable = m.kind is MeasureKind.INCENTIVE and not m.overrides_restrictions
        values = [
            d.string(m.id),
            _bool(restriction),
            _bool(blockable),
            _bool(m.advisory),
            d.string(m.duration.kind.value),
            str(period.years * 12 + period.months) if period is not None else "NULL",
            str(period.days) if period is not None else "NULL",
            texts(m.domains),
            _bool(bool(m.domains)),
            str(required.rank) if required is not None else "NULL",
            texts(k.value for k in m.target_kinds),
            texts(r.value for r in m.target_roles),
            str(rank[m.id]),
        ]
        rows.append("(" + ", ".join(values) + ")")
    names = (
        "measure_id, restriction, blockable, advisory, duration, months, days, domains, "
        "has_domains, required, target_kinds, target_roles, measure_rank"
    )
    if not rows:
        empty = f"CAST({d.array([])} AS {_list_type(d)})"
        return View(
            MEASURES_VIEW,
            f"SELECT CAST(NULL AS {t}) AS measure_id, FALSE AS restriction, FALSE AS blockable, "
            f"FALSE AS advisory, CAST(NULL AS {t}) AS duration, CAST(NULL AS INTEGER) AS months, "
            f"CAST(NULL AS INTEGER) AS days, {empty} AS domains, FALSE AS has_domains, "
            f"CAST(NULL AS INTEGER) AS required, {empty} AS target_kinds, "
            f"{empty} AS target_roles, CAST(NULL AS INTEGER) AS measure_rank "
            f"FROM {SUBJECTS_VIEW} WHERE FALSE",
        )
    return View(MEASURES_VIEW, f"SELECT * FROM (VALUES {', '.join(rows)}) AS v({names})")


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def _list_type(d: Dialect) -> str:
    return "ARRAY<STRING>" if d.name == "spark" else "VARCHAR[]"


def _info_view(d: Dialect, as_of: datetime.date, policy: Policy, vocabulary: Vocabulary) -> View:
    """``cr_info``: per hit, its period, runtime checks and status (engine.Engine._worked)."""
    relevant = f"COALESCE({d.contains('m.domains', 'w.domain')}, FALSE)"
    rows = (
        f"SELECT w.*, {relevant} AS relevant FROM {WITNESS_VIEW} w "
        f"JOIN {MEASURES_VIEW} m ON m.measure_id = w.measure_id"
    )
    agg = (
        "SELECT hit, count(*) AS n_w, count_if(dishonest_n) AS n_dis, "
        "max(decided_on) AS start_all, "
        "max(decided_on) FILTER (WHERE dishonest_n) AS start_dis, "
        "count_if(end_n IS NULL) AS open_all, max(end_n) AS end_all, "
        "count_if(dishonest_n AND end_n IS NULL) AS open_dis, "
        "max(end_n) FILTER (WHERE dishonest_n) AS end_dis, "
        "count_if(is_le) AS n_le, "
        "max(decided_on) FILTER (WHERE is_le) AS start_le, "
        "count_if(is_le AND exit_on IS NULL) AS open_le, "
        "max(exit_on) FILTER (WHERE is_le) AS exit_le, "
        "count_if(no_doc) AS n_nodoc, "
        "count_if(bad_entry) AS n_badlist, "
        "count_if(relevant) AS n_rel, "
        "max(gravity_rank) AS grav_all, "
        "max(gravity_rank) FILTER (WHERE relevant) AS grav_rel, "
        f"{d.sorted_list('id', 'TRUE')} AS records, "
        f"{d.sorted_list('id', 'pending')} AS pending_ids "
        f"FROM ({rows}) w0 GROUP BY hit"
    )
    # The records under objection an entity's evaluation saw are read by suspended hits
    # alone (mode p): only those are joined to them.
    no_list = f"CAST(NULL AS {_list_type(d)})"
    hits = (
        f"SELECT hit, entity, measure_id, relmode, mode, {no_list} AS own_pending, "
        f"{no_list} AS pending_full FROM {HITS_VIEW} WHERE mode = 'c' UNION ALL "
        "SELECT h.hit, h.entity, h.measure_id, h.relmode, h.mode, e.own_pending, e.pending_full "
        f"FROM {HITS_VIEW} h LEFT JOIN (SELECT entity, own_pending, pending_full FROM {EVAL_VIEW} "
        "WHERE has_pending_full) e ON e.entity = h.entity WHERE h.mode = 'p'"
    )
    counts = (
        "n_w",
        "n_dis",
        "open_all",
        "open_dis",
        "n_le",
        "open_le",
        "n_nodoc",
        "n_badlist",
        "n_rel",
    )
    joined = (
        "SELECT h.entity, h.measure_id, h.relmode, h.mode, m.restriction, m.advisory, "
        "m.duration, m.months, m.days, m.has_domains, m.required, "
        + ", ".join(f"COALESCE(w.{c}, 0) AS {c}" for c in counts)
        + ", w.start_all, w.start_dis, w.end_all, w.end_dis, w.start_le, w.exit_le, "
        "w.grav_all, w.grav_rel, "
        f"COALESCE(w.records, {d.empty_list}) AS records, "
        f"COALESCE(w.pending_ids, {d.empty_list}) AS pending_ids "
        f", COALESCE(h.own_pending, {d.empty_list}) AS own_pending, "
        f"COALESCE(h.pending_full, {d.empty_list}) AS pending_full "
        f"FROM ({hits}) h JOIN {MEASURES_VIEW} m ON m.measure_id = h.measure_id "
        f"LEFT JOIN ({agg}) w ON w.hit = h.hit"
    )
    # engine._period
    null = "CAST(NULL AS DATE)"
    start0 = "(CASE WHEN n_dis > 0 THEN start_dis ELSE start_all END)"
    end_repair = (
        f"(CASE WHEN n_w = 0 THEN {null} "
        f"WHEN n_dis > 0 THEN (CASE WHEN open_dis > 0 THEN {null} ELSE end_dis END) "
        f"ELSE (CASE WHEN open_all > 0 THEN {null} ELSE end_all END) END)"
    )
    listed = "duration = 'while_listed' AND n_le > 0"
    start = f"(CASE WHEN {listed} THEN start_le ELSE {start0} END)"
    end = (
        f"(CASE WHEN duration = 'permanent' THEN {null} "
        f"WHEN duration = 'period' THEN {d.shift_by(start0, 'months', 'days')} "
        f"WHEN {listed} THEN (CASE WHEN open_le > 0 THEN {null} ELSE exit_le END) "
        f"ELSE {end_repair} END)"
    )
    ends_by = (
        "(CASE WHEN duration IN ('permanent', 'period') THEN duration "
        f"WHEN {listed} THEN 'list_exit' ELSE 'repair' END)"
    )
    # proportion.runtime_checks: the codes of the failed checks, in their order
    failed = [
        (DOCUMENT, "restriction AND n_nodoc > 0"),
        (LISTING_CATEGORY, "restriction AND n_badlist > 0"),
        (RELEVANCE, "has_domains AND n_rel = 0"),
        (
            GRAVITY,
            "restriction AND required IS NOT NULL AND (CASE WHEN has_domains "
            "THEN n_rel > 0 AND (grav_rel IS NULL OR grav_rel < required) "
            "ELSE grav_all IS NULL OR grav_all < required END)",
        ),
    ]
    codes = d.concat_lists(
        [
            f"CASE WHEN {test} THEN {d.array([d.string(code)])} ELSE {d.empty_list} END"
            for code, test in failed
        ]
    )
    periods = (
        f"SELECT entity, measure_id, relmode, mode, advisory, {start} AS start_date, "
        f"{end} AS end_date, {ends_by} AS ends_by, {codes} AS failed_checks, records, "
        # through a negation a suspended measure names no record: then every record under
        # objection the evaluation saw is what tips it (engine._all_pending)
        f"CASE WHEN mode = 'p' AND {d.size('pending_ids')} = 0 THEN pending_full "
        "ELSE pending_ids END AS pending_full, "
        f"CASE WHEN mode = 'p' AND {d.size('pending_ids')} = 0 THEN own_pending "
        "ELSE pending_ids END AS pending_bare "
        f"FROM ({joined}) j"
    )
    status = (
        # a failed check decides even under objection (resolving it cannot make it apply)
        f"CASE WHEN {d.size('failed_checks')} > 0 THEN 'set_aside' "
        "WHEN mode = 'p' THEN 'suspended' "
        f"WHEN end_date IS NOT NULL AND end_date <= {d.date(as_of)} THEN 'ended' "
        "WHEN advisory THEN 'advisory' ELSE 'applies' END"
    )
    sql = (
        f"SELECT entity, measure_id, relmode, {status} AS status, start_date, end_date, "
        "ends_by, records, pending_full, pending_bare, failed_checks FROM "
        f"({periods}) p"
    )
    return View(INFO_VIEW, sql, True)


def _targets_view(d: Dialect, *, partitioned: bool, keyed: bool = False) -> View:
    """``cr_targets`` (engine._outcomes): the subject itself, persons through an organisation,
    and a person through the organisations they hold a role in (each relation once: the
    matcher's de-duplication of repeated relations).

    Partitioned: for the partition's own subjects only (its target links are theirs).
    """
    t = d.text_type()
    full, bare = (
        "i.status, i.start_date, i.end_date, i.ends_by, i.records, "
        f"i.{pending} AS pending, i.failed_checks, "
        "m.restriction AS is_restriction, m.blockable AS blockable"
        for pending in ("pending_full", "pending_bare")
    )
    if keyed:
        # (subject, measure) in file order as one number (ORDER_KEY), for the Arrow sort
        full += f", {_order_key('s')}"
        bare += f", {_order_key('p')}"
    joins = f"JOIN {MEASURES_VIEW} m ON m.measure_id = i.measure_id"
    sql = (
        f"SELECT i.entity AS subject_id, i.measure_id, i.entity AS target_id, "
        f"CAST(NULL AS {t}) AS via_id, CAST(NULL AS {t}) AS role, {full} "
        f"FROM {INFO_VIEW} i {joins} JOIN {ENTITY_VIEW} s ON s.entity = i.entity "
        f"WHERE i.relmode IN ('full', 'both') AND {d.contains('m.target_kinds', 's.kind')} "
        + (
            f"AND i.entity IN (SELECT id FROM {SCOPE1_VIEW} WHERE bucket = {PART_MARK}) "
            if partitioned
            else ""
        )
        + "UNION ALL "
        f"SELECT i.entity AS subject_id, i.measure_id, l.other_id AS target_id, "
        f"i.entity AS via_id, l.role AS role, {full} "
        f"FROM {INFO_VIEW} i {joins} JOIN {ENTITY_VIEW} s ON s.entity = i.entity "
        f"JOIN {TARGET_LINKS_VIEW} l ON l.subject_id = i.entity "
        "WHERE i.relmode IN ('full', 'both') AND NOT s.is_person AND l.other_is_person "
        f"AND {d.contains('m.target_roles', 'l.role')} "
        "UNION ALL "
        f"SELECT l.subject_id AS subject_id, i.measure_id, l.subject_id AS target_id, "
        f"i.entity AS via_id, l.role AS role, {bare} "
        f"FROM {INFO_VIEW} i {joins} JOIN {TARGET_LINKS_VIEW} l ON l.other_id = i.entity "
        f"JOIN {ENTITY_VIEW} p ON p.entity = l.subject_id "
        "WHERE i.relmode IN ('bare', 'both') AND p.is_person AND NOT l.other_is_person "
        f"AND {d.contains('m.target_roles', 'l.role')}"
    )
    return View(TARGETS_VIEW, sql, True)


#: a DuckDB result's column ranking its rows by (subject_id, measure_id) as text: the
#: subject's rank among the population's ids, then the measure's among the catalog's
ORDER_KEY = "order_key"
#: the measure ranks a subject's rank is multiplied by (more than any catalog's measures)
_MEASURE_RANKS = 1 << 24


def _order_key(subject: str) -> str:
    """``ORDER_KEY`` of a target row whose subject is the ``cr_entity`` row ``subject``."""
    return f"CAST({subject}.id_rank AS BIGINT) * {_MEASURE_RANKS} + m.measure_rank AS {ORDER_KEY}"


def _outcomes_view(d: Dialect, *, keyed: bool = False) -> View:
    """engine._withhold: incentives not given under a restriction in force (per decision and
    target).

    Only an incentive in force that a restriction can block needs the restrictions of its
    decision and target: those rows are joined to them, every other row passes as it is.
    """
    in_force = d.strings(_IN_FORCE)
    # INVARIANT: cr_targets has one row per key (targets come from distinct links, and a
    # hit is one row per entity, measure and relation mode), so the matcher's de-duplication
    # (in engine.Engine._outcomes) keeps all.
    blockable = f"blockable AND status IN {in_force}"
    wanted = f"SELECT DISTINCT subject_id, target_id FROM {TARGETS_VIEW} WHERE {blockable}"
    blockers = (
        f"SELECT r.subject_id, r.target_id, {d.sorted_set('r.measure_id')} AS blockers "
        f"FROM {TARGETS_VIEW} r JOIN ({wanted}) w "
        "ON w.subject_id = r.subject_id AND w.target_id = r.target_id "
        f"WHERE r.is_restriction AND r.status IN {in_force} "
        "GROUP BY r.subject_id, r.target_id"
    )
    columns = "t.subject_id, t.measure_id, t.target_id, t.via_id, t.role"
    dates = "t.start_date, t.end_date, t.ends_by, t.records, t.pending, t.failed_checks"
    key = f", t.{ORDER_KEY}" if keyed else ""
    sql = (
        f"SELECT {columns}, t.status, {dates}, {d.empty_list} AS withheld_by{key} "
        f"FROM {TARGETS_VIEW} t WHERE NOT ({blockable}) "
        "UNION ALL "
        f"SELECT {columns}, "
        "CASE WHEN b.blockers IS NOT NULL THEN 'withheld' ELSE t.status END AS status, "
        f"{dates}, COALESCE(b.blockers, {d.empty_list}) AS withheld_by{key} "
        f"FROM {TARGETS_VIEW} t LEFT JOIN ({blockers}) b "
        "ON b.subject_id = t.subject_id AND b.target_id = t.target_id "
        f"WHERE t.{blockable}"
    )
    return View(OUTCOMES_VIEW, sql)
