"""Hypothesis strategies and helpers shared by the batch tests (test_batch_*.py).

Populations are built as subjects, records and relations that refer to each other, so the
same data can be given to the per-subject matcher (as dossiers) and to the SQL back ends (as
tables).
"""

from __future__ import annotations

import atexit
import datetime
import functools
from typing import Any

from hypothesis import strategies as st

from credit_rules.batch.tables import Population, record_row, subject_row
from credit_rules.model import (
    EffectiveDocument,
    LenienceAction,
    LenienceFacts,
    ListDef,
    ListKind,
    Period,
    Policy,
    PublicationPeriod,
    RatingScheme,
    Record,
    RecordKind,
    RecordStatus,
    Role,
    Severity,
    Subject,
    SubjectKind,
    Vocabulary,
)

LIST_NAMES = ("black_a", "black_b", "key_c", "red_d")
DOMAINS = ("food_drug", "tax", "environment")
TAGS = ("repeat_offence", "refuse_perform")
SCHEMES = {"tax": ("A", "B", "M", "C", "D")}
ROLES = (Role.LEGAL_REPRESENTATIVE, Role.PRINCIPAL, Role.SHAREHOLDER)

dates = st.dates(datetime.date(2012, 1, 1), datetime.date(2027, 12, 31))
as_of_dates = st.dates(datetime.date(2016, 1, 1), datetime.date(2026, 12, 31))
periods = st.sampled_from(
    [Period(1), Period(3), Period(0, 3), Period(2, 6), Period(0, 0, 45), Period(0, 1, 10)]
)


@st.composite
def vocabularies(draw: st.DrawFn) -> Vocabulary:
    """Four lists of random kinds and gravities, three domains, one rating scheme."""
    lists = {}
    for name in LIST_NAMES:
        kind = draw(st.sampled_from(list(ListKind)))
        gravity = draw(st.none() | st.sampled_from(list(Severity)))
        lists[name] = ListDef(name, name, kind, gravity)
    return Vocabulary(
        lists=lists,
        domains={d: d for d in DOMAINS},
        ratings={k: RatingScheme(k, k, v) for k, v in SCHEMES.items()},
        matters={"procurement": "政府采购", "air_travel": "乘坐飞机"},
    )


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """Random publication periods and lenience actions; national proportion defaults."""
    publication = {
        s: PublicationPeriod(Period(0, 3), draw(periods))
        for s in draw(st.sets(st.sampled_from(list(Severity))))
    }
    facts = ("minor", "force_majeure", "unintentional_minor", "unintentional")
    lenience = {
        f: draw(st.sampled_from(list(LenienceAction)))
        for f in draw(st.sets(st.sampled_from(facts)))
    }
    from credit_rules.model import Impact

    proportion = {
        Impact.BENEFIT: None,
        Impact.SUPERVISION: Severity.GENERAL,
        Impact.DISCLOSURE: Severity.GENERAL,
        Impact.RESTRICT_BENEFITS: Severity.SERIOUS,
        Impact.RESTRICT_RIGHTS: Severity.SERIOUS,
        Impact.MARKET_BAN: Severity.SEVERE,
    }
    return Policy(publication=publication, proportion=proportion, lenience=lenience)


