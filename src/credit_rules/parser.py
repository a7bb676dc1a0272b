"""Parse the text of a ``when:`` condition into the AST of ``ast.py``.

Input: the condition text, the name of its source (a catalog file), and optionally the
(line, column) in that file of each character of the text (the YAML loader knows them for
scalars inside a catalog). Output: an :class:`~credit_rules.ast.Expr` whose spans carry those
file positions; a span's ``start``/``end`` are offsets into the condition text itself.
Errors: :class:`~credit_rules.errors.ConditionSyntaxError` holding exactly one diagnostic:
``CR-E301`` (not in the language), ``CR-E302`` (nested too deeply) or ``CR-E303`` (a literal
that is not a valid date, number or string).

This is the only module that imports lark. The grammar is package data
(``grammars/conditions.lark``), loaded once in LALR mode. Lark's tree never leaves this
module: a transformer builds our nodes directly.
"""

from __future__ import annotations

import datetime
import functools
import importlib.resources
import re
import unicodedata
from collections.abc import Sequence

import lark
from lark import Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta

from credit_rules import ast
from credit_rules.errors import ConditionSyntaxError, CreditRulesError, Diagnostic, error
from credit_rules.model import Period
from credit_rules.spans import Span, line_starts

GRAMMAR_FILE = "conditions.lark"

#: Deepest nesting of operators a condition may have (and/or/not, comparisons, queries …).
#: Real conditions stay below 10; the limit keeps every later recursive pass safe.
MAX_DEPTH = 64

#: Words that can never be names.
KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "in",
        "any",
        "no",
        "record",
        "related",
        "where",
        "within",
        "since",
        "count",
        "subject",
        "true",
        "false",
    }
)


def grammar_text() -> str:
    """The grammar file's text, as shipped in the package."""
    return (
        importlib.resources.files("credit_rules")
        .joinpath("grammars", GRAMMAR_FILE)
        .read_text(encoding="utf-8")
    )


def build_parser(*, strict: bool = False) -> lark.Lark:
    """A fresh Lark LALR parser for the condition grammar (``strict`` fails on conflicts)."""
    return lark.Lark.open_from_package(
        "credit_rules",
        GRAMMAR_FILE,
        ("grammars",),
        parser="lalr",
        lexer="basic",  # keywords are reserved everywhere, not only where the parser expects them
        propagate_positions=True,
        maybe_placeholders=False,
        strict=strict,
    )


@functools.cache
def _parser() -> lark.Lark:
    return build_parser()


def parse(
    text: str,
    *,
    source: str = "<when>",
    positions: Sequence[tuple[int, int]] | None = None,
) -> ast.Expr:
    """Parse one condition.

    Args:
        text: the condition as written.
        source: the file (or other source) the text comes from, used in spans.
        positions: (line, column) in ``source`` of each character of ``text``; without it,
            lines and columns are counted in ``text`` itself.

    Returns:
        The AST of the condition.

    Raises:
        ConditionSyntaxError: with one positioned diagnostic.
    """
    locator = _Locator(text, source, positions)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as problem:
        raise ConditionSyntaxError([_syntax_diagnostic(problem, text, locator)]) from None
    _check_depth(tree, locator)
    try:
        result = _Builder(locator).transform(tree)
    except VisitError as wrapped:
        if isinstance(wrapped.orig_exc, CreditRulesError):
            raise wrapped.orig_exc from None
        raise
    assert isinstance(result, ast.EXPR_TYPES)
    return result


# ---------------------------------------------------------------------------------------------
# Positions


