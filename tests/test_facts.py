"""build_facts (the one-pass fast path) against classify applied record by record."""

from __future__ import annotations

import datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_rules.facts import (
    Facts,
    SetAside,
    SetAsideReason,
    _last_ended,
    build_facts,
    classify,
    counts_as_dishonest,
    is_dishonest,
    with_dishonest,
)
from credit_rules.model import Dossier, Period, Record, RecordKind, Subject, SubjectKind
from strategies import POLICY, VOCABULARY, as_of_dates, dossiers, records


def reference_facts(
    subject: Subject,
    given_records: tuple[Record, ...],
    as_of: datetime.date,
    related: tuple[tuple[object, Facts], ...] = (),
) -> Facts:
    """The definition: records in (decided_on, id) order, each decided by ``classify``."""
    minor = subject.minor_on(as_of)
    counted, pending, aside, reductions = [], [], [], []
    for record in sorted(given_records, key=lambda r: (r.decided_on, r.id)):
        if record.subject_id != subject.id:
            aside.append(
                SetAside(
                    record,
                    SetAsideReason.UNKNOWN_SUBJECT,
                    f"belongs to subject `{record.subject_id}`, not `{subject.id}`",
                )
            )
            continue
        normal, set_aside, reduction = classify(
            record, as_of=as_of, vocabulary=VOCABULARY, policy=POLICY, subject_minor=minor
        )
        if set_aside is not None:
            aside.append(set_aside)
            continue
        assert normal is not None
        if reduction is not None:
            reductions.append(reduction)
        (pending if record.status.value == "objection_pending" else counted).append(normal)
    set_aside_records = {id(s.record) for s in aside}
    return Facts(
        subject=subject,
        as_of=as_of,
        counted=tuple(counted),
        pending=tuple(pending),
        reductions=tuple(reductions),
        related=related,  # type: ignore[arg-type]
        minor=minor,
        excluded=tuple(r for r in given_records if id(r) in set_aside_records),
        set_aside=tuple(aside),
    )


def _set_asides(facts: Facts) -> list[tuple[SetAside, ...]]:
    return [facts.set_aside, *(f.set_aside for _, f in facts.related)]


@settings(max_examples=300)
@given(dossier=dossiers(max_records=10), as_of=as_of_dates)
def test_build_facts_is_classify_record_by_record(dossier: Dossier, as_of: datetime.date) -> None:
    facts = build_facts(dossier, as_of=as_of, vocabulary=VOCABULARY, policy=POLICY)
    related = tuple(
        (rel, reference_facts(rel.subject, rel.records, as_of))
        for rel in dossier.related
        if rel.current_on(as_of)
    )
    expected = reference_facts(dossier.subject, dossier.records, as_of, related)
    assert facts == expected
    # the explanations are worked out on demand, and are those of classify in record order
    assert _set_asides(facts) == _set_asides(expected)
    # counts_as_dishonest reads the normalised records right; only list entries whose list
    # decides are copied (and records whose severity lenience reduced)
    reduced = {r.record.id for r in facts.reductions}
    for record in (*facts.counted, *facts.pending):
        assert counts_as_dishonest(record) == is_dishonest(record, VOCABULARY)
        if record.id not in reduced and not (
            record.kind is RecordKind.LIST_ENTRY and counts_as_dishonest(record)
        ):
            assert any(record is given for given in _all_records(dossier))


@settings(max_examples=300)
@given(
    decided=st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 12, 31)),
    as_of=st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 12, 31)),
    years=st.integers(0, 5),
    months=st.integers(0, 14),
    days=st.integers(0, 40),
)
def test_expiry_threshold_is_the_publication_period(
    decided: datetime.date, as_of: datetime.date, years: int, months: int, days: int
) -> None:
    # one date comparison per record says what record_end would: the period is over
    period = Period(years, months, days)
    last = _last_ended(period, as_of)
    assert (last is not None and decided <= last) == (period.add_to(decided) <= as_of)