@st.composite
def records_of(draw: st.DrawFn, subject_id: str, count: int) -> list[Record]:
    """``count`` random records of one subject, ids unique within it."""
    out = []
    for index in range(count):
        kind = draw(st.sampled_from(list(RecordKind)))
        decided = draw(dates)
        status = draw(st.sampled_from(list(RecordStatus)))
        list_name = draw(st.sampled_from([*LIST_NAMES, "unknown_list"]))
        out.append(
            Record(
                id=f"{subject_id}-r{index}",
                subject_id=subject_id,
                kind=kind,
                decided_on=decided,
                domain=draw(st.none() | st.sampled_from(DOMAINS)),
                severity=draw(st.none() | st.sampled_from(list(Severity))),
                document=draw(
                    st.none() | st.just(EffectiveDocument("行政处罚决定书", f"文{index}"))
                ),
                status=status,
                status_since=draw(st.none() | dates),
                tags=frozenset(draw(st.sets(st.sampled_from(TAGS)))),
                lenience=LenienceFacts(
                    minor=draw(st.booleans()),
                    force_majeure=draw(st.booleans()),
                    unintentional=draw(st.booleans()),
                ),
                list_name=list_name if kind is RecordKind.LIST_ENTRY else None,
                exit_on=draw(st.none() | dates) if kind is RecordKind.LIST_ENTRY else None,
                scheme="tax" if kind is RecordKind.RATING else None,
                grade=draw(st.sampled_from(SCHEMES["tax"])) if kind is RecordKind.RATING else None,
                valid_until=draw(st.none() | dates) if kind is RecordKind.RATING else None,
                expires_on=draw(st.none() | dates) if draw(st.integers(0, 4)) == 0 else None,
                dishonest=draw(st.sampled_from([None, None, None, True, False])),
            )
        )
    return out


@st.composite
def populations(draw: st.DrawFn, *, max_subjects: int = 6, max_records: int = 4) -> Population:
    """Organisations and persons, their records, and relations between them."""
    count = draw(st.integers(1, max_subjects))
    subjects = []
    for index in range(count):
        kind = draw(st.sampled_from(list(SubjectKind)))
        person = kind is SubjectKind.NATURAL_PERSON
        subjects.append(
            Subject(
                id=f"S{index}",
                kind=kind,
                name=f"主体{index}",
                region=draw(st.sampled_from(["350100", "140428", None])),
                birth_date=draw(st.none() | dates.map(_back_18)) if person else None,
            )
        )
    records: list[Record] = []
    for subject in subjects:
        records += draw(records_of(subject.id, draw(st.integers(0, max_records))))
    relations = []
    for _ in range(draw(st.integers(0, count * 2))):
        organisation = draw(st.sampled_from(subjects))
        holder = draw(st.sampled_from(subjects))
        if organisation.id == holder.id:
            continue
        relations.append(
            {
                "subject_id": organisation.id,
                "related_id": holder.id,
                "role": draw(st.sampled_from(ROLES)).value,
                "since": draw(st.none() | dates),
                "until": draw(st.none() | dates),
            }
        )
    return Population(
        tuple(subject_row(s) for s in subjects),
        tuple(record_row(r) for r in records),
        tuple(relations),
    )


def _back_18(date: datetime.date) -> datetime.date:
    # Birth dates near an 18th birthday in the as-of range, 29 February included.
    try:
        return date.replace(year=date.year - 18)
    except ValueError:
        return datetime.date(date.year - 18, 2, 28)


@functools.cache
def spark() -> Any:
    """One local Spark session for the whole test run (stopped at exit)."""
    from credit_rules.batch.spark import local_session

    session = local_session(cores=2)
    session.conf.set("spark.sql.shuffle.partitions", "2")
    atexit.register(session.stop)
    return session


@st.composite
def parity_populations(
    draw: st.DrawFn, *, as_of: datetime.date | None = None, max_subjects: int = 8
) -> Population:
    """Subjects, records and relations drawn from the shared pools of tests/strategies.py, so
    that the random conditions of engine_strategies.catalogs meet them.

    With ``as_of``, most records are decided in the three years before it, most rest on a
    document and most are active, so that conditions hold with witnesses, periods run and
    objections suspend (rather than every record being set aside).
    """
    import attrs

    import strategies as shared

    count = draw(st.integers(1, max_subjects))
    subjects = [draw(shared.subjects(f"S{i}")) for i in range(count)]
    records: list[Record] = []
    for subject in subjects:
        for index in range(draw(st.integers(0, 5))):
            record = draw(shared.records(subject.id, index))
            if as_of is not None and draw(st.integers(0, 3)) > 0:
                days = draw(st.integers(-40, 3 * 365))
                record = attrs.evolve(
                    record,
                    decided_on=as_of - datetime.timedelta(days=days),
                    document=record.document or EffectiveDocument("行政处罚决定书", f"文{index}"),
                    status=draw(
                        st.sampled_from(
                            [RecordStatus.ACTIVE] * 3 + [RecordStatus.OBJECTION_PENDING]
                        )
                    ),
                    lenience=LenienceFacts(),
                    exit_on=draw(st.none() | st.dates(as_of, as_of + datetime.timedelta(days=900)))
                    if record.kind is RecordKind.LIST_ENTRY
                    else None,
                )
            records.append(record)
    relations = []
    roles = [Role.LEGAL_REPRESENTATIVE, Role.PRINCIPAL, Role.DIRECTOR, Role.SHAREHOLDER]
    for _ in range(draw(st.integers(0, count * 2))):
        organisation = draw(st.sampled_from(subjects))
        holder = draw(st.sampled_from(subjects))
        if organisation.id == holder.id:
            continue
        relations.append(
            {
                "subject_id": organisation.id,
                "related_id": holder.id,
                "role": draw(st.sampled_from(roles)).value,
                "since": draw(st.none() | shared.dates),
                "until": draw(st.none() | shared.dates),
            }
        )
    return Population(
        tuple(subject_row(s) for s in subjects),
        tuple(record_row(r) for r in records),
        tuple(relations),
    )


