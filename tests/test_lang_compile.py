"""Compiled conditions: semantics and witnesses, generated source, and agreement with the
reference interpreter on random conditions and records."""

from __future__ import annotations

import datetime
import linecache

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules import ast
from credit_rules.ast import Quantifier
from credit_rules.check import (
    Checked,
    Condition,
    DishonestTest,
    Exists,
    Negation,
    Query,
    check,
    index_keys,
    record_keys,
    triggers,
)
from credit_rules.compile import (
    CompiledCondition,
    Env,
    compile_condition,
    compile_conditions,
    make_env,
    union,
)
from credit_rules.engine import index_keys_of
from credit_rules.errors import CompileError
from credit_rules.facts import Facts, build_facts
from credit_rules.model import (
    Dossier,
    EffectiveDocument,
    Period,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Role,
    Severity,
    Subject,
    SubjectKind,
    Vocabulary,
)
from credit_rules.parser import parse
from credit_rules.printer import to_text
from reference_interpreter import evaluate
from strategies import POLICY, VOCABULARY, counting_facts, facts, typed_conditions

AS_OF = datetime.date(2024, 6, 30)
PENALTY = EffectiveDocument("行政处罚决定书", "X市监罚〔2021〕1号")
JUDGMENT = EffectiveDocument("判决书", "(2021)X01民初1号")


def record(record_id: str, kind: RecordKind, decided_on: datetime.date, **fields: object) -> Record:
    subject_id = str(fields.pop("subject_id", "E1"))
    return Record(record_id, subject_id, kind, decided_on, **fields)  # type: ignore[arg-type]


D = datetime.date
RECORDS = (
    record("L1", RecordKind.LIST_ENTRY, D(2023, 5, 1), list_name="judgment_defaulter"),
    record("L2", RecordKind.LIST_ENTRY, D(2024, 1, 10), list_name="judgment_defaulter"),
    record(
        "P1",
        RecordKind.ADMINISTRATIVE_PENALTY,
        D(2021, 7, 1),
        domain="food_drug",
        severity=Severity.SERIOUS,
        document=PENALTY,
        authority="X市市场监督管理局",
    ),
    # decided exactly three years before as_of: outside `within 3y`, inside `since 2021-06-30`
    record(
        "J1",
        RecordKind.JUDGMENT,
        D(2021, 6, 30),
        document=JUDGMENT,
        tags=frozenset({"refuse_perform"}),
    ),
    record("R1", RecordKind.RATING, D(2023, 4, 1), scheme="tax", grade="B"),
    record("R2", RecordKind.RATING, D(2022, 4, 1), scheme="tax", grade="A"),
    record("C1", RecordKind.COMMENDATION, D(2024, 3, 1)),
    record(
        "X1",
        RecordKind.ADMINISTRATIVE_PENALTY,
        D(2024, 2, 1),
        domain="food_drug",
        severity=Severity.SEVERE,
        document=PENALTY,
        status=RecordStatus.OBJECTION_PENDING,
    ),
    record(
        "V1",
        RecordKind.ADMINISTRATIVE_PENALTY,
        D(2023, 1, 1),
        severity=Severity.SEVERE,
        document=PENALTY,
        status=RecordStatus.REVOKED,
    ),
)
COMPANY = Subject(
    "E1", SubjectKind.LEGAL_PERSON, "某食品有限公司", region="350100", state_owned=True
)
REPRESENTATIVE = Subject("P1", SubjectKind.NATURAL_PERSON, "张三")
PRINCIPAL = Subject("P2", SubjectKind.NATURAL_PERSON, "李四")
DOSSIER = Dossier(
    COMPANY,
    RECORDS,
    (
        Related(
            Role.LEGAL_REPRESENTATIVE,
            REPRESENTATIVE,
            (
                record(
                    "PL1",
                    RecordKind.LIST_ENTRY,
                    D(2024, 2, 2),
                    list_name="judgment_defaulter",
                    subject_id="P1",
                ),
            ),
        ),
        Related(Role.PRINCIPAL, PRINCIPAL, ()),
        Related(Role.DIRECTOR, PRINCIPAL, (), until=D(2020, 1, 1)),  # no longer current
    ),
)
FACTS = build_facts(DOSSIER, as_of=AS_OF, vocabulary=VOCABULARY, policy=POLICY)


def run(text: str, *, include_pending: bool = False) -> tuple[str, ...] | None:
    compiled = compile_condition(check(parse(text), VOCABULARY), name="test")
    witnesses = compiled(make_env(FACTS, include_pending=include_pending))
    return None if witnesses is None else tuple(r.id for r in witnesses)


