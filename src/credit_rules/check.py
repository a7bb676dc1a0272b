"""Check a condition AST against the record model and a catalog's vocabulary.

Input: an :class:`~credit_rules.ast.Expr` and the catalog's
:class:`~credit_rules.model.Vocabulary`. Output: :class:`Checked`, holding the AST, its text
and a typed IR (the frozen classes below) in which every name is resolved to a model enum or a
declared vocabulary entry, and every comparison is normalised (``severity >= serious`` becomes
``SeverityTest({serious, severe})``). Errors: :class:`~credit_rules.errors.ConditionTypeError`
with every problem found, each positioned at the offending text:

- ``CR-E311`` unknown list, ``CR-E312`` unknown domain, ``CR-E313`` unknown rating scheme or
  grade, ``CR-E314`` unknown name (enum value, record field, subject attribute, function,
  role), each with a "did you mean" help where one is close;
- ``CR-E315`` type mismatch (``cannot compare severity with date``, a value used as a condition);
- ``CR-E316`` wrong use (a record field outside ``record where``, ``listed(...)`` inside it, a
  comparison with no field or with two);
- ``CR-E317`` unknown tag, when the vocabulary declares tags (an empty ``tags`` leaves tags
  unchecked).

IR invariants (relied on by ``compile.py``, ``lint.py`` and the engine):

- record tests (:data:`RecordTest`) occur only inside :attr:`Query.filter`;
- subject tests, :class:`Listed`, :class:`RatingTest`, :class:`Exists`, :class:`CountTest` and
  :class:`RelatedTest` occur only outside filters (subject tests may occur in both);
- :class:`AllOf` and :class:`AnyOf` have at least two items.
"""

from __future__ import annotations

import datetime
import difflib
import enum
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import attrs

from credit_rules import ast
from credit_rules.ast import CompareOp, Quantifier
from credit_rules.errors import ConditionTypeError, Diagnostic, error
from credit_rules.model import RatingScheme, RecordKind, Role, Severity, SubjectKind, Vocabulary
from credit_rules.printer import to_text
from credit_rules.spans import Span

# ---------------------------------------------------------------------------------------------
# The IR


@attrs.frozen(slots=True)
class Const:
    """Always true or always false (``true``, ``false``)."""

    value: bool
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class AllOf:
    """Every item holds (``and``)."""

    items: tuple[Condition, ...]
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class AnyOf:
    """At least one item holds (``or``); the first that holds gives the witnesses."""

    items: tuple[Condition, ...]
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Negation:
    """The item does not hold (``not``)."""

    item: Condition
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Listed:
    """``listed("name")``: a counted list entry of that list exists."""

    list_name: str
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class RatingTest:
    """The current rating of ``scheme`` has one of ``grades`` (or, negated, not; no rating
    counts as "not")."""

    scheme: str
    grades: frozenset[str]
    negated: bool = False
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class SubjectKindTest:
    """``subject.kind`` is (or, negated, is not) one of ``kinds``."""

    kinds: frozenset[SubjectKind]
    negated: bool = False
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class SubjectFlagTest:
    """``subject.minor`` or ``subject.state_owned`` equals ``value``."""

    attribute: str
    value: bool = True
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class RegionTest:
    """``subject.region`` is (or, negated, is not) one of ``regions``; no region is "not"."""

    regions: frozenset[str]
    negated: bool = False
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Query:
    """The records a quantifier or count looks at: those passing ``filter`` in ``window``."""

    filter: Condition | None
    window: ast.Within | ast.Since | None
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Exists:
    """``any record …`` (some record matches) or ``no record …`` (none does)."""

    quantifier: Quantifier
    query: Query
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class CountTest:
    """``count(record …) OP value``."""

    query: Query
    op: CompareOp
    value: int
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class RelatedTest:
    """``any related(roles): body`` / ``no related(roles): body`` over current relations."""

    quantifier: Quantifier
    roles: tuple[Role, ...]
    body: Condition
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class KindTest:
    """The record's kind is (or, negated, is not) one of ``kinds``."""

    kinds: frozenset[RecordKind]
    negated: bool = False
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class SeverityTest:
    """The record's severity is (or, negated, is not) one of ``severities``; none is "not"."""

    severities: frozenset[Severity]
    negated: bool = False
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


#: Text fields of a record a filter may test, with the Record attribute each reads.
TEXT_FIELDS: dict[str, str] = {
    "domain": "domain",
    "authority": "authority",
    "document": "document.kind",
    "list": "list_name",
    "scheme": "scheme",
    "grade": "grade",
    "category": "category",
}


