"""``credit-rules evaluate --batch`` (batch.run_batch) on a 100k-subject Parquet population
gives, for a sample of subjects, exactly the per-subject matcher's outcomes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import duckdb

# benchmarks/ is a package beside tests/, not installed: make it importable here
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.batch_bench import replicate, write_base
from benchmarks.generate import AS_OF, synthetic_catalog

from credit_rules.batch import run_batch
from credit_rules.batch.tables import Population, to_dossiers
from credit_rules.catalog import load_catalog
from credit_rules.engine import compile_catalog

SUBJECTS = 100_000
SAMPLE_EVERY = 397  # about 250 subjects, spread over every copy of the base population


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> tuple[dict[str, Any], ...]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description or ()]
    return tuple(dict(zip(names, row, strict=True)) for row in cursor.fetchall())


def test_batch_on_100k_parquet_matches_the_matcher_on_a_sample(tmp_path: Path) -> None:
    base, population = tmp_path / "base", tmp_path / "population"
    write_base(base, dossiers=2_000, records=8, seed=11)
    replicate(base, population, subjects=SUBJECTS)
    catalog_path = tmp_path / "catalog.yaml"
    catalog_path.write_text(synthetic_catalog(40, seed=11), encoding="utf-8")
    output, stats = tmp_path / "result.parquet", tmp_path / "stats.json"

    result = run_batch(
        [str(catalog_path)],
        subjects=str(population / "subjects.parquet"),
        records=str(population / "records.parquet"),
        relations=str(population / "relations.parquet"),
        as_of=AS_OF.isoformat(),
        output=str(output),
        statistics=str(stats),
        progress=False,
    )
    assert result.subjects == SUBJECTS
    assert result.outcomes > 0
    assert stats.read_text(encoding="utf-8").startswith("{")

    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE s AS SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n "
        f"FROM '{population}/subjects.parquet') WHERE n % {SAMPLE_EVERY} = 0"
    )
    con.execute(
        f"CREATE TABLE rel AS SELECT * FROM '{population}/relations.parquet' "
        "WHERE subject_id IN (SELECT id FROM s) OR related_id IN (SELECT id FROM s)"
    )
    con.execute(
        "CREATE TABLE ids AS SELECT id FROM s UNION SELECT subject_id FROM rel "
        "UNION SELECT related_id FROM rel"
    )
    sample = Population(
        _rows(con, f"SELECT * FROM '{population}/subjects.parquet' WHERE id IN (FROM ids)"),
        _rows(con, f"SELECT * FROM '{population}/records.parquet' WHERE subject_id IN (FROM ids)"),
        _rows(con, "SELECT * FROM rel"),
    )
    wanted = {row["id"] for row in _rows(con, "SELECT id FROM s")}
    assert len(wanted) == SUBJECTS // SAMPLE_EVERY

    engine = compile_catalog(load_catalog(catalog_path))
    expected = set()
    for dossier in to_dossiers(sample):
        if dossier.subject.id not in wanted:
            continue
        for o in engine.evaluate(dossier, as_of=AS_OF).outcomes:
            expected.add(
                (
                    dossier.subject.id,
                    o.measure.id,
                    o.target.subject_id,
                    o.target.via_id,
                    o.target.role.value if o.target.role else None,
                    o.status.value,
                    o.start,
                    o.end,
                    tuple(sorted(r.id for r in o.witnesses)),
                )
            )
    found = {
        (
            row["subject_id"],
            row["measure_id"],
            row["target_id"],
            row["via_id"],
            row["role"],
            row["status"],
            row["start_date"],
            row["end_date"],
            tuple(row["records"]),
        )
        for row in _rows(con, f"SELECT * FROM '{output}' WHERE subject_id IN (SELECT id FROM s)")
    }
    assert found == expected
    assert len(expected) > 20  # the sample reaches measures, not only empty decisions
