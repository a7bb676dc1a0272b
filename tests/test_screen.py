"""Screening (``Engine.screen``, issue 8): the fast path answers what evaluating every measure
in force one by one answers, on random catalogs and dossiers and on the benchmark's data."""

from __future__ import annotations

import datetime
import pathlib
import sys

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules import compile as compile_catalog
from credit_rules import load_catalog
from credit_rules.catalog import load_catalog_text
from credit_rules.check import Condition, Listed, Negation, check
from credit_rules.compile import make_env
from credit_rules.engine import Engine
from credit_rules.errors import CompileError, UsageError
from credit_rules.facts import build_facts
from credit_rules.model import Dossier, RecordKind
from credit_rules.parser import parse
from credit_rules.printer import to_text
from credit_rules.records import dossier_from_data
from credit_rules.screen import Readable, Screen, _listed_query
from engine_strategies import catalogs
from strategies import VOCABULARY, as_of_dates, dossiers, typed_conditions
from test_engine import _INDEXED, _fresh

ROOT = pathlib.Path(__file__).resolve().parents[1]
AS_OF = datetime.date(2024, 6, 1)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(
    engine: Engine, dossier: Dossier, as_of: datetime.date, matter: str | None = None
) -> frozenset[tuple[str, bool]]:
    """Every measure in force in ``matter`` evaluated on its own by the witness path: on the
    records that count, then (when it does not hold) with the records under objection."""
    catalog = engine.catalog
    facts = build_facts(dossier, as_of=as_of, vocabulary=catalog.vocabulary, policy=catalog.policy)
    confirmed = make_env(facts, include_pending=False)
    with_pending = make_env(facts, include_pending=True)
    found = set()
    for item in engine.measures:
        if not engine._in_force(item.measure, as_of, matter):
            continue
        if item.condition(confirmed) is not None:
            found.add((item.measure.id, False))
        elif item.condition(with_pending) is not None:
            found.add((item.measure.id, True))
    return frozenset(found)


@PROPERTY
@given(
    catalogs(max_measures=10, conditions=st.one_of(_INDEXED, typed_conditions.map(to_text))),
    dossiers(max_related=3),
    as_of_dates,
    st.booleans(),
    st.sampled_from([None, *sorted(VOCABULARY.matters)]),
)
def test_screen_is_every_measure_evaluated_alone(catalog, dossier, as_of, fresh, matter) -> None:  # type: ignore[no-untyped-def]
    """On dossiers as drawn, and on the same with every record counting (so that conditions
    hold); twice, the second time with the record shapes already learnt."""
    if fresh:
        dossier = _fresh(dossier, as_of)
    engine = compile_catalog(catalog, strict=False)
    expected = reference(engine, dossier, as_of, matter)
    assert engine.screen(dossier, as_of=as_of, matter=matter) == expected
    assert engine.screen(dossier, as_of=as_of, matter=matter) == expected
    # and what the indexed witness path finds
    facts = build_facts(dossier, as_of=as_of, vocabulary=catalog.vocabulary, policy=catalog.policy)
    hits = engine.triggered(facts, as_of=as_of, matter=matter)
    assert {(hit.compiled.measure.id, hit.suspended) for hit in hits} == expected


_RELATED_CONDITIONS = st.sampled_from(
    [
        'any related(legal_representative, principal, director): listed("judgment_defaulter")',
        'any related(principal, director): listed("red_list")',
        'no related(director): listed("serious_dishonesty")',
        'any related(legal_representative): listed("key_attention") and subject.minor',
        "any related(principal): any record where kind == judgment and severity >= serious",
        "any related(director): count(record where kind == list_entry within 2y) >= 2",
        'any related(legal_representative, director): rating("tax") in {"C", "D"}',
        'listed("red_list") or any related(director): listed("serious_dishonesty")',
        'listed("red_list") and any related(director): listed("serious_dishonesty")',
        'any related(director): any record where list in {"red_list", "key_attention"}',
        'any related(principal): any record where kind == list_entry and not (list == "red_list")',
        "any related(principal): any record where dishonest within 3y",
        "any related(director): no record where kind == list_entry",
        'any related(director): listed("red_list") or count(record where kind == judgment) > 0',
        'any related(director): any record where list == "red_list" or kind == list_entry',
    ]
)


