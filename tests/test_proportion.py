"""Runtime checks and lenience (issue 5): scenarios through the engine on
``tests/fixtures/lint/runtime.yaml``, and the checks of ``proportion.py`` one by one.

Scenarios: a minor's record, a force-majeure delay and an unintentional first minor fault do not
lead to the restrictions the same record triggers otherwise, and the decision says why; an
unintentional serious fault counts one step less grave; a penalty without a legally effective
document is set aside with its reason; each runtime check sets a measure aside with its detail.
"""

from __future__ import annotations

import datetime
import pathlib
from typing import Any

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import engine_strategies
import strategies
from credit_rules.catalog import load_catalog
from credit_rules.decision import Decision
from credit_rules.engine import Engine, compile_catalog
from credit_rules.facts import build_facts
from credit_rules.model import (
    Duration,
    DurationKind,
    Impact,
    ListDef,
    ListKind,
    Measure,
    MeasureKind,
    MeasureList,
    Policy,
    Record,
    RecordKind,
    Severity,
    SubjectKind,
    Vocabulary,
)
from credit_rules.proportion import Checker, gravity_of, list_categories, runtime_checks
from credit_rules.records import dossier_from_data

ROOT = pathlib.Path(__file__).resolve().parents[1]
AS_OF = datetime.date(2024, 6, 30)
PENALTY_DOCUMENT = {"kind": "行政处罚决定书", "number": "榕市监罚〔2024〕15号"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return compile_catalog(load_catalog(str(ROOT / "tests/fixtures/lint/runtime.yaml")))


def company(*records: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": {
            "id": "E1",
            "kind": "legal_person",
            "name": "福州某食品有限公司",
            "uscc": "91350100M000100Y43",
        },
        "records": list(records),
    }


def person(birth_date: str, *records: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": {"id": "P1", "kind": "natural_person", "name": "张某", "birth_date": birth_date},
        "records": [{**r, "subject_id": "P1"} for r in records],
    }


def penalty(**fields: Any) -> dict[str, Any]:
    """A serious tax penalty of 2024-03-01 with its decision document."""
    return {
        "id": "R1",
        "kind": "administrative_penalty",
        "domain": "tax",
        "severity": "serious",
        "decided_on": "2024-03-01",
        "document": PENALTY_DOCUMENT,
        "authority": "国家税务总局福州市税务局",
        **fields,
    }


def evaluate(engine: Engine, data: dict[str, Any], matter: str | None = None) -> Decision:
    return engine.evaluate(dossier_from_data(data), as_of=AS_OF, matter=matter)


def statuses(decision: Decision) -> list[tuple[str, str]]:
    return [(o.measure.id, o.status.value) for o in decision.outcomes]


def set_aside(decision: Decision) -> list[tuple[str, str, str]]:
    return [(s.record.id, s.reason.value, s.detail) for s in decision.set_aside]


def checks(decision: Decision, measure_id: str) -> list[tuple[str, bool, str]]:
    (outcome,) = [o for o in decision.outcomes if o.measure.id == measure_id]
    return [(c.code, c.passed, c.detail) for c in outcome.checks]


BASELINE = [
    ("key-supervision", "applies"),
    ("publish-penalties", "applies"),
    ("restrict-financing", "applies"),
    ("restrict-procurement", "applies"),
]


def test_a_serious_penalty_with_its_document_triggers_the_restrictions(engine: Engine) -> None:
    decision = evaluate(engine, company(penalty()))
    assert statuses(decision) == BASELINE
    assert set_aside(decision) == []
    assert checks(decision, "restrict-procurement") == [
        ("CR-C003", True, "the triggering conduct rests on legally effective documents"),
        (
            "CR-C001",
            True,
            "conduct of gravity `serious` (`R1`) meets `serious` for impact `restrict_benefits`",
        ),
    ]


# -- lenience -----------------------------------------------------------------------------------


def test_a_minors_record_leads_to_no_restriction_and_the_decision_says_why(
    engine: Engine,
) -> None:
    listing = {
        "id": "L1",
        "kind": "list_entry",
        "list": "consumption_restriction",
        "listed_on": "2024-01-10",
        "category": "refuse_legal_obligation",
        "authority": "福州市鼓楼区人民法院",
        "document": {"kind": "限制消费令", "number": "（2024）闽0102执123号"},
    }
    adult = evaluate(engine, person("1990-05-01", listing, penalty()), matter="air_travel")
    assert statuses(adult) == [
        ("key-supervision", "applies"),
        ("publish-penalties", "applies"),
        ("restrict-flight", "applies"),
    ]
    minor = evaluate(engine, person("2008-05-01", listing, penalty()), matter="air_travel")
    assert statuses(minor) == []
    assert set_aside(minor) == [
        ("L1", "lenience", "the subject was a minor: set aside"),
        ("R1", "lenience", "the subject was a minor: set aside"),
    ]


