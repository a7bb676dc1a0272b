"""The canonical printer: identity file, minimal parentheses, AST → text → AST round trip."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from credit_rules import ast
from credit_rules.ast import CompareOp, Quantifier
from credit_rules.model import Period
from credit_rules.parser import parse
from credit_rules.printer import period_text, string_text, to_text
from strategies import conditions, filter_exprs, typed_conditions

IDENTITY = [
    line
    for line in (Path(__file__).parent / "lang_identity.txt").read_text("utf-8").splitlines()
    if line
]


def test_identity_file_is_not_empty() -> None:
    assert len(IDENTITY) == 53


@pytest.mark.parametrize("line", IDENTITY)
def test_identity(line: str) -> None:
    assert to_text(parse(line)) == line


N = ast.Name


def query(quantifier: Quantifier = Quantifier.ANY, window: ast.Window | None = None) -> ast.Expr:
    return ast.RecordQuery(quantifier, N("dishonest"), window)


PRINTED: list[tuple[ast.Expr, str]] = [
    (ast.And((N("a"), ast.Or((N("b"), N("c"))))), "a and (b or c)"),
    (ast.Or((N("a"), ast.And((N("b"), N("c"))))), "a or b and c"),
    (ast.And((ast.And((N("a"), N("b"))), N("c"))), "(a and b) and c"),
    (ast.Not(ast.And((N("a"), N("b")))), "not (a and b)"),
    (ast.Not(ast.Not(N("a"))), "not not a"),
    (ast.And((query(), N("b"))), "(any record where dishonest) and b"),
    (ast.And((N("b"), query())), "b and any record where dishonest"),
    (
        ast.And((query(window=ast.Within(Period(1))), N("b"))),
        "any record where dishonest within 1y and b",
    ),
    (ast.Or((ast.Not(query()), N("b"))), "(not any record where dishonest) or b"),
    (
        ast.Or(
            (
                ast.Related(Quantifier.NO, (N("principal"),), ast.Or((N("a"), N("b")))),
                N("c"),
            )
        ),
        "(no related(principal): a or b) or c",
    ),
    (
        ast.Related(Quantifier.ANY, (N("principal"),), ast.And((N("a"), query()))),
        "any related(principal): a and any record where dishonest",
    ),
    (
        ast.Compare(
            CompareOp.NOT_IN,
            N("domain"),
            ast.SetLiteral((ast.StringLiteral("a"), ast.StringLiteral('b"c'))),
        ),
        'domain not in {"a", "b\\"c"}',
    ),
    (
        ast.Compare(
            CompareOp.LT, ast.Count(None, ast.Since(datetime.date(9, 1, 2))), ast.IntegerLiteral(1)
        ),
        "count(record since 0009-01-02) < 1",
    ),
    (ast.DurationLiteral(Period()), "0d"),
    (ast.Call("f", (ast.IntegerLiteral(1), ast.BooleanLiteral(False))), "f(1, false)"),
]


@pytest.mark.parametrize(("expr", "text"), PRINTED, ids=[text for _, text in PRINTED])
def test_printed(expr: ast.Expr, text: str) -> None:
    assert to_text(expr) == text
    assert parse(text) == expr


def test_period_and_string_text() -> None:
    assert [period_text(Period(*p)) for p in [(3, 0, 0), (0, 6, 0), (1, 6, 30), (0, 0, 0)]] == [
        "3y",
        "6m",
        "1y 6m 30d",
        "0d",
    ]
    assert string_text('a"b\\c') == '"a\\"b\\\\c"'


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions)
def test_round_trip_any_grammatical_ast(expr: ast.Expr) -> None:
    text = to_text(expr)
    assert parse(text) == expr
    assert "\n" not in text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filter_exprs)
def test_round_trip_filters(expr: ast.Expr) -> None:
    text = f"any record where {to_text(expr)} within 1y"
    parsed = parse(text)
    assert parsed == ast.RecordQuery(Quantifier.ANY, expr, ast.Within(Period(1)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_conditions)
def test_printing_is_stable(expr: ast.Expr) -> None:
    text = to_text(expr)
    assert to_text(parse(text)) == text