# (condition, witnesses without pending records, witnesses with them)
CASES: list[tuple[str, tuple[str, ...] | None, tuple[str, ...] | None]] = [
    ('listed("judgment_defaulter")', ("L1", "L2"), ("L1", "L2")),
    ('listed("red_list")', None, None),
    ("any record where dishonest within 3y", ("P1", "L1", "L2"), ("P1", "L1", "L2", "X1")),
    (
        "any record where dishonest since 2021-06-30",
        ("J1", "P1", "L1", "L2"),
        ("J1", "P1", "L1", "L2", "X1"),
    ),
    ('any record where kind == judgment and "refuse_perform" in tags', ("J1",), ("J1",)),
    ("any record where severity >= serious", ("P1",), ("P1", "X1")),
    ("any record where severity < serious", None, None),
    ('any record where document == "判决书"', ("J1",), ("J1",)),
    (
        'any record where authority != "X市市场监督管理局" and dishonest',
        ("J1", "L1", "L2"),
        ("J1", "L1", "L2", "X1"),
    ),
    ("any record where decided_on >= 2024-01-10", ("L2", "C1"), ("L2", "X1", "C1")),
    ("any record within 6m", ("L2", "C1"), ("L2", "X1", "C1")),
    ("no record where severity == severe", (), None),
    ("no record where kind == arbitration", (), ()),
    ('rating("tax") == "B"', ("R1",), ("R1",)),
    ('rating("tax") >= "A"', None, None),
    ('rating("tax") != "A"', ("R1",), ("R1",)),
    ('rating("customs") != "A"', (), ()),
    ('rating("customs") == "A"', None, None),
    ("count(record where kind == administrative_penalty) >= 1", ("P1",), ("P1", "X1")),
    ("count(record where kind == administrative_penalty) < 2", ("P1",), None),
    ("count(record where kind == arbitration) == 0", (), ()),
    # and: union of witnesses, each record once, in order
    (
        'listed("judgment_defaulter") and any record where kind == list_entry',
        ("L1", "L2"),
        ("L1", "L2"),
    ),
    (
        '(any record where kind == judgment) and listed("judgment_defaulter")',
        ("J1", "L1", "L2"),
        ("J1", "L1", "L2"),
    ),
    ('listed("judgment_defaulter") and subject.state_owned', ("L1", "L2"), ("L1", "L2")),
    ('listed("judgment_defaulter") and subject.minor', None, None),
    # or: the first branch that holds
    (
        'rating("tax") == "A" or listed("judgment_defaulter") or any record',
        ("L1", "L2"),
        ("L1", "L2"),
    ),
    # not: true without witnesses
    ('not listed("red_list")', (), ()),
    ('not listed("judgment_defaulter")', None, None),
    ("subject.kind == legal_person", (), ()),
    ('subject.region in {"110000", "350100"}', (), ()),
    ('subject.region != "350100"', None, None),
    (
        'any related(legal_representative, principal): listed("judgment_defaulter")',
        ("PL1",),
        ("PL1",),
    ),
    ('no related(principal): listed("judgment_defaulter")', (), ()),
    ('no related(legal_representative): listed("judgment_defaulter")', None, None),
    ("any related(principal): true", (), ()),
    ("any related(director): true", None, None),
    ("any related(legal_representative): subject.kind == natural_person", (), ()),
]


@pytest.mark.parametrize(
    ("text", "confirmed", "with_pending"), CASES, ids=[text for text, _, _ in CASES]
)
def test_witnesses(
    text: str, confirmed: tuple[str, ...] | None, with_pending: tuple[str, ...] | None
) -> None:
    assert run(text) == confirmed
    assert run(text, include_pending=True) == with_pending
    expr = parse(text)
    for include_pending, expected in ((False, confirmed), (True, with_pending)):
        reference = evaluate(expr, FACTS, VOCABULARY, include_pending=include_pending)
        assert (None if reference is None else tuple(r.id for r in reference)) == expected


def test_witnesses_are_the_counted_records_themselves() -> None:
    compiled = compile_condition(
        check(parse("any record where dishonest"), VOCABULARY), name="identity"
    )
    witnesses = compiled(make_env(FACTS, include_pending=False))
    assert witnesses is not None
    assert all(any(w is c for c in FACTS.counted) for w in witnesses)