def test_a_record_marked_as_a_minors_is_set_aside_whatever_the_birth_date(
    engine: Engine,
) -> None:
    decision = evaluate(engine, company(penalty(lenience={"minor": True})))
    assert statuses(decision) == []
    assert set_aside(decision) == [("R1", "lenience", "the subject was a minor: set aside")]


def test_a_force_majeure_delay_leads_to_no_restriction_and_the_decision_says_why(
    engine: Engine,
) -> None:
    # 2022年疫情封控期间逾期申报纳税 (a late tax filing during the epidemic lockdown)
    delay = penalty(tags=[], lenience={"force_majeure": True})
    decision = evaluate(engine, company(delay))
    assert statuses(decision) == []
    assert set_aside(decision) == [("R1", "lenience", "force majeure: set aside")]


def test_an_unintentional_first_minor_fault_leads_to_no_restriction(engine: Engine) -> None:
    fault = penalty(severity="general", lenience={"unintentional": True})
    assert statuses(evaluate(engine, company(penalty(severity="general")))) == [
        ("key-supervision", "applies"),
        ("publish-penalties", "applies"),
        ("restrict-financing", "set_aside"),
    ]
    decision = evaluate(engine, company(fault))
    assert statuses(decision) == []
    assert set_aside(decision) == [("R1", "lenience", "an unintentional minor fault: set aside")]


def test_an_unintentional_serious_fault_counts_one_step_less_grave(engine: Engine) -> None:
    data = company(penalty(lenience={"unintentional": True}))
    decision = evaluate(engine, data)
    # restrict-procurement needs `severity >= serious`: the reduced record no longer meets it
    assert statuses(decision) == [
        ("key-supervision", "applies"),
        ("publish-penalties", "applies"),
        ("restrict-financing", "set_aside"),
    ]
    assert checks(decision, "restrict-financing")[-1] == (
        "CR-C001",
        False,
        "impact `restrict_benefits` needs conduct of gravity `serious` or more; the gravest is "
        "`general` (`R1`)",
    )
    facts = build_facts(
        dossier_from_data(data),
        as_of=AS_OF,
        vocabulary=engine.catalog.vocabulary,
        policy=engine.catalog.policy,
    )
    assert [(r.record.id, r.fact, r.original, r.reduced) for r in facts.reductions] == [
        ("R1", "unintentional", Severity.SERIOUS, Severity.GENERAL)
    ]


# -- legally effective documents -------------------------------------------------------------------


def test_a_penalty_without_an_effective_document_is_set_aside_with_its_reason(
    engine: Engine,
) -> None:
    decision = evaluate(engine, company(penalty(document=None)))
    assert statuses(decision) == []
    assert set_aside(decision) == [
        (
            "R1",
            "no_effective_document",
            "no legally effective document (判决书, 仲裁裁决书, 行政处罚决定书 …) is given",
        )
    ]


def test_a_restriction_resting_on_an_undocumented_record_is_set_aside_by_cr_c003(
    engine: Engine,
) -> None:
    # marked not dishonest, the record is not set aside itself; the penalty publication it
    # triggers rests on no document
    decision = evaluate(engine, company(penalty(document=None, dishonest=False)))
    assert statuses(decision) == [("publish-penalties", "set_aside")]
    assert checks(decision, "publish-penalties") == [
        (
            "CR-C003",
            False,
            "`R1` rests on no legally effective document (判决书, 仲裁裁决书, 行政处罚决定书 …)",
        ),
        (
            "CR-C001",
            True,
            "conduct of gravity `serious` (`R1`) meets `general` for impact `disclosure`",
        ),
    ]
    assert decision.reasons()["outcomes"] == [
        {
            "measure": "publish-penalties",
            "status": "set_aside",
            "records": ["R1"],
            "failed_checks": ["CR-C003"],
        }
    ]


# -- listing categories, relevance, gravity ----------------------------------------------------


def serious_listing(category: str) -> dict[str, Any]:
    return {
        "id": "L2",
        "kind": "list_entry",
        "list": "serious_dishonesty",
        "listed_on": "2024-02-01",
        "category": category,
        "authority": "福建省发展和改革委员会",
    }