@st.composite
def parity_cases(
    draw: st.DrawFn, *, max_measures: int = 6, max_subjects: int = 8
) -> tuple[Any, Population, datetime.date, str | None]:
    """(catalog, population, as_of, matter) for the parity properties."""
    from engine_strategies import catalogs
    from strategies import as_of_dates

    if draw(st.booleans()):
        catalog = draw(witnessing_catalogs(max_measures=max_measures))
    else:
        catalog = draw(catalogs(max_measures=max_measures))
    as_of = draw(as_of_dates)
    population = draw(parity_populations(as_of=as_of, max_subjects=max_subjects))
    matter = draw(st.sampled_from([None, "government_procurement", "air_travel"]))
    return catalog, population, as_of, matter


#: Conditions that hold through records (so witnesses, periods and checks are exercised).
WITNESSING = (
    'listed("judgment_defaulter")',
    'listed("serious_dishonesty")',
    'listed("key_attention")',
    'listed("red_list")',
    "any record where kind == administrative_penalty and severity >= serious within 3y",
    "any record where dishonest within 2y",
    'any record where domain in {"food_drug", "tax"}',
    "count(record where dishonest) >= 2",
    "count(record within 1y) < 2",
    'rating("tax") in {"A", "B"}',
    'rating("customs") != "C"',
    'any record where kind == judgment and "refuse_perform" in tags since 2019-01-01',
    'any related(legal_representative, principal): listed("serious_dishonesty")',
    "any related(director, shareholder): any record where dishonest",
    "no related(principal): any record where severity == severe",
    "any record where not dishonest and kind in {commendation, rating, credit_commitment}",
    "subject.kind == natural_person",
    "no record where dishonest within 1y",
)


@st.composite
def witnessing_conditions(draw: st.DrawFn) -> str:
    """A combination of :data:`WITNESSING` conditions with and, or, not."""
    parts = draw(st.lists(st.sampled_from(WITNESSING), min_size=1, max_size=3))
    texts = []
    for part in parts:
        text = f"({part})"
        if draw(st.integers(0, 5)) == 0:
            text = f"not {text}"
        texts.append(text)
    joiner = draw(st.sampled_from([" and ", " or "]))
    return joiner.join(texts)


@st.composite
def witnessing_catalogs(draw: st.DrawFn, max_measures: int = 6) -> Any:
    """engine_strategies.catalogs with conditions from :func:`witnessing_conditions` (half
    the time) and random relevance domains."""
    import attrs

    from engine_strategies import catalogs
    from strategies import DOMAINS as SHARED_DOMAINS

    catalog = draw(catalogs(max_measures=max_measures))
    measures = []
    for measure in catalog.measures:
        if draw(st.booleans()):
            measure = attrs.evolve(measure, when=draw(witnessing_conditions()))
        domains = draw(st.lists(st.sampled_from(SHARED_DOMAINS), max_size=2, unique=True))
        measures.append(attrs.evolve(measure, domains=tuple(domains)))
    return attrs.evolve(catalog, measures=tuple(measures))
