"""Parity: the per-subject matcher, DuckDB and Spark give exactly the same outcomes.

Random catalogs (engine_strategies.catalogs: random well-typed conditions, durations, targets,
impacts) over random populations (organisations and persons, records of every kind and
status, relations current or not), on random dates and matters.
"""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings

from batch_strategies import parity_cases, spark
from credit_rules.batch import OutcomeRow, evaluate
from credit_rules.batch.tables import Population, to_dossiers
from credit_rules.engine import Engine, compile_measures
from credit_rules.model import Catalog

Outcome = tuple[Any, ...]
Case = tuple[Catalog, Population, datetime.date, str | None]


def matcher_outcomes(
    catalog: Catalog, population: Population, as_of: datetime.date, matter: str | None
) -> set[Outcome]:
    """The union over every subject's dossier of the matcher's outcomes."""
    # lint is not the subject here: random catalogs break its rules on purpose
    engine = Engine(catalog, compile_measures(catalog))
    found = set()
    for dossier in to_dossiers(population):
        decision = engine.evaluate(dossier, as_of=as_of, matter=matter)
        for o in decision.outcomes:
            target = o.target
            found.add(
                (
                    dossier.subject.id,
                    o.measure.id,
                    target.subject_id,
                    target.via_id,
                    target.role.value if target.role else None,
                    o.status.value,
                    o.start,
                    o.end,
                    o.ends_by,
                    tuple(sorted(r.id for r in o.witnesses)),
                    tuple(sorted(r.id for r in o.pending)),
                    tuple(c.code for c in o.checks if not c.passed),
                    o.withheld_by,
                )
            )
    return found


def batch_outcomes(rows: tuple[OutcomeRow, ...]) -> set[Outcome]:
    return {
        (
            r.subject_id,
            r.measure_id,
            r.target_id,
            r.via_id,
            r.role,
            r.status,
            r.start_date,
            r.end_date,
            r.ends_by,
            r.records,
            r.pending,
            r.failed_checks,
            r.withheld_by,
        )
        for r in rows
    }


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(parity_cases())
def test_duckdb_matches_matcher(case: Case) -> None:
    catalog, population, as_of, matter = case
    result = evaluate(
        catalog, subjects=population, as_of=as_of, matter=matter, threads=1, strict=False
    )
    expected = matcher_outcomes(catalog, population, as_of, matter)
    assert batch_outcomes(result.rows) == expected
    assert result.outcomes == len(expected)


# Spark pays seconds per run whatever the size: few examples, each a larger population.
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(parity_cases(max_measures=8, max_subjects=40))
def test_spark_matches_matcher(case: Case) -> None:
    catalog, population, as_of, matter = case
    result = evaluate(
        catalog,
        subjects=population,
        as_of=as_of,
        matter=matter,
        backend="spark",
        spark=spark(),
        strict=False,
    )
    assert batch_outcomes(result.rows) == matcher_outcomes(catalog, population, as_of, matter)