def test_a_serious_dishonesty_listing_outside_the_permitted_categories_is_set_aside(
    engine: Engine,
) -> None:
    decision = evaluate(engine, company(serious_listing("tax_arrears")))
    assert statuses(decision) == [
        ("food-licence-review", "set_aside"),
        ("key-supervision", "set_aside"),
        ("market-ban", "set_aside"),
        ("restrict-financing", "set_aside"),
    ]
    assert checks(decision, "market-ban") == [
        (
            "CR-C004",
            False,
            "list entry `L2` is for `tax_arrears`, which list `serious_dishonesty` may not cover "
            "(only `endanger_health_life`, `disrupt_market_order`, `refuse_legal_obligation`, "
            "`refuse_national_defence`)",
        ),
        (
            "CR-C001",
            True,
            "conduct of gravity `severe` (`L2`) meets `severe` for impact `market_ban`",
        ),
    ]
    allowed = evaluate(engine, company(serious_listing("endanger_health_life")))
    assert ("market-ban", "applies") in statuses(allowed)
    assert checks(allowed, "market-ban")[0] == (
        "CR-C004",
        True,
        "list entries are for categories their lists cover",
    )


def test_a_measure_limited_to_a_domain_is_set_aside_for_conduct_of_another(
    engine: Engine,
) -> None:
    decision = evaluate(engine, company(serious_listing("endanger_health_life")))
    assert checks(decision, "food-licence-review") == [
        ("CR-C004", True, "list entries are for categories their lists cover"),
        (
            "CR-C002",
            False,
            "the triggering records are without a domain, not of the measure's domain `food_drug`",
        ),
    ]
    # the witnesses are those of the part of the `or` that held: the food penalty alone here
    food = penalty(domain="food_drug", authority="福州市市场监督管理局")
    relevant = evaluate(engine, company(food))
    assert ("food-licence-review", "applies") in statuses(relevant)
    assert checks(relevant, "food-licence-review") == [
        ("CR-C003", True, "the triggering conduct rests on legally effective documents"),
        ("CR-C002", True, "conduct of domain `food_drug`: `R1`"),
        (
            "CR-C001",
            True,
            "conduct of gravity `serious` (`R1`) meets `general` for impact `supervision`",
        ),
    ]


def test_a_general_fault_does_not_carry_a_restriction_that_needs_serious_conduct(
    engine: Engine,
) -> None:
    decision = evaluate(engine, company(penalty(severity="general")))
    assert checks(decision, "restrict-financing") == [
        ("CR-C003", True, "the triggering conduct rests on legally effective documents"),
        (
            "CR-C001",
            False,
            "impact `restrict_benefits` needs conduct of gravity `serious` or more; the gravest "
            "is `general` (`R1`)",
        ),
    ]


# -- gravity_of and list_categories ------------------------------------------------------------

VOCABULARY = Vocabulary(
    lists={
        "black": ListDef("black", "黑名单", ListKind.BLACK, Severity.SERIOUS),
        "severe": ListDef("severe", "严重失信", ListKind.BLACK, Severity.SEVERE, "a", ("b", "c")),
        "watch": ListDef("watch", "重点关注", ListKind.KEY_ATTENTION, Severity.GENERAL),
        "red": ListDef("red", "红名单", ListKind.RED, Severity.SEVERE),
        "ungraded": ListDef("ungraded", "未分级", ListKind.BLACK),
    }
)


def record(kind: RecordKind, *, id: str = "R", **fields: Any) -> Record:
    return Record(id, "S", kind, datetime.date(2024, 1, 1), **fields)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (record(RecordKind.LIST_ENTRY, list_name="black"), Severity.SERIOUS),
        (record(RecordKind.LIST_ENTRY, list_name="black", dishonest=False), Severity.SERIOUS),
        (
            record(RecordKind.LIST_ENTRY, list_name="watch", severity=Severity.SEVERE),
            Severity.GENERAL,
        ),
        (
            record(
                RecordKind.LIST_ENTRY, list_name="watch", severity=Severity.SEVERE, dishonest=True
            ),
            Severity.SEVERE,
        ),
        (record(RecordKind.LIST_ENTRY, list_name="red", dishonest=False), None),
        (record(RecordKind.LIST_ENTRY, list_name="red", dishonest=True), Severity.GENERAL),
        (record(RecordKind.LIST_ENTRY, list_name="ungraded"), None),
        (record(RecordKind.LIST_ENTRY, list_name="unknown"), None),
        (record(RecordKind.ADMINISTRATIVE_PENALTY), Severity.GENERAL),
        (record(RecordKind.JUDGMENT, severity=Severity.SEVERE, dishonest=False), Severity.SEVERE),
        (record(RecordKind.RATING, severity=Severity.SERIOUS), None),
        (
            record(RecordKind.CREDIT_COMMITMENT, severity=Severity.SERIOUS, dishonest=True),
            Severity.SERIOUS,
        ),
    ],
)
def test_gravity_of_a_record(given: Record, expected: Severity | None) -> None:
    assert gravity_of(given, VOCABULARY) == expected