@attrs.frozen(slots=True)
class TextTest:
    """A text field (see :data:`TEXT_FIELDS`) is (or, negated, is not) one of ``values``."""

    field: str
    values: frozenset[str]
    negated: bool = False
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class TagTest:
    """``"tag" in tags`` (or, negated, ``not in``)."""

    tag: str
    negated: bool = False
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class DishonestTest:
    """The record records dishonest conduct (``value`` true) or does not."""

    value: bool = True
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class DateTest:
    """``decided_on OP date`` (``in``/``not in`` are not used here)."""

    op: CompareOp
    date: datetime.date
    span: Span = attrs.field(default=ast.NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


SubjectTest = SubjectKindTest | SubjectFlagTest | RegionTest
RecordTest = KindTest | SeverityTest | TextTest | TagTest | DishonestTest | DateTest
Condition = (
    Const
    | AllOf
    | AnyOf
    | Negation
    | Listed
    | RatingTest
    | SubjectTest
    | Exists
    | CountTest
    | RelatedTest
    | RecordTest
)


def ir_children(node: Condition | Query) -> tuple[Condition | Query, ...]:
    """Direct children of an IR node (a query's filter counts as a child of the query)."""
    if isinstance(node, AllOf | AnyOf):
        return node.items
    if isinstance(node, Negation):
        return (node.item,)
    if isinstance(node, Exists | CountTest):
        return (node.query,)
    if isinstance(node, Query):
        return () if node.filter is None else (node.filter,)
    if isinstance(node, RelatedTest):
        return (node.body,)
    return ()


def walk(node: Condition | Query) -> Iterator[Condition | Query]:
    """Every IR node under ``node`` (itself first), depth first in source order."""
    stack: list[Condition | Query] = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(ir_children(current)))


@attrs.frozen(slots=True)
class Checked:
    """A condition that passed the checker: its AST, its text and its typed IR."""

    expr: ast.Expr
    condition: Condition
    text: str


# ---------------------------------------------------------------------------------------------
# Triggers


def triggers(checked: Checked | Condition) -> frozenset[str] | None:
    """Keys of the records without which the condition cannot hold, or None.

    A record matches ``kind:K`` when its kind is ``K``, ``list:N`` when it is a list entry of
    list ``N``; ``related`` matches when the subject has a current related subject. If the
    condition holds for a subject, the subject has a counted (or pending) record matching one
    of the keys, or the key ``related`` applies. None means the condition can hold with no
    records at all (``no record …``, ``not …``, subject attributes), so it must always be
    evaluated. An empty set means it can never hold.
    """
    condition = checked.condition if isinstance(checked, Checked) else checked
    return _triggers(condition)


def _union_of(
    items: tuple[Condition, ...], keys_of: Callable[[Condition], frozenset[str] | None]
) -> frozenset[str] | None:
    """Keys of an ``or``: every item's, or None when some item may hold without any key."""
    union: set[str] = set()
    for item in items:
        keys = keys_of(item)
        if keys is None:
            return None
        union |= keys
    return frozenset(union)


_ALL_KINDS = frozenset(f"kind:{kind.value}" for kind in RecordKind)


def _triggers(node: Condition) -> frozenset[str] | None:
    if isinstance(node, Const):
        return None if node.value else frozenset()
    if isinstance(node, Listed):
        return frozenset({f"list:{node.list_name}"})
    if isinstance(node, RatingTest):
        return None if node.negated else frozenset({f"kind:{RecordKind.RATING.value}"})
    if isinstance(node, Exists):
        if node.quantifier is Quantifier.NO:
            return None
        return _query_keys(node.query)
    if isinstance(node, CountTest):
        if compare(0, node.op, node.value):
            return None
        return _query_keys(node.query)
    if isinstance(node, RelatedTest):
        return frozenset({"related"}) if node.quantifier is Quantifier.ANY else None
    if isinstance(node, AllOf):
        known = [keys for keys in map(_triggers, node.items) if keys is not None]
        return min(known, key=len) if known else None
    if isinstance(node, AnyOf):
        return _union_of(node.items, _triggers)
    return None


def _query_keys(query: Query) -> frozenset[str]:
    keys = None if query.filter is None else _filter_keys(query.filter)
    return _ALL_KINDS if keys is None else keys


def _filter_keys(node: Condition) -> frozenset[str] | None:
    """Keys one of which every record passing the filter matches (None: any record may)."""
    if isinstance(node, KindTest) and not node.negated:
        return frozenset(f"kind:{kind.value}" for kind in node.kinds)
    if isinstance(node, TextTest) and node.field == "list" and not node.negated:
        return frozenset(f"list:{name}" for name in node.values)
    if isinstance(node, Const) and not node.value:
        return frozenset()
    if isinstance(node, AllOf):
        known = [keys for keys in map(_filter_keys, node.items) if keys is not None]
        return min(known, key=len) if known else None
    if isinstance(node, AnyOf):
        return _union_of(node.items, _filter_keys)
    return None


def index_keys(checked: Checked | Condition) -> frozenset[str] | None:
    """Like :func:`triggers`, with finer keys for the matcher's index (None: always evaluate).

    Besides ``kind:K``, ``list:N`` and ``related``, a key may name a *base* (``kind:K`` or
    ``dishonest``), a *facet* (``domain:D``, ``severity:S``, ``tag:T``), or a pair of them
    (``kind:K/domain:D``, ``dishonest/severity:S`` …); a record matches every key
    :func:`keys_of_record` gives it. ``related:K`` is matched by a subject with a current
    related subject that has a record matching ``K`` (``any related(…)`` whose body needs
    one). Where a filter allows a choice, the most specific keys are taken, so a measure is
    only evaluated for subjects with records it can use: the matcher's cost follows the
    records, not the size of the catalog.
    """
    condition = checked.condition if isinstance(checked, Checked) else checked
    return _index_keys(condition)