def test_expiry_threshold_at_month_ends() -> None:
    # 31 Jan + 1 month clamps to 28 Feb, so 28-31 Jan all end on 28 Feb 2023
    one_month = Period(months=1)
    assert _last_ended(one_month, datetime.date(2023, 2, 28)) == datetime.date(2023, 1, 31)
    assert _last_ended(one_month, datetime.date(2023, 2, 27)) == datetime.date(2023, 1, 27)
    assert _last_ended(Period(years=1), datetime.date(2025, 2, 28)) == datetime.date(2024, 2, 29)
    assert _last_ended(Period(years=3), datetime.date.min) is None


def _all_records(dossier: Dossier) -> list[Record]:
    return [*dossier.records, *(r for rel in dossier.related for r in rel.records)]


@given(record=records(), dishonest=st.booleans())
def test_with_dishonest_is_evolve(record: Record, dishonest: bool) -> None:
    copy = with_dishonest(record, dishonest)
    assert copy == attrs.evolve(record, dishonest=dishonest)
    assert [getattr(copy, f.name) for f in attrs.fields(Record)] == [
        dishonest if f.name == "dishonest" else getattr(record, f.name)
        for f in attrs.fields(Record)
    ]


def test_record_of_another_subject_is_set_aside_with_its_owner() -> None:
    subject = Subject(id="S1", kind=SubjectKind.LEGAL_PERSON, name="甲公司")
    stray = Record(
        id="R9", subject_id="S2", kind=RecordKind.JUDGMENT, decided_on=datetime.date(2024, 1, 2)
    )
    facts = build_facts(
        Dossier(subject, (stray,)),
        as_of=datetime.date(2024, 6, 1),
        vocabulary=VOCABULARY,
        policy=POLICY,
    )
    assert facts.counted == ()
    assert facts.set_aside == (
        SetAside(stray, SetAsideReason.UNKNOWN_SUBJECT, "belongs to subject `S2`, not `S1`"),
    )


def test_facts_built_by_hand_explain_what_they_were_given() -> None:
    subject = Subject(id="S1", kind=SubjectKind.LEGAL_PERSON, name="甲公司")
    as_of = datetime.date(2024, 6, 1)
    assert Facts(subject, as_of, (), ()).set_aside == ()
    stray = Record(
        id="R9", subject_id="S2", kind=RecordKind.JUDGMENT, decided_on=datetime.date(2024, 1, 2)
    )
    given = SetAside(stray, SetAsideReason.UNKNOWN_SUBJECT, "belongs to subject `S2`, not `S1`")
    assert Facts(subject, as_of, (), (), excluded=(stray,), set_aside=(given,)).set_aside == (
        given,
    )
    with pytest.raises(ValueError, match="must be given set_aside"):
        _ = Facts(subject, as_of, (), (), excluded=(stray,)).set_aside


@given(
    st.dates(datetime.date(1950, 1, 1), datetime.date(2030, 12, 31)),
    st.dates(datetime.date(1950, 1, 1), datetime.date(2030, 12, 31)),
)
def test_minor_on_is_before_the_eighteenth_birthday(born: datetime.date, on: datetime.date) -> None:
    try:
        adult = born.replace(year=born.year + 18)
    except ValueError:  # 29 February in a year without one: of age on 1 March
        adult = datetime.date(born.year + 18, 3, 1)
    person = Subject("P1", SubjectKind.NATURAL_PERSON, name="张三", birth_date=born)
    assert person.minor_on(on) is (on < adult)


def test_minor_on_for_a_leap_day_birth() -> None:
    person = Subject(
        "P1", SubjectKind.NATURAL_PERSON, name="张三", birth_date=datetime.date(2004, 2, 29)
    )
    assert [person.minor_on(datetime.date(2022, m, d)) for m, d in ((2, 28), (3, 1))] == [
        True,
        False,
    ]
    assert [person.minor_on(datetime.date(2024, 2, d)) for d in (28, 29)] == [False, False]
    assert person.minor_on(datetime.date(2021, 12, 31)) is True
