"""The matcher (issue 4): decisions on the shipped catalogs, and properties over random ones."""

from __future__ import annotations

import datetime
import pathlib
import sys

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from credit_rules import compile as compile_catalog
from credit_rules import load_catalog
from credit_rules.catalog import load_catalog_text
from credit_rules.compile import make_env
from credit_rules.decision import IN_FORCE, Decision, OutcomeStatus
from credit_rules.engine import _period
from credit_rules.errors import UsageError
from credit_rules.facts import build_facts
from credit_rules.model import (
    Dossier,
    Duration,
    DurationKind,
    EffectiveDocument,
    Impact,
    MeasureKind,
    Record,
    RecordKind,
    RecordStatus,
)
from credit_rules.printer import to_text
from credit_rules.proportion import runtime_checks
from credit_rules.records import dossier_from_data
from credit_rules.render.data import decision_data
from engine_strategies import catalogs, durations
from reference_evaluate import reference_decision, reference_period
from strategies import (
    VOCABULARY,
    as_of_dates,
    dossiers,
    record_sets,
    records,
    typed_conditions,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
AS_OF = datetime.date(2024, 6, 1)


@pytest.fixture(scope="module")
def national():  # type: ignore[no-untyped-def]
    return compile_catalog(load_catalog(ROOT / "measures" / "national"))


def _rows(decision: Decision) -> list[tuple[str, str, str, str | None, str | None]]:
    return [
        (
            o.measure.id,
            o.target.subject_id
            if not o.target.through
            else f"{o.target.subject_id}<-{o.target.role}",
            o.status.value,
            o.start.isoformat() if o.start else None,
            o.end.isoformat() if o.end else None,
        )
        for o in decision.outcomes
    ]


def _doc(number: str, kind: str = "行政处罚决定书") -> dict[str, str]:
    return {"kind": kind, "number": number}


DEFAULTER = {
    "subject": {
        "id": "E1",
        "kind": "legal_person",
        "name": "福州某建设工程有限公司",
        "uscc": "91350100M000100Y43",
    },
    "records": [
        {
            "id": "JD1",
            "kind": "list_entry",
            "list": "judgment_defaulter",
            "listed_on": "2024-01-10",
            "exit_on": "2026-01-10",
            "authority": "福州市中级人民法院",
            "document": _doc("（2024）闽01执100号", "决定书"),
            "tags": ["refuse_with_ability"],
        },
        {
            "id": "CR1",
            "kind": "list_entry",
            "list": "consumption_restriction",
            "listed_on": "2024-01-10",
            "authority": "福州市中级人民法院",
            "document": _doc("（2024）闽01执100号", "限制消费令"),
        },
    ],
    "related": [
        {
            "role": "legal_representative",
            "subject": {
                "id": "P1",
                "kind": "natural_person",
                "name": "张三",
                "resident_id": "11010519491231002X",
            },
        }
    ],
}


def test_judgment_defaulter_enterprise_and_its_legal_representative(national) -> None:  # type: ignore[no-untyped-def]
    """Issue 4: restrictions on the enterprise and high-consumption restrictions on the person."""
    decision = national.evaluate(dossier_from_data(DEFAULTER), as_of=AS_OF, matter="air_travel")
    assert _rows(decision) == [
        ("cn-hcr-travel-class", "E1", "applies", "2024-01-10", None),
        ("cn-jd-publish-list", "E1", "applies", "2024-01-10", "2026-01-10"),
        ("cn-hcr-travel-class", "P1<-legal_representative", "applies", "2024-01-10", None),
    ]
    person = decision.outcomes[2]
    assert person.target.via_id == "E1"
    assert person.target.via_name == "福州某建设工程有限公司"
    assert [r.id for r in person.witnesses] == ["CR1"]
    assert decision.catalog_fingerprint == national.fingerprint
    assert decision.library_version == "0.1.0"


def test_matter_filters_measures_and_unknown_matter_is_refused(national) -> None:  # type: ignore[no-untyped-def]
    dossier = dossier_from_data(DEFAULTER)
    every = national.evaluate(dossier, as_of=AS_OF)
    assert len([o for o in every.outcomes if o.target.subject_id == "E1"]) == 10
    with pytest.raises(UsageError) as caught:
        national.evaluate(dossier, as_of=AS_OF, matter="air_travle")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.help) == (
        "CR-E401",
        "unknown matter `air_travle`",
        "did you mean `air_travel`?",
    )