def keys_of_record(
    kind: RecordKind,
    list_name: str | None,
    dishonest: bool,
    domain: str | None,
    severity: Severity | None,
    tags: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """Every :func:`index_keys` / :func:`record_keys` key a (normalised) record matches."""
    bases = [f"kind:{kind.value}"]
    if dishonest:
        bases.append("dishonest")
    facets = [] if domain is None else [f"domain:{domain}"]
    if severity is not None:
        facets.append(f"severity:{severity.value}")
    facets += [f"tag:{tag}" for tag in sorted(tags)]
    keys = [*bases, *facets, *(f"{base}/{facet}" for base in bases for facet in facets)]
    if list_name is not None:
        keys.append(f"list:{list_name}")
    return tuple(keys)


def _index_keys(node: Condition) -> frozenset[str] | None:
    if isinstance(node, RelatedTest) and node.quantifier is Quantifier.ANY:
        # a related subject must have a record the body needs: ``related:`` and its key
        inner = _index_keys(node.body)
        if inner is None:
            return frozenset({"related"})
        return frozenset(f"related:{key}" for key in inner)
    if isinstance(node, Exists | CountTest):
        if (isinstance(node, Exists) and node.quantifier is Quantifier.NO) or (
            isinstance(node, CountTest) and compare(0, node.op, node.value)
        ):
            return None
        found = None if node.query.filter is None else _fine_filter_keys(node.query.filter)
        return _ALL_KINDS if found is None else found
    if isinstance(node, AllOf):
        return _most_specific([keys for keys in map(_index_keys, node.items) if keys is not None])
    if isinstance(node, AnyOf):
        return _union_of(node.items, _index_keys)
    return _triggers(node)


def _fine_filter_keys(node: Condition) -> frozenset[str] | None:
    """Keys one of which every record passing the filter matches, as specific as possible."""
    if isinstance(node, AnyOf):
        return _union_of(node.items, _fine_filter_keys)
    if not isinstance(node, AllOf):
        return _leaf_keys(node)
    known = [keys for keys in map(_fine_filter_keys, node.items) if keys is not None]
    bases: list[frozenset[str]] = []
    facets: list[frozenset[str]] = []
    for item in node.items:
        keys = _leaf_keys(item)
        if keys is None or any("/" in key for key in keys):
            continue  # a pair already (a nested ``and``): it is in ``known`` as it is
        family = {key.partition(":")[0] for key in keys}
        if family <= {"kind", "dishonest"}:
            bases.append(keys)
        elif family <= {"domain", "severity", "tag"}:
            facets.append(keys)
    kinds = [keys for keys in bases if keys and next(iter(keys)).startswith("kind:")]
    if len(kinds) > 1:
        known.append(frozenset.intersection(*kinds))
    for base in bases:
        for facet in facets:
            known.append(frozenset(f"{b}/{f}" for b in base for f in facet))
    return _most_specific(known)


def _leaf_keys(node: Condition) -> frozenset[str] | None:
    """The keys of one record test (None: records without a key may pass it)."""
    if isinstance(node, DishonestTest):
        return frozenset({"dishonest"}) if node.value else None
    if isinstance(node, TextTest) and node.field == "domain" and not node.negated:
        return frozenset(f"domain:{value}" for value in node.values)
    if isinstance(node, SeverityTest) and not node.negated:
        return frozenset(f"severity:{severity.value}" for severity in node.severities)
    if isinstance(node, TagTest) and not node.negated:
        return frozenset({f"tag:{node.tag}"})
    if isinstance(node, AllOf | AnyOf):
        return _fine_filter_keys(node)
    return _filter_keys(node)


#: how much each part of a key narrows the records that match it
_WEIGHTS = {
    "kind": 1,
    "dishonest": 1,
    "severity": 1,
    "related": 1,
    "domain": 3,
    "tag": 3,
    "list": 4,
}


def _specificity(key: str) -> int:
    if key.startswith("related:"):
        return _specificity(key.removeprefix("related:"))
    return sum(_WEIGHTS[part.partition(":")[0]] for part in key.split("/"))


def _most_specific(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """Of several key sets each sufficient on its own, the narrowest (None if none is known)."""
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda keys: (-min(map(_specificity, keys), default=99), len(keys), sorted(keys)),
    )


def record_keys(checked: Checked | Condition) -> frozenset[str] | None:
    """Keys of every record whose presence can change the condition's value, or None (any).

    The union over its parts (where :func:`triggers` needs one part): if no record added to a
    subject matches one of these keys (``related`` stands for any record of a related subject),
    every part sees the same records and the condition keeps its value. The matcher uses it to
    skip the second evaluation (with records under objection) when they cannot matter.
    """
    condition = checked.condition if isinstance(checked, Checked) else checked
    keys: set[str] = set()
    stack: list[Condition] = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, AllOf | AnyOf):
            stack.extend(node.items)
        elif isinstance(node, Negation):
            stack.append(node.item)
        elif isinstance(node, Listed):
            keys.add(f"list:{node.list_name}")
        elif isinstance(node, RatingTest):
            keys.add(f"kind:{RecordKind.RATING.value}")
        elif isinstance(node, Exists | CountTest):
            if node.query.filter is None:
                return None
            found = _fine_filter_keys(node.query.filter)
            if found is None:
                return None
            keys |= found
        elif isinstance(node, RelatedTest):
            keys.add("related")
    return frozenset(keys)


