"""The condition checker: exact diagnostics, normalised IR, trigger keys."""

from __future__ import annotations

import datetime

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from credit_rules import ast
from credit_rules.ast import CompareOp, Quantifier
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
    check,
    query_kinds,
    triggers,
    walk,
)
from credit_rules.errors import ConditionTypeError
from credit_rules.model import Period, RecordKind, Role, Severity, SubjectKind
from credit_rules.parser import parse
from credit_rules.printer import to_text
from credit_rules.spans import Span
from strategies import VOCABULARY, conditions, typed_conditions

_HELP_GRADES = "expected one of `A`, `AA`, `B`, `C`, `D`, `M`"

# (condition, code, message, column, help)
ERRORS: list[tuple[str, str, str, int, str | None]] = [
    (
        'listed("judgement_defaulter")',
        "CR-E311",
        "unknown list `judgement_defaulter`",
        8,
        "did you mean `judgment_defaulter`?",
    ),
    (
        'any record where list == "judgement_defaulter"',
        "CR-E311",
        "unknown list `judgement_defaulter`",
        26,
        "did you mean `judgment_defaulter`?",
    ),
    (
        'any record where domain == "fod_drug"',
        "CR-E312",
        "unknown domain `fod_drug`",
        28,
        "did you mean `food_drug`?",
    ),
    ('rating("tx") == "A"', "CR-E313", "unknown rating scheme `tx`", 8, "did you mean `tax`?"),
    (
        'rating("tax") == "E"',
        "CR-E313",
        "unknown grade `E` of rating scheme `tax`",
        18,
        "grades of `tax`, best first: A, B, M, C, D",
    ),
    (
        'rating("tax") >= "a"',
        "CR-E313",
        "unknown grade `a` of rating scheme `tax`",
        18,
        "did you mean `A`?",
    ),
    (
        'any record where scheme == "tx"',
        "CR-E313",
        "unknown rating scheme `tx`",
        28,
        "did you mean `tax`?",
    ),
    ('any record where grade == "E"', "CR-E313", "unknown grade `E`", 27, _HELP_GRADES),
    (
        "any record where kind == judgement",
        "CR-E314",
        "unknown record kind `judgement`",
        26,
        "did you mean `judgment`?",
    ),
    (
        'any related(legal_rep): listed("red_list")',
        "CR-E314",
        "unknown role `legal_rep`",
        13,
        "did you mean `legal_representative`?",
    ),
    (
        "subject.kinds == legal_person",
        "CR-E314",
        "unknown subject attribute `kinds`",
        1,
        "did you mean `kind`?",
    ),
    ('lsted("red_list")', "CR-E314", "unknown function `lsted`", 1, "did you mean `listed`?"),
    ("minor", "CR-E314", "unknown name `minor`", 1, "did you mean `subject.minor`?"),
    (
        "any record where dishonst",
        "CR-E314",
        "unknown name `dishonst`",
        18,
        "did you mean `dishonest`?",
    ),
    (
        "any record where severity >= 2020-01-01",
        "CR-E315",
        "cannot compare severity with date",
        30,
        None,
    ),
    (
        'any record where severity == "serious"',
        "CR-E315",
        "cannot compare severity with text",
        30,
        "write it without quotes: `serious`",
    ),
    (
        "any record where domain == food_drug",
        "CR-E315",
        "cannot compare domain with name `food_drug`",
        28,
        'write text in double quotes: `"food_drug"`',
    ),
    (
        "any record where kind == serious",
        "CR-E315",
        "cannot compare record kind with severity",
        26,
        None,
    ),
    (
        "judgment",
        "CR-E315",
        "`judgment` is a record kind, not a condition",
        1,
        "compare it, such as `kind == judgment`",
    ),
    (
        'rating("tax")',
        "CR-E315",
        '`rating("tax")` is not a condition',
        1,
        'compare it with something, such as `rating("tax") == "A"`',
    ),
    (
        "count(record)",
        "CR-E315",
        "`count(record)` is not a condition",
        1,
        "compare it with something, such as `count(record where kind == judgment) >= 2`",
    ),
    (
        '"x"',
        "CR-E315",
        '`"x"` is not a condition',
        1,
        "compare it with something, such as `kind == judgment`",
    ),
    (
        'any record where domain < "tax"',
        "CR-E315",
        "`<` does not apply to domain",
        18,
        "it has no order: use `==`, `!=`, `in` or `not in`",
    ),
    (
        'subject.region >= "3501"',
        "CR-E315",
        "`>=` does not apply to region",
        1,
        "it has no order: use `==`, `!=`, `in` or `not in`",
    ),
    (
        "count(record) in {1}",
        "CR-E315",
        "`in` does not apply to count",
        1,
        "use `==`, `!=`, `<`, `<=`, `>` or `>=`",
    ),
    (
        "any record where kind in judgment",
        "CR-E315",
        "`in` needs a set such as `{a, b}` on its right",
        26,
        "write `kind in {judgment}`",
    ),
    (
        "any record where kind == {judgment}",
        "CR-E315",
        "cannot compare record kind with a set",
        26,
        "use `in`: `kind in {judgment}`",
    ),
    (
        'any record where tags == "x"',
        "CR-E315",
        "`==` does not apply to tags",
        18,
        'test one tag with `"repeat_offence" in tags`',
    ),
    (
        "any record where 3 in tags",
        "CR-E315",
        "cannot look for number in tags",
        18,
        'tags are text: write `"repeat_offence" in tags`',
    ),
    (
        "subject.minor == 1",
        "CR-E315",
        "cannot compare `subject.minor` with number",
        18,
        "compare it with `true` or `false`",
    ),
    (
        'any record where decided_on > "2020"',
        "CR-E315",
        "cannot compare decision date with text",
        31,
        "write dates as `2020-01-01`",
    ),
    (
        'rating("tax") >= 2',
        "CR-E315",
        "cannot compare rating grade with number",
        18,
        'grades are text, such as `"A"`',
    ),
    (
        "kind == judgment",
        "CR-E316",
        "record field `kind` can only be used inside `record where`",
        1,
        "such as `any record where kind …`",
    ),
    (
        'any record where listed("red_list")',
        "CR-E316",
        "`listed(...)` cannot be used inside `record where`",
        18,
        'it is about the subject: move it outside, or test `list == "…"` here',
    ),
    (
        'any record where rating("tax") == "A"',
        "CR-E316",
        "`rating(...)` cannot be used inside `record where`",
        18,
        'it is about the subject: move it outside, or test `grade == "…"` here',
    ),
    (
        "any record where count(record) > 1",
        "CR-E316",
        "`count(...)` cannot be used inside `record where`",
        18,
        "count records outside the filter of another record query",
    ),
    (
        "any record where kind == severity",
        "CR-E316",
        "cannot compare `kind` with `severity`",
        18,
        'one side of a comparison must be a value written out, such as `serious`, `"food_drug"` '
        "or `2`",
    ),
    (
        '"a" == "b"',
        "CR-E316",
        "a comparison needs a record field, a subject attribute, `rating(...)` or `count(...)` "
        "on one side",
        1,
        None,
    ),
    (
        'listed("red_list", "key_attention")',
        "CR-E316",
        "`listed` takes one name in double quotes",
        1,
        'such as `listed("judgment_defaulter")`',
    ),
    (
        'listed("red_list") == true',
        "CR-E316",
        "`listed(...)` is a condition by itself and cannot be compared",
        1,
        'write `listed("…")` or `not listed("…")`',
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "message", "column", "help"), ERRORS, ids=[case[0] for case in ERRORS]
)
def test_type_errors(text: str, code: str, message: str, column: int, help: str | None) -> None:
    with pytest.raises(ConditionTypeError) as caught:
        check(parse(text, source="m.yaml"), VOCABULARY)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.help) == (code, message, help)
    assert diagnostic.span is not None
    assert (diagnostic.span.source, diagnostic.span.line, diagnostic.span.column) == (
        "m.yaml",
        1,
        column,
    )