def _penalty(record_id: str, decided: str, severity: str, **extra: object) -> dict[str, object]:
    return {
        "id": record_id,
        "kind": "administrative_penalty",
        "domain": "food_drug",
        "severity": severity,
        "decided_on": decided,
        "authority": "福州市市场监督管理局",
        "document": _doc(f"榕市监罚〔{decided[:4]}〕{record_id}号"),
        **extra,
    }


def _producer(*records: dict[str, object]) -> dict[str, object]:
    return {
        "subject": {
            "id": "F1",
            "kind": "legal_person",
            "name": "某食品有限公司",
            "uscc": "91110000802100433B",
        },
        "records": list(records),
    }


def test_food_producer_with_two_serious_penalties(national) -> None:  # type: ignore[no-untyped-def]
    data = _producer(
        _penalty("P1", "2023-03-01", "serious"), _penalty("P2", "2024-02-01", "serious")
    )
    decision = national.evaluate(dossier_from_data(data), as_of=AS_OF)
    assert _rows(decision) == [
        ("cn-publish-penalty-serious", "F1", "applies", "2024-02-01", "2027-02-01"),
    ]
    assert [r.id for r in decision.outcomes[0].witnesses] == ["P1", "P2"]


def test_measures_sharing_a_condition_keep_their_own_checks(national) -> None:  # type: ignore[no-untyped-def]
    """Two measures with one condition share its witnesses, not their proportion checks."""
    catalog = national.catalog
    (publish,) = [m for m in catalog.measures if m.id == "cn-publish-penalty-serious"]
    ban = attrs.evolve(publish, id="zz-market-ban-same-condition", impact=Impact.MARKET_BAN)
    engine = compile_catalog(attrs.evolve(catalog, measures=(*catalog.measures, ban)), strict=False)
    data = _producer(
        _penalty("P1", "2023-03-01", "serious"), _penalty("P2", "2024-02-01", "serious")
    )
    decision = engine.evaluate(dossier_from_data(data), as_of=AS_OF)
    assert [(o.measure.id, o.status.value) for o in decision.outcomes] == [
        ("cn-publish-penalty-serious", "applies"),
        ("zz-market-ban-same-condition", "set_aside"),
    ]
    (failed,) = [c for c in decision.outcomes[1].checks if not c.passed]
    assert (failed.code, failed.detail) == (
        "CR-C001",
        "impact `market_ban` needs conduct of gravity `severe` or more; "
        "the gravest is `serious` (`P2`)",
    )
    assert decision.outcomes[0].witnesses is decision.outcomes[1].witnesses


def test_the_same_producer_after_repair(national) -> None:  # type: ignore[no-untyped-def]
    data = _producer(
        _penalty("P1", "2023-03-01", "serious", status="repaired", status_since="2024-04-01"),
        _penalty("P2", "2024-02-01", "serious", status="repaired", status_since="2024-05-20"),
    )
    decision = national.evaluate(dossier_from_data(data), as_of=AS_OF)
    assert [o.measure.id for o in decision.outcomes if o.restriction] == []
    assert [(s.record.id, s.reason.value, s.detail) for s in decision.set_aside] == [
        ("P1", "repaired", "repaired on 2024-04-01"),
        ("P2", "repaired", "repaired on 2024-05-20"),
    ]


def test_decisions_compare_and_hash_by_the_records_they_set_aside(national) -> None:  # type: ignore[no-untyped-def]
    # set_aside is worked out on first read, yet decisions compare (and hash) by it
    data = _producer(
        _penalty("P1", "2023-03-01", "serious", status="repaired", status_since="2024-04-01"),
    )
    before = national.evaluate(dossier_from_data(data), as_of=datetime.date(2024, 3, 1))
    after = national.evaluate(dossier_from_data(data), as_of=AS_OF)
    again = national.evaluate(dossier_from_data(data), as_of=AS_OF)
    assert after == again
    assert hash(after) == hash(again)
    assert [(s.record.id, s.reason.value) for s in after.set_aside] == [("P1", "repaired")]
    assert before.set_aside == ()
    # the same outcomes and everything else alike but for what is set aside: not equal
    assert attrs.evolve(before, as_of=AS_OF, outcomes=after.outcomes) != after
    assert attrs.evolve(after, facts=None).set_aside == ()