def query_kinds(query: Query) -> frozenset[RecordKind] | None:
    """The record kinds a query can match, when its filter restricts them (else None)."""
    if query.filter is None:
        return None
    return _narrowed(query.filter, _kinds_of_test)


def query_lists(query: Query) -> frozenset[str] | None:
    """The lists a list entry must be on to match a query, when its filter restricts them
    (else None; empty when no list entry can match)."""
    if query.filter is None:
        return None
    return _narrowed(query.filter, _lists_of_test)


_T = TypeVar("_T")


def _narrowed(
    node: Condition, leaf: Callable[[Condition], frozenset[_T] | None]
) -> frozenset[_T] | None:
    """The values a filter lets through, as ``leaf`` reads its tests (None: not restricted):
    an ``and`` lets through what all its restricted parts do, an ``or`` what any part does."""
    if isinstance(node, AllOf):
        result: frozenset[_T] | None = None
        for item in node.items:
            found = _narrowed(item, leaf)
            if found is not None:
                result = found if result is None else result & found
        return result
    if isinstance(node, AnyOf):
        union: set[_T] = set()
        for item in node.items:
            found = _narrowed(item, leaf)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    return leaf(node)


def _kinds_of_test(node: Condition) -> frozenset[RecordKind] | None:
    if isinstance(node, KindTest):
        return frozenset(RecordKind) - node.kinds if node.negated else node.kinds
    if isinstance(node, TextTest) and node.field == "list" and not node.negated:
        return frozenset({RecordKind.LIST_ENTRY})
    return None


def _lists_of_test(node: Condition) -> frozenset[str] | None:
    if isinstance(node, TextTest) and node.field == "list" and not node.negated:
        return node.values
    if isinstance(node, KindTest) and (RecordKind.LIST_ENTRY in node.kinds) is node.negated:
        return frozenset()  # no list entry passes
    return None


def compare(left: int, op: CompareOp, right: int) -> bool:
    """``left op right``, for a count or a rank (``in``/``not in`` are not comparisons)."""
    if op is CompareOp.EQ:
        return left == right
    if op is CompareOp.NE:
        return left != right
    if op is CompareOp.LT:
        return left < right
    if op is CompareOp.LE:
        return left <= right
    if op is CompareOp.GT:
        return left > right
    return left >= right


# ---------------------------------------------------------------------------------------------
# The checker