def test_only_serious_dishonesty_lists_are_limited_to_the_permitted_categories() -> None:
    policy = Policy(listing_categories=("a", "c", "d"))
    lists = VOCABULARY.lists
    assert list_categories(lists["severe"], policy) == ("a", "c")
    assert list_categories(ListDef("x", "x", ListKind.BLACK, Severity.SEVERE), policy) == (
        "a",
        "c",
        "d",
    )
    assert list_categories(lists["black"], policy) == ()
    assert list_categories(lists["severe"], Policy()) == ()


#: the shared vocabulary, with a serious-dishonesty list declaring categories (some the policy
#: does not permit), an ungraded black list and a key-attention list without a gravity
_CHECKED_VOCABULARY = attrs.evolve(
    strategies.VOCABULARY,
    lists={
        **strategies.VOCABULARY.lists,
        "declared": ListDef(
            "declared",
            "严重失信（限定）",
            ListKind.BLACK,
            Severity.SEVERE,
            strategies.CATEGORIES[0],
            ("elsewhere", strategies.CATEGORIES[2]),
        ),
        "ungraded": ListDef("ungraded", "未分级", ListKind.BLACK),
        "watch": ListDef("watch", "重点关注", ListKind.KEY_ATTENTION),
    },
)


_RESTRICTION = Measure(
    id="m0",
    title="措施",
    kind=MeasureKind.RESTRICTION,
    list=MeasureList.MANDATORY,
    when="any record where dishonest",
    duration=Duration(DurationKind.PERMANENT),
    impact=Impact.MARKET_BAN,
    target_kinds=(SubjectKind.LEGAL_PERSON,),
    target_roles=(),
    legal_basis=(engine_strategies.BASIS,),
)


@st.composite
def _checked_records(draw: st.DrawFn) -> tuple[Record, ...]:
    """Witnesses: shared-pool records (ids may repeat), half of them list entries of the lists
    above, and some other records naming a list (which must not grade them)."""
    found = []
    names = [*_CHECKED_VOCABULARY.lists, "undeclared", None]
    for _ in range(draw(st.integers(0, 6))):
        drawn = draw(strategies.records("S1", draw(st.integers(0, 3))))
        if draw(st.booleans()):
            drawn = attrs.evolve(drawn, kind=RecordKind.LIST_ENTRY)
        if drawn.kind is RecordKind.LIST_ENTRY or draw(st.integers(0, 3)) == 0:
            drawn = attrs.evolve(drawn, list_name=draw(st.sampled_from(names)))
        found.append(drawn)
    return tuple(found)


@settings(max_examples=400, deadline=None)
@given(
    engine_strategies.measures(0),
    st.lists(st.sampled_from(strategies.DOMAINS), max_size=2, unique=True),
    _checked_records(),
    st.fixed_dictionaries({i: st.sampled_from([None, *Severity]) for i in Impact}),
    st.lists(st.sampled_from([*strategies.CATEGORIES, "elsewhere"]), max_size=3, unique=True),
)
# rare draws, spelled out: a record other than a list entry naming a graded list (it grades
# nothing); two entries for categories their list may not cover (the first one is named)
@example(
    _RESTRICTION,
    [],
    (record(RecordKind.RATING, list_name="judgment_defaulter", dishonest=False),),
    {Impact.MARKET_BAN: Severity.GENERAL},
    [],
)
@example(
    _RESTRICTION,
    [],
    (
        record(RecordKind.LIST_ENTRY, id="E1", list_name="declared", category="elsewhere"),
        record(RecordKind.LIST_ENTRY, id="E2", list_name="serious_dishonesty", category="x"),
    ),
    {},
    [strategies.CATEGORIES[0]],
)
def test_the_engines_checker_is_runtime_checks(  # type: ignore[no-untyped-def]
    measure, domains, witnesses, proportion, permitted
) -> None:
    """``Checker.checks`` (what the engine runs for every hit) gives the checks, passed or
    failed, texts and all, of :func:`runtime_checks`, for any measure, witnesses and policy."""
    measure = attrs.evolve(measure, domains=tuple(domains))
    policy = attrs.evolve(
        strategies.POLICY, proportion=proportion, listing_categories=tuple(permitted)
    )
    expected = runtime_checks(measure, witnesses, policy=policy, vocabulary=_CHECKED_VOCABULARY)
    found = Checker(policy, _CHECKED_VOCABULARY).checks(measure, witnesses)
    assert found == expected
    assert [c.to_data() for c in found] == [c.to_data() for c in expected]
