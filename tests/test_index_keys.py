"""The matcher's index keys (check.index_keys) and objection keys (check.record_keys).

Both are optimisations with a soundness duty: a condition is only evaluated for a subject with
a record matching one of its index keys, and only re-evaluated with records under objection
when one of them matches its record keys. Exact values for the shapes catalogs use, then
properties over random filters and random records that they never miss.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules.check import check, index_keys, keys_of_record, record_keys
from credit_rules.compile import compile_condition, make_env
from credit_rules.engine import index_keys_of
from credit_rules.facts import Facts
from credit_rules.model import Record, RecordKind, Severity
from credit_rules.parser import parse
from strategies import DOMAINS, LISTS, TAGS, VOCABULARY, counting_facts

INDEX: list[tuple[str, frozenset[str] | None, frozenset[str] | None]] = [
    # (condition, index_keys, record_keys)
    (
        "any record where dishonest within 3y",
        frozenset({"dishonest"}),
        frozenset({"dishonest"}),
    ),
    (
        'any record where dishonest and domain in {"tax", "finance"} within 1y',
        frozenset({"dishonest/domain:tax", "dishonest/domain:finance"}),
        frozenset({"dishonest/domain:tax", "dishonest/domain:finance"}),
    ),
    (
        "count(record where kind == judgment and severity >= serious) >= 2",
        frozenset({"kind:judgment/severity:serious", "kind:judgment/severity:severe"}),
        frozenset({"kind:judgment/severity:serious", "kind:judgment/severity:severe"}),
    ),
    (
        'any record where kind == administrative_penalty and domain == "tax" '
        "and severity >= serious",
        frozenset({"kind:administrative_penalty/domain:tax"}),
        frozenset({"kind:administrative_penalty/domain:tax"}),
    ),
    (
        'listed("red_list") and any record where kind == judgment and domain == "tax"',
        frozenset({"kind:judgment/domain:tax"}),
        frozenset({"list:red_list", "kind:judgment/domain:tax"}),
    ),
    (
        'listed("red_list") and no record where dishonest within 3y',
        frozenset({"list:red_list"}),
        frozenset({"list:red_list", "dishonest"}),
    ),
    ('any record where domain == "tax"', frozenset({"domain:tax"}), frozenset({"domain:tax"})),
    ("no record where dishonest", None, frozenset({"dishonest"})),
    ("no record where not dishonest", None, None),
    ("any record within 1y", frozenset(f"kind:{k.value}" for k in RecordKind), None),
    ('rating("tax") in {"A", "B"}', frozenset({"kind:rating"}), frozenset({"kind:rating"})),
    (
        "any related(principal): any record where dishonest",
        frozenset({"related:dishonest"}),
        frozenset({"related"}),
    ),
    (
        'any related(principal, legal_representative): listed("judgment_defaulter")',
        frozenset({"related:list:judgment_defaulter"}),
        frozenset({"related"}),
    ),
    (
        'listed("red_list") and any related(principal): listed("judgment_defaulter")',
        frozenset({"list:red_list"}),
        frozenset({"list:red_list", "related"}),
    ),
    ("any related(principal): subject.minor", frozenset({"related"}), frozenset({"related"})),
    ("subject.minor", None, frozenset()),
    (
        'any record where kind == administrative_penalty and "false_litigation" in tags',
        frozenset({"kind:administrative_penalty/tag:false_litigation"}),
        frozenset({"kind:administrative_penalty/tag:false_litigation"}),
    ),
    (
        "any record where dishonest and severity >= serious within 3y",
        frozenset({"dishonest/severity:serious", "dishonest/severity:severe"}),
        frozenset({"dishonest/severity:serious", "dishonest/severity:severe"}),
    ),
    (
        'count(record where kind == administrative_penalty and domain in {"tax", "finance"} '
        "and severity >= serious) >= 2",
        frozenset(
            {"kind:administrative_penalty/domain:tax", "kind:administrative_penalty/domain:finance"}
        ),
        frozenset(
            {"kind:administrative_penalty/domain:tax", "kind:administrative_penalty/domain:finance"}
        ),
    ),
    ("any record where kind == judgment and kind == arbitration", frozenset(), frozenset()),
    # a nested ``and`` gives pairs already; a pair is never paired again with a facet
    # (no record matches ``kind:…/severity:…/severity:…``; hypothesis found this)
    (
        "any record where (severity >= general) and "
        "(kind == administrative_ruling and severity >= serious)",
        frozenset(
            {
                "kind:administrative_ruling/severity:serious",
                "kind:administrative_ruling/severity:severe",
            }
        ),
        frozenset(
            {
                "kind:administrative_ruling/severity:serious",
                "kind:administrative_ruling/severity:severe",
            }
        ),
    ),
]


@pytest.mark.parametrize(("text", "index", "relevant"), INDEX, ids=[row[0] for row in INDEX])
def test_index_and_record_keys(
    text: str, index: frozenset[str] | None, relevant: frozenset[str] | None
) -> None:
    checked = check(parse(text), VOCABULARY)
    assert index_keys(checked) == index
    assert record_keys(checked) == relevant


def test_keys_of_record() -> None:
    assert keys_of_record(
        RecordKind.JUDGMENT, None, True, "tax", Severity.SERIOUS, frozenset({"b", "a"})
    ) == (
        "kind:judgment",
        "dishonest",
        "domain:tax",
        "severity:serious",
        "tag:a",
        "tag:b",
        "kind:judgment/domain:tax",
        "kind:judgment/severity:serious",
        "kind:judgment/tag:a",
        "kind:judgment/tag:b",
        "dishonest/domain:tax",
        "dishonest/severity:serious",
        "dishonest/tag:a",
        "dishonest/tag:b",
    )
    assert keys_of_record(RecordKind.LIST_ENTRY, "red_list", False, None, None) == (
        "kind:list_entry",
        "list:red_list",
    )


# -- properties ------------------------------------------------------------------------------

_TESTS = st.one_of(
    st.sampled_from(["dishonest", "not dishonest", "dishonest == false"]),
    st.sampled_from(
        [*(f"kind == {k.value}" for k in RecordKind), "kind in {judgment, arbitration}"]
    ),
    st.just("kind != judgment"),
    st.sampled_from([*(f'domain == "{d}"' for d in DOMAINS), 'domain in {"tax", "finance"}']),
    st.just('domain != "tax"'),
    st.sampled_from(
        [
            *(f"severity >= {s.value}" for s in Severity),
            "severity == general",
            "severity != serious",
        ]
    ),
    st.sampled_from([f'list == "{name}"' for name in LISTS]),
    st.sampled_from([*(f'"{tag}" in tags' for tag in TAGS), f'"{TAGS[0]}" not in tags']),
    # the pairs the index keys on, often enough to be exercised
    st.sampled_from(
        [
            *(f'dishonest and domain == "{d}"' for d in DOMAINS),
            *(f'kind == {k.value} and domain in {{"tax", "finance"}}' for k in RecordKind),
            *(f"kind == {k.value} and severity >= serious" for k in RecordKind),
            *(f'dishonest and "{tag}" in tags' for tag in TAGS),
            "dishonest and severity >= serious",
        ]
    ),
)


@st.composite
def _filters(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_TESTS, min_size=1, max_size=2))
    joiner = draw(st.sampled_from([" and ", " and ", " or "]))
    return joiner.join(f"({part})" for part in parts)


@st.composite
def _conditions(draw: st.DrawFn) -> str:
    body = draw(_filters())
    window = draw(st.sampled_from(["", " within 1y", " within 3y"]))
    shape = draw(
        st.sampled_from(["any", "any", "any", "no", "count", "listed", "listed_and", "or_listed"])
    )
    if shape == "any":
        return f"any record where {body}{window}"
    if shape == "no":
        return f"no record where {body}{window}"
    if shape == "count":
        return f"count(record where {body}{window}) >= {draw(st.integers(1, 3))}"
    listed = f'listed("{draw(st.sampled_from(LISTS))}")'
    if shape == "listed":
        return listed
    if shape == "listed_and":
        return f"{listed} and any record where {body}{window}"
    return f"{listed} or count(record where {body}{window}) >= 2"


def _keys(records: tuple[Record, ...]) -> set[str]:
    return {key for record in records for key in index_keys_of(record)}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_conditions(), subject_facts=counting_facts(max_records=12, pending=True))
def test_index_and_record_keys_never_miss(text: str, subject_facts: Facts) -> None:
    checked = check(parse(text), VOCABULARY)
    function = compile_condition(checked, name="m")
    confirmed = function(make_env(subject_facts, include_pending=False))
    with_pending = function(make_env(subject_facts, include_pending=True))
    index = index_keys(checked)
    if index is not None and with_pending is not None:
        assert not index.isdisjoint(_keys(subject_facts.counted + subject_facts.pending)), text
    relevant = record_keys(checked)
    if relevant is not None and relevant.isdisjoint(_keys(subject_facts.pending)):
        assert with_pending == confirmed, text


def test_the_property_sees_a_missed_key() -> None:
    """The property above fails when a record's keys lack the one its filter needs."""
    record = Record(
        id="R1",
        subject_id="S1",
        kind=RecordKind.JUDGMENT,
        decided_on=datetime.date(2024, 1, 2),
        dishonest=True,
        domain="tax",
    )
    index = index_keys(check(parse('any record where dishonest and domain == "tax"'), VOCABULARY))
    assert index is not None
    assert not index.isdisjoint(_keys((record,)))
    without_domain = keys_of_record(record.kind, None, True, None, None)
    assert index.isdisjoint(without_domain)
