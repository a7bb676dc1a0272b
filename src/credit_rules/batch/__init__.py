"""Batch evaluation: one catalog over a whole population, in DuckDB or Spark.

Input: a :class:`~credit_rules.model.Catalog`, population tables (subjects, records,
relations — see :mod:`credit_rules.batch.tables`) as files (Parquet, CSV, JSON Lines), tables
of an existing DuckDB database or Spark catalog (:class:`TableRef`), or rows; ``as_of`` and an
optional matter. Output: one row per evaluated subject × measure × target — the outcomes the
per-subject matcher gives for every subject's dossier — written to Parquet, CSV or JSON Lines
or returned as :class:`OutcomeRow` values, with optional :class:`~credit_rules.batch.stats.
Statistics`. Errors: :class:`~credit_rules.errors.ConditionSyntaxError` /
:class:`~credit_rules.errors.ConditionTypeError` (catalog), :class:`~credit_rules.errors.
CompileError` (a construct the back end cannot express, ``CR-E322``),
:class:`~credit_rules.errors.RecordsError` (inputs, ``CR-E801``–``CR-E806``),
:class:`~credit_rules.errors.UsageError` (unknown matter or back end, ``CR-E401``/``CR-E807``).

The command line (``credit-rules evaluate --batch``) calls :func:`run_batch`, which takes
plain strings as argparse gives them; :func:`evaluate` is the library API.

DuckDB evaluates large populations in partitions of subjects, one after the other (see
:func:`credit_rules.sql.partition_views`), so memory is bounded by a partition; the rows are
the same whatever the number of partitions.
"""

from __future__ import annotations

import datetime
import difflib
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from credit_rules.batch.io import FileFormat, Source, TableRef, format_of
from credit_rules.batch.progress import ProgressDisplay
from credit_rules.batch.stats import Statistics, statistics_query, summarise
from credit_rules.batch.tables import (
    RECORDS,
    RELATIONS,
    SUBJECTS,
    Population,
    flatten,
    to_dossiers,
)
from credit_rules.errors import UsageError, error
from credit_rules.model import Catalog

if TYPE_CHECKING:
    from credit_rules.batch.duck import Appender, DuckSession
    from credit_rules.batch.progress import Progress
from credit_rules.sql import (
    BUCKET_VIEW,
    DIALECTS,
    LIST_COLUMNS,
    ORDER_KEY,
    OUTCOME_COLUMNS,
    OUTCOMES_VIEW,
    MeasureCondition,
    Plan,
    compile_plan,
)

__all__ = [
    "BatchResult",
    "FileFormat",
    "OutcomeRow",
    "Population",
    "Statistics",
    "TableRef",
    "evaluate",
    "flatten",
    "partitions_for",
    "plan_for",
    "run_batch",
    "to_dossiers",
]

Backend = Literal["duckdb", "spark"]


