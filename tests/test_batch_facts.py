"""The "which records count" views (sql.facts_view, sql.links_view) against facts.build_facts."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings

from batch_strategies import as_of_dates, policies, populations, spark, vocabularies
from credit_rules.batch.duck import DuckSession
from credit_rules.batch.spark import SparkRun
from credit_rules.batch.tables import Population, to_dossiers
from credit_rules.facts import build_facts, counts_as_dishonest
from credit_rules.model import (
    EffectiveDocument,
    LenienceAction,
    LenienceFacts,
    Period,
    Policy,
    PublicationPeriod,
    Record,
    RecordKind,
    RecordStatus,
    Severity,
    Subject,
    SubjectKind,
    Vocabulary,
)
from credit_rules.sql import DUCKDB, SPARK, Dialect, Plan, facts_view, links_view

Summary = dict[str, Any]


def expected(
    population: Population, as_of: datetime.date, vocabulary: Vocabulary, policy: Policy
) -> tuple[Summary, set[tuple[str, str, str]]]:
    """Per record: reason or (pending, dishonest, severity); and the current links."""
    by_record: Summary = {}
    links: set[tuple[str, str, str]] = set()
    for dossier in to_dossiers(population):
        facts = build_facts(dossier, as_of=as_of, vocabulary=vocabulary, policy=policy)
        for aside in facts.set_aside:
            by_record[aside.record.id] = ("aside", aside.reason.value)
        for pending, records in ((False, facts.counted), (True, facts.pending)):
            for record in records:
                severity = record.severity.value if record.severity else None
                dishonest = counts_as_dishonest(record)
                by_record[record.id] = ("counts", pending, dishonest, severity)
        for related, _ in facts.related:
            links.add((dossier.subject.id, related.subject.id, related.role.value))
    return by_record, links


def summarise(rows: list[dict[str, Any]]) -> Summary:
    out: Summary = {}
    for row in rows:
        if row["reason"] is not None:
            out[row["id"]] = ("aside", row["reason"])
        else:
            out[row["id"]] = ("counts", row["pending"], row["dishonest_n"], row["severity_n"])
    return out


def plan(as_of: datetime.date, vocabulary: Vocabulary, policy: Policy, dialect: Dialect) -> Plan:
    return Plan(
        (
            facts_view(vocabulary=vocabulary, policy=policy, as_of=as_of, dialect=dialect),
            links_view(as_of=as_of, dialect=dialect),
        )
    )


def duck_rows(
    population: Population, as_of: datetime.date, vocabulary: Vocabulary, policy: Policy
) -> tuple[Summary, set[tuple[str, str, str]]]:
    session = DuckSession(threads=1)
    try:
        session.load_all(
            {
                "subjects": population.subjects,
                "records": population.records,
                "relations": population.relations,
            }
        )
        session.create(plan(as_of, vocabulary, policy, DUCKDB))
        facts = summarise(session.rows("cr_facts"))
        links = {(r["subject_id"], r["other_id"], r["role"]) for r in session.rows("cr_links")}
        return facts, links
    finally:
        session.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), as_of_dates, vocabularies(), policies())
def test_duckdb_facts_match_build_facts(
    population: Population, as_of: datetime.date, vocabulary: Vocabulary, policy: Policy
) -> None:
    assert duck_rows(population, as_of, vocabulary, policy) == expected(
        population, as_of, vocabulary, policy
    )


# Spark pays seconds per run whatever the size: few examples, each a larger population.
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(populations(max_subjects=40), as_of_dates, vocabularies(), policies())
def test_spark_facts_match_build_facts(
    population: Population, as_of: datetime.date, vocabulary: Vocabulary, policy: Policy
) -> None:
    run = SparkRun(spark())
    run.load_all(
        {
            "subjects": population.subjects,
            "records": population.records,
            "relations": population.relations,
        }
    )
    run.create(plan(as_of, vocabulary, policy, SPARK))
    facts = summarise(run.rows("cr_facts"))
    links = {(r["subject_id"], r["other_id"], r["role"]) for r in run.rows("cr_links")}
    assert (facts, links) == expected(population, as_of, vocabulary, policy)


# -- exact cases ------------------------------------------------------------------------------

AS_OF = datetime.date(2024, 6, 1)
POLICY = Policy(
    publication={
        Severity.GENERAL: PublicationPeriod(Period(0, 3), Period(1)),
        Severity.SERIOUS: PublicationPeriod(Period(1), Period(3)),
    },
    lenience={"minor": LenienceAction.SET_ASIDE, "unintentional": LenienceAction.REDUCE},
)
DOC = EffectiveDocument("行政处罚决定书", "X市监罚〔2024〕15号")


def _penalty(rid: str, **changes: Any) -> Record:
    base: dict[str, Any] = {
        "id": rid,
        "subject_id": "E1",
        "kind": RecordKind.ADMINISTRATIVE_PENALTY,
        "decided_on": datetime.date(2024, 3, 1),
        "severity": Severity.SERIOUS,
        "document": DOC,
    }
    base.update(changes)
    return Record(**base)


def test_each_reason_and_reduction_exactly() -> None:
    from credit_rules.batch.tables import record_row, subject_row

    records = [
        _penalty("counts"),
        _penalty("future", decided_on=datetime.date(2024, 6, 2)),
        _penalty("revoked", status=RecordStatus.REVOKED),
        _penalty("revoked-later", status=RecordStatus.REVOKED, status_since=AS_OF.replace(day=2)),
        _penalty("corrected", status=RecordStatus.CORRECTED, status_since=AS_OF),
        _penalty("repaired", status=RecordStatus.REPAIRED),
        _penalty("expired", severity=Severity.GENERAL, decided_on=datetime.date(2023, 6, 1)),
        _penalty("in-force", severity=Severity.GENERAL, decided_on=datetime.date(2023, 6, 2)),
        _penalty("no-document", document=None),
        _penalty("reduced", lenience=LenienceFacts(unintentional=True)),
        _penalty("pending", status=RecordStatus.OBJECTION_PENDING),
        _penalty("explicit-end", expires_on=AS_OF),
    ]
    population = Population(
        (subject_row(Subject("E1", SubjectKind.LEGAL_PERSON)),),
        tuple(record_row(r) for r in records),
        (),
    )
    facts, _ = duck_rows(population, AS_OF, Vocabulary(), POLICY)
    assert facts == {
        "counts": ("counts", False, True, "serious"),
        "future": ("aside", "future"),
        "revoked": ("aside", "revoked"),
        "revoked-later": ("counts", False, True, "serious"),
        "corrected": ("aside", "corrected"),
        "repaired": ("aside", "repaired"),
        "expired": ("aside", "expired"),
        "in-force": ("counts", False, True, "general"),
        "no-document": ("aside", "no_effective_document"),
        "reduced": ("counts", False, True, "general"),
        "pending": ("counts", True, True, "serious"),
        "explicit-end": ("aside", "expired"),
    }


def test_minor_from_birth_date_on_29_february() -> None:
    from credit_rules.batch.tables import record_row, subject_row

    # Born 2006-02-29 is impossible; 2004-02-29 turns 18 on 2022-03-01 (a common year).
    person = Subject("P1", SubjectKind.NATURAL_PERSON, birth_date=datetime.date(2004, 2, 29))
    record = _penalty("r", subject_id="P1", decided_on=datetime.date(2022, 1, 1))
    population = Population((subject_row(person),), (record_row(record),), ())
    for day, reason in (
        (datetime.date(2022, 2, 28), "lenience"),
        (datetime.date(2022, 3, 1), None),
    ):
        facts, _ = duck_rows(population, day, Vocabulary(), POLICY)
        assert facts["r"] == (("aside", reason) if reason else ("counts", False, True, "serious"))
