"""Print a condition AST as canonical text.

Input: an :class:`~credit_rules.ast.Expr`. Output: one line of text in the condition language,
with single spaces around operators, ``, `` between items, and only the parentheses that
precedence (``not`` > ``and`` > ``or``) and the open forms require. Errors: none.

``parse(to_text(expr)) == expr`` holds for every AST the grammar can produce, so the linter
can show any condition in this form and the identity file ``tests/lang_identity.txt`` pins it.
"""

from __future__ import annotations

from credit_rules import ast
from credit_rules.model import Period

_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4


def to_text(expr: ast.Node) -> str:
    """The canonical text of a condition (or of any part of one)."""
    text, _ = _print(expr)
    return text


def period_text(period: Period) -> str:
    """A period as the language writes it: ``3y``, ``1y 6m``, ``30d`` (``0d`` when empty).

    >>> period_text(Period(1, 6, 0))
    '1y 6m'
    """
    parts = [
        f"{amount}{unit}"
        for amount, unit in ((period.years, "y"), (period.months, "m"), (period.days, "d"))
        if amount
    ]
    return " ".join(parts) or "0d"


def string_text(value: str) -> str:
    """Text in double quotes, with ``\\`` and ``"`` escaped.

    >>> print(string_text('say "hi"'))
    "say \\"hi\\""
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _level(node: ast.Node) -> int:
    if isinstance(node, ast.Or):
        return _OR
    if isinstance(node, ast.And):
        return _AND
    if isinstance(node, ast.Not):
        return _NOT
    return _ATOM


def _operand(node: ast.Node, least: int, *, last: bool) -> tuple[str, bool]:
    """An operand printed in a context that needs at least ``least`` precedence.

    A node of exactly the parent's n-ary kind is parenthesised too, so ``(a and b) and c``
    keeps its shape; an open form that is not last is parenthesised so that it ends where it
    should.
    """
    text, is_open = _print(node)
    if _level(node) < least or (is_open and not last):
        return f"({text})", False
    return text, is_open


def _print(node: ast.Node) -> tuple[str, bool]:
    """(text, open): open when the text ends with a filter or body that would swallow more."""
    if isinstance(node, ast.Or | ast.And):
        least = _AND if isinstance(node, ast.Or) else _NOT
        word = " or " if isinstance(node, ast.Or) else " and "
        parts: list[str] = []
        is_open = False
        for index, operand in enumerate(node.operands):
            last = index == len(node.operands) - 1
            text, is_open = _operand(operand, least, last=last)
            parts.append(text)
        return word.join(parts), is_open
    if isinstance(node, ast.Not):
        text, is_open = _operand(node.operand, _NOT, last=True)
        return f"not {text}", is_open
    if isinstance(node, ast.RecordQuery):
        text = f"{node.quantifier.value} record{_query_tail(node.filter, node.window)}"
        return text, node.filter is not None and node.window is None
    if isinstance(node, ast.Related):
        roles = ", ".join(role.name for role in node.roles)
        body, _ = _print(node.body)
        return f"{node.quantifier.value} related({roles}): {body}", True
    return _value(node), False


def _query_tail(query_filter: ast.Expr | None, window: ast.Window | None) -> str:
    text = ""
    if query_filter is not None:
        text += f" where {to_text(query_filter)}"
    if window is not None:
        text += f" {to_text(window)}"
    return text


def _value(node: ast.Node) -> str:
    if isinstance(node, ast.StringLiteral):
        return string_text(node.value)
    if isinstance(node, ast.IntegerLiteral):
        return str(node.value)
    if isinstance(node, ast.DateLiteral):
        return node.value.isoformat()
    if isinstance(node, ast.DurationLiteral):
        return period_text(node.value)
    if isinstance(node, ast.BooleanLiteral):
        return "true" if node.value else "false"
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.SubjectAttribute):
        return f"subject.{node.name}"
    if isinstance(node, ast.Call):
        return f"{node.function}({', '.join(_value(arg) for arg in node.args)})"
    if isinstance(node, ast.SetLiteral):
        return "{" + ", ".join(_value(item) for item in node.items) + "}"
    if isinstance(node, ast.Count):
        return f"count(record{_query_tail(node.filter, node.window)})"
    if isinstance(node, ast.Compare):
        return f"{_value(node.left)} {node.op.value} {_value(node.right)}"
    if isinstance(node, ast.Within):
        return f"within {period_text(node.period)}"
    if isinstance(node, ast.Since):
        return f"since {node.date.isoformat()}"
    raise TypeError(f"not a condition node: {node!r}")