def test_every_error_is_reported_at_once_in_order() -> None:
    text = (
        'listed("judgement_defaulter") and any record where kind == judgement within 3y '
        'or rating("tx") == "A"'
    )
    with pytest.raises(ConditionTypeError) as caught:
        check(parse(text), VOCABULARY)
    assert str(caught.value) == (
        "<when>:1:8: CR-E311: unknown list `judgement_defaulter`\n"
        "<when>:1:60: CR-E314: unknown record kind `judgement`\n"
        "<when>:1:90: CR-E313: unknown rating scheme `tx`"
    )


# A catalog whose `when:` values start at column 11 of their lines (plain one-line scalars).
CATALOG = """\
measures:
  - id: restrict-flight
    when: listed("judgement_defaulter")
  - id: restrict-bonus
    when: any record where severity >= 2020-01-01 within 3y
"""


def _on_line(line: int, text: str) -> tuple[tuple[int, int], ...]:
    return tuple((line, 11 + offset) for offset in range(len(text)))


def test_misspelt_list_in_a_catalog_file_has_file_line_column_and_caret() -> None:
    text = 'listed("judgement_defaulter")'
    with pytest.raises(ConditionTypeError) as caught:
        check(parse(text, source="c.yaml", positions=_on_line(3, text)), VOCABULARY)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.long(CATALOG) == (
        "c.yaml:3:18: CR-E311: unknown list `judgement_defaulter`\n"
        '        when: listed("judgement_defaulter")\n'
        "                     ^~~~~~~~~~~~~~~~~~~~~\n"
        "  help: did you mean `judgment_defaulter`?"
    )


