"""Batch throughput: DuckDB and Spark over generated populations, against the per-subject matcher.

Usage (from the repository root, after ``make`` has installed the ``test`` extra)::

    python benchmarks/batch_bench.py --subjects 1000000 --backend duckdb
    python benchmarks/batch_bench.py --subjects 10000000 --backend duckdb
    python benchmarks/batch_bench.py --subjects 200000 --backend spark
    python benchmarks/batch_bench.py --subjects 1000000 --matcher-sample 20000

What it does: ``benchmarks/generate.py`` draws a seeded base population (``--base`` dossiers,
``--records`` records per dossier subject, related persons and organisations with their own
records) and writes it as Parquet; the base is then replicated with suffixed ids until the
subjects table has ``--subjects`` rows (the Python generator draws about a thousand dossiers a
second on this machine, so a 10M population is made by replication; every copy is evaluated
independently, the distribution of records is the generator's). The catalog is the synthetic
catalog of ``generate.py`` (``--measures`` measures), or ``--catalog PATH``. Then ``batch.
evaluate`` runs on the Parquet files and writes Parquet; the per-subject matcher is timed on
``--matcher-sample`` subjects' dossiers read back from the same files. Populations are cached
in ``--workdir`` by their parameters.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb

from benchmarks.generate import AS_OF, generate, synthetic_catalog
from credit_rules.batch import evaluate, partitions_for
from credit_rules.batch.arrow import PopulationWriter
from credit_rules.batch.tables import RECORDS, RELATIONS, SUBJECTS, TableSpec
from credit_rules.catalog import load_catalog, load_catalog_text
from credit_rules.model import Catalog

#: id columns rewritten in each copy of the base population
_ID_COLUMNS = {
    "subjects": ("id",),
    "records": ("id", "subject_id"),
    "relations": ("subject_id", "related_id"),
}


def write_base(directory: Path, *, dossiers: int, records: int, seed: int) -> None:
    """Generate ``dossiers`` dossiers (in chunks of different seeds) into Parquet files."""
    chunk = 10_000
    with PopulationWriter(directory, chunk=chunk) as writer:
        for start in range(0, dossiers, chunk):
            size = min(chunk, dossiers - start)
            writer.add_all(generate(size, seed=seed + start, records=(records, records)))


def replicate(base: Path, target: Path, *, subjects: int) -> int:
    """Copies of the base population, ids suffixed ``~k``, until ``subjects`` subjects.

    The last copy is cut at a subject boundary; records and relations follow their subjects.
    Returns the number of copies.
    """
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    base_count = con.execute(f"SELECT count(*) FROM '{base}/subjects.parquet'").fetchone()[0]  # type: ignore[index]
    copies = -(-subjects // base_count)
    con.execute(
        f"CREATE TEMP TABLE keep AS SELECT id, row_number() OVER () - 1 AS n "
        f"FROM '{base}/subjects.parquet'"
    )
    spec: TableSpec
    for spec in (SUBJECTS, RECORDS, RELATIONS):
        ids = _ID_COLUMNS[spec.name]
        source = f"'{base}/{spec.name}.parquet'"
        owner = "id" if spec.name == "subjects" else "subject_id"
        columns = ", ".join(
            f"t.{c} || '~' || CAST(k AS VARCHAR) AS {c}" if c in ids else f"t.{c}"
            for c in spec.names
        )
        # the last copy keeps only its first subjects (and what belongs to them)
        query = (
            f"SELECT {columns} FROM {source} t CROSS JOIN range({copies}) r(k) "
            f"JOIN keep ON keep.id = t.{owner} "
            f"WHERE k * {base_count} + keep.n < {subjects}"
        )
        if spec.name == "relations":  # both ends must be in the copy
            query += (
                f" AND k * {base_count} + (SELECT n FROM keep WHERE keep.id = t.related_id) "
                f"< {subjects}"
            )
        options = "FORMAT parquet, ROW_GROUP_SIZE 200000"
        con.execute(f"COPY ({query}) TO '{target}/{spec.name}.parquet' ({options})")
    con.close()
    return copies


def population(workdir: Path, *, subjects: int, base: int, records: int, seed: int) -> Path:
    """The cached population directory for these parameters (made if missing)."""
    base_dir = workdir / f"base-{base}-{records}-{seed}"
    if not (base_dir / "relations.parquet").exists():
        started = time.perf_counter()
        write_base(base_dir, dossiers=base, records=records, seed=seed)
        print(f"generated base population in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    target = workdir / f"pop-{subjects}-{base}-{records}-{seed}"
    if not (target / "relations.parquet").exists():
        started = time.perf_counter()
        copies = replicate(base_dir, target, subjects=subjects)
        print(f"replicated {copies}× in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return target


def counts(directory: Path) -> dict[str, int]:
    """Rows of each table."""
    con = duckdb.connect()
    found = {
        name: int(con.execute(f"SELECT count(*) FROM '{directory}/{name}.parquet'").fetchone()[0])  # type: ignore[index]
        for name in ("subjects", "records", "relations")
    }
    con.close()
    return found


def matcher_rate(catalog: Catalog, directory: Path, *, sample: int, as_of: datetime.date) -> float:
    """Subjects per second of the per-subject matcher on the first ``sample`` subjects."""
    from credit_rules.batch.tables import Population, to_dossiers
    from credit_rules.engine import compile_catalog

    con = duckdb.connect()
    con.execute(
        f"CREATE TEMP TABLE s AS SELECT * FROM '{directory}/subjects.parquet' LIMIT {sample}"
    )
    con.execute(
        f"CREATE TEMP TABLE rel AS SELECT * FROM '{directory}/relations.parquet' "
        "WHERE subject_id IN (SELECT id FROM s) OR related_id IN (SELECT id FROM s)"
    )
    con.execute(
        "CREATE TEMP TABLE ids AS SELECT id FROM s UNION SELECT subject_id FROM rel "
        "UNION SELECT related_id FROM rel"
    )

    def rows(query: str) -> tuple[dict[str, object], ...]:
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description or ()]
        return tuple(dict(zip(names, r, strict=True)) for r in cursor.fetchall())

    pop = Population(
        rows(f"SELECT * FROM '{directory}/subjects.parquet' WHERE id IN (SELECT id FROM ids)"),
        rows(
            f"SELECT * FROM '{directory}/records.parquet' WHERE subject_id IN (SELECT id FROM ids)"
        ),
        rows("SELECT * FROM rel"),
    )
    wanted = {str(r["id"]) for r in rows("SELECT id FROM s")}
    dossiers = [d for d in to_dossiers(pop) if d.subject.id in wanted]
    engine = compile_catalog(catalog)
    started = time.perf_counter()
    for dossier in dossiers:
        engine.evaluate(dossier, as_of=as_of)
    return len(dossiers) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=20_000, help="generated dossiers")
    parser.add_argument("--records", type=int, default=10, help="records per dossier subject")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measures", type=int, default=100)
    parser.add_argument("--catalog", help="a catalog path instead of the synthetic catalog")
    parser.add_argument("--backend", choices=("duckdb", "spark", "none"), default="duckdb")
    parser.add_argument("--matcher-sample", type=int, default=0)
    parser.add_argument("--workdir", default="/tmp/credit-rules-batch-bench")
    parser.add_argument("--threads", type=int)
    parser.add_argument(
        "--partitions", type=int, help="DuckDB partitions (default: chosen from the population)"
    )
    parser.add_argument("--memory-limit", help="DuckDB memory limit, such as 12GB")
    parser.add_argument(
        "--unordered", action="store_true", help="write rows unsorted (not byte-reproducible)"
    )
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    directory = population(
        workdir, subjects=args.subjects, base=args.base, records=args.records, seed=args.seed
    )
    catalog = (
        load_catalog(args.catalog)
        if args.catalog
        else load_catalog_text(synthetic_catalog(args.measures, seed=args.seed), "synthetic.yaml")
    )
    sizes = counts(directory)
    report: dict[str, object] = {
        "subjects": sizes["subjects"],
        "records": sizes["records"],
        "relations": sizes["relations"],
        "measures": len(catalog.measures),
        "cores": os.cpu_count(),
    }
    if args.backend != "none":
        output = workdir / f"result-{args.backend}-{args.subjects}.parquet"
        result = evaluate(
            catalog,
            subjects=str(directory / "subjects.parquet"),
            records=str(directory / "records.parquet"),
            relations=str(directory / "relations.parquet"),
            as_of=AS_OF,
            backend=args.backend,
            output=str(output),
            progress=True,
            threads=args.threads,
            ordered=not args.unordered,
            partitions=args.partitions,
            memory_limit=args.memory_limit,
        )
        report.update(
            backend=args.backend,
            seconds=round(result.seconds, 1),
            subjects_per_second=round(result.subjects / result.seconds),
            outcomes=result.outcomes,
            ordered=not args.unordered,
        )
        if args.backend == "duckdb":
            report["partitions"] = args.partitions or partitions_for(result.subjects)
        # the peak resident memory and CPU time of this process (DuckDB runs in it; Spark's
        # JVM does not): CPU seconds vary less than wall seconds with the machine's load
        usage = resource.getrusage(resource.RUSAGE_SELF)
        report["peak_rss_gb"] = round(usage.ru_maxrss / 2**20, 1)
        report["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    if args.matcher_sample:
        rate = matcher_rate(catalog, directory, sample=args.matcher_sample, as_of=AS_OF)
        report["matcher_subjects_per_second"] = round(rate)
        if "subjects_per_second" in report:
            report["batch_over_matcher"] = round(float(report["subjects_per_second"]) / rate, 1)  # type: ignore[arg-type]
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
