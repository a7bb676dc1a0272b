"""The condition AST: what a ``when:`` text says, before names and types are checked.

Input: nothing (node classes only; ``parser.py`` builds them, ``printer.py`` prints them).
Output: frozen attrs nodes. Children are tuples; there are no parent pointers. Every node has
a ``span`` that is left out of equality, hashing and repr, so trees parsed from differently
laid-out text compare equal. Errors: none.

The tree keeps the shape of the text: a bare name is a :class:`Name` whether it names a record
field (``kind``) or an enum value (``judgment``); ``check.py`` resolves it. ``a and b and c``
is one :class:`And` with three operands, while ``(a and b) and c`` nests an :class:`And` inside
another, so printing and re-parsing gives back the same tree.
"""

from __future__ import annotations

import datetime
import enum

import attrs

from credit_rules.model import Period
from credit_rules.spans import Span

#: The span of a node built by hand rather than parsed (tests, rewrites).
NO_SPAN = Span("<none>", 0, 0, 1, 1, 1, 1)


class CompareOp(enum.Enum):
    """A comparison operator, with the text it is written as."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"

    def mirrored(self) -> CompareOp:
        """The operator that gives the same answer with its operands swapped (``<`` → ``>``)."""
        return _MIRRORED.get(self, self)


_MIRRORED = {
    CompareOp.LT: CompareOp.GT,
    CompareOp.LE: CompareOp.GE,
    CompareOp.GT: CompareOp.LT,
    CompareOp.GE: CompareOp.LE,
}


class Quantifier(enum.Enum):
    """``any`` (at least one) or ``no`` (none at all)."""

    ANY = "any"
    NO = "no"


# ---------------------------------------------------------------------------------------------
# Values


@attrs.frozen(slots=True)
class StringLiteral:
    """Text in double quotes: ``"food_drug"``."""

    value: str
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class IntegerLiteral:
    """A whole number: ``2``."""

    value: int
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class DateLiteral:
    """A calendar date: ``2020-01-01``."""

    value: datetime.date
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class DurationLiteral:
    """A length of time: ``3y``, ``1y 6m``, ``30d``."""

    value: Period
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class BooleanLiteral:
    """``true`` or ``false``."""

    value: bool
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Name:
    """A bare name: a record field (``severity``) or an enum value (``judgment``, ``serious``)."""

    name: str
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class SubjectAttribute:
    """``subject.NAME``: an attribute of the subject being evaluated."""

    name: str
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Call:
    """``NAME(args)``: a built-in function such as ``listed("x")`` or ``rating("tax")``."""

    function: str
    args: tuple[Value, ...]
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class SetLiteral:
    """``{a, b, …}``: literals to test membership in (never empty)."""

    items: tuple[Literal, ...]
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Within:
    """``within P``: records decided after ``as_of − P``."""

    period: Period
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Since:
    """``since D``: records decided on or after ``D``."""

    date: datetime.date
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Count:
    """``count(record [where FILTER] [WINDOW])``: how many records match (a number)."""

    filter: Expr | None
    window: Window | None
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


# ---------------------------------------------------------------------------------------------
# Conditions


@attrs.frozen(slots=True)
class Compare:
    """``left OP right``, including ``in`` and ``not in``."""

    op: CompareOp
    left: Value
    right: Value
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Not:
    """``not operand``."""

    operand: Expr
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class And:
    """``a and b and …`` (two or more operands)."""

    operands: tuple[Expr, ...]
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Or:
    """``a or b or …`` (two or more operands)."""

    operands: tuple[Expr, ...]
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class RecordQuery:
    """``any record [where FILTER] [WINDOW]`` or ``no record …``."""

    quantifier: Quantifier
    filter: Expr | None
    window: Window | None
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Related:
    """``any related(role, …): body`` or ``no related(…): body``, body about the related subject."""

    quantifier: Quantifier
    roles: tuple[Name, ...]
    body: Expr
    span: Span = attrs.field(default=NO_SPAN, eq=False, hash=False, repr=False, kw_only=True)


Literal = StringLiteral | IntegerLiteral | DateLiteral | DurationLiteral | BooleanLiteral | Name
Value = Literal | SubjectAttribute | Call | SetLiteral | Count
Window = Within | Since
Expr = Value | Compare | Not | And | Or | RecordQuery | Related
Node = Expr | Within | Since

LITERAL_TYPES = (StringLiteral, IntegerLiteral, DateLiteral, DurationLiteral, BooleanLiteral, Name)
VALUE_TYPES = (*LITERAL_TYPES, SubjectAttribute, Call, SetLiteral, Count)
EXPR_TYPES = (*VALUE_TYPES, Compare, Not, And, Or, RecordQuery, Related)


def children(node: Node) -> tuple[Node, ...]:
    """The direct children of a node, in source order (for generic walks)."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, SetLiteral):
        return node.items
    if isinstance(node, Count | RecordQuery):
        parts: list[Node] = []
        if node.filter is not None:
            parts.append(node.filter)
        if node.window is not None:
            parts.append(node.window)
        return tuple(parts)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, And | Or):
        return node.operands
    if isinstance(node, Related):
        return (*node.roles, node.body)
    return ()