def test_record_under_objection_suspends_and_does_not_apply(national) -> None:  # type: ignore[no-untyped-def]
    data = _producer(_penalty("P1", "2024-02-01", "serious", status="objection_pending"))
    decision = national.evaluate(dossier_from_data(data), as_of=AS_OF)
    (outcome,) = [o for o in decision.outcomes if o.restriction]
    assert (outcome.measure.id, outcome.status) == (
        "cn-publish-penalty-serious",
        OutcomeStatus.SUSPENDED,
    )
    assert [r.id for r in outcome.pending] == ["P1"]


def test_revoked_penalty_leads_to_nothing(national) -> None:  # type: ignore[no-untyped-def]
    data = _producer(
        _penalty("P1", "2024-02-01", "serious", status="revoked", status_since="2024-03-01")
    )
    decision = national.evaluate(dossier_from_data(data), as_of=AS_OF)
    assert [o.measure.id for o in decision.outcomes if o.restriction] == []
    assert [(s.record.id, s.reason.value) for s in decision.set_aside] == [("P1", "revoked")]


def test_red_and_black_list_withholds_incentives_with_the_reason(national) -> None:  # type: ignore[no-untyped-def]
    data = {
        "subject": DEFAULTER["subject"],
        "records": [
            DEFAULTER["records"][0],  # type: ignore[index]
            {
                "id": "RED1",
                "kind": "list_entry",
                "list": "red_list",
                "listed_on": "2023-05-01",
                "authority": "福州市发展和改革委员会",
            },
        ],
    }
    decision = national.evaluate(dossier_from_data(data), as_of=AS_OF)
    withheld = [o for o in decision.outcomes if o.status is OutcomeStatus.WITHHELD]
    assert [o.measure.id for o in withheld] == [
        "cn-credit-bonus-points",
        "cn-credit-loans",
        "cn-fewer-inspections",
        "cn-priority-fiscal-preferential",
        "cn-publicity",
    ]
    assert {o.withheld_by for o in withheld} == {("cn-jd-publish-list",)}
    assert decision.status_of("cn-jd-publish-list") is OutcomeStatus.APPLIES


def test_decision_data_is_deterministic_and_masked(national) -> None:  # type: ignore[no-untyped-def]
    dossier = dossier_from_data(DEFAULTER)
    first = decision_data(national.evaluate(dossier, as_of=AS_OF))
    again = decision_data(national.evaluate(dossier, as_of=AS_OF))
    assert first == again
    assert "11010519491231002X" not in repr(first)


# -- properties over random catalogs and dossiers ----------------------------------------------

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(catalogs(), dossiers(), as_of_dates, st.randoms(use_true_random=False))
def test_evaluation_is_deterministic_and_ignores_record_order(catalog, dossier, as_of, rnd) -> None:  # type: ignore[no-untyped-def]
    engine = compile_catalog(catalog, strict=False)
    first = decision_data(engine.evaluate(dossier, as_of=as_of))
    records = list(dossier.records)
    rnd.shuffle(records)
    shuffled = attrs.evolve(dossier, records=tuple(records))
    assert decision_data(engine.evaluate(shuffled, as_of=as_of)) == first
    assert decision_data(engine.evaluate(dossier, as_of=as_of)) == first


#: conditions of the shapes the index keys most finely, mixed with random ones
_INDEXED = st.one_of(
    st.sampled_from(
        [
            'any related(legal_representative, principal, director): listed("judgment_defaulter")',
            'any related(principal, director): listed("red_list")',
            "any related(legal_representative, director): any record where dishonest",
            "any related(principal): any record where kind == judgment and severity >= serious",
            'any related(director): any record where dishonest and domain in {"tax", "finance"}',
            'listed("key_attention") and any record where dishonest within 3y',
            'any record where dishonest and domain == "tax"',
            "count(record where kind == administrative_penalty and severity >= serious) >= 2",
            'any record where kind == judgment and "refuse_perform" in tags',
            'listed("red_list") or any related(director): listed("serious_dishonesty")',
        ]
    ),
    typed_conditions.map(to_text),
)