class _Type(enum.Enum):
    """What a value is, with the words messages use for it."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DURATION = "duration"
    TRUTH = "true or false"
    RECORD_KIND = "record kind"
    SEVERITY = "severity"
    SUBJECT_KIND = "subject kind"
    ROLE = "role"
    GRADE = "rating grade"
    TAGS = "tags"


_ENUM_TYPES: dict[_Type, type[enum.Enum]] = {
    _Type.RECORD_KIND: RecordKind,
    _Type.SEVERITY: Severity,
    _Type.SUBJECT_KIND: SubjectKind,
    _Type.ROLE: Role,
}
_ORDERED = frozenset({_Type.SEVERITY, _Type.GRADE, _Type.DATE, _Type.NUMBER})
_NO_SETS = frozenset({_Type.DATE, _Type.NUMBER, _Type.TRUTH})
_EQUALITY = (CompareOp.EQ, CompareOp.NE)
_MEMBERSHIP = (CompareOp.IN, CompareOp.NOT_IN)


@attrs.frozen(slots=True)
class _Field:
    """A record field a filter may use: its type and the words messages use for it."""

    type: _Type
    words: str


#: Record fields usable inside ``record where`` (a table: add a field here and in compile.py).
RECORD_FIELDS: dict[str, _Field] = {
    "kind": _Field(_Type.RECORD_KIND, "record kind"),
    "domain": _Field(_Type.TEXT, "domain"),
    "severity": _Field(_Type.SEVERITY, "severity"),
    "authority": _Field(_Type.TEXT, "authority"),
    "document": _Field(_Type.TEXT, "document kind"),
    "list": _Field(_Type.TEXT, "list name"),
    "scheme": _Field(_Type.TEXT, "rating scheme"),
    "grade": _Field(_Type.TEXT, "rating grade"),
    "category": _Field(_Type.TEXT, "category"),
    "tags": _Field(_Type.TAGS, "tags"),
    "dishonest": _Field(_Type.TRUTH, "`dishonest`"),
    "decided_on": _Field(_Type.DATE, "decision date"),
}

#: Attributes of ``subject.``.
SUBJECT_ATTRIBUTES: dict[str, _Field] = {
    "kind": _Field(_Type.SUBJECT_KIND, "subject kind"),
    "minor": _Field(_Type.TRUTH, "`subject.minor`"),
    "state_owned": _Field(_Type.TRUTH, "`subject.state_owned`"),
    "region": _Field(_Type.TEXT, "region"),
}

#: Built-in functions, with an example for help texts.
FUNCTIONS: dict[str, str] = {
    "listed": 'listed("judgment_defaulter")',
    "rating": 'rating("tax")',
}


@attrs.frozen(slots=True)
class _Operand:
    """The non-literal side of a comparison."""

    node: ast.Value
    type: _Type
    words: str
    role: str  # "field", "subject", "rating" or "count"
    name: str = ""
    scheme: RatingScheme | None = None
    query: Query | None = None


class _Invalid(Exception):
    """A sub-expression had an error (already recorded); stop checking it."""


def check(expr: ast.Expr, vocabulary: Vocabulary, *, source_text: str | None = None) -> Checked:
    """Resolve names and types of a condition.

    Args:
        expr: the parsed condition.
        vocabulary: the catalog's lists, domains, rating schemes and matters.
        source_text: the condition as written (kept for explanations; the canonical text is
            used when absent).

    Returns:
        The checked condition.

    Raises:
        ConditionTypeError: with every problem found.
    """
    checker = _Checker(vocabulary)
    condition = checker.condition(expr, in_filter=False)
    if checker.diagnostics:
        raise ConditionTypeError(checker.diagnostics)
    text = source_text if source_text is not None else to_text(expr)
    return Checked(expr, condition, text)


def _suggestion(word: str, candidates: tuple[str, ...] | list[str]) -> str | None:
    """ "did you mean `x`?" for the closest candidate, or the candidates if there are few."""
    for candidate in candidates:
        if candidate.lower() == word.lower():
            return f"did you mean `{candidate}`?"
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    if 0 < len(candidates) <= 10:
        return "expected one of " + ", ".join(f"`{c}`" for c in candidates)
    return None


def _literal_words(node: ast.Value) -> str:
    if isinstance(node, ast.StringLiteral):
        return "text"
    if isinstance(node, ast.IntegerLiteral):
        return "number"
    if isinstance(node, ast.DateLiteral):
        return "date"
    if isinstance(node, ast.DurationLiteral):
        return "duration"
    if isinstance(node, ast.BooleanLiteral):
        return f"`{'true' if node.value else 'false'}`"
    if isinstance(node, ast.Name):
        for value_type, enum_type in _ENUM_TYPES.items():
            if node.name in {str(member.value) for member in enum_type}:
                return value_type.value
        return f"name `{node.name}`"
    if isinstance(node, ast.SetLiteral):
        return "a set"
    return f"`{to_text(node)}`"


class _Checker:
    """Walks the AST once, building IR and collecting diagnostics."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.diagnostics: list[Diagnostic] = []

    def report(
        self, code: str, message: str, node: ast.Node | Span, help: str | None = None
    ) -> _Invalid:
        span = node if isinstance(node, Span) else node.span
        self.diagnostics.append(error(code, message, span, help=help))
        return _Invalid()

    # conditions

    def condition(self, node: ast.Expr, *, in_filter: bool) -> Condition:
        """The IR of a condition (or a filter when ``in_filter``); errors become ``false``."""
        try:
            return self._condition(node, in_filter=in_filter)
        except _Invalid:
            return Const(False, span=node.span)

    def _condition(self, node: ast.Expr, *, in_filter: bool) -> Condition:
        if isinstance(node, ast.And):
            items = tuple(self.condition(item, in_filter=in_filter) for item in node.operands)
            return AllOf(items, span=node.span)
        if isinstance(node, ast.Or):
            items = tuple(self.condition(item, in_filter=in_filter) for item in node.operands)
            return AnyOf(items, span=node.span)
        if isinstance(node, ast.Not):
            return Negation(self.condition(node.operand, in_filter=in_filter), span=node.span)
        if isinstance(node, ast.RecordQuery):
            query = self.query(node.filter, node.window, node.span)
            return Exists(node.quantifier, query, span=node.span)
        if isinstance(node, ast.Related):
            return self.related(node)
        if isinstance(node, ast.Compare):
            return self.compare(node, in_filter=in_filter)
        return self.bare(node, in_filter=in_filter)

    def query(self, query_filter: ast.Expr | None, window: ast.Window | None, span: Span) -> Query:
        checked = None if query_filter is None else self.condition(query_filter, in_filter=True)
        return Query(checked, window, span=span)

    def related(self, node: ast.Related) -> RelatedTest:
        roles: list[Role] = []
        for name in node.roles:
            if name.name in Role.names():
                role = Role(name.name)
                if role not in roles:
                    roles.append(role)
            else:
                self.report(
                    "CR-E314",
                    f"unknown role `{name.name}`",
                    name,
                    help=_suggestion(name.name, Role.names()),
                )
        body = self.condition(node.body, in_filter=False)
        return RelatedTest(node.quantifier, tuple(roles), body, span=node.span)

    def bare(self, node: ast.Value, *, in_filter: bool) -> Condition:
        """A value written where a condition is expected."""
        if isinstance(node, ast.BooleanLiteral):
            return Const(node.value, span=node.span)
        if isinstance(node, ast.Call) and node.function == "listed":
            return self.listed(node, in_filter=in_filter)
        if isinstance(node, ast.Name) and node.name == "dishonest":
            self.field(node, in_filter=in_filter)
            return DishonestTest(True, span=node.span)
        if isinstance(node, ast.SubjectAttribute) and node.name in ("minor", "state_owned"):
            return SubjectFlagTest(node.name, True, span=node.span)
        if isinstance(node, ast.Name) and node.name not in RECORD_FIELDS:
            self.unknown_bare_name(node, in_filter=in_filter)
        operand = self.operand(node, in_filter=in_filter)
        example = "`kind == judgment`"
        if operand is not None and operand.role == "count":
            example = "`count(record where kind == judgment) >= 2`"
        elif operand is not None and operand.role == "rating":
            example = '`rating("tax") == "A"`'
        elif operand is not None:
            example = f"`{to_text(node)} == …`"
        raise self.report(
            "CR-E315",
            f"`{to_text(node)}` is not a condition",
            node,
            help=f"compare it with something, such as {example}",
        )

    def unknown_bare_name(self, node: ast.Name, *, in_filter: bool) -> None:
        for value_type, enum_type in _ENUM_TYPES.items():
            if node.name in {str(member.value) for member in enum_type}:
                field = {
                    _Type.RECORD_KIND: "kind",
                    _Type.SEVERITY: "severity",
                    _Type.SUBJECT_KIND: "subject.kind",
                    _Type.ROLE: "role",
                }[value_type]
                usage = (
                    f"compare it, such as `{field} == {node.name}`"
                    if value_type is not _Type.ROLE
                    else f"roles are used in `any related({node.name}): …`"
                )
                raise self.report(
                    "CR-E315",
                    f"`{node.name}` is a {value_type.value}, not a condition",
                    node,
                    help=usage,
                )
        help: str | None
        if node.name in SUBJECT_ATTRIBUTES:
            help = f"did you mean `subject.{node.name}`?"
        elif in_filter:
            help = _suggestion(node.name, [*RECORD_FIELDS, *FUNCTIONS])
        else:
            help = _suggestion(node.name, list(FUNCTIONS))
        raise self.report("CR-E314", f"unknown name `{node.name}`", node, help=help)

    def listed(self, node: ast.Call, *, in_filter: bool) -> Listed:
        if in_filter:
            raise self.report(
                "CR-E316",
                "`listed(...)` cannot be used inside `record where`",
                node,
                help='it is about the subject: move it outside, or test `list == "…"` here',
            )
        name = self.string_argument(node)
        if name.value not in self.vocabulary.lists:
            raise self.report(
                "CR-E311",
                f"unknown list `{name.value}`",
                name,
                help=_suggestion(name.value, list(self.vocabulary.lists)),
            )
        return Listed(name.value, span=node.span)

    def string_argument(self, node: ast.Call) -> ast.StringLiteral:
        if len(node.args) != 1 or not isinstance(node.args[0], ast.StringLiteral):
            raise self.report(
                "CR-E316",
                f"`{node.function}` takes one name in double quotes",
                node,
                help=f"such as `{FUNCTIONS[node.function]}`",
            )
        return node.args[0]

    # operands of comparisons

    def operand(self, node: ast.Value, *, in_filter: bool) -> _Operand | None:
        """The field, attribute, rating or count a value names (None for a literal)."""
        if isinstance(node, ast.Name):
            if node.name not in RECORD_FIELDS:
                return None
            field = self.field(node, in_filter=in_filter)
            return _Operand(node, field.type, field.words, "field", node.name)
        if isinstance(node, ast.SubjectAttribute):
            attribute = SUBJECT_ATTRIBUTES.get(node.name)
            if attribute is None:
                raise self.report(
                    "CR-E314",
                    f"unknown subject attribute `{node.name}`",
                    node,
                    help=_suggestion(node.name, list(SUBJECT_ATTRIBUTES)),
                )
            return _Operand(node, attribute.type, attribute.words, "subject", node.name)
        if isinstance(node, ast.Call):
            if node.function not in FUNCTIONS:
                raise self.report(
                    "CR-E314",
                    f"unknown function `{node.function}`",
                    node,
                    help=_suggestion(node.function, list(FUNCTIONS)),
                )
            if node.function == "listed":
                raise self.report(
                    "CR-E316",
                    "`listed(...)` is a condition by itself and cannot be compared",
                    node,
                    help='write `listed("…")` or `not listed("…")`',
                )
            if in_filter:
                raise self.report(
                    "CR-E316",
                    "`rating(...)` cannot be used inside `record where`",
                    node,
                    help='it is about the subject: move it outside, or test `grade == "…"` here',
                )
            name = self.string_argument(node)
            scheme = self.vocabulary.ratings.get(name.value)
            if scheme is None:
                raise self.report(
                    "CR-E313",
                    f"unknown rating scheme `{name.value}`",
                    name,
                    help=_suggestion(name.value, list(self.vocabulary.ratings)),
                )
            return _Operand(node, _Type.GRADE, "rating grade", "rating", name.value, scheme)
        if isinstance(node, ast.Count):
            if in_filter:
                raise self.report(
                    "CR-E316",
                    "`count(...)` cannot be used inside `record where`",
                    node,
                    help="count records outside the filter of another record query",
                )
            query = self.query(node.filter, node.window, node.span)
            return _Operand(node, _Type.NUMBER, "count", "count", query=query)
        return None

    def field(self, node: ast.Name, *, in_filter: bool) -> _Field:
        if not in_filter:
            raise self.report(
                "CR-E316",
                f"record field `{node.name}` can only be used inside `record where`",
                node,
                help=f"such as `any record where {node.name} …`",
            )
        return RECORD_FIELDS[node.name]

    def compare(self, node: ast.Compare, *, in_filter: bool) -> Condition:
        left = self.operand(node.left, in_filter=in_filter)
        right = self.operand(node.right, in_filter=in_filter)
        op = node.op
        if left is not None and right is not None:
            raise self.report(
                "CR-E316",
                f"cannot compare `{to_text(node.left)}` with `{to_text(node.right)}`",
                node,
                help="one side of a comparison must be a value written out, such as "
                '`serious`, `"food_drug"` or `2`',
            )
        if op in _MEMBERSHIP and right is not None and right.type is _Type.TAGS:
            return self.tag_test(node, node.left)
        if left is None and right is None:
            raise self.report(
                "CR-E316",
                "a comparison needs a record field, a subject attribute, `rating(...)` or "
                "`count(...)` on one side",
                node,
            )
        if left is None:
            if op in _MEMBERSHIP:
                assert right is not None
                raise self.report(
                    "CR-E315",
                    f"`{op.value}` needs a set such as `{{a, b}}` on its right",
                    node,
                    help=f"write `{to_text(node.right)} {op.value} {{…}}`",
                )
            assert right is not None
            operand, value, op = right, node.left, op.mirrored()
        else:
            operand, value = left, node.right
        return self.test(node, operand, op, value)

    def tag_test(self, node: ast.Compare, tag: ast.Value) -> Condition:
        if not isinstance(tag, ast.StringLiteral):
            raise self.report(
                "CR-E315",
                f"cannot look for {_literal_words(tag)} in tags",
                tag,
                help='tags are text: write `"repeat_offence" in tags`',
            )
        known = self.vocabulary.tags
        if known and tag.value not in known:
            raise self.report(
                "CR-E317",
                f"unknown tag `{tag.value}`",
                tag,
                help=_suggestion(tag.value, list(known)),
            )
        return TagTest(tag.value, node.op is CompareOp.NOT_IN, span=node.span)

    def test(
        self, node: ast.Compare, operand: _Operand, op: CompareOp, value: ast.Value
    ) -> Condition:
        """Normalise ``operand OP value`` into one IR test."""
        kind = operand.type
        if kind is _Type.TAGS:
            raise self.report(
                "CR-E315",
                f"`{op.value}` does not apply to tags",
                node,
                help='test one tag with `"repeat_offence" in tags`',
            )
        if op in _MEMBERSHIP:
            if kind in _NO_SETS:
                raise self.report(
                    "CR-E315",
                    f"`{op.value}` does not apply to {operand.words}",
                    node,
                    help="use `==`, `!=`, `<`, `<=`, `>` or `>=`"
                    if kind in _ORDERED
                    else "use `==` or `!=`",
                )
            if not isinstance(value, ast.SetLiteral):
                raise self.report(
                    "CR-E315",
                    f"`{op.value}` needs a set such as `{{a, b}}` on its right",
                    value,
                    help=f"write `{to_text(operand.node)} {op.value} {{{to_text(value)}}}`",
                )
            items: tuple[ast.Value, ...] = value.items
        else:
            if op not in _EQUALITY and kind not in _ORDERED:
                raise self.report(
                    "CR-E315",
                    f"`{op.value}` does not apply to {operand.words}",
                    node,
                    help="it has no order: use `==`, `!=`, `in` or `not in`",
                )
            if isinstance(value, ast.SetLiteral):
                raise self.report(
                    "CR-E315",
                    f"cannot compare {operand.words} with a set",
                    value,
                    help=f"use `in`: `{to_text(operand.node)} in {to_text(value)}`",
                )
            items = (value,)
        values = [self.literal(operand, item) for item in items]
        return self.normalise(node, operand, op, values)

    def literal(self, operand: _Operand, node: ast.Value) -> object:
        """The model value of a literal compared with ``operand`` (reports and raises if bad)."""
        kind = operand.type
        if kind in _ENUM_TYPES:
            enum_type = _ENUM_TYPES[kind]
            names = tuple(str(member.value) for member in enum_type)
            if isinstance(node, ast.Name):
                if node.name in names:
                    return enum_type(node.name)
                if _literal_words(node).startswith("name"):
                    raise self.report(
                        "CR-E314",
                        f"unknown {kind.value} `{node.name}`",
                        node,
                        help=_suggestion(node.name, names),
                    )
            help = None
            if isinstance(node, ast.StringLiteral) and node.value in names:
                help = f"write it without quotes: `{node.value}`"
            raise self.mismatch(operand, node, help)
        if kind is _Type.GRADE:
            assert operand.scheme is not None
            if not isinstance(node, ast.StringLiteral):
                raise self.mismatch(operand, node, 'grades are text, such as `"A"`')
            if node.value not in operand.scheme.grades:
                grades = ", ".join(operand.scheme.grades)
                raise self.report(
                    "CR-E313",
                    f"unknown grade `{node.value}` of rating scheme `{operand.name}`",
                    node,
                    help=_suggestion(node.value, list(operand.scheme.grades))
                    if any(g.lower() == node.value.lower() for g in operand.scheme.grades)
                    else f"grades of `{operand.name}`, best first: {grades}",
                )
            return node.value
        if kind is _Type.TEXT:
            if not isinstance(node, ast.StringLiteral):
                help = None
                if isinstance(node, ast.Name):
                    help = f'write text in double quotes: `"{node.name}"`'
                raise self.mismatch(operand, node, help)
            self.vocabulary_check(operand, node)
            return node.value
        if kind is _Type.NUMBER:
            if not isinstance(node, ast.IntegerLiteral):
                raise self.mismatch(operand, node)
            return node.value
        if kind is _Type.DATE:
            if not isinstance(node, ast.DateLiteral):
                raise self.mismatch(operand, node, "write dates as `2020-01-01`")
            return node.value
        assert kind is _Type.TRUTH
        if not isinstance(node, ast.BooleanLiteral):
            raise self.mismatch(operand, node, "compare it with `true` or `false`")
        return node.value

    def mismatch(self, operand: _Operand, node: ast.Value, help: str | None = None) -> _Invalid:
        return self.report(
            "CR-E315",
            f"cannot compare {operand.words} with {_literal_words(node)}",
            node,
            help=help,
        )

    def vocabulary_check(self, operand: _Operand, node: ast.StringLiteral) -> None:
        if operand.role != "field":
            return
        value = node.value
        if operand.name == "domain" and value not in self.vocabulary.domains:
            raise self.report(
                "CR-E312",
                f"unknown domain `{value}`",
                node,
                help=_suggestion(value, list(self.vocabulary.domains)),
            )
        if operand.name == "list" and value not in self.vocabulary.lists:
            raise self.report(
                "CR-E311",
                f"unknown list `{value}`",
                node,
                help=_suggestion(value, list(self.vocabulary.lists)),
            )
        if operand.name == "scheme" and value not in self.vocabulary.ratings:
            raise self.report(
                "CR-E313",
                f"unknown rating scheme `{value}`",
                node,
                help=_suggestion(value, list(self.vocabulary.ratings)),
            )
        if operand.name == "grade":
            grades = sorted({g for s in self.vocabulary.ratings.values() for g in s.grades})
            if value not in grades:
                raise self.report(
                    "CR-E313",
                    f"unknown grade `{value}`",
                    node,
                    help=_suggestion(value, grades),
                )

    def normalise(
        self, node: ast.Compare, operand: _Operand, op: CompareOp, values: list[object]
    ) -> Condition:
        span = node.span
        negated = op in (CompareOp.NE, CompareOp.NOT_IN)
        if operand.role == "count":
            assert operand.query is not None
            count = values[0]
            assert isinstance(count, int)
            return CountTest(operand.query, op, count, span=span)
        if operand.type is _Type.TRUTH:
            flag = values[0]
            assert isinstance(flag, bool)
            value = flag != (op is CompareOp.NE)
            if operand.role == "field":
                return DishonestTest(value, span=span)
            return SubjectFlagTest(operand.name, value, span=span)
        if operand.type is _Type.DATE:
            date = values[0]
            assert isinstance(date, datetime.date)
            return DateTest(op, date, span=span)
        if operand.type is _Type.SEVERITY:
            chosen = _ordered_selection(list(Severity), op, values)
            return SeverityTest(frozenset(s for s in Severity if s in chosen), negated, span=span)
        if operand.type is _Type.GRADE:
            assert operand.scheme is not None
            # grades are declared best first; "greater" means better
            ladder = list(reversed(operand.scheme.grades))
            chosen = _ordered_selection(ladder, op, values)
            return RatingTest(
                operand.name,
                frozenset(g for g in ladder if g in chosen),
                negated,
                span=span,
            )
        if operand.type is _Type.RECORD_KIND:
            kinds = frozenset(v for v in values if isinstance(v, RecordKind))
            return KindTest(kinds, negated, span=span)
        if operand.type is _Type.SUBJECT_KIND:
            subject_kinds = frozenset(v for v in values if isinstance(v, SubjectKind))
            return SubjectKindTest(subject_kinds, negated, span=span)
        texts = frozenset(v for v in values if isinstance(v, str))
        if operand.role == "subject":
            return RegionTest(texts, negated, span=span)
        return TextTest(operand.name, texts, negated, span=span)


def _ordered_selection(
    ladder: Sequence[object], op: CompareOp, values: Sequence[object]
) -> set[object]:
    """The members of ``ladder`` (least first) that ``member OP value`` selects.

    ``!=`` and ``not in`` select the named values; the caller marks the test negated.
    """
    if op in (CompareOp.EQ, CompareOp.NE, CompareOp.IN, CompareOp.NOT_IN):
        return set(values)
    bound = ladder.index(values[0])
    return {member for index, member in enumerate(ladder) if compare(index, op, bound)}
