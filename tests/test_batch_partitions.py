"""Partitioned DuckDB runs give exactly the rows, files and statistics of one partition.

A partition evaluates the hits of its subjects and of the organisations its persons hold roles
in, and reads the records of every subject related to those; forcing many partitions on small
populations (down to one subject per partition) makes every relation cross a partition's edge.
"""

from __future__ import annotations

import datetime
import io
import sys
from itertools import groupby, pairwise
from operator import itemgetter
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_strategies import parity_cases
from credit_rules.batch import (
    BatchResult,
    OutcomeRow,
    evaluate,
    partitions_for,
    plan_for,
    run_batch,
)
from credit_rules.batch.io import FileFormat
from credit_rules.batch.progress import ProgressDisplay
from credit_rules.batch.tables import Population
from credit_rules.catalog import load_catalog_text
from credit_rules.model import Catalog
from credit_rules.sql import PART_MARK, PARTITIONS_MARK

# benchmarks/ is a package beside tests/, not installed: make it importable here
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.batch_bench import write_base
from benchmarks.generate import AS_OF, synthetic_catalog

Case = tuple[Catalog, Population, datetime.date, str | None]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(parity_cases(max_subjects=10), st.integers(2, 12))
def test_partitioned_rows_and_statistics_are_the_unpartitioned_ones(
    case: Case, partitions: int
) -> None:
    catalog, population, as_of, matter = case

    def run(parts: int) -> BatchResult:
        return evaluate(
            catalog,
            subjects=population,
            as_of=as_of,
            matter=matter,
            threads=1,
            strict=False,
            statistics=True,
            partitions=parts,
        )

    whole, split = run(1), run(partitions)
    assert split.rows == whole.rows
    assert (split.subjects, split.outcomes) == (whole.subjects, whole.outcomes)
    assert split.statistics == whole.statistics


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, Path]:
    """A generated population (enterprises with their persons, persons with their
    organisations) of 300 dossiers, and a 40-measure synthetic catalog."""
    directory = tmp_path_factory.mktemp("generated")
    write_base(directory, dossiers=300, records=6, seed=5)
    catalog = load_catalog_text(synthetic_catalog(40, seed=5), "synthetic.yaml")
    return catalog, directory


def _files(directory: Path) -> dict[str, str]:
    return {name: str(directory / f"{name}.parquet") for name in ("subjects", "records")} | {
        "relations": str(directory / "relations.parquet")
    }