def _fresh(dossier: Dossier, as_of: datetime.date) -> Dossier:
    """The dossier with every record (its own and its related subjects') counting on as_of."""

    def fresh(record: Record) -> Record:
        return attrs.evolve(
            record,
            decided_on=as_of - datetime.timedelta(days=10),
            status=RecordStatus.OBJECTION_PENDING
            if record.status is RecordStatus.OBJECTION_PENDING
            else RecordStatus.ACTIVE,
            status_since=None,
            expires_on=None,
            exit_on=None,
            valid_until=None,
            document=record.document or EffectiveDocument("判决书", "（2024）京01民初1号"),
        )

    return attrs.evolve(
        dossier,
        records=tuple(map(fresh, dossier.records)),
        related=tuple(
            attrs.evolve(rel, records=tuple(map(fresh, rel.records)), since=None, until=None)
            for rel in dossier.related
        ),
    )


@PROPERTY
@given(catalogs(conditions=_INDEXED), dossiers(max_related=3), as_of_dates, st.booleans())
def test_the_index_never_misses_a_measure(catalog, dossier, as_of, fresh) -> None:  # type: ignore[no-untyped-def]
    """What the indexed matcher finds is what evaluating every measure in force finds (on
    dossiers as drawn, and on the same with every record counting, so conditions hold)."""
    if fresh:
        dossier = _fresh(dossier, as_of)
    engine = compile_catalog(catalog, strict=False)
    facts = build_facts(dossier, as_of=as_of, vocabulary=catalog.vocabulary, policy=catalog.policy)
    for entity in (facts, *(f for _, f in facts.related)):
        confirmed = make_env(entity, include_pending=False)
        with_pending = make_env(entity, include_pending=True)
        expected = set()
        for item in engine.measures:
            if not engine.measure_in_force(item.measure, as_of):
                continue
            if item.condition(confirmed) is not None:
                expected.add((item.measure.id, False))
            elif item.condition(with_pending) is not None:
                expected.add((item.measure.id, True))
        found = engine.triggered(entity, as_of=as_of, matter=None)
        assert {(hit.compiled.measure.id, hit.suspended) for hit in found} == expected
        assert [hit.compiled.position for hit in found] == sorted(
            hit.compiled.position for hit in found
        )


@PROPERTY
@given(catalogs(), dossiers(), as_of_dates)
def test_shared_work_is_what_each_measure_would_get_alone(catalog, dossier, as_of) -> None:  # type: ignore[no-untyped-def]
    """Period and checks are worked out once for measures with the same witnesses and the
    same duration, kind, domains and impact; each outcome still carries its own."""
    engine = compile_catalog(catalog, strict=False)
    for outcome in engine.evaluate(dossier, as_of=as_of).outcomes:
        measure = outcome.measure
        assert (outcome.start, outcome.end, outcome.ends_by) == _period(
            measure, outcome.witnesses, catalog
        )
        assert outcome.checks == runtime_checks(
            measure, outcome.witnesses, policy=catalog.policy, vocabulary=catalog.vocabulary
        )


@PROPERTY
@given(catalogs(), dossiers(), as_of_dates, st.data())
def test_a_record_under_objection_never_adds_an_applying_restriction(
    catalog, dossier, as_of, data
) -> None:  # type: ignore[no-untyped-def]
    engine = compile_catalog(catalog, strict=False)
    before = engine.evaluate(dossier, as_of=as_of)
    drawn = data.draw(records(dossier.subject.id, 99))
    extra = attrs.evolve(drawn, status=RecordStatus.OBJECTION_PENDING, status_since=None)
    after = engine.evaluate(attrs.evolve(dossier, records=(*dossier.records, extra)), as_of=as_of)

    def applying(decision: Decision) -> set[tuple[str, str]]:
        return {
            (o.measure.id, o.target.subject_id)
            for o in decision.outcomes
            if o.measure.kind is MeasureKind.RESTRICTION and o.status is OutcomeStatus.APPLIES
        }

    assert applying(after) <= applying(before)