@PROPERTY
@given(
    catalogs(max_measures=6, conditions=_RELATED_CONDITIONS),
    dossiers(max_related=3),
    as_of_dates,
    st.booleans(),
    st.data(),
)
def test_screen_reads_the_records_of_related_subjects(catalog, dossier, as_of, fresh, data) -> None:  # type: ignore[no-untyped-def]
    """Related subjects' records are read only when of a kind a related body can read: half of
    their records are made list entries, so that those bodies hold often."""
    related = []
    for relation in dossier.related:
        made = []
        for record in relation.records:
            if data.draw(st.booleans(), label="as a list entry"):
                name = data.draw(st.sampled_from(sorted(VOCABULARY.lists)), label="list")
                record = attrs.evolve(
                    record, kind=RecordKind.LIST_ENTRY, list_name=name, scheme=None, grade=None
                )
            made.append(record)
        related.append(attrs.evolve(relation, records=tuple(made)))
    dossier = attrs.evolve(dossier, related=tuple(related))
    if fresh:
        dossier = _fresh(dossier, as_of)
    engine = compile_catalog(catalog, strict=False)
    assert engine.screen(dossier, as_of=as_of) == reference(engine, dossier, as_of)


def _bench() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # benchmarks/ is a package beside tests/, not installed


def test_screen_on_the_benchmark_population_and_catalogs() -> None:
    """The synthetic catalog with measures of other sectors and the shipped catalogs, on the
    benchmark's population (list entries, related persons, lenience, objections)."""
    _bench()
    from benchmarks.generate import AS_OF as BENCH_AS_OF
    from benchmarks.generate import generate, synthetic_catalog

    synthetic = load_catalog_text(synthetic_catalog(150, seed=7, inert=100))
    shipped = load_catalog(ROOT / "measures" / "national", ROOT / "measures" / "seeds")
    reached: dict[str, set[tuple[str, bool]]] = {}
    for catalog, seed in ((synthetic, 7), (shipped, 8)):
        engine = compile_catalog(catalog)
        found = reached[catalog.info.id] = set()
        for dossier in generate(150, seed=seed, vocabulary=catalog.vocabulary):
            answer = engine.screen(dossier, as_of=BENCH_AS_OF)
            assert answer == reference(engine, dossier, BENCH_AS_OF), dossier.subject.id
            found |= answer
        # the population reaches both kinds of answer
        assert {suspended for _, suspended in found} == {False, True}
    synthetic_found = reached[synthetic.info.id]
    # measures on related subjects, and on other sectors (their lists are in the vocabulary
    # the population was drawn from)
    assert any("related-listed" in mid for mid, _ in synthetic_found)
    assert any("sector" in mid for mid, _ in synthetic_found)


_RELATED = """
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
  - id: own
    title: 本单位近一年受过处罚
    kind: restriction
    list: recommended
    targets: [legal_person]
    when: 'any record where kind == administrative_penalty and decided_on >= 2024-01-01'
    duration: P1Y
    impact: disclosure
    legal_basis: [{title: 某法, rank: law}]
"""


def _company(status: str, penalty_on: str) -> Dossier:
    return dossier_from_data(
        {
            "subject": {"id": "E1", "kind": "legal_person", "name": "某公司"},
            "records": [
                {
                    "id": "AP1",
                    "kind": "administrative_penalty",
                    "decided_on": penalty_on,
                    "severity": "general",
                    "document": {"kind": "行政处罚决定书", "number": "某罚〔2024〕1号"},
                }
            ],
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
                            "status": status,
                        }
                    ],
                }
            ],
        }
    )


def test_a_related_persons_listing_under_objection_suspends_and_a_date_test_reads_the_date() -> (
    None
):
    engine = compile_catalog(load_catalog_text(_RELATED, "t.yaml"))
    assert engine.screen(_company("objection_pending", "2024-02-01"), as_of=AS_OF) == frozenset(
        {("rel", True), ("own", False)}
    )
    assert engine.screen(_company("active", "2023-12-31"), as_of=AS_OF) == frozenset(
        {("rel", False)}
    )
    assert engine.screen(_company("repaired", "2024-01-01"), as_of=AS_OF) == frozenset(
        {("own", False)}
    )