class _Locator:
    """Turns offsets into the condition text into spans in the source file."""

    def __init__(self, text: str, source: str, positions: Sequence[tuple[int, int]] | None) -> None:
        self.text = text
        self.source = source
        self.positions = tuple(positions) if positions else None
        self._starts = line_starts(text) if self.positions is None else ()

    def at(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at ``offset`` (one past the end is allowed)."""
        if self.positions is not None:
            if offset < len(self.positions):
                return self.positions[offset]
            line, column = self.positions[-1]
            return line, column + offset - len(self.positions) + 1
        low, high = 0, len(self._starts) - 1
        while low < high:
            mid = (low + high + 1) // 2
            if self._starts[mid] <= offset:
                low = mid
            else:
                high = mid - 1
        return low + 1, offset - self._starts[low] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of ``text[start:end]``; the end column is one past the last character."""
        line, column = self.at(start)
        if end > start:
            end_line, end_column = self.at(end - 1)
            end_column += 1
        else:
            end_line, end_column = line, column
        return Span(self.source, start, end, line, column, end_line, end_column)


# ---------------------------------------------------------------------------------------------
# Syntax errors: one diagnostic with a friendly "expected …"

_WORDS: dict[str, str] = {
    "COMMA": "`,`",
    "RPAR": "`)`",
    "RBRACE": "`}`",
    "COLON": "`:`",
    "DOT": "`.`",
    "LPAR": "`(`",
    "AND": "`and`",
    "OR": "`or`",
    "RECORD": "`record`",
    "RELATED": "`related`",
    "WHERE": "`where`",
    "WITHIN": "`within`",
    "SINCE": "`since`",
    "COMPARE": "a comparison such as `==`",
    "IN": "`in`",
    "NOT": "`not in`",
    "DURATION": "a duration such as `3y`",
    "DATE": "a date such as `2020-01-01`",
    "NAME": "a name",
    "STRING": "text in double quotes",
    "$END": "end of condition",
}
_ORDER = tuple(_WORDS)
_CONDITION_START = frozenset({"NOT", "LPAR", "ANY", "NO"})
_VALUE_START = frozenset({"STRING", "NAME"})
_FULL_WIDTH = {
    "（": "(",
    "）": ")",
    "“": '"',
    "”": '"',
    "，": ",",
    "：": ":",
    "＝": "=",
    "！": "!",
    "＜": "<",
    "＞": ">",
    "｛": "{",
    "｝": "}",
}
_NUMBERISH = re.compile(r"[0-9][0-9A-Za-z_-]*")
_WORD_CHAR = re.compile(r"[0-9A-Za-z_-]")


def _expected(accepts: set[str], *, at_end: bool) -> str:
    """Words for what the parser would have accepted."""
    if at_end and "RPAR" in accepts:
        return "`)`"
    if accepts & _CONDITION_START and accepts & _VALUE_START:
        return "a condition"
    if accepts >= _VALUE_START:
        return "a value"
    if accepts & {"AND", "OR"}:
        accepts = accepts - {"COMPARE", "IN", "NOT", "LPAR"}
    words = [_WORDS[name] for name in _ORDER if name in accepts]
    if not words:
        return "a condition"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _shown(value: str) -> str:
    """A token as shown in a message: in backticks, shortened past 24 characters."""
    if len(value) > 24:
        value = value[:23] + "…"
    return f"`{value}`"


def _char_words(char: str) -> str:
    if char.isprintable() and not char.isspace():
        return f"`{char}`"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _syntax_diagnostic(problem: UnexpectedInput, text: str, locator: _Locator) -> Diagnostic:
    """One diagnostic for a lexer or parser failure, at the offending character."""
    if isinstance(problem, UnexpectedCharacters):
        return _character_diagnostic(problem.pos_in_stream or 0, text, locator, problem.allowed)
    assert isinstance(problem, UnexpectedToken)
    token = problem.token
    accepts = set(problem.accepts or problem.expected)
    if token.type == "$END":
        offset = len(text.rstrip())
        return error(
            "CR-E301",
            f"unexpected end of condition; expected {_expected(accepts, at_end=True)}",
            locator.span(offset, offset),
        )
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(token)
    help_text = None
    if token.type == "RPAR" and text.count("(", 0, start) <= text.count(")", 0, start):
        help_text = "this `)` has no matching `(`"
    elif str(token) in KEYWORDS and "NAME" in accepts:
        help_text = f"`{token}` is a reserved word and cannot be used as a name"
    return error(
        "CR-E301",
        f"unexpected {_shown(str(token))}; expected {_expected(accepts, at_end=False)}",
        locator.span(start, end),
        help=help_text,
    )


def _character_diagnostic(
    offset: int, text: str, locator: _Locator, allowed: set[str] | None
) -> Diagnostic:
    char = text[offset]
    if char == '"':
        return error(
            "CR-E301",
            'unterminated text: the closing `"` is missing',
            locator.span(offset, offset + 1),
            help='text is written in double quotes on one line, such as `"food_drug"`',
        )
    match = _numberish_around(text, offset)
    if match is not None:
        start, end = match
        return error(
            "CR-E301",
            f"{_shown(text[start:end])} is not a number, a date or a duration",
            locator.span(start, end),
            help="write numbers as `2`, dates as `2020-01-01` and durations as `3y`, `6m`, "
            "`30d` or `1y 6m`",
        )
    accepts = _accepts_before(text, offset) or set(allowed or ())
    help_text = None
    if char == "\u3000":
        help_text = "use an ordinary space instead of the full-width space"
    elif char in _FULL_WIDTH:
        help_text = f"use the ASCII `{_FULL_WIDTH[char]}` instead of the full-width `{char}`"
    elif char == "=":
        help_text = "compare with `==`"
    elif char in "&|!":
        help_text = "combine conditions with `and`, `or` and `not`"
    elif char == "'":
        help_text = 'text is written in double quotes, such as `"food_drug"`'
    return error(
        "CR-E301",
        f"unexpected character {_char_words(char)}; expected {_expected(accepts, at_end=False)}",
        locator.span(offset, offset + 1),
        help=help_text,
    )


def _numberish_around(text: str, offset: int) -> tuple[int, int] | None:
    """The malformed number-like word (``3y6m7x``, ``2020-1-1``) around ``offset``, if any."""
    start = offset
    while start > 0 and _WORD_CHAR.fullmatch(text[start - 1]) is not None:
        start -= 1
    match = _NUMBERISH.match(text, start)
    if match is None or match.end() <= offset:
        return None
    return start, match.end()


def _accepts_before(text: str, offset: int) -> set[str]:
    """Terminals the parser accepts after ``text[:offset]`` (empty if that cannot be told)."""
    try:
        interactive = _parser().parse_interactive(text[:offset])
        interactive.exhaust_lexer()
        accepted: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
        return accepted
    except UnexpectedInput:
        return set()


# ---------------------------------------------------------------------------------------------
# Depth guard (iterative, before any recursive pass)


def _check_depth(tree: Tree[Token], locator: _Locator) -> None:
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            raise ConditionSyntaxError(
                [
                    error(
                        "CR-E302",
                        "condition nested too deeply",
                        locator.span(meta.start_pos, meta.end_pos),
                        help=f"a condition may nest at most {MAX_DEPTH} levels: split it "
                        "into simpler parts",
                    )
                ]
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


# ---------------------------------------------------------------------------------------------
# Tree → AST

_DURATION_PART = re.compile(r"(\d+)([ymd])")
_ESCAPE = re.compile(r"\\(.)")


class _Builder(Transformer[Token, ast.Node]):
    """Builds AST nodes from lark's tree; each method is one grammar rule."""

    def __init__(self, locator: _Locator) -> None:
        super().__init__()
        self._locator = locator

    def _span(self, meta: Meta) -> Span:
        return self._locator.span(meta.start_pos, meta.end_pos)

    def _token_span(self, token: Token) -> Span:
        start = token.start_pos or 0
        end = token.end_pos if token.end_pos is not None else start + len(token)
        return self._locator.span(start, end)

    def _literal_error(self, token: Token, message: str, help: str | None = None) -> None:
        raise ConditionSyntaxError([error("CR-E303", message, self._token_span(token), help=help)])

    # literals

    @v_args(meta=True)
    def string(self, meta: Meta, children: list[Token]) -> ast.StringLiteral:
        token = children[0]
        body = token[1:-1]
        for match in _ESCAPE.finditer(body):
            if match.group(1) not in '"\\':
                self._literal_error(
                    token,
                    f"unknown escape `{match.group(0)}` in text",
                    help='only `\\"` and `\\\\` may follow a backslash',
                )
        return ast.StringLiteral(_ESCAPE.sub(r"\1", body), span=self._span(meta))

    @v_args(meta=True)
    def integer(self, meta: Meta, children: list[Token]) -> ast.IntegerLiteral:
        token = children[0]
        try:
            value = int(token)
        except ValueError:
            self._literal_error(token, f"{_shown(str(token))} is too large a number")
            raise
        return ast.IntegerLiteral(value, span=self._span(meta))

    @v_args(meta=True)
    def date(self, meta: Meta, children: list[Token]) -> ast.DateLiteral:
        return ast.DateLiteral(self._date(children[0]), span=self._span(meta))

    def _date(self, token: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(token))
        except ValueError:
            self._literal_error(token, f"`{token}` is not a calendar date")
            raise

    @v_args(meta=True)
    def duration(self, meta: Meta, children: list[Token]) -> ast.DurationLiteral:
        return ast.DurationLiteral(self._period(children[0]), span=self._span(meta))

    def _period(self, token: Token) -> Period:
        parts = {unit: number for number, unit in _DURATION_PART.findall(str(token))}
        try:
            return Period(
                years=int(parts.get("y", 0)),
                months=int(parts.get("m", 0)),
                days=int(parts.get("d", 0)),
            )
        except ValueError:
            self._literal_error(token, f"{_shown(str(token))} is too long a duration")
            raise

    @v_args(meta=True)
    def true(self, meta: Meta, children: list[Token]) -> ast.BooleanLiteral:
        return ast.BooleanLiteral(True, span=self._span(meta))

    @v_args(meta=True)
    def false(self, meta: Meta, children: list[Token]) -> ast.BooleanLiteral:
        return ast.BooleanLiteral(False, span=self._span(meta))

    @v_args(meta=True)
    def name(self, meta: Meta, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), span=self._span(meta))

    # values

    @v_args(meta=True)
    def subject_attribute(self, meta: Meta, children: list[Token]) -> ast.SubjectAttribute:
        return ast.SubjectAttribute(str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def call(self, meta: Meta, children: list[Token | ast.Value]) -> ast.Call:
        function, *args = children
        assert isinstance(function, Token)
        values = tuple(arg for arg in args if isinstance(arg, ast.VALUE_TYPES))
        return ast.Call(str(function), values, span=self._span(meta))

    @v_args(meta=True)
    def set_literal(self, meta: Meta, children: list[ast.Literal]) -> ast.SetLiteral:
        return ast.SetLiteral(tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def count(self, meta: Meta, children: list[ast.Node]) -> ast.Count:
        query_filter, window = _filter_and_window(children)
        return ast.Count(query_filter, window, span=self._span(meta))

    @v_args(meta=True)
    def within(self, meta: Meta, children: list[Token]) -> ast.Within:
        return ast.Within(self._period(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def since(self, meta: Meta, children: list[Token]) -> ast.Since:
        return ast.Since(self._date(children[0]), span=self._span(meta))

    # conditions

    @v_args(meta=True)
    def comparison(self, meta: Meta, children: list[ast.Value | Token]) -> ast.Compare:
        left, right = children[0], children[-1]
        assert isinstance(left, ast.VALUE_TYPES)
        assert isinstance(right, ast.VALUE_TYPES)
        words = " ".join(str(child) for child in children[1:-1])
        return ast.Compare(ast.CompareOp(words), left, right, span=self._span(meta))

    @v_args(meta=True)
    def not_(self, meta: Meta, children: list[ast.Expr]) -> ast.Not:
        return ast.Not(children[0], span=self._span(meta))

    @v_args(meta=True)
    def and_c(self, meta: Meta, children: list[ast.Expr]) -> ast.And:
        return ast.And(tuple(children), span=self._span(meta))

    f_and = and_c

    @v_args(meta=True)
    def or_c(self, meta: Meta, children: list[ast.Expr]) -> ast.Or:
        return ast.Or(tuple(children), span=self._span(meta))

    filter = or_c

    @v_args(meta=True)
    def open_query(self, meta: Meta, children: list[Token | ast.Node]) -> ast.RecordQuery:
        return self._query(meta, children)

    @v_args(meta=True)
    def closed_query(self, meta: Meta, children: list[Token | ast.Node]) -> ast.RecordQuery:
        return self._query(meta, children)

    def _query(self, meta: Meta, children: list[Token | ast.Node]) -> ast.RecordQuery:
        quantifier, *rest = children
        assert isinstance(quantifier, Token)
        nodes = [child for child in rest if not isinstance(child, Token)]
        query_filter, window = _filter_and_window(nodes)
        return ast.RecordQuery(
            ast.Quantifier(str(quantifier)), query_filter, window, span=self._span(meta)
        )

    @v_args(meta=True)
    def related(self, meta: Meta, children: list[Token | ast.Expr]) -> ast.Related:
        quantifier, *roles, body = children
        assert isinstance(quantifier, Token)
        assert not isinstance(body, Token)
        names = tuple(
            ast.Name(str(role), span=self._token_span(role))
            for role in roles
            if isinstance(role, Token)
        )
        return ast.Related(ast.Quantifier(str(quantifier)), names, body, span=self._span(meta))


def _filter_and_window(
    children: Sequence[Token | ast.Node],
) -> tuple[ast.Expr | None, ast.Window | None]:
    query_filter: ast.Expr | None = None
    window: ast.Window | None = None
    for child in children:
        if isinstance(child, ast.Within | ast.Since):
            window = child
        elif not isinstance(child, Token):
            query_filter = child
    return query_filter, window