FAR = datetime.date(2040, 1, 1)  # past every generated record date, exit date and period


@PROPERTY
@given(catalogs(), dossiers())
def test_past_every_end_date_no_listed_or_fixed_period_measure_applies(catalog, dossier) -> None:  # type: ignore[no-untyped-def]
    engine = compile_catalog(catalog, strict=False)
    decision = engine.evaluate(dossier, as_of=FAR)
    for outcome in decision.outcomes:
        if outcome.status in IN_FORCE and outcome.measure.duration.kind in (
            DurationKind.WHILE_LISTED,
            DurationKind.PERIOD,
        ):
            # Only what has no end at all can still apply: an open-ended listing, or a
            # condition that holds without any dated record.
            assert outcome.end is None
            if outcome.measure.duration.kind is DurationKind.PERIOD:
                assert outcome.start is None


def test_a_related_persons_record_under_objection_suspends_what_it_triggers() -> None:
    """Regression (issue 8 benchmark): pending records of related subjects were never tried,
    so a measure only they trigger was dropped instead of suspended."""

    catalog = load_catalog_text(
        """
catalog: {id: t, title: 测试, level: basic, issuer: 测试}
vocabulary:
  lists: {serious_dishonesty: {title: 严重失信主体名单, kind: black, gravity: severe}}
measures:
  - id: rel
    title: 法定代表人严重失信的企业受限
    kind: restriction
    list: mandatory
    targets: [legal_person]
    when: 'any related(legal_representative): listed("serious_dishonesty")'
    duration: while_listed
    impact: disclosure
    legal_basis: [{title: 某法, rank: law}]
""",
        "t.yaml",
    )
    engine = compile_catalog(catalog)
    dossier = dossier_from_data(
        {
            "subject": {"id": "E1", "kind": "legal_person", "name": "某公司"},
            "related": [
                {
                    "role": "legal_representative",
                    "subject": {"id": "P1", "kind": "natural_person", "name": "李四"},
                    "records": [
                        {
                            "id": "SD1",
                            "kind": "list_entry",
                            "list": "serious_dishonesty",
                            "listed_on": "2024-01-01",
                            "status": "objection_pending",
                        }
                    ],
                }
            ],
        }
    )
    decision = engine.evaluate(dossier, as_of=AS_OF)
    assert _rows(decision) == [("rel", "E1", "suspended", "2024-01-01", None)]
    assert [r.id for r in decision.outcomes[0].pending] == ["SD1"]


def _same_decision(found: Decision, expected: Decision) -> None:
    """Equal, equally hashed and rendered to the same JSON (masked and not)."""
    assert found == expected
    assert hash(found) == hash(expected)
    assert found.outcomes == expected.outcomes
    assert decision_data(found) == decision_data(expected)
    assert decision_data(found, unmasked=True) == decision_data(expected, unmasked=True)
    assert found.reasons() == expected.reasons()


@PROPERTY
@given(
    catalogs(max_measures=8, conditions=st.one_of(_INDEXED, typed_conditions.map(to_text))),
    dossiers(max_related=3),
    as_of_dates,
    st.booleans(),
    st.sampled_from([None, *sorted(VOCABULARY.matters)]),
    st.data(),
)
def test_evaluate_is_the_straightforward_reference(  # type: ignore[no-untyped-def]
    catalog, dossier, as_of, fresh, matter, data
) -> None:
    """Memo, shared checks, targets, dedupe and the ordering of the fast path change no
    outcome: the decision is the one worked out outcome by outcome (``reference_evaluate``).
    Sometimes a relation is given twice (same subject and role, other records and name) and
    two measures share an id, so that the dedupe has outcomes to choose between."""
    if fresh:
        dossier = _fresh(dossier, as_of)
    if dossier.related and data.draw(st.booleans(), label="relation twice"):
        again = data.draw(st.sampled_from(dossier.related), label="relation")
        twin = attrs.evolve(
            again,
            subject=attrs.evolve(again.subject, name=again.subject.name + "（又）"),
            records=data.draw(record_sets(again.subject.id, max_size=4), label="its records"),
        )
        where = data.draw(st.integers(0, len(dossier.related)), label="at")
        related = list(dossier.related)
        related.insert(where, twin)
        dossier = attrs.evolve(dossier, related=tuple(related))
    if len(catalog.measures) > 1 and data.draw(st.booleans(), label="an id twice"):
        measures = list(catalog.measures)
        measures[-1] = attrs.evolve(measures[-1], id=measures[0].id)
        catalog = attrs.evolve(catalog, measures=tuple(measures))
    engine = compile_catalog(catalog, strict=False)
    for _ in range(2):  # and again with the engine's caches warm
        found = engine.evaluate(dossier, as_of=as_of, matter=matter)
        _same_decision(found, reference_decision(engine, dossier, as_of=as_of, matter=matter))