def test_type_error_in_a_catalog_file_has_file_line_column_and_caret() -> None:
    text = "any record where severity >= 2020-01-01 within 3y"
    with pytest.raises(ConditionTypeError) as caught:
        check(parse(text, source="c.yaml", positions=_on_line(5, text)), VOCABULARY)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.long(CATALOG) == (
        "c.yaml:5:40: CR-E315: cannot compare severity with date\n"
        "        when: any record where severity >= 2020-01-01 within 3y\n"
        + " " * (4 + 39)
        + "^~~~~~~~~~"
    )


def test_unknown_tags_are_errors_when_the_vocabulary_declares_tags() -> None:
    vocabulary = attrs.evolve(VOCABULARY, tags={"refuse_perform": "有履行能力而拒不履行"})
    with pytest.raises(ConditionTypeError) as caught:
        check(parse('any record where "refuse_perfom" in tags'), vocabulary)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.help) == (
        "CR-E317",
        "unknown tag `refuse_perfom`",
        "did you mean `refuse_perform`?",
    )
    checked = check(parse('any record where "refuse_perform" in tags'), vocabulary)
    assert checked.condition == Exists(Quantifier.ANY, Query(TagTest("refuse_perform"), None))
    # without declared tags, any tag may be tested
    assert check(parse('any record where "anything" in tags'), VOCABULARY).condition == Exists(
        Quantifier.ANY, Query(TagTest("anything"), None)
    )


def _in_filter(test: Condition) -> Exists:
    return Exists(Quantifier.ANY, Query(test, None))


DAY = datetime.date(2020, 1, 1)
NORMALISED: list[tuple[str, Condition]] = [
    (
        "any record where severity >= serious",
        _in_filter(SeverityTest(frozenset({Severity.SERIOUS, Severity.SEVERE}))),
    ),
    (
        "any record where general < severity",
        _in_filter(SeverityTest(frozenset({Severity.SERIOUS, Severity.SEVERE}))),
    ),
    (
        "any record where severity != serious",
        _in_filter(SeverityTest(frozenset({Severity.SERIOUS}), negated=True)),
    ),
    (
        "any record where severity <= general",
        _in_filter(SeverityTest(frozenset({Severity.GENERAL}))),
    ),
    ('rating("tax") >= "B"', RatingTest("tax", frozenset({"A", "B"}))),
    ('rating("tax") < "M"', RatingTest("tax", frozenset({"C", "D"}))),
    ('"C" >= rating("tax")', RatingTest("tax", frozenset({"C", "D"}))),
    ('rating("tax") not in {"C", "D"}', RatingTest("tax", frozenset({"C", "D"}), negated=True)),
    ('rating("customs") > "A"', RatingTest("customs", frozenset({"AA"}))),
    ("subject.minor == false", SubjectFlagTest("minor", False)),
    ("subject.state_owned != false", SubjectFlagTest("state_owned", True)),
    ("subject.state_owned", SubjectFlagTest("state_owned", True)),
    (
        "subject.kind != natural_person",
        SubjectKindTest(frozenset({SubjectKind.NATURAL_PERSON}), negated=True),
    ),
    ('subject.region in {"350100"}', RegionTest(frozenset({"350100"}))),
    (
        "2 <= count(record where kind == judgment within 1y)",
        CountTest(
            Query(KindTest(frozenset({RecordKind.JUDGMENT})), ast.Within(Period(1))),
            CompareOp.GE,
            2,
        ),
    ),
    ("any record where dishonest == false", _in_filter(DishonestTest(False))),
    ("any record where not dishonest", _in_filter(Negation(DishonestTest(True)))),
    ("any record where decided_on < 2020-01-01", _in_filter(DateTest(CompareOp.LT, DAY))),
    ("any record where 2020-01-01 < decided_on", _in_filter(DateTest(CompareOp.GT, DAY))),
    ('any record where "x" not in tags', _in_filter(TagTest("x", negated=True))),
    (
        'any record where document != "判决书"',
        _in_filter(TextTest("document", frozenset({"判决书"}), negated=True)),
    ),
    (
        "any record where subject.kind == legal_person",
        _in_filter(SubjectKindTest(frozenset({SubjectKind.LEGAL_PERSON}))),
    ),
    (
        "any related(principal, principal, director): true",
        RelatedTest(Quantifier.ANY, (Role.PRINCIPAL, Role.DIRECTOR), Const(True)),
    ),
    (
        'no record where dishonest within 3y and rating("tax") == "A"',
        AllOf(
            (
                Exists(Quantifier.NO, Query(DishonestTest(True), ast.Within(Period(3)))),
                RatingTest("tax", frozenset({"A"})),
            )
        ),
    ),
    (
        'listed("red_list") or not listed("key_attention")',
        AnyOf((Listed("red_list"), Negation(Listed("key_attention")))),
    ),
]