def test_env_indexes_and_windows() -> None:
    env = make_env(FACTS, include_pending=True)
    assert [r.id for r in env.records] == ["J1", "P1", "R2", "R1", "L1", "L2", "X1", "C1"]
    assert [r.id for r in env.by_kind[RecordKind.ADMINISTRATIVE_PENALTY]] == ["P1", "X1"]
    assert sorted(env.lists) == ["judgment_defaulter"]
    assert env.ratings["tax"].id == "R1"
    assert [(role, other.subject.id) for role, other in env.related] == [
        (Role.LEGAL_REPRESENTATIVE, "P1"),
        (Role.PRINCIPAL, "P2"),
    ]
    assert env.window_start(Period(3)) == D(2021, 6, 30)
    assert env.window_start(Period(3)) == D(2021, 6, 30)  # from the cache
    assert env.window_start(Period(0, 4, 1)) == D(2024, 2, 28)  # 29 Feb, then a day


def test_env_without_pending_records_is_the_counted_tuple() -> None:
    env = make_env(FACTS, include_pending=False)
    assert env.records is FACTS.counted
    assert env.minor is False
    assert env.as_of == AS_OF


def test_union_keeps_first_occurrence_order() -> None:
    a, b, c = RECORDS[:3]
    assert union() == ()
    assert union((), (a,)) == (a,)
    assert union((a, b), (b, c), (a,)) == (a, b, c)


def test_generated_source_is_readable_and_registered() -> None:
    expr = parse(
        'listed("judgment_defaulter") and any record where dishonest within 3y', source="c.yaml"
    )
    compiled = compile_condition(check(expr, VOCABULARY), name="restrict-flight")
    assert isinstance(compiled, CompiledCondition)
    assert compiled.filename.startswith("<credit_rules when restrict-flight #")
    lines = linecache.getlines(compiled.filename)
    assert "".join(lines) == compiled.source
    assert (
        '    # measure restrict-flight: listed("judgment_defaulter") and any record where '
        "dishonest within 3y\n"
    ) in lines
    assert "    # written at c.yaml:1:1\n" in lines
    assert "def when_restrict_flight(env):\n" in lines
    assert "    # AllOf at c.yaml:1:1\n" in lines
    start = lines.index("    v3 = _window(env.as_of, 3, 0, 0)\n")
    assert lines[start + 1 : start + 9] == [
        "    v4 = env.dishonest\n",
        "    if len(v4) > 24:\n",
        "        v4 = v4[_bisect_right(v4, v3, key=_DECIDED):]\n",
        "    v2 = []\n",
        "    for r in v4:\n",
        "        if r.decided_on > v3:\n",
        "            v2.append(r)\n",
        "    v2 = tuple(v2) if v2 else None\n",
    ]
    assert compiled.function(make_env(FACTS, include_pending=False)) is not None


def test_errors_in_generated_code_show_its_lines() -> None:
    compiled = compile_condition(check(parse('listed("red_list")'), VOCABULARY), name="m")

    class Broken:
        pass

    with pytest.raises(AttributeError) as caught:
        compiled(Broken())  # type: ignore[arg-type]
    frames = [entry for entry in caught.traceback if str(entry.path) == compiled.filename]
    assert len(frames) == 1
    assert str(frames[0].statement).strip() == "v1 = env.lists.get('red_list')"


def test_user_text_is_only_ever_a_literal() -> None:
    hostile = "x'); boom(); ('\\"
    vocabulary = attrs.evolve(VOCABULARY, domains={**VOCABULARY.domains, hostile: "?"})
    text = (
        f'any record where domain == "{hostile.replace(chr(92), chr(92) * 2)}" or "\u2028" in tags'
    )
    expr = parse(text)
    compiled = compile_condition(check(expr, vocabulary), name="m\u2028x\n# y")
    assert len(compiled.source.splitlines()) == compiled.source.count("\n")
    assert repr(hostile) in compiled.source
    odd = record("H1", RecordKind.JUDGMENT, D(2024, 1, 1), domain=hostile, document=JUDGMENT)
    facts = build_facts(Dossier(COMPANY, (odd,)), as_of=AS_OF, vocabulary=vocabulary, policy=POLICY)
    witnesses = compiled(make_env(facts, include_pending=False))
    assert witnesses is not None
    assert [r.id for r in witnesses] == ["H1"]