def test_evaluate_is_the_reference_on_the_benchmark_population() -> None:
    """The same on the benchmark's synthetic catalog and population (list entries with
    categories, related persons, lenience, records under objection: the shapes of real data)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # benchmarks/ is a package beside tests/, not installed
    from benchmarks.generate import AS_OF as BENCH_AS_OF
    from benchmarks.generate import generate, synthetic_catalog

    engine = compile_catalog(load_catalog_text(synthetic_catalog(150, seed=7)))
    statuses = set()
    for dossier in generate(150, seed=7):
        found = engine.evaluate(dossier, as_of=BENCH_AS_OF)
        _same_decision(found, reference_decision(engine, dossier, as_of=BENCH_AS_OF))
        statuses.update(o.status for o in found.outcomes)
    # every status but advisory (the synthetic catalog recommends nothing to outside bodies;
    # the random catalogs above do)
    assert statuses == set(OutcomeStatus) - {OutcomeStatus.ADVISORY}


@st.composite
def _period_witnesses(draw: st.DrawFn) -> tuple[Record, ...]:
    """Up to six records, ids may repeat; half list entries, a third of the rest dishonest."""
    found = []
    for _ in range(draw(st.integers(0, 6))):
        record = draw(records("S1", draw(st.integers(0, 3))))
        if draw(st.booleans()):
            exit_on = draw(st.none() | st.dates(record.decided_on, datetime.date(2030, 1, 1)))
            record = attrs.evolve(
                record, kind=RecordKind.LIST_ENTRY, list_name="red_list", exit_on=exit_on
            )
        found.append(record)
    return tuple(found)


def _entry(number: int, exit_on: datetime.date | None) -> Record:
    """A red-list entry (no dishonest conduct) of 2024 with the given exit."""
    return Record(
        f"L{number}",
        "S1",
        RecordKind.LIST_ENTRY,
        datetime.date(2024, 1, number),
        list_name="red_list",
        exit_on=exit_on,
    )


_LATER, _EARLIER = datetime.date(2026, 1, 1), datetime.date(2025, 1, 1)


@settings(max_examples=400, deadline=None)
@given(durations, _period_witnesses())
# rare draws, spelled out: the later exit last; one entry without an exit; no dishonest
# witness, so all of them decide when a measure until repair ends
@example(Duration(DurationKind.WHILE_LISTED), (_entry(1, _EARLIER), _entry(2, _LATER)))
@example(Duration(DurationKind.WHILE_LISTED), (_entry(1, _LATER), _entry(2, None)))
@example(Duration(DurationKind.UNTIL_REPAIRED), (_entry(1, _EARLIER), _entry(2, _LATER)))
def test_the_period_is_the_plain_one(national, duration, witnesses) -> None:  # type: ignore[no-untyped-def]
    """``_period`` (loops, run for every hit) gives the start, end and what ends it of the
    plain version, for any duration and witnesses (list entries with and without exits,
    dishonest or not, ratings, records that end by publication period or never)."""
    catalog = national.catalog
    measure = attrs.evolve(catalog.measures[0], duration=duration)
    assert _period(measure, witnesses, catalog) == reference_period(measure, witnesses, catalog)