@pytest.mark.parametrize(("text", "ir"), NORMALISED, ids=[text for text, _ in NORMALISED])
def test_normalised_ir(text: str, ir: Condition) -> None:
    assert check(parse(text), VOCABULARY).condition == ir


def test_checked_keeps_ast_and_text() -> None:
    expr = parse('listed( "red_list" )')
    assert check(expr, VOCABULARY) == Checked(expr, Listed("red_list"), 'listed("red_list")')
    assert check(expr, VOCABULARY, source_text='listed( "red_list" )').text == (
        'listed( "red_list" )'
    )


def test_ir_spans_point_at_the_source() -> None:
    checked = check(parse('listed("red_list") and subject.minor', source="c.yaml"), VOCABULARY)
    assert isinstance(checked.condition, AllOf)
    assert [item.span for item in checked.condition.items] == [
        Span("c.yaml", 0, 18, 1, 1, 1, 19),
        Span("c.yaml", 23, 36, 1, 24, 1, 37),
    ]


def test_walk_visits_every_node_in_source_order() -> None:
    checked = check(
        parse('listed("red_list") and any record where kind == judgment or not dishonest'),
        VOCABULARY,
    )
    assert [type(node).__name__ for node in walk(checked.condition)] == [
        "AllOf",
        "Listed",
        "Exists",
        "Query",
        "AnyOf",
        "KindTest",
        "Negation",
        "DishonestTest",
    ]


def _all_kinds() -> frozenset[str]:
    return frozenset(f"kind:{kind.value}" for kind in RecordKind)


TRIGGERS: list[tuple[str, frozenset[str] | None]] = [
    ('listed("red_list")', frozenset({"list:red_list"})),
    ('not listed("red_list")', None),
    ("any record where kind == judgment", frozenset({"kind:judgment"})),
    (
        'any record where kind in {judgment, arbitration} or list == "red_list"',
        frozenset({"kind:judgment", "kind:arbitration", "list:red_list"}),
    ),
    ("any record where severity >= serious", _all_kinds()),
    ("any record where kind != judgment", _all_kinds()),
    ("any record within 1y", _all_kinds()),
    ("no record where dishonest", None),
    ("count(record where kind == judgment) >= 2", frozenset({"kind:judgment"})),
    ("count(record where kind == judgment) != 0", frozenset({"kind:judgment"})),
    ("count(record where kind == judgment) < 2", None),
    ('rating("tax") == "A"', frozenset({"kind:rating"})),
    ('rating("tax") != "A"', None),
    ('listed("red_list") and subject.minor', frozenset({"list:red_list"})),
    (
        'any record where dishonest within 1y and listed("red_list")',
        frozenset({"list:red_list"}),
    ),
    ('listed("red_list") or subject.minor', None),
    (
        'listed("red_list") or any record where kind == judgment',
        frozenset({"list:red_list", "kind:judgment"}),
    ),
    ('any related(principal): listed("red_list")', frozenset({"related"})),
    ('no related(principal): listed("red_list")', None),
    ("true", None),
    ("false", frozenset()),
    ("any record where false", frozenset()),
]


@pytest.mark.parametrize(("text", "keys"), TRIGGERS, ids=[text for text, _ in TRIGGERS])
def test_triggers(text: str, keys: frozenset[str] | None) -> None:
    assert triggers(check(parse(text), VOCABULARY)) == keys


def test_query_kinds() -> None:
    def kinds(text: str) -> frozenset[RecordKind] | None:
        condition = check(parse(text), VOCABULARY).condition
        assert isinstance(condition, Exists)
        return query_kinds(condition.query)

    assert kinds("any record where kind == judgment and dishonest") == {RecordKind.JUDGMENT}
    assert kinds('any record where list == "red_list"') == {RecordKind.LIST_ENTRY}
    assert kinds("any record where kind != judgment") == frozenset(RecordKind) - {
        RecordKind.JUDGMENT
    }
    assert kinds("any record where kind == judgment or dishonest") is None
    assert kinds("any record") is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions)
def test_any_grammatical_condition_checks_or_fails_cleanly(expr: ast.Expr) -> None:
    diagnostics = ()
    try:
        checked = check(expr, VOCABULARY)
    except ConditionTypeError as problem:
        diagnostics = problem.diagnostics
    else:
        assert checked.expr is expr
    for diagnostic in diagnostics:
        assert diagnostic.code in {f"CR-E31{digit}" for digit in range(1, 8)}
        assert "\n" not in diagnostic.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_conditions)
def test_typed_conditions_check(expr: ast.Expr) -> None:
    checked = check(expr, VOCABULARY)
    assert checked.text == to_text(expr)
    assert next(iter(walk(checked.condition))) is checked.condition
