"""Compile checked conditions into Python functions that evaluate one subject.

Input: :class:`~credit_rules.check.Checked` conditions and a name for each (the measure id).
Output: :class:`CompiledCondition` callables taking an :class:`Env` (one subject's records as of
a date, built by :func:`make_env`) and returning the witnesses: ``None`` when the condition is
false, else the tuple of records that made it true (``()`` when it is true without records).
Errors: :class:`~credit_rules.errors.CompileError` (``CR-E321``) if Python refuses the generated
code, which only a condition far beyond the parser's nesting limit could cause.

The generated source is straight-line Python: one function per ``and``/``or``/``related``,
record filters as inline boolean expressions over ``r``, plain loops over the records of the
one kind a filter allows when it allows one. Nothing is parsed or walked at evaluation time.
User text reaches the source only as ``repr`` of a string or as a validated enum member; the
module gets a unique file name registered in ``linecache`` and comments naming the measure and
each part's position, so tracebacks and profilers show readable code.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import itertools
import linecache
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

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
    query_kinds,
)
from credit_rules.errors import CompileError, error
from credit_rules.facts import Facts, current_ratings, window_start
from credit_rules.model import (
    DISHONEST_KINDS,
    Period,
    Record,
    RecordKind,
    Role,
    Severity,
    Subject,
    SubjectKind,
)
from credit_rules.printer import to_text

Witnesses = tuple[Record, ...]


class Env:
    """One subject as the language sees it on ``as_of``: the records that count, indexed.

    ``records`` are the counted records (plus the pending ones when evaluating with them),
    ordered by (decided_on, id). ``related`` pairs each current relation's role with the
    related subject's own Env; :func:`make_env` builds those only when a condition first
    asks for them (most subjects' evaluations never do).
    """

    __slots__ = (
        "_related",
        "_related_facts",
        "as_of",
        "by_kind",
        "dishonest",
        "lists",
        "minor",
        "ratings",
        "records",
        "subject",
    )

    def __init__(
        self,
        *,
        as_of: datetime.date,
        subject: Subject,
        minor: bool,
        records: tuple[Record, ...],
        related: tuple[tuple[Role, Env], ...] = (),
        related_facts: tuple[Facts, bool] | None = None,
    ) -> None:
        self.as_of = as_of
        self.subject = subject
        self.minor = minor
        self.records = records
        self._related: tuple[tuple[Role, Env], ...] | None = (
            related if related_facts is None else None
        )
        #: (facts whose related subjects these are, include_pending), until first asked
        self._related_facts = related_facts
        groups: dict[RecordKind, list[Record]] = {}
        dishonest: list[Record] = []
        for record in records:
            kind = record.kind
            group = groups.get(kind)
            if group is None:
                groups[kind] = [record]
            else:
                group.append(record)
            flag = record.dishonest  # facts.counts_as_dishonest, inlined
            if flag is True or (flag is None and kind in DISHONEST_KINDS):
                dishonest.append(record)
        #: the records of dishonest conduct, in ``records`` order
        self.dishonest: tuple[Record, ...] = tuple(dishonest)
        by_kind: dict[RecordKind, tuple[Record, ...]] = {}
        for kind, group in groups.items():
            by_kind[kind] = tuple(group)
        #: records by kind, in ``records`` order
        self.by_kind = by_kind
        #: list entries by list name, in ``records`` order (never empty)
        self.lists: dict[str, tuple[Record, ...]] = {}
        entries = by_kind.get(_LIST_ENTRY)
        if entries is not None:
            lists: dict[str, list[Record]] = {}
            for record in entries:
                if record.list_name is not None:
                    lists.setdefault(record.list_name, []).append(record)
            self.lists = {k: tuple(v) for k, v in lists.items()}
        #: the current rating per scheme
        self.ratings: Mapping[str, Record] = _NO_RATINGS
        ratings = by_kind.get(_RATING)
        if ratings is not None:
            self.ratings = current_ratings(ratings)

    @property
    def related(self) -> tuple[tuple[Role, Env], ...]:
        """(role, Env) of each current related subject."""
        related = self._related
        if related is None:
            assert self._related_facts is not None
            facts, include_pending = self._related_facts
            related = self._related = tuple(
                (relation.role, make_env(related_facts, include_pending=include_pending))
                for relation, related_facts in facts.related
            )
        return related

    def window_start(self, period: Period) -> datetime.date:
        """The last day outside ``within period``: records decided after it count."""
        return _window(self.as_of, period.years, period.months, period.days)


_LIST_ENTRY = RecordKind.LIST_ENTRY
_RATING = RecordKind.RATING
_NO_RATINGS: Mapping[str, Record] = {}


#: the order of ``Env.records``: (decided_on, id)
_order = operator.attrgetter("decided_on", "id")


def make_env(facts: Facts, *, include_pending: bool) -> Env:
    """The Env of a subject's facts (and, recursively, of its current related subjects).

    Args:
        facts: the subject's records as classified by ``facts.build_facts``.
        include_pending: also count records whose objection is pending (the second of the two
            evaluations that tell "applies" from "suspended").
    """
    records = facts.counted
    if include_pending and facts.pending:
        records = tuple(sorted((*facts.counted, *facts.pending), key=_order))
    return Env(
        as_of=facts.as_of,
        subject=facts.subject,
        minor=facts.minor,
        records=records,
        related_facts=(facts, include_pending) if facts.related else None,
    )


def requires_dishonest(node: Condition) -> bool:
    """Whether only records of dishonest conduct can pass the filter."""
    if isinstance(node, DishonestTest):
        return node.value
    if isinstance(node, AllOf):
        return any(requires_dishonest(item) for item in node.items)
    if isinstance(node, AnyOf):
        return all(requires_dishonest(item) for item in node.items)
    return False


def _without_dishonest(node: Condition) -> Condition | None:
    """A filter without its top-level ``dishonest`` parts (None: nothing else is left)."""
    if isinstance(node, DishonestTest) and node.value:
        return None
    if isinstance(node, AllOf):
        rest = [item for item in node.items if not (isinstance(item, DishonestTest) and item.value)]
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else AllOf(tuple(rest))
    return node


def union(*parts: Witnesses) -> Witnesses:
    """Witnesses of several parts: each record once (by identity), in order of appearance."""
    result: Witnesses | None = None
    seen: set[int] | None = None
    for part in parts:
        if not part:
            continue
        if result is None:
            result = part
            continue
        if seen is None:
            seen = {id(record) for record in result}
        extra = []
        for record in part:
            if id(record) not in seen:
                seen.add(id(record))
                extra.append(record)
        if extra:
            result = result + tuple(extra)
    return result if result is not None else ()


@attrs.frozen(slots=True)
class CompiledCondition:
    """A compiled condition: call it with an Env to get its witnesses (None when false)."""

    name: str
    checked: Checked
    function: Callable[[Env], Witnesses | None] = attrs.field(repr=False)
    #: the generated module's text and its pseudo file name (registered in linecache)
    source: str = attrs.field(repr=False)
    filename: str

    def __call__(self, env: Env) -> Witnesses | None:
        """Evaluate for one subject; ``function`` is the same without this extra call."""
        return self.function(env)


def compile_condition(checked: Checked, *, name: str) -> CompiledCondition:
    """Compile one checked condition; ``name`` (the measure id) appears in the source."""
    return compile_conditions([(name, checked)])[0]


_counter = itertools.count(1)


def compile_conditions(items: Iterable[tuple[str, Checked]]) -> tuple[CompiledCondition, ...]:
    """Compile several conditions into one generated module (one ``compile`` call).

    Raises:
        CompileError: if Python rejects the generated code.
    """
    pairs = list(items)
    if not pairs:
        return ()
    number = next(_counter)
    label = _comment(pairs[0][0]) if len(pairs) == 1 else f"{len(pairs)} conditions"
    filename = f"<credit_rules when {label} #{number}>"
    namespace: dict[str, object] = dict(GENERATED_GLOBALS)
    try:
        generator = Generator()
        entries = [generator.condition(name, checked) for name, checked in pairs]
        source = generator.module(f"{label} (compiled module #{number})")
        code = compile(source, filename, "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as problem:
        first = pairs[0][1]
        raise CompileError(
            [
                error(
                    "CR-E321",
                    f"condition cannot be compiled: {type(problem).__name__}",
                    first.expr.span,
                    help="simplify the condition",
                )
            ]
        ) from None
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(code, namespace)  # generated code only: user text appears as repr() literals
    compiled = []
    for (name, checked), entry in zip(pairs, entries, strict=True):
        function = namespace[entry]
        assert callable(function)
        compiled.append(CompiledCondition(name, checked, function, source, filename))
    return tuple(compiled)


@functools.lru_cache(maxsize=4096)
def _window(as_of: datetime.date, years: int, months: int, days: int) -> datetime.date:
    """The window start of ``Env.window_start``, cached by plain values (hashed in C: the
    generated code calls it with the period's numbers)."""
    return window_start(as_of, Period(years, months, days))


#: below this many records a linear scan is cheaper than a binary search for the window
_BISECT_FROM = 24

GENERATED_GLOBALS: dict[str, object] = {
    "__builtins__": {"tuple": tuple, "len": len, "frozenset": frozenset},
    "_union": union,
    "_window": _window,
    "_DISHONEST_KINDS": DISHONEST_KINDS,
    "_DECIDED": operator.attrgetter("decided_on"),
    "_bisect_left": bisect.bisect_left,
    "_bisect_right": bisect.bisect_right,
    "datetime": datetime,
    "Period": Period,
    "RecordKind": RecordKind,
    "Severity": Severity,
    "SubjectKind": SubjectKind,
    "Role": Role,
}

PY_OPS = {
    CompareOp.EQ: "==",
    CompareOp.NE: "!=",
    CompareOp.LT: "<",
    CompareOp.LE: "<=",
    CompareOp.GT: ">",
    CompareOp.GE: ">=",
}


def _comment(text: str) -> str:
    """Text safe inside a one-line comment (no line breaks or other control characters)."""
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)


def _identifier(name: str) -> str:
    cleaned = re.sub(r"[^0-9A-Za-z_]", "_", name)
    return "when_" + cleaned


class Generator:
    """Writes the module: constants first, then one function per composite node."""

    def __init__(self) -> None:
        self.constants: dict[str, str] = {}  # expression → name
        self.constant_lines: list[str] = []
        self.functions: list[str] = []
        self.names: set[str] = set()
        self.base = ""
        self.helpers = 0
        self.variables = 0

    # module assembly

    def module(self, title: str) -> str:
        header = [
            f"# credit_rules: generated code for {_comment(title)}",
            "# Do not edit: regenerated from the catalog on every load.",
            "",
        ]
        return "\n".join([*header, *self.constant_lines, "", *self.functions]) + "\n"

    def condition(self, name: str, checked: Checked) -> str:
        """Generate the functions of one condition; return the entry function's name."""
        base = _identifier(name)
        suffix = 1
        while base in self.names:
            suffix += 1
            base = f"{_identifier(name)}_{suffix}"
        self.names.add(base)
        self.base = base
        self.helpers = 0
        span = checked.expr.span
        title = [
            f"# measure {_comment(name)}: {_comment(to_text(checked.expr))}",
            f"# written at {_comment(span.short())}",
        ]
        return self.function(checked.condition, title=title, entry=base)

    def constant(self, expression: str, prefix: str) -> str:
        name = self.constants.get(expression)
        if name is None:
            name = f"{prefix}{len(self.constants)}"
            self.constants[expression] = name
            self.constant_lines.append(f"{name} = {expression}")
        return name

    def member(self, value: RecordKind | Severity | SubjectKind | Role) -> str:
        enum_name = type(value).__name__
        prefix = {"RecordKind": "K_", "Severity": "S_", "SubjectKind": "SK_", "Role": "R_"}[
            enum_name
        ]
        name = f"{prefix}{value.name}"
        if name not in self.constants.values():
            self.constants[f"{enum_name}.{value.name}"] = name
            self.constant_lines.append(f"{name} = {enum_name}.{value.name}")
        return name

    def variable(self) -> str:
        self.variables += 1
        return f"v{self.variables}"

    # functions

    def function(
        self, node: Condition, *, title: list[str] | None = None, entry: str | None = None
    ) -> str:
        """A function ``name(env)`` returning the witnesses of ``node``."""
        if entry is None:
            self.helpers += 1
            name = f"{self.base}__{self.helpers}"
        else:
            name = entry
        where = f"# {type(node).__name__} at {_comment(node.span.short())}"
        body: list[str] = [*(f"    {line}" for line in title or ()), f"    {where}"]
        if isinstance(node, AllOf):
            parts = []
            for item in node.items:
                var = self.variable()
                self.emit(item, var, body, "    ")
                body += [f"    if {var} is None:", "        return None"]
                parts.append(var)
            body.append(f"    return _union({', '.join(parts)})")
        elif isinstance(node, AnyOf):
            for item in node.items:
                var = self.variable()
                self.emit(item, var, body, "    ")
                body += [f"    if {var} is not None:", f"        return {var}"]
            body.append("    return None")
        elif isinstance(node, RelatedTest):
            body_function = self.function(node.body)
            roles = self.membership("role", list(node.roles), negated=False)
            body.append("    found = None")
            body.append("    for role, other in env.related:")
            body.append(f"        if {roles}:")
            body.append(f"            w = {body_function}(other)")
            body.append("            if w is not None:")
            if node.quantifier is Quantifier.ANY:
                body.append("                found = w if found is None else _union(found, w)")
                body.append("    return found")
            else:
                body.append("                return None")
                body.append("    return ()")
        else:
            var = self.variable()
            self.emit(node, var, body, "    ")
            body.append(f"    return {var}")
        self.functions += [f"def {name}(env):", *body, "", ""]
        return name

    def emit(self, node: Condition, var: str, out: list[str], ind: str) -> None:
        """Statements that set ``var`` to the witnesses of ``node`` (None when false)."""
        if isinstance(node, AllOf | AnyOf | RelatedTest):
            out.append(f"{ind}{var} = {self.function(node)}(env)")
        elif isinstance(node, Negation):
            inner = self.variable()
            self.emit(node.item, inner, out, ind)
            out.append(f"{ind}{var} = () if {inner} is None else None")
        elif isinstance(node, Const):
            out.append(f"{ind}{var} = {'()' if node.value else 'None'}")
        elif isinstance(node, Listed):
            out.append(f"{ind}{var} = env.lists.get({node.list_name!r})")
        elif isinstance(node, RatingTest):
            grade = self.text_membership(f"{var}.grade", node.grades, negated=node.negated)
            out.append(f"{ind}{var} = env.ratings.get({node.scheme!r})")
            if node.negated:
                out.append(f"{ind}{var} = () if {var} is None else (({var},) if {grade} else None)")
            else:
                out.append(f"{ind}{var} = ({var},) if {var} is not None and {grade} else None")
        elif isinstance(node, SubjectKindTest | SubjectFlagTest | RegionTest):
            out.append(f"{ind}{var} = () if {self.test(node)} else None")
        elif isinstance(node, Exists):
            self.exists(node, var, out, ind)
        elif isinstance(node, CountTest):
            self.count(node, var, out, ind)
        else:
            raise AssertionError(f"record test outside a filter: {node!r}")

    # record queries

    def source(self, query: Query, out: list[str], ind: str) -> tuple[str, str | None]:
        """(iterable of candidate records, per-record test or None when every one passes)."""
        kinds = query_kinds(query)
        if kinds is not None and len(kinds) == 1:
            (kind,) = kinds
            records = f"env.by_kind.get({self.member(kind)}, ())"
        elif kinds is not None and not kinds:
            records = "()"
        elif query.filter is not None and requires_dishonest(query.filter):
            records = "env.dishonest"
        else:
            records = "env.records"
        filter_ = query.filter
        if records == "env.dishonest" and filter_ is not None:
            filter_ = _without_dishonest(filter_)  # every record there passes that part
        tests: list[str] = []
        if isinstance(query.window, Within):
            start = self.variable()
            period = query.window.period
            out.append(
                f"{ind}{start} = _window(env.as_of, {period.years}, {period.months}, {period.days})"
            )
            tests.append(f"r.decided_on > {start}")
            records = self.skip_before(records, "_bisect_right", start, out, ind)
        elif isinstance(query.window, Since):
            since = self.date(query.window.date)
            tests.append(f"r.decided_on >= {since}")
            records = self.skip_before(records, "_bisect_left", since, out, ind)
        if filter_ is not None:
            tests.append(self.test(filter_))
        return records, " and ".join(tests) if tests else None

    def skip_before(self, records: str, bisect: str, bound: str, out: list[str], ind: str) -> str:
        """Records are in date order: with many, start at the first one inside the window."""
        if records == "()":
            return records
        source = self.variable()
        out.append(f"{ind}{source} = {records}")
        out.append(f"{ind}if len({source}) > {_BISECT_FROM}:")
        out.append(f"{ind}    {source} = {source}[{bisect}({source}, {bound}, key=_DECIDED):]")
        return source

    def exists(self, node: Exists, var: str, out: list[str], ind: str) -> None:
        records, test = self.source(node.query, out, ind)
        if node.quantifier is Quantifier.ANY:
            if test is None:
                out.append(f"{ind}{var} = {records} or None")
            else:
                self.select(var, records, test, out, ind)
                out.append(f"{ind}{var} = tuple({var}) if {var} else None")
        elif test is None:
            out.append(f"{ind}{var} = None if {records} else ()")
        else:
            out.append(f"{ind}{var} = ()")
            out.append(f"{ind}for r in {records}:")
            out.append(f"{ind}    if {test}:")
            out.append(f"{ind}        {var} = None")
            out.append(f"{ind}        break")

    def count(self, node: CountTest, var: str, out: list[str], ind: str) -> None:
        records, test = self.source(node.query, out, ind)
        op = PY_OPS[node.op]
        if test is None:
            out.append(f"{ind}{var} = {records}")
            out.append(f"{ind}{var} = {var} if len({var}) {op} {node.value} else None")
        else:
            self.select(var, records, test, out, ind)
            out.append(f"{ind}{var} = tuple({var}) if len({var}) {op} {node.value} else None")

    def select(self, var: str, records: str, test: str, out: list[str], ind: str) -> None:
        """``var``: the list of the records that pass ``test`` (a loop: on CPython 3.11 a
        comprehension costs a function object and a call, which most record lists are too
        short to repay)."""
        out.append(f"{ind}{var} = []")
        out.append(f"{ind}for r in {records}:")
        out.append(f"{ind}    if {test}:")
        out.append(f"{ind}        {var}.append(r)")

    # boolean expressions (filters and subject tests)

    def test(self, node: Condition) -> str:
        """A Python boolean expression for a filter (over ``r``) or a subject test."""
        if isinstance(node, AllOf):
            return "(" + " and ".join(self.test(item) for item in node.items) + ")"
        if isinstance(node, AnyOf):
            return "(" + " or ".join(self.test(item) for item in node.items) + ")"
        if isinstance(node, Negation):
            return f"(not {self.test(node.item)})"
        if isinstance(node, Const):
            return "True" if node.value else "False"
        if isinstance(node, KindTest):
            return self.membership("r.kind", sorted(node.kinds, key=_rank), negated=node.negated)
        if isinstance(node, SeverityTest):
            return self.membership(
                "r.severity", sorted(node.severities, key=_rank), negated=node.negated
            )
        if isinstance(node, TextTest):
            if node.field == "document":
                inner = self.text_membership("r.document.kind", node.values, negated=node.negated)
                if node.negated:
                    return f"(r.document is None or {inner})"
                return f"(r.document is not None and {inner})"
            attribute = "r." + {"list": "list_name"}.get(node.field, node.field)
            return self.text_membership(attribute, node.values, negated=node.negated)
        if isinstance(node, TagTest):
            return f"{node.tag!r} {'not in' if node.negated else 'in'} r.tags"
        if isinstance(node, DishonestTest):
            # facts.counts_as_dishonest: the flag, or the kind when the flag is None
            test = "(r.dishonest is True or (r.dishonest is None and r.kind in _DISHONEST_KINDS))"
            return test if node.value else f"(not {test})"
        if isinstance(node, DateTest):
            return f"r.decided_on {PY_OPS[node.op]} {self.date(node.date)}"
        if isinstance(node, SubjectKindTest):
            return self.membership(
                "env.subject.kind", sorted(node.kinds, key=_rank), negated=node.negated
            )
        if isinstance(node, SubjectFlagTest):
            attribute = "env.minor" if node.attribute == "minor" else "env.subject.state_owned"
            return f"{attribute} is {node.value}"
        if isinstance(node, RegionTest):
            return self.text_membership("env.subject.region", node.regions, negated=node.negated)
        raise AssertionError(f"not a test: {node!r}")

    def membership(
        self,
        subject: str,
        values: Sequence[RecordKind | Severity | SubjectKind | Role],
        *,
        negated: bool,
    ) -> str:
        """``subject`` is one of ``values`` (enum members compare by identity)."""
        names = [self.member(value) for value in values]
        if not names:
            return "True" if negated else "False"
        if len(names) == 1:
            return f"{subject} is {'not ' if negated else ''}{names[0]}"
        return f"{subject} {'not in' if negated else 'in'} ({', '.join(names)})"

    def text_membership(self, subject: str, values: frozenset[str], *, negated: bool) -> str:
        if len(values) == 1:
            (value,) = values
            return f"{subject} {'!=' if negated else '=='} {value!r}"
        items = ", ".join(repr(value) for value in sorted(values))
        constant = self.constant(f"frozenset({{{items}}})", "T")
        return f"{subject} {'not in' if negated else 'in'} {constant}"

    def date(self, date: datetime.date) -> str:
        return self.constant(f"datetime.date({date.year}, {date.month}, {date.day})", "D")


def _rank(value: RecordKind | Severity | SubjectKind | Role) -> int:
    return list(type(value)).index(value)