def test_many_conditions_in_one_module() -> None:
    first, second = compile_conditions(
        [
            ("a", check(parse('listed("judgment_defaulter")'), VOCABULARY)),
            ("a", check(parse('rating("tax") == "B"'), VOCABULARY)),
        ]
    )
    assert first.filename == second.filename
    assert "def when_a(env):" in first.source
    assert "def when_a_2(env):" in first.source
    env = make_env(FACTS, include_pending=False)
    assert [r.id for r in first(env) or ()] == ["L1", "L2"]
    assert [r.id for r in second(env) or ()] == ["R1"]


def test_minor_subject() -> None:
    child = Subject("C", SubjectKind.NATURAL_PERSON, birth_date=D(2010, 1, 1))
    facts = build_facts(Dossier(child), as_of=AS_OF, vocabulary=VOCABULARY, policy=POLICY)
    compiled = compile_condition(check(parse("subject.minor"), VOCABULARY), name="m")
    assert compiled(make_env(facts, include_pending=False)) == ()
    assert evaluate(parse("subject.minor"), facts, VOCABULARY, include_pending=False) == ()


def _key_matches(record: Record, key: str) -> bool:
    if key == f"kind:{record.kind.value}":
        return True
    return record.kind is RecordKind.LIST_ENTRY and key == f"list:{record.list_name}"


def _agree(conditions: list[ast.Expr], subject_facts: Facts) -> None:
    envs = {flag: make_env(subject_facts, include_pending=flag) for flag in (False, True)}
    for expr in conditions:
        checked = check(expr, VOCABULARY)
        compiled = compile_condition(checked, name="random")
        for flag, env in envs.items():
            got = compiled(env)
            expected = evaluate(expr, subject_facts, VOCABULARY, include_pending=flag)
            assert got == expected, to_text(expr)
            if got is not None and expected is not None:
                assert all(a is b for a, b in zip(got, expected, strict=True))
        keys = triggers(checked)
        pool = (*subject_facts.counted, *subject_facts.pending)
        if keys is not None and compiled(envs[True]) is not None:
            assert any(_key_matches(r, k) for r in pool for k in keys) or (
                "related" in keys and subject_facts.related
            ), to_text(expr)
        # the matcher's finer index keys never miss a true condition either
        fine = index_keys(checked)
        if fine is not None and compiled(envs[True]) is not None:
            matched = {k for r in pool for k in index_keys_of(r)}
            if subject_facts.related:
                matched.add("related")
            for _, related in subject_facts.related:
                for record in (*related.counted, *related.pending):
                    matched.update(f"related:{k}" for k in index_keys_of(record))
            assert not fine.isdisjoint(matched), to_text(expr)
        # records under objection that match none of record_keys cannot change the value
        relevant = record_keys(checked)
        pending_keys = {k for r in subject_facts.pending for k in index_keys_of(r)}
        if any(related.pending for _, related in subject_facts.related):
            pending_keys.add("related")
        if relevant is not None and relevant.isdisjoint(pending_keys):
            assert compiled(envs[True]) == compiled(envs[False]), to_text(expr)


@settings(
    max_examples=350,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(facts(), st.lists(typed_conditions, min_size=6, max_size=6))
def test_compiled_agrees_with_reference_interpreter(
    subject_facts: Facts, conditions: list[ast.Expr]
) -> None:
    """Thousands of random conditions × random record sets; triggers never miss a true one."""
    _agree(conditions, subject_facts)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    counting_facts(min_records=25, max_records=60),
    st.lists(typed_conditions, min_size=4, max_size=4),
)
def test_compiled_agrees_with_reference_interpreter_on_many_records(
    subject_facts: Facts, conditions: list[ast.Expr]
) -> None:
    """With many records the compiled windows start by binary search; same answers."""
    _agree(conditions, subject_facts)


def test_code_python_cannot_compile_is_a_positioned_error() -> None:
    # the parser's depth limit keeps real conditions far from this; a hand-built IR is not
    deep: Condition = DishonestTest(True)
    for _ in range(20000):
        deep = Negation(deep)
    expr = parse("any record where dishonest", source="c.yaml")
    checked = Checked(expr, Exists(Quantifier.ANY, Query(deep, None)), "deep")
    with pytest.raises(CompileError) as caught:
        compile_condition(checked, name="deep")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.help) == (
        "CR-E321",
        "condition cannot be compiled: RecursionError",
        "simplify the condition",
    )
    assert diagnostic.span == expr.span
    assert compile_conditions([]) == ()


def test_empty_vocabulary_condition() -> None:
    compiled = compile_condition(check(parse("true"), Vocabulary()), name="always")
    assert compiled(Env(as_of=AS_OF, subject=COMPANY, minor=False, records=())) == ()