def test_screen_refuses_an_unknown_matter() -> None:
    engine = compile_catalog(load_catalog(ROOT / "measures" / "national"))
    dossier = _company("active", "2024-02-01")
    with pytest.raises(UsageError) as caught:
        engine.screen(dossier, as_of=AS_OF, matter="air_travle")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.help) == (
        "CR-E401",
        "unknown matter `air_travle`",
        "did you mean `air_travel`?",
    )
    # and again, once the matter's absence could have been remembered
    with pytest.raises(UsageError):
        engine.screen(dossier, as_of=AS_OF, matter="air_travle")


_WINDOWS = """
catalog: {id: w, title: 测试, level: basic, issuer: 测试}
measures:
  - id: within
    title: 一年内受过处罚
    kind: restriction
    list: recommended
    targets: [legal_person]
    when: any record where kind == administrative_penalty within 1y
    duration: P1Y
    impact: disclosure
    legal_basis: [{title: 某法, rank: law}]
  - id: twice
    title: 一年内两次受过处罚
    kind: restriction
    list: recommended
    targets: [legal_person]
    when: count(record where kind == administrative_penalty within 1y) >= 2
    duration: P1Y
    impact: disclosure
    legal_basis: [{title: 某法, rank: law}]
  - id: since
    title: 2024年以来被判决
    kind: restriction
    list: recommended
    targets: [legal_person]
    when: any record where kind == judgment since 2024-01-01
    duration: P1Y
    impact: disclosure
    legal_basis: [{title: 某法, rank: law}]
"""


def _dated(*records: tuple[str, str]) -> Dossier:
    return dossier_from_data(
        {
            "subject": {"id": "E1", "kind": "legal_person", "name": "某公司"},
            "records": [
                {
                    "id": f"R{number}",
                    "kind": kind,
                    "decided_on": day,
                    "severity": "serious",
                    "document": {"kind": "行政处罚决定书", "number": f"某〔2024〕{number}号"},
                }
                for number, (kind, day) in enumerate(records)
            ],
        }
    )


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        # within 1y of 2024-06-01: decided after 2023-06-01
        ((("administrative_penalty", "2023-06-01"),), set()),
        ((("administrative_penalty", "2023-06-02"),), {"within"}),
        (
            (("administrative_penalty", "2023-06-01"), ("administrative_penalty", "2024-06-01")),
            {"within"},
        ),
        (
            (("administrative_penalty", "2023-06-02"), ("administrative_penalty", "2024-06-01")),
            {"within", "twice"},
        ),
        # since 2024-01-01: decided on or after it
        ((("judgment", "2023-12-31"),), set()),
        ((("judgment", "2024-01-01"),), {"since"}),
    ],
)
def test_windows_end_on_the_right_day(
    records: tuple[tuple[str, str], ...], expected: set[str]
) -> None:
    engine = compile_catalog(load_catalog_text(_WINDOWS, "w.yaml"))
    dossier = _dated(*records)
    assert engine.screen(dossier, as_of=AS_OF) == {(mid, False) for mid in expected}
    assert engine.screen(dossier, as_of=AS_OF) == reference(engine, dossier, AS_OF)


def test_a_condition_too_deep_to_generate_is_a_compile_error() -> None:
    condition: Condition = Listed("red_list")
    for _ in range(5000):
        condition = Negation(condition)
    with pytest.raises(CompileError) as caught:
        Screen([condition])
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message) == (
        "CR-E321",
        "catalog cannot be compiled for screening: RecursionError",
    )


def test_a_filter_read_record_by_record_sees_a_list_entry_as_its_list_makes_it() -> None:
    """Regression: filters that read the date (run on every record, not once per shape) saw a
    black-list entry as given, without the dishonest flag its list gives it."""
    catalog = load_catalog_text(
        """
catalog: {id: r, title: 测试, level: basic, issuer: 测试}
vocabulary:
  lists: {judgment_defaulter: {title: 失信被执行人名单, kind: black, gravity: serious}}
measures:
  - id: recent
    title: 今年以来有失信记录
    kind: restriction
    list: recommended
    targets: [legal_person]
    when: any record where dishonest and decided_on >= 2024-01-01
    duration: P1Y
    impact: disclosure
    legal_basis: [{title: 某法, rank: law}]
""",
        "r.yaml",
    )
    engine = compile_catalog(catalog)
    dossier = dossier_from_data(
        {
            "subject": {"id": "E1", "kind": "legal_person", "name": "某公司"},
            "records": [
                {
                    "id": "JD1",
                    "kind": "list_entry",
                    "list": "judgment_defaulter",
                    "listed_on": "2024-02-01",
                }
            ],
        }
    )
    assert engine.screen(dossier, as_of=AS_OF) == frozenset({("recent", False)})
    assert engine.screen(dossier, as_of=AS_OF) == reference(engine, dossier, AS_OF)