def test_a_generated_population_in_one_partition_per_few_subjects(
    generated: tuple[Catalog, Path],
) -> None:
    catalog, directory = generated
    files = _files(directory)
    whole = evaluate(catalog, **files, as_of=AS_OF, partitions=1, statistics=True)
    assert whole.outcomes > 1000  # the catalog reaches organisations and their persons
    assert any(r.via_id is not None for r in whole.rows)
    for partitions in (2, 7, whole.subjects // 3):
        split = evaluate(catalog, **files, as_of=AS_OF, partitions=partitions, statistics=True)
        assert split.rows == whole.rows
        assert split.statistics == whole.statistics


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_a_partitioned_file_has_the_same_rows_each_partition_sorted(
    generated: tuple[Catalog, Path], tmp_path: Path, fmt: FileFormat
) -> None:
    catalog, directory = generated
    files = _files(directory)
    reader = {
        FileFormat.PARQUET: "read_parquet",
        FileFormat.CSV: "read_csv",
        FileFormat.JSONL: "read_json",
    }[fmt]
    found = {}
    for partitions in (1, 5):
        output = tmp_path / f"out-{partitions}.{fmt.value}"
        result = evaluate(catalog, **files, as_of=AS_OF, output=output, partitions=partitions)
        rows = duckdb.sql(f"SELECT * FROM {reader}('{output}')").fetchall()
        assert len(rows) == result.outcomes
        found[partitions] = rows
    # the same rows; one partition sorted throughout, five sorted within each partition
    assert sorted(found[5], key=repr) == sorted(found[1], key=repr)
    key = [r[:5] for r in found[1]]
    assert key == sorted(key, key=lambda k: tuple(v or "" for v in k))
    assert found[5] != found[1]  # partitions follow organisations, not subject ids
    # Five partitions one after the other, each sorted (Parquet: on the integer order key):
    # a subject's rows are together and in order, and subjects ascend but at four places.
    runs = [(subject, [r[:5] for r in rows]) for subject, rows in groupby(found[5], itemgetter(0))]
    assert len(runs) == len({subject for subject, _ in runs})  # a subject's rows together
    for _, keys in runs:
        assert keys == sorted(keys, key=lambda k: tuple(v or "" for v in k))
    assert sum(1 for (a, _), (b, _) in pairwise(runs) if b < a) <= 4
    if fmt is FileFormat.CSV:
        text = (tmp_path / "out-5.csv").read_text(encoding="utf-8")
        assert text.count("subject_id,measure_id") == 1  # one header


def test_a_partitioned_file_is_reproducible_byte_for_byte(
    generated: tuple[Catalog, Path], tmp_path: Path
) -> None:
    catalog, directory = generated
    files = _files(directory)
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for output in (first, second):
        evaluate(catalog, **files, as_of=AS_OF, output=output, partitions=4)
    assert first.read_bytes() == second.read_bytes()


def test_run_batch_takes_partitions_and_shows_them_in_progress(
    generated: tuple[Catalog, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog, directory = generated
    catalog_path = tmp_path / "catalog.yaml"
    catalog_path.write_text(synthetic_catalog(40, seed=5), encoding="utf-8")
    stream = io.StringIO()
    monkeypatch.setattr(
        "credit_rules.batch._display",
        lambda progress: ProgressDisplay(stream, interactive=False),
    )
    output = tmp_path / "result.jsonl"
    result = run_batch(
        [str(catalog_path)],
        **_files(directory),
        as_of=AS_OF.isoformat(),
        output=str(output),
        partitions=3,
    )
    whole = evaluate(catalog, **_files(directory), as_of=AS_OF, partitions=1)
    assert result.outcomes == whole.outcomes
    assert len(output.read_text(encoding="utf-8").splitlines()) == whole.outcomes
    steps = [line.split("s ", 1)[1] for line in stream.getvalue().splitlines()]
    assert "partition 1 of 3: cr_info" in steps
    assert f"partition 3 of 3: writing {output}" in steps
    assert not any(step.startswith("partition 4") for step in steps)


def test_partitions_chosen_from_the_population_size() -> None:
    assert [partitions_for(n) for n in (0, 1, 250_000, 250_001, 1_000_000, 10_000_000)] == [
        1,
        1,
        1,
        2,
        4,
        40,
    ]


def test_partitions_below_one_are_refused(generated: tuple[Catalog, Path]) -> None:
    catalog, directory = generated
    with pytest.raises(ValueError, match="partitions must be at least 1, not 0"):
        evaluate(catalog, **_files(directory), as_of=AS_OF, partitions=0)


def test_a_partitioned_plan_names_its_partition_and_count_only_through_its_methods(
    generated: tuple[Catalog, Path],
) -> None:
    catalog, _ = generated
    whole = plan_for(catalog, as_of=AS_OF, strict=False)
    assert not whole.partitioned
    assert whole.partition(0) == ()
    assert whole.shared(5) == whole.views
    split = plan_for(catalog, as_of=AS_OF, strict=False, partitioned=True)
    shared, per_part = split.shared(6), split.partition(2)
    assert [v.name for v in shared][:5] == [
        "cr_facts",
        "cr_links_all",
        "cr_bucket",
        "cr_bucket_links",
        "cr_counted_all",
    ]
    assert [v.name for v in per_part][-2:] == ["cr_targets", "cr_outcomes"]
    assert len(shared) + len(per_part) == len(split.views)
    text = " ".join(v.sql for v in (*shared, *per_part))
    assert PART_MARK not in text
    assert PARTITIONS_MARK not in text
    assert "position * (2 * 6 - 1) / (2 * total)" in text
    assert "bucket = 2" in text
    with pytest.raises(ValueError, match="at least 1"):
        split.shared(0)


@pytest.mark.parametrize("partitions", [1, 3])
def test_a_parquet_file_with_statistics_has_the_rows_and_counts_of_a_run_without(
    generated: tuple[Catalog, Path], tmp_path: Path, partitions: int
) -> None:
    # statistics materialise the result before it is written: the connection must be free
    # for the writer's query afterwards (DuckDB 2 refuses one with a result unfetched)
    catalog, directory = generated
    files = _files(directory)
    whole = evaluate(catalog, **files, as_of=AS_OF, partitions=1, statistics=True)
    output = tmp_path / "out.parquet"
    written = evaluate(
        catalog, **files, as_of=AS_OF, output=output, partitions=partitions, statistics=True
    )
    assert written.statistics == whole.statistics
    assert written.outcomes == whole.outcomes
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{output}')").fetchall()
    names = [d[0] for d in duckdb.sql(f"SELECT * FROM read_parquet('{output}')").description]
    found = sorted(
        (OutcomeRow.from_row(dict(zip(names, r, strict=True))) for r in rows), key=OutcomeRow.key
    )
    assert tuple(found) == whole.rows


def test_the_last_partition_is_half_the_size_of_the_others(
    generated: tuple[Catalog, Path],
) -> None:
    # its rows are written when nothing is left to evaluate beside the writer: a smaller last
    # partition shortens the run's tail
    from credit_rules.batch.duck import DuckSession

    catalog, directory = generated
    session = DuckSession()
    try:
        session.load_all(dict(_files(directory)))
        split = plan_for(catalog, as_of=AS_OF, strict=False, partitioned=True)
        session.create(split, partitions=4)
        sizes = dict(
            session.connection.execute(
                "SELECT bucket, count(*) FROM cr_bucket GROUP BY bucket"
            ).fetchall()
        )
        total = session.count("cr_subjects")
    finally:
        session.close()
    # position p of n goes to bucket floor(p * (2k - 1) / 2n): k - 1 runs of n / (k - 1/2)
    # subjects, then one of half that
    expected: dict[int, int] = {}
    for position in range(total):
        bucket = position * 7 // (2 * total)
        expected[bucket] = expected.get(bucket, 0) + 1
    assert sizes == expected
    assert sorted(sizes) == [0, 1, 2, 3]
    assert abs(2 * sizes[3] - sizes[0]) <= 2