@attrs.frozen(slots=True)
class OutcomeRow:
    """One measure for one target in one subject's decision (a row of the batch result).

    ``subject_id`` is the subject whose dossier was evaluated; ``target_id`` who the measure
    reaches (the subject, or a person through ``via_id`` in ``role``). List fields are sorted.
    """

    subject_id: str
    measure_id: str
    target_id: str
    via_id: str | None
    role: str | None
    status: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    ends_by: str
    records: tuple[str, ...]
    pending: tuple[str, ...]
    failed_checks: tuple[str, ...]
    withheld_by: tuple[str, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutcomeRow:
        """From a result row (lists may come back as lists or arrays)."""
        values = {name: row[name] for name in OUTCOME_COLUMNS}
        for name in LIST_COLUMNS:
            values[name] = tuple(values[name] or ())
        return cls(**values)

    def key(self) -> tuple[str, str, str, str, str]:
        """(subject, measure, target, via, role): unique within a result."""
        return (
            self.subject_id,
            self.measure_id,
            self.target_id,
            self.via_id or "",
            self.role or "",
        )


@attrs.frozen(slots=True)
class BatchResult:
    """What a batch run did: counts, timing, where the result went (or its rows)."""

    backend: str
    as_of: datetime.date
    matter: str | None
    catalog_id: str
    catalog_fingerprint: str
    subjects: int
    outcomes: int
    seconds: float
    output: str | None = None
    rows: tuple[OutcomeRow, ...] = ()
    statistics: Statistics | None = None


def plan_for(
    catalog: Catalog,
    *,
    as_of: datetime.date,
    matter: str | None = None,
    backend: Backend = "duckdb",
    strict: bool = True,
    partitioned: bool = False,
) -> Plan:
    """The SQL plan of a catalog (checked once; every condition compiled to the dialect).

    ``strict``: refuse a catalog with unacknowledged lint errors, as
    :func:`credit_rules.engine.compile_catalog` does. ``partitioned``: a plan evaluated
    partition by partition (see :func:`credit_rules.sql.partition_views`).

    Raises:
        ConditionSyntaxError, ConditionTypeError: a ``when:`` is invalid.
        LintError: unacknowledged lint errors (when ``strict``).
        CompileError: a construct the back end cannot express (``CR-E322``).
        UsageError: unknown matter or back end.
    """
    from credit_rules.engine import compile_measures

    dialect = DIALECTS.get(backend)
    if dialect is None:
        raise UsageError(
            [error("CR-E807", f"unknown batch back end `{backend}`", help="use duckdb or spark")]
        )
    matters = catalog.vocabulary.matters
    if matter is not None and matter not in matters:
        close = difflib.get_close_matches(matter, sorted(matters), n=1)
        raise UsageError(
            [
                error(
                    "CR-E401",
                    f"unknown matter `{matter}`",
                    help=f"did you mean `{close[0]}`?"
                    if close
                    else "matters: " + ", ".join(sorted(matters)),
                )
            ]
        )
    compiled = compile_measures(catalog)
    if strict:
        from credit_rules.errors import LintError
        from credit_rules.lint import errors_of, lint

        errors = errors_of(lint(catalog, {m.measure.id: m.checked for m in compiled}))
        if errors:
            raise LintError(errors)
    items = [MeasureCondition(m.measure, m.checked) for m in compiled]
    return compile_plan(
        items,
        vocabulary=catalog.vocabulary,
        policy=catalog.policy,
        layers=catalog.layers,
        as_of=as_of,
        matter=matter,
        dialect=dialect,
        partitioned=partitioned,
    )


def evaluate(
    catalog: Catalog,
    *,
    subjects: Source | Population,
    records: Source | None = None,
    relations: Source | None = None,
    as_of: datetime.date,
    matter: str | None = None,
    backend: Backend = "duckdb",
    output: str | os.PathLike[str] | None = None,
    output_format: FileFormat | str | None = None,
    database: str | os.PathLike[str] | None = None,
    spark: Any = None,
    statistics: bool = False,
    progress: bool | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    strict: bool = True,
    ordered: bool = True,
    partitions: int | None = None,
) -> BatchResult:
    """Evaluate a catalog for every subject of a population.

    Args:
        catalog: the layered catalog.
        subjects: the subjects table (a path, a :class:`TableRef`, rows), or a whole
            :class:`Population` (then ``records`` and ``relations`` are taken from it).
        records: the records table (None: no records).
        relations: the relations table (None: no relations).
        as_of: the evaluation date.
        matter: the matter handled (None: every matter).
        backend: ``"duckdb"`` (embedded) or ``"spark"``.
        output: where to write the result (Parquet, CSV or JSON Lines by suffix or
            ``output_format``; Spark writes a directory of part files). None: the rows are
            returned in :attr:`BatchResult.rows` (for small populations).
        output_format: the output format when the suffix does not tell.
        database: DuckDB only: an existing database file whose tables :class:`TableRef`
            names (attached read-only).
        spark: Spark only: the ``SparkSession`` to use (default: a local one).
        statistics: also compute :class:`Statistics` (counts per measure, list, region,
            issuer).
        progress: show progress on standard error (None: when it is a terminal).
        threads: DuckDB only: worker threads (default: all cores).
        memory_limit: DuckDB only: such as ``"8GB"``.
        strict: refuse a catalog with unacknowledged lint errors (as the matcher does).
        ordered: DuckDB: write rows in the order of :meth:`OutcomeRow.key` (within each
            partition), so the same inputs give the same file byte for byte.
        partitions: DuckDB: evaluate the subjects in this many partitions, one after the
            other, so memory holds one partition's intermediate tables at a time (None: one
            per :data:`SUBJECTS_PER_PARTITION` subjects). The rows are the same whatever the
            number; a file gets the partitions one after the other.

    Raises:
        See the module docstring; ValueError for ``partitions`` below 1.
    """
    if partitions is not None and partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    started = time.perf_counter()
    display = _display(progress)
    if isinstance(subjects, Population):
        population = subjects
        sources: dict[str, Source | None] = {
            "subjects": population.subjects,
            "records": population.records,
            "relations": population.relations,
        }
    else:
        sources = {"subjects": subjects, "records": records, "relations": relations}
    if display is not None:
        display("compiling the catalog", None)
    plan = plan_for(catalog, as_of=as_of, matter=matter, backend=backend, strict=strict)
    fmt = format_of(output, output_format) if output is not None else None
    target = os.fspath(output) if output is not None else None
    if backend == "duckdb":

        def partitioned_plan() -> Plan:
            return plan_for(
                catalog,
                as_of=as_of,
                matter=matter,
                backend=backend,
                strict=False,  # checked above
                partitioned=True,
            )

        counts, rows, stats_rows = _run_duckdb(
            plan,
            partitioned_plan,
            partitions,
            sources,
            database,
            target,
            fmt,
            statistics,
            display,
            threads,
            memory_limit,
            ordered,
        )
    else:
        counts, rows, stats_rows = _run_spark(
            plan, sources, spark, target, fmt, statistics, display
        )
    subject_count, outcome_count = counts
    stats = (
        summarise(catalog, stats_rows, as_of=as_of, subjects=subject_count) if statistics else None
    )
    seconds = time.perf_counter() - started
    if display is not None:
        display.done(
            f"{subject_count} subjects, {outcome_count} outcomes in {seconds:.1f}s"
            + (f" → {target}" if target else "")
        )
    return BatchResult(
        backend=backend,
        as_of=as_of,
        matter=matter,
        catalog_id=catalog.info.id,
        catalog_fingerprint=catalog.fingerprint,
        subjects=subject_count,
        outcomes=outcome_count,
        seconds=seconds,
        output=target,
        rows=tuple(sorted((OutcomeRow.from_row(r) for r in rows), key=OutcomeRow.key)),
        statistics=stats,
    )


def _display(progress: bool | None) -> ProgressDisplay | None:
    display = ProgressDisplay()
    if progress is None:
        return display if display.interactive else None
    return display if progress else None


#: the columns rows are written in the order of, ascending and NULL first (the order of
#: :meth:`OutcomeRow.key`)
ORDER_COLUMNS = ("subject_id", "measure_id", "target_id", "via_id", "role")
_ORDER = ", ".join(f"{c} NULLS FIRST" for c in ORDER_COLUMNS)
#: the same order over a DuckDB result: (subject, measure) ranked as one number
_KEYED_ORDER = (ORDER_KEY, *ORDER_COLUMNS[2:])
#: a result's columns, without the order key
_COLUMNS = ", ".join(OUTCOME_COLUMNS)


def partitions_for(subjects: int) -> int:
    """How many partitions a DuckDB run uses for a population (one up to
    :data:`SUBJECTS_PER_PARTITION` subjects)."""
    return max(1, -(-subjects // SUBJECTS_PER_PARTITION))


#: subjects per partition when the number of partitions is chosen automatically: a partition
#: of this size needs about 2 GB at the synthetic catalog's 18 outcomes per subject
SUBJECTS_PER_PARTITION = 250_000


def _run_duckdb(
    plan: Plan,
    partitioned_plan: Callable[[], Plan],
    partitions: int | None,
    sources: dict[str, Source | None],
    database: str | os.PathLike[str] | None,
    target: str | None,
    fmt: FileFormat | None,
    statistics: bool,
    display: ProgressDisplay | None,
    threads: int | None,
    memory_limit: str | None,
    ordered: bool,
) -> tuple[tuple[int, int], list[dict[str, Any]], list[tuple[Any, ...]]]:
    from credit_rules.batch.duck import DuckSession

    session = DuckSession(database=database, threads=threads, memory_limit=memory_limit)
    try:
        if display is not None:
            display("reading and checking the population", None)
        session.load_all(sources)
        subjects = session.count("cr_subjects")
        parts = partitions if partitions is not None else partitions_for(subjects)
        if parts > 1:
            found = _partitioned(
                session, partitioned_plan(), parts, target, fmt, statistics, display, ordered
            )
            return (subjects, found[0]), found[1], found[2]
        session.create(plan, progress=display)
        if display is not None:
            display("evaluating measures", None)
        result = OUTCOMES_VIEW
        outcomes = -1
        if statistics or target is None:
            outcomes = session.materialise(OUTCOMES_VIEW, "cr_result", progress=display)
            result = "cr_result"
        rows: list[dict[str, Any]] = []
        if target is not None and fmt is not None:
            if display is not None:
                display(f"writing {target}", None)
            if fmt is FileFormat.PARQUET:  # sorted in Arrow, as for several partitions
                appender = session.appender(target, fmt, list_columns=LIST_COLUMNS)
                try:
                    written = _write(appender, result, ordered=ordered, progress=display)
                finally:
                    appender.close()
            else:
                order = f" ORDER BY {_ORDER}" if ordered else ""
                written = session.copy(
                    f"SELECT {_COLUMNS} FROM {result}{order}",
                    target,
                    fmt,
                    list_columns=LIST_COLUMNS,
                    progress=display,
                )
            outcomes = written if outcomes < 0 else outcomes
        else:
            rows = session.rows("cr_result", columns=_COLUMNS)
        stats_rows: list[tuple[Any, ...]] = []
        if statistics:
            stats_rows = session.connection.execute(statistics_query("cr_result")).fetchall()
        return (subjects, outcomes), rows, stats_rows
    finally:
        session.close()


def _partitioned(
    session: DuckSession,
    plan: Plan,
    parts: int,
    target: str | None,
    fmt: FileFormat | None,
    statistics: bool,
    display: ProgressDisplay | None,
    ordered: bool,
) -> tuple[int, list[dict[str, Any]], list[tuple[Any, ...]]]:
    """Evaluate partition after partition, each written (or kept) before the next begins.

    The result file has the partitions one after the other, each sorted by
    :meth:`OutcomeRow.key` when ``ordered`` (one partition: the whole file sorted).
    """
    session.create(plan, partitions=parts, progress=display)
    appender = (
        session.appender(target, fmt, list_columns=LIST_COLUMNS)
        if target is not None and fmt is not None
        else None
    )
    outcomes = 0
    rows: list[dict[str, Any]] = []
    stats_rows: list[tuple[Any, ...]] = []
    try:
        for part in range(parts):
            label = f"partition {part + 1} of {parts}: "
            session.create_partition(plan, part, label=label, progress=display)
            result = OUTCOMES_VIEW
            if statistics or appender is None:
                if display is not None:
                    display(label + "evaluating measures", None)
                session.materialise(OUTCOMES_VIEW, "cr_result", progress=display)
                result = "cr_result"
            if appender is not None:
                if display is not None:
                    display(label + f"writing {target}", None)
                outcomes += _write(appender, result, ordered=ordered, progress=display)
            else:
                part_rows = session.rows("cr_result", columns=_COLUMNS)
                outcomes += len(part_rows)
                rows += part_rows
            if statistics:
                # a target's own decision is in its own partition: the counts add up
                query = statistics_query("cr_result", subjects=BUCKET_VIEW)
                stats_rows += session.connection.execute(query).fetchall()
    finally:
        if appender is not None:
            appender.close()
    return outcomes, rows, stats_rows


def _write(appender: Appender, result: str, *, ordered: bool, progress: Progress | None) -> int:
    """Add a DuckDB result's rows to the output file: Parquet sorted in Arrow on ``ORDER_KEY``
    (an integer ranking subject and measure as their ids do), which is then dropped; other
    formats sorted by DuckDB on the outcome columns."""
    keyed = ordered and appender.format is FileFormat.PARQUET
    return appender.write(
        f"SELECT {_COLUMNS}{', ' + ORDER_KEY if keyed else ''} FROM {result}",
        order_by=_KEYED_ORDER if keyed else ORDER_COLUMNS if ordered else (),
        drop=(ORDER_KEY,) if keyed else (),
        progress=progress,
    )


def _run_spark(
    plan: Plan,
    sources: dict[str, Source | None],
    spark: Any,
    target: str | None,
    fmt: FileFormat | None,
    statistics: bool,
    display: ProgressDisplay | None,
) -> tuple[tuple[int, int], list[dict[str, Any]], list[tuple[Any, ...]]]:
    from credit_rules.batch.spark import SparkRun, local_session

    session = spark if spark is not None else local_session()
    run = SparkRun(session)
    try:
        if display is not None:
            display("reading and checking the population", None)
        run.load_all(sources)
        run.create(plan, progress=display)
        result = session.table(OUTCOMES_VIEW).cache()
        result.createOrReplaceTempView("cr_result")
        if display is not None:
            display("evaluating measures", None)
        outcomes = run.count("cr_result", progress=display)
        subjects = int(session.table("cr_subjects").count())
        rows: list[dict[str, Any]] = []
        if target is not None and fmt is not None:
            if display is not None:
                display(f"writing {target}", None)
            run.write("cr_result", target, fmt, list_columns=LIST_COLUMNS, progress=display)
        else:
            rows = run.rows("cr_result")
        stats_rows: list[tuple[Any, ...]] = []
        if statistics:
            stats_rows = [tuple(r) for r in session.sql(statistics_query("cr_result")).collect()]
        result.unpersist()
        return (subjects, outcomes), rows, stats_rows
    finally:
        run.release()


def run_batch(
    catalog_paths: Sequence[str],
    *,
    subjects: str,
    records: str | None = None,
    relations: str | None = None,
    as_of: str | datetime.date,
    matter: str | None = None,
    backend: str = "duckdb",
    output: str | None = None,
    output_format: str | None = None,
    database: str | None = None,
    statistics: str | None = None,
    progress: bool | None = None,
    partitions: int | None = None,
) -> BatchResult:
    """``credit-rules evaluate --batch``: plain strings in, files out.

    ``subjects``, ``records`` and ``relations`` are paths, or ``table:NAME`` for a table of
    ``database`` (DuckDB) or of the Spark catalog. ``statistics``: a path to write the
    statistics JSON to (``-`` for none written, only computed). Everything else is as in
    :func:`evaluate`.

    Raises:
        See :func:`evaluate`; also CatalogYamlError / CatalogSchemaError for the catalog.
    """
    from credit_rules.catalog import load_catalog

    if backend not in ("duckdb", "spark"):
        raise UsageError(
            [error("CR-E807", f"unknown batch back end `{backend}`", help="use duckdb or spark")]
        )
    catalog = load_catalog(*catalog_paths)
    day = as_of if isinstance(as_of, datetime.date) else datetime.date.fromisoformat(as_of)
    result = evaluate(
        catalog,
        subjects=_source(subjects),
        records=_source(records) if records is not None else None,
        relations=_source(relations) if relations is not None else None,
        as_of=day,
        matter=matter,
        backend="spark" if backend == "spark" else "duckdb",
        output=output,
        output_format=output_format,
        database=database,
        statistics=statistics is not None,
        progress=progress,
        partitions=partitions,
    )
    if statistics not in (None, "-") and result.statistics is not None:
        with open(statistics, "w", encoding="utf-8") as handle:
            handle.write(result.statistics.to_json() + "\n")
    return result


def _source(text: str) -> Source:
    if text.startswith("table:"):
        return TableRef(text.removeprefix("table:"))
    return text


# Table specs re-exported for documentation and tools.
TABLE_SPECS = (SUBJECTS, RECORDS, RELATIONS)