def test_a_record_flagged_dishonest_is_read_whatever_its_kind() -> None:
    """Only kinds some query reads are classified, and a record flagged as recording
    dishonest conduct whenever a query asks for dishonest conduct of any kind."""
    catalog = load_catalog_text(
        """
catalog: {id: f, title: 测试, level: basic, issuer: 测试}
measures:
  - id: dishonest
    title: 三年内有失信记录
    kind: restriction
    list: recommended
    targets: [legal_person]
    when: any record where dishonest within 3y
    duration: P1Y
    impact: disclosure
    legal_basis: [{title: 某法, rank: law}]
""",
        "f.yaml",
    )
    engine = compile_catalog(catalog)

    def commitment(flagged: bool) -> Dossier:
        record: dict[str, object] = {
            "id": "CC1",
            "kind": "credit_commitment",
            "decided_on": "2024-03-01",
            "document": {"kind": "信用承诺书", "number": "承诺〔2024〕1号"},
        }
        if flagged:
            record["dishonest"] = True
        return dossier_from_data(
            {
                "subject": {"id": "E1", "kind": "legal_person", "name": "某公司"},
                "records": [record],
            }
        )

    assert engine.screen(commitment(True), as_of=AS_OF) == frozenset({("dishonest", False)})
    assert engine.screen(commitment(False), as_of=AS_OF) == frozenset()
    for flagged in (True, False):
        assert engine.screen(commitment(flagged), as_of=AS_OF) == reference(
            engine, commitment(flagged), AS_OF
        )


def _checked(*texts: str) -> list[Condition]:
    return [check(parse(text), VOCABULARY).condition for text in texts]


def test_a_condition_is_tried_only_when_a_slot_it_needs_is_fed() -> None:
    """``Screen.triggers``: per condition, the slots one of which a record must feed for it to
    hold (a related subject's from the number of slots on); 0 where it can hold without."""
    screen = Screen(
        _checked(
            'listed("red_list")',
            "count(record where kind == judgment) >= 3",
            'count(record where kind == judgment) >= 3 and listed("key_attention")',
            'listed("red_list") or any record where kind == judgment',
            'listed("red_list") or no record where kind == judgment',
            "count(record where kind == judgment) < 3",
            'any related(director): listed("key_attention")',
            'no related(director): listed("key_attention")',
            'rating("tax") == "A"',
        )
    )
    # slots in order of first use: red_list, judgments (``any`` and ``count`` share it),
    # key_attention
    assert [len(screen.queries), screen.queries[_listed_query("key_attention")]] == [3, 2]
    red, judgments, key = 1, 2, 4
    assert screen.triggers == (red, judgments, key, red | judgments, 0, 0, key << 3, 0, 0)
    # the conditions that hold exactly when one of their slots is fed are tested without a call
    assert screen.presence == (red, 0, 0, red | judgments, 0, 0, 0, 0, 0)


def test_a_related_subject_is_read_only_for_the_lists_its_bodies_read() -> None:
    """``Readable.lists``: list entries of other lists change no related body, so a related
    subject with only those is skipped; a body reading any list entry reads them all."""
    narrow = Screen(
        _checked(
            'any related(director): listed("red_list")',
            'any related(principal): any record where list in {"key_attention"} within 1y',
        )
    )
    assert narrow.related_readable == Readable(
        frozenset({RecordKind.LIST_ENTRY}), False, frozenset({"red_list", "key_attention"})
    )
    wide = Screen(
        _checked(
            'any related(director): listed("red_list")',
            "any related(principal): any record where kind == list_entry"
            ' and not (list == "red_list")',
        )
    )
    assert wide.related_readable == Readable(frozenset({RecordKind.LIST_ENTRY}), False, None)
    either = Screen(
        _checked('any related(director): any record where list == "red_list" or kind == list_entry')
    )
    assert either.related_readable == Readable(frozenset({RecordKind.LIST_ENTRY}), False, None)
    flagged = Screen(_checked("any related(director): any record where dishonest"))
    assert flagged.related_readable is not None
    assert flagged.related_readable.flagged
    assert flagged.related_readable.lists is None
