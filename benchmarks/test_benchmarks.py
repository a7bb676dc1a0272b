"""Checks of the benchmark's own parts: generator, hand-written reference, peer translations.

Run with ``.venv/bin/pytest benchmarks``. No timings are asserted here; the comparisons are of
answers only, on small populations. Peers that are not installed are skipped.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from benchmarks import handwritten, peers
from benchmarks.generate import (
    AS_OF,
    catalog_measures,
    generate,
    sector_count,
    sector_domains,
    sector_lists,
    synthetic_catalog,
    synthetic_measures,
)
from benchmarks.run import dishonest_lists, ours_match, ours_screen
from credit_rules.catalog import load_catalog, load_catalog_text
from credit_rules.engine import compile_catalog
from credit_rules.facts import build_facts
from credit_rules.identifiers import is_valid_resident_id, is_valid_uscc
from credit_rules.model import Dossier, Record, RecordKind, RecordStatus, SubjectKind

ROOT = Path(__file__).resolve().parent.parent


def test_generate_is_deterministic_per_seed() -> None:
    assert generate(40, seed=5) == generate(40, seed=5)
    assert generate(40, seed=5) != generate(40, seed=6)
    assert synthetic_catalog(150, seed=3) == synthetic_catalog(150, seed=3)


def test_generated_identifiers_are_valid() -> None:
    for dossier in generate(200, seed=1):
        subjects = [dossier.subject, *(rel.subject for rel in dossier.related)]
        for subject in subjects:
            if subject.kind is SubjectKind.NATURAL_PERSON:
                assert subject.resident_id is not None
                assert is_valid_resident_id(subject.resident_id), subject
            else:
                assert subject.uscc is not None
                assert is_valid_uscc(subject.uscc), subject


def test_generated_population_has_the_cases_that_matter() -> None:
    dossiers = generate(300, seed=2)
    records = [r for d in dossiers for r in d.records]
    statuses = {r.status for r in records}
    assert statuses == set(RecordStatus)
    assert any(r.decided_on > AS_OF for r in records)
    assert any(r.lenience.unintentional for r in records)
    assert any(r.list_name == "red_list" for r in records)
    assert any(r.scheme == "tax" and r.grade == "A" for r in records)
    assert any(d.related for d in dossiers)
    counts = [len(d.records) for d in dossiers]
    assert min(counts) == 0
    assert max(counts) <= 50


def test_exact_record_counts() -> None:
    assert {len(d.records) for d in generate(20, seed=3, records=(7, 7))} == {7}


@pytest.mark.parametrize("size", [150, 500])
def test_synthetic_catalog_compiles_cleanly(size: int) -> None:
    catalog = load_catalog_text(synthetic_catalog(size, seed=4))
    assert len(catalog.measures) == size
    engine = compile_catalog(catalog)  # strict: no unacknowledged lint error
    assert {spec.id for spec in synthetic_measures(size, seed=4)} == {
        m.measure.id for m in engine.measures
    }


def test_sectors_hold_fifty_measures_each() -> None:
    assert [sector_count(n) for n in (0, 1, 50, 51, 350, 1850)] == [0, 1, 1, 2, 7, 37]
    assert list(sector_domains(2)) == ["sector_01", "sector_02"]
    assert list(sector_lists(1)) == [
        "sector_01_black",
        "sector_01_severe",
        "sector_01_attention",
        "sector_01_red",
        "sector_01_model",
    ]


def test_inert_catalog_compiles_with_the_base_findings_and_uses_its_vocabulary() -> None:
    text = synthetic_catalog(150, seed=4, inert=350)
    catalog = load_catalog_text(text)
    assert len(catalog.measures) == 500
    assert catalog.info.id == "synthetic-150-4-inert-350"
    engine = compile_catalog(catalog)  # strict: no unacknowledged lint error
    base = compile_catalog(load_catalog_text(synthetic_catalog(150, seed=4)))
    assert [(f.code, f.measure_id) for f in engine.findings] == [
        (f.code, f.measure_id) for f in base.findings
    ]
    specs = catalog_measures(150, seed=4, inert=350)
    assert [spec.id for spec in specs] == [m.measure.id for m in engine.measures]
    assert specs[150].id.startswith("syn-0150-sector-")
    # every list and domain of the seven sectors is named by one of their measures
    named = {name for spec in specs[150:] for name in (*spec.lists, *spec.domains)}
    assert named == set(sector_lists(7)) | set(sector_domains(7))
    assert set(sector_lists(7)) <= set(catalog.vocabulary.lists)


def test_inert_measures_reach_no_generated_subject_but_do_reach_their_sector() -> None:
    base = compile_catalog(load_catalog_text(synthetic_catalog(150, seed=8)))
    padded_catalog = load_catalog_text(synthetic_catalog(150, seed=8, inert=200))
    padded = compile_catalog(padded_catalog)
    dossiers = generate(200, seed=9)
    ours_base, ours_padded = ours_match(base), ours_match(padded)
    assert [ours_padded(d) for d in dossiers] == [ours_base(d) for d in dossiers]
    # the trigger index leaves exactly the same conditions to evaluate
    plan_base, plan_padded = base._plan(AS_OF, None), padded._plan(AS_OF, None)
    for dossier in dossiers:
        facts = build_facts(
            dossier,
            as_of=AS_OF,
            vocabulary=padded_catalog.vocabulary,
            policy=padded_catalog.policy,
        )
        reached = {
            item.measure.id
            for c in plan_padded.candidates(facts)
            for _, item in plan_padded.members[c]
        }
        assert reached == {
            item.measure.id for c in plan_base.candidates(facts) for _, item in plan_base.members[c]
        }
    # a subject on a sector's black list is reached by that list's measures
    subject = dossiers[0].subject
    entry = Record(
        "X1",
        subject.id,
        RecordKind.LIST_ENTRY,
        datetime.date(2025, 3, 1),
        list_name="sector_02_black",
    )
    listed = Dossier(subject, (entry,), ())
    expected = {
        (spec.id, False)
        for spec in catalog_measures(150, seed=8, inert=200)[150:]
        if spec.template in ("listed", "listed_either", "listed_adult")
        and "sector_02_black" in spec.lists
    }
    assert len(expected) >= 2
    # (and by nothing else: a black list entry of the last year rules out the incentives)
    assert ours_padded(listed) == frozenset(expected)


def test_hand_written_and_peers_agree_with_ours_on_other_sectors() -> None:
    # a population drawn from the padded vocabulary, so that sector lists and domains occur
    catalog = load_catalog_text(synthetic_catalog(20, seed=8, inert=100))
    engine = compile_catalog(catalog)
    black = dishonest_lists(catalog)
    hand = handwritten.synthetic_function(catalog_measures(20, seed=8, inert=100), black)
    dossiers = generate(200, seed=12, vocabulary=catalog.vocabulary)
    ours = ours_match(engine)
    expected = {d.subject.id: ours(d) for d in dossiers}
    sector_hits = {mid for answer in expected.values() for mid, _ in answer if "sector" in mid}
    assert len(sector_hits) >= 20
    assert _disagreements({d.subject.id: hand(d, AS_OF) for d in dossiers}, expected) == []
    measures = [(m.measure.id, m.checked) for m in engine.measures]
    schemes = sorted(catalog.vocabulary.ratings)
    for peer_class in peers.PEERS:
        peer = peer_class(measures, schemes=schemes)
        answers = {
            d.subject.id: peers.peer_answer(
                peer, peers.peer_inputs(peer, *handwritten.views(d, AS_OF, black), AS_OF)
            )
            for d in dossiers
        }
        assert _disagreements(answers, expected) == [], peer.name


def _disagreements(
    answers: dict[str, handwritten.Answer], expected: dict[str, handwritten.Answer]
) -> list[str]:
    return [
        f"{subject}: extra {sorted(got - expected[subject])}, "
        f"missing {sorted(expected[subject] - got)}"
        for subject, got in answers.items()
        if got != expected[subject]
    ]


def test_hand_written_and_peers_agree_with_ours_on_synthetic() -> None:
    catalog = load_catalog_text(synthetic_catalog(150, seed=8))
    engine = compile_catalog(catalog)
    black = dishonest_lists(catalog)
    hand = handwritten.synthetic_function(synthetic_measures(150, seed=8), black)
    dossiers = generate(150, seed=9)
    ours = ours_match(engine)
    expected = {d.subject.id: ours(d) for d in dossiers}
    hand_answers = {d.subject.id: hand(d, AS_OF) for d in dossiers}
    assert _disagreements(hand_answers, expected) == []
    screen = ours_screen(engine)
    assert _disagreements({d.subject.id: screen(d) for d in dossiers}, expected) == []
    measures = [(m.measure.id, m.checked) for m in engine.measures]
    schemes = sorted(catalog.vocabulary.ratings)
    for peer_class in (*peers.PEERS, peers.ZenRecords):
        try:
            peer = peer_class(measures, schemes=schemes)
        except peers.PeerUnavailable as exc:  # `make bench` installs the bench extra
            pytest.fail(f"{peer_class.__name__} is not installed: {exc}")
        answers = {}
        for d in dossiers:
            inputs = peers.peer_inputs(peer, *handwritten.views(d, AS_OF, black), AS_OF)
            answers[d.subject.id] = peers.peer_answer(peer, inputs)
        assert _disagreements(answers, expected) == [], peer.name


def test_hand_written_covers_and_agrees_on_shipped_catalogs() -> None:
    catalog = load_catalog(ROOT / "measures" / "national", ROOT / "measures" / "seeds")
    engine = compile_catalog(catalog)
    black = dishonest_lists(catalog)
    hand, missing = handwritten.shipped_function({m.id: m.when for m in catalog.measures}, black)
    assert hand is not None, f"shipped conditions with no hand-written test: {missing}"
    dossiers = generate(150, seed=10, vocabulary=catalog.vocabulary)
    ours = ours_match(engine)
    expected = {d.subject.id: ours(d) for d in dossiers}
    answers = {d.subject.id: hand(d, AS_OF) for d in dossiers}
    assert _disagreements(answers, expected) == []


def test_window_start_by_hand_matches_calendar_rules() -> None:
    # 29 February minus one year is 28 February, as Period.subtract_from clamps.
    assert handwritten._plus_years(datetime.date(2024, 2, 29), -1) == datetime.date(2023, 2, 28)


_RELATED_CATALOG = """
catalog:
  id: related-pending
  title: 测试
  level: basic
  issuer: 基准测试
  effective_from: 2016-05-30
