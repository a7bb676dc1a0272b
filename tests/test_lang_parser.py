"""The condition parser: grammar, AST shape, spans in YAML coordinates, syntax errors."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules import ast
from credit_rules.ast import CompareOp, Quantifier
from credit_rules.errors import ConditionSyntaxError
from credit_rules.model import Period
from credit_rules.parser import MAX_DEPTH, build_parser, grammar_text, parse
from credit_rules.spans import Span
from strategies import ascii_noise, condition_words


def test_grammar_is_conflict_free_lalr() -> None:
    parser = build_parser(strict=True)  # strict: any shift/reduce conflict or collision raises
    tree = parser.parse('listed("judgment_defaulter") and not subject.minor')
    assert tree.data == "and_c"
    assert len(tree.children) == 2


def test_grammar_is_package_data() -> None:
    text = grammar_text()
    assert text.startswith("// The condition language of `when:`")
    assert "open_query:" in text


N = ast.Name
S = ast.StringLiteral


def listed(name: str) -> ast.Call:
    return ast.Call("listed", (S(name),))


GOLDEN: list[tuple[str, ast.Expr]] = [
    ('listed("judgment_defaulter")', listed("judgment_defaulter")),
    (
        'listed("serious_dishonesty") and not subject.minor',
        ast.And((listed("serious_dishonesty"), ast.Not(ast.SubjectAttribute("minor")))),
    ),
    ("a and b and c", ast.And((N("a"), N("b"), N("c")))),
    ("(a and b) and c", ast.And((ast.And((N("a"), N("b"))), N("c")))),
    ("a or b and c", ast.Or((N("a"), ast.And((N("b"), N("c")))))),
    ("not a and b", ast.And((ast.Not(N("a")), N("b")))),
    ("not (a or b)", ast.Not(ast.Or((N("a"), N("b"))))),
    (
        "count(record where kind == administrative_penalty and domain in "
        '{"food_drug", "environment"} and severity >= serious within 3y) >= 2',
        ast.Compare(
            CompareOp.GE,
            ast.Count(
                ast.And(
                    (
                        ast.Compare(CompareOp.EQ, N("kind"), N("administrative_penalty")),
                        ast.Compare(
                            CompareOp.IN,
                            N("domain"),
                            ast.SetLiteral((S("food_drug"), S("environment"))),
                        ),
                        ast.Compare(CompareOp.GE, N("severity"), N("serious")),
                    )
                ),
                ast.Within(Period(3)),
            ),
            ast.IntegerLiteral(2),
        ),
    ),
    (
        'no record where dishonest within 3y and rating("tax") == "A"',
        ast.And(
            (
                ast.RecordQuery(Quantifier.NO, N("dishonest"), ast.Within(Period(3))),
                ast.Compare(CompareOp.EQ, ast.Call("rating", (S("tax"),)), S("A")),
            )
        ),
    ),
    (
        'any related(legal_representative, principal): listed("serious_dishonesty")',
        ast.Related(
            Quantifier.ANY,
            (N("legal_representative"), N("principal")),
            listed("serious_dishonesty"),
        ),
    ),
    (
        'any record where kind == judgment and "refuse_perform" in tags since 2020-01-01',
        ast.RecordQuery(
            Quantifier.ANY,
            ast.And(
                (
                    ast.Compare(CompareOp.EQ, N("kind"), N("judgment")),
                    ast.Compare(CompareOp.IN, S("refuse_perform"), N("tags")),
                )
            ),
            ast.Since(datetime.date(2020, 1, 1)),
        ),
    ),
    # an open query swallows the rest of its parentheses; a window closes it
    (
        "a and any record where x or y",
        ast.And(
            (
                N("a"),
                ast.RecordQuery(Quantifier.ANY, ast.Or((N("x"), N("y"))), None),
            )
        ),
    ),
    (
        "(any record where x) or y",
        ast.Or((ast.RecordQuery(Quantifier.ANY, N("x"), None), N("y"))),
    ),
    ("any record", ast.RecordQuery(Quantifier.ANY, None, None)),
    ("no record within 6m", ast.RecordQuery(Quantifier.NO, None, ast.Within(Period(0, 6)))),
    (
        "any record within 1y6m",
        ast.RecordQuery(Quantifier.ANY, None, ast.Within(Period(1, 6))),
    ),
    (
        "any record within 1y 6m 30d",
        ast.RecordQuery(Quantifier.ANY, None, ast.Within(Period(1, 6, 30))),
    ),
    ('"x" not in tags', ast.Compare(CompareOp.NOT_IN, S("x"), N("tags"))),
    ('"say \\"hi\\" \\\\ bye" in tags', ast.Compare(CompareOp.IN, S('say "hi" \\ bye'), N("tags"))),
    ('"失信" in tags', ast.Compare(CompareOp.IN, S("失信"), N("tags"))),
    (
        "decided_on >= 2020-02-29",
        ast.Compare(CompareOp.GE, N("decided_on"), ast.DateLiteral(datetime.date(2020, 2, 29))),
    ),
    ("true or false", ast.Or((ast.BooleanLiteral(True), ast.BooleanLiteral(False)))),
    ("android", N("android")),
    ("f()", ast.Call("f", ())),
    ("not not x", ast.Not(ast.Not(N("x")))),
    (
        "count(record) < 1",
        ast.Compare(CompareOp.LT, ast.Count(None, None), ast.IntegerLiteral(1)),
    ),
    ('  \n listed( "x" )\n', listed("x")),
]


@pytest.mark.parametrize(("text", "expected"), GOLDEN, ids=[text for text, _ in GOLDEN])
def test_parse_golden(text: str, expected: ast.Expr) -> None:
    assert parse(text) == expected


def test_spans_without_positions_count_lines_and_columns_in_the_text() -> None:
    expr = parse('listed("x")\n  and not subject.minor')
    assert isinstance(expr, ast.And)
    assert expr.span == Span("<when>", 0, 35, 1, 1, 2, 24)
    negation = expr.operands[1]
    assert negation.span == Span("<when>", 18, 35, 2, 7, 2, 24)
    assert isinstance(negation, ast.Not)
    assert negation.operand.span == Span("<when>", 22, 35, 2, 11, 2, 24)
    call = expr.operands[0]
    assert isinstance(call, ast.Call)
    assert call.args[0].span == Span("<when>", 7, 10, 1, 8, 1, 11)


def test_related_roles_have_their_own_spans() -> None:
    expr = parse('any related(principal, director): listed("x")', source="c.yaml")
    assert isinstance(expr, ast.Related)
    assert [role.span for role in expr.roles] == [
        Span("c.yaml", 12, 21, 1, 13, 1, 22),
        Span("c.yaml", 23, 31, 1, 24, 1, 32),
    ]


# A catalog file whose measures have `when:` in double-quoted scalars over two lines.
CATALOG = """\
measures:
  - id: restrict-flight
    when: listed("judgment_defaulter")
  - id: restrict-office
    when: "listed(\\"serious_dishonesty\\")
      and (subject.minor"
"""
# What the YAML loader reads from the scalar of restrict-office ...
WHEN = 'listed("serious_dishonesty") and (subject.minor'


def yaml_positions(length: int) -> tuple[tuple[int, int], ...]:
    """... and where each of its characters stands in the file, as the loader reports it."""
    first_line = [
        *((5, 12 + i) for i in range(7)),  # listed(
        (5, 19),  # \" (an escape: two characters in the file, one in the text)
        *((5, 21 + i) for i in range(18)),  # serious_dishonesty
        (5, 39),  # \"
        (5, 41),  # )
        (5, 42),  # the line break, folded into a space
    ]
    second_line = [(6, 7 + i) for i in range(length - len(first_line))]
    return tuple(first_line + second_line)


def test_positions_put_spans_in_yaml_coordinates() -> None:
    text = WHEN + ")"
    expr = parse(text, source="c.yaml", positions=yaml_positions(len(text)))
    assert isinstance(expr, ast.And)
    assert expr.span == Span("c.yaml", 0, 48, 5, 12, 6, 26)
    assert expr.operands[0].span == Span("c.yaml", 0, 28, 5, 12, 5, 42)
    assert expr.operands[1].span == Span("c.yaml", 34, 47, 6, 12, 6, 25)
    assert isinstance(expr.operands[0], ast.Call)
    assert expr.operands[0].args[0].span == Span("c.yaml", 7, 27, 5, 19, 5, 40)


def test_syntax_error_inside_a_yaml_file_points_at_the_file() -> None:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse(WHEN, source="c.yaml", positions=yaml_positions(len(WHEN)))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "CR-E301"
    assert diagnostic.message == "unexpected end of condition; expected `)`"
    assert diagnostic.span == Span("c.yaml", 47, 47, 6, 25, 6, 25)
    assert diagnostic.long(CATALOG) == (
        "c.yaml:6:25: CR-E301: unexpected end of condition; expected `)`\n"
        '          and (subject.minor"\n'
        "                            ^"
    )
    assert str(caught.value) == "c.yaml:6:25: CR-E301: unexpected end of condition; expected `)`"


# (text, code, message, column, end column, help)
SYNTAX_ERRORS: list[tuple[str, str, str, int, int, str | None]] = [
    ("", "CR-E301", "unexpected end of condition; expected a condition", 1, 1, None),
    (
        'listed("x") and',
        "CR-E301",
        "unexpected end of condition; expected a condition",
        16,
        16,
        None,
    ),
    ('(listed("x")', "CR-E301", "unexpected end of condition; expected `)`", 13, 13, None),
    (
        'listed("x"))',
        "CR-E301",
        "unexpected `)`; expected end of condition",
        12,
        13,
        "this `)` has no matching `(`",
    ),
    (")", "CR-E301", "unexpected `)`; expected a condition", 1, 2, "this `)` has no matching `(`"),
    ("kind ==", "CR-E301", "unexpected end of condition; expected a value", 8, 8, None),
    (
        "any",
        "CR-E301",
        "unexpected end of condition; expected `record` or `related`",
        4,
        4,
        None,
    ),
    (
        "any record where x within",
        "CR-E301",
        "unexpected end of condition; expected a duration such as `3y`",
        26,
        26,
        None,
    ),
    (
        "any record since 2020",
        "CR-E301",
        "unexpected `2020`; expected a date such as `2020-01-01`",
        18,
        22,
        None,
    ),
    ('listed("x" "y")', "CR-E301", 'unexpected `"y"`; expected `,` or `)`', 12, 15, None),
    (
        "a && b",
        "CR-E301",
        "unexpected character `&`; expected `and`, `or` or end of condition",
        3,
        4,
        "combine conditions with `and`, `or` and `not`",
    ),
    (
        "kind = judgment",
        "CR-E301",
        "unexpected character `=`; expected `and`, `or` or end of condition",
        6,
        7,
        "compare with `==`",
    ),
    (
        "kind == record",
        "CR-E301",
        "unexpected `record`; expected a value",
        9,
        15,
        "`record` is a reserved word and cannot be used as a name",
    ),
    (
        "a b",
        "CR-E301",
        "unexpected `b`; expected `and`, `or` or end of condition",
        3,
        4,
        None,
    ),
    (
        '"abc',
        "CR-E301",
        'unterminated text: the closing `"` is missing',
        1,
        2,
        'text is written in double quotes on one line, such as `"food_drug"`',
    ),
    (
        "a == 'x'",
        "CR-E301",
        "unexpected character `'`; expected a value",
        6,
        7,
        'text is written in double quotes, such as `"food_drug"`',
    ),
    (
        "3y6m7x",
        "CR-E301",
        "`3y6m7x` is not a number, a date or a duration",
        1,
        7,
        "write numbers as `2`, dates as `2020-01-01` and durations as `3y`, `6m`, `30d` or `1y 6m`",
    ),
    (
        "decided_on > 2020-1-1",
        "CR-E301",
        "`2020-1-1` is not a number, a date or a duration",
        14,
        22,
        "write numbers as `2`, dates as `2020-01-01` and durations as `3y`, `6m`, `30d` or `1y 6m`",
    ),
    (
        "a （b",
        "CR-E301",
        "unexpected character `（`; expected `and`, `or` or end of condition",
        3,
        4,
        "use the ASCII `(` instead of the full-width `（`",
    ),
    (
        "a ==\u3000b",
        "CR-E301",
        "unexpected character U+3000 (IDEOGRAPHIC SPACE); expected a value",
        5,
        6,
        "use an ordinary space instead of the full-width space",
    ),
    (
        "a\x00",
        "CR-E301",
        "unexpected character U+0000; expected `and`, `or` or end of condition",
        2,
        3,
        None,
    ),
    ("decided_on > 2023-02-30", "CR-E303", "`2023-02-30` is not a calendar date", 14, 24, None),
    (
        '"a\\q" in tags',
        "CR-E303",
        "unknown escape `\\q` in text",
        1,
        6,
        'only `\\"` and `\\\\` may follow a backslash',
    ),
    (
        "count(record where x) in",
        "CR-E301",
        "unexpected end of condition; expected a value",
        25,
        25,
        None,
    ),
    ("{}", "CR-E301", "unexpected `}`; expected a value", 2, 3, None),
]


@pytest.mark.parametrize(
    ("text", "code", "message", "column", "end_column", "help"),
    SYNTAX_ERRORS,
    ids=[case[0] or "<empty>" for case in SYNTAX_ERRORS],
)
def test_syntax_errors(
    text: str, code: str, message: str, column: int, end_column: int, help: str | None
) -> None:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse(text, source="m.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.help) == (code, message, help)
    assert diagnostic.span is not None
    assert (diagnostic.span.source, diagnostic.span.line) == ("m.yaml", 1)
    assert (diagnostic.span.column, diagnostic.span.end_column) == (column, end_column)


def test_caret_under_the_offending_token() -> None:
    text = "any record where kind == judgment within 3 years"
    with pytest.raises(ConditionSyntaxError) as caught:
        parse(text)
    assert caught.value.diagnostics[0].long(text) == (
        "<when>:1:42: CR-E301: unexpected `3`; expected a duration such as `3y`\n"
        "    any record where kind == judgment within 3 years\n" + " " * (4 + 41) + "^"
    )


def test_nesting_deeper_than_the_limit_is_a_positioned_error() -> None:
    text = "not " * (MAX_DEPTH + 10) + "x"
    with pytest.raises(ConditionSyntaxError) as caught:
        parse(text)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "CR-E302"
    assert diagnostic.message == "condition nested too deeply"
    assert diagnostic.help == "a condition may nest at most 64 levels: split it into simpler parts"
    assert diagnostic.span is not None
    assert diagnostic.span.column == 4 * MAX_DEPTH + 1


def test_nesting_at_the_limit_parses() -> None:
    expr = parse("not " * (MAX_DEPTH - 1) + "x")
    depth = 0
    while isinstance(expr, ast.Not):
        expr, depth = expr.operand, depth + 1
    assert (depth, expr) == (MAX_DEPTH - 1, N("x"))


def test_alternating_nesting_is_limited_too() -> None:
    text = "a"
    for level in range(MAX_DEPTH + 1):
        text = f"(x{level} {'and' if level % 2 else 'or'} {text})"
    with pytest.raises(ConditionSyntaxError) as caught:
        parse(text)
    assert [d.code for d in caught.value.diagnostics] == ["CR-E302"]


def test_parentheses_alone_do_not_nest() -> None:
    assert parse("(" * 5000 + "x" + ")" * 5000) == N("x")


def test_long_flat_chains_are_not_nesting() -> None:
    expr = parse(" and ".join(f"x{i}" for i in range(2000)))
    assert isinstance(expr, ast.And)
    assert len(expr.operands) == 2000


def test_unclosed_parentheses_deep() -> None:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse("(" * 5000)
    assert caught.value.diagnostics[0].message == (
        "unexpected end of condition; expected a condition"
    )


def _parses_or_fails_cleanly(text: str) -> None:
    try:
        expr = parse(text)
    except ConditionSyntaxError as problem:
        (diagnostic,) = problem.diagnostics
        assert diagnostic.code in {"CR-E301", "CR-E302", "CR-E303"}
        assert diagnostic.span is not None
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert diagnostic.message
        assert "\n" not in diagnostic.message
    else:
        assert isinstance(expr, ast.EXPR_TYPES)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_random_unicode_never_crashes(text: str) -> None:
    _parses_or_fails_cleanly(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition_words)
def test_random_word_salad_never_crashes(text: str) -> None:
    _parses_or_fails_cleanly(text)


@settings(max_examples=200, deadline=None)
@given(ascii_noise)
def test_random_ascii_never_crashes(text: str) -> None:
    _parses_or_fails_cleanly(text)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 300), st.sampled_from(["(", "not ", "{", "count(record where "]))
def test_deep_prefixes_never_crash(depth: int, prefix: str) -> None:
    _parses_or_fails_cleanly(prefix * depth + "x")