vocabulary:
  lists:
    serious_dishonesty:
      title: 严重失信主体名单
      kind: black
      gravity: severe
      category: disrupt_market_order
policy:
  publication:
    general: {min: P3M, max: P1Y}
    serious: {min: P1Y, max: P3Y}
    severe: {min: P1Y, max: P3Y}
  proportion:
    benefit: none
    supervision: general
    disclosure: general
    restrict_benefits: serious
    restrict_rights: serious
    market_ban: severe
measures:
  - id: via-representative
    title: 法定代表人被列入严重失信主体名单
    kind: restriction
    list: mandatory
    targets: [legal_person]
    when: 'any related(legal_representative): listed("serious_dishonesty")'
    duration: while_listed
    impact: restrict_benefits
    legal_basis:
      - title: 国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见
        rank: central_policy
"""


def test_related_pending_record_suspends_the_measure() -> None:
    from credit_rules.model import Record, RecordKind, Related, Role, Subject

    catalog = load_catalog_text(_RELATED_CATALOG)
    engine = compile_catalog(catalog)
    person = Subject("P1", SubjectKind.NATURAL_PERSON, name="张三")
    entry = Record(
        "R1",
        "P1",
        RecordKind.LIST_ENTRY,
        datetime.date(2025, 1, 10),
        list_name="serious_dishonesty",
        status=RecordStatus.OBJECTION_PENDING,
    )
    company = Subject("E1", SubjectKind.LEGAL_PERSON, name="某公司")
    dossier = Dossier(
        company, (), (Related(Role.LEGAL_REPRESENTATIVE, person, (entry,), since=None),)
    )
    black = dishonest_lists(catalog)
    _confirmed, with_pending = handwritten.views(dossier, AS_OF, black)
    assert with_pending is not None
    assert "serious_dishonesty" in with_pending.related[0][1].lists
    assert ours_match(engine)(dossier) == frozenset({("via-representative", True)})
