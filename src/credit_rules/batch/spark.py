"""The distributed back end: the same SQL plan run by Apache Spark (PySpark).

Input: population table sources (files, Spark tables by :class:`TableRef`, or rows) and a
:class:`~credit_rules.sql.Plan` in the Spark dialect. Output: the plan's views as temporary
views of a ``SparkSession``, fetched as rows or written as Parquet, CSV or JSON Lines (a
directory of part files, as Spark writes them). The session is the caller's, or a local one
(``local[*]``) made by :func:`local_session`; nothing here assumes local mode, so the same
code runs on a cluster. Errors: :class:`~credit_rules.errors.RecordsError` for unreadable or
invalid inputs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession

from credit_rules.batch.io import (
    FileFormat,
    Files,
    Source,
    TableRef,
    files_of,
    normalising_select,
    problems_of,
    validation_plan,
)
from credit_rules.batch.progress import Progress
from credit_rules.batch.tables import TABLES, TableSpec
from credit_rules.errors import RecordsError, error
from credit_rules.sql import SPARK, Plan


def local_session(*, cores: int | str = "*", app: str = "credit-rules") -> SparkSession:
    """A local-mode session (or the active one), quiet and without the web UI."""
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.showConsoleProgress", "false")
        # many hash aggregates and joins run in one task (a union per measure): small pages
        .config("spark.buffer.pageSize", "2m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkRun:
    """Input views and a plan in one Spark session."""

    def __init__(self, session: SparkSession) -> None:
        self.session = session
        self._cached: list[DataFrame] = []

    def load(self, spec: TableSpec, source: Source | None) -> None:
        """Create the raw and normalised temporary views of one table."""
        frame = self._frame(spec, source)
        raw = f"cr_raw_{spec.name}"
        frame.createOrReplaceTempView(raw)
        columns = {field.name: field.dataType.simpleString() for field in frame.schema.fields}
        select = normalising_select(spec, raw, columns, dialect=SPARK)
        self.session.sql(select).createOrReplaceTempView(f"cr_{spec.name}")

    def load_all(self, sources: dict[str, Source | None]) -> None:
        """Load subjects, records and relations, then validate them together."""
        for spec in TABLES:
            self.load(spec, sources.get(spec.name))
        self.validate()

    def validate(self) -> None:
        """Check closed values, required columns and references.

        Raises:
            RecordsError: with every problem found.
        """
        query, checks = validation_plan(SPARK)
        rows = [(row[0], row[1]) for row in self.session.sql(query).collect()]
        problems = problems_of(rows, checks)
        if problems:
            raise RecordsError(problems)

    def create(self, plan: Plan, *, progress: Progress | None = None) -> None:
        """Create every view of a plan; materialised ones are computed now and kept.

        A materialised view is a local checkpoint: computed once, cached on the executors,
        and its lineage cut, so the views built on it are analysed against a leaf rather than
        against the whole plan beneath it (Spark's analysis time grows with plan size).
        """
        for view in plan.views:
            frame = self.session.sql(view.sql)
            if view.materialise:
                if progress is not None:
                    progress(view.name, None)
                frame = self._checkpoint(frame, progress)
                self._cached.append(frame)
            frame.createOrReplaceTempView(view.name)

    def _checkpoint(self, frame: DataFrame, progress: Progress | None) -> DataFrame:
        done: list[DataFrame] = []
        self._run(lambda: done.append(frame.localCheckpoint(eager=True)), progress)
        return done[0]

    def release(self) -> None:
        """Drop the cached views of the last plan."""
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()

    def rows(self, view: str) -> list[dict[str, Any]]:
        """Every row of a view as dicts."""
        return [row.asDict(recursive=True) for row in self.session.table(view).collect()]

    def write(
        self,
        view: str,
        path: str | os.PathLike[str],
        format: FileFormat,
        *,
        list_columns: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> None:
        """Write a view to a directory of part files (list columns as JSON arrays in CSV)."""
        frame = self.session.table(view)
        if format is FileFormat.CSV and list_columns:
            for column in list_columns:
                frame = frame.withColumn(column, _to_json(frame, column))
        writer = frame.write.mode("overwrite")
        target = os.fspath(path)
        action: Callable[[], None]
        if format is FileFormat.PARQUET:
            action = lambda: writer.parquet(target)  # noqa: E731
        elif format is FileFormat.CSV:
            action = lambda: writer.option("header", "true").csv(target)  # noqa: E731
        else:
            action = lambda: writer.json(target)  # noqa: E731
        self._run(action, progress)

    def count(self, view: str, *, progress: Progress | None = None) -> int:
        """The number of rows of a view (computing it)."""
        result: list[int] = []
        self._run(lambda: result.append(self.session.table(view).count()), progress)
        return result[0]

    def _run(self, action: Callable[[], None], progress: Progress | None) -> None:
        if progress is None:
            action()
            return
        failure: list[BaseException] = []

        def work() -> None:
            try:
                action()
            except BaseException as exc:  # re-raised in the calling thread
                failure.append(exc)

        tracker = self.session.sparkContext.statusTracker()
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(1.0)
            if worker.is_alive():
                progress("", _stage_fraction(tracker))
        if failure:
            raise failure[0]

    def _frame(self, spec: TableSpec, source: Source | None) -> DataFrame:
        reader = self.session.read
        try:
            if source is None or not isinstance(source, str | os.PathLike | TableRef):
                from credit_rules.batch.arrow import to_arrow

                rows = [] if source is None else list(source)
                return self.session.createDataFrame(to_arrow(spec, rows))
            if isinstance(source, TableRef):
                return self.session.table(source.name)
            files: Files = files_of(source, spec.name)
            paths = list(files.paths)
            if files.format is FileFormat.PARQUET:
                return reader.parquet(*paths)
            if files.format is FileFormat.CSV:
                return reader.option("header", "true").csv(paths)
            return reader.json(paths)
        except PySparkException as exc:
            message = str(exc).splitlines()[0]
            raise RecordsError(
                [error("CR-E801", f"{spec.name}: cannot read input: {message}")]
            ) from None


def _to_json(frame: DataFrame, column: str) -> Any:
    from pyspark.sql import functions

    return functions.to_json(frame[column])


def _stage_fraction(tracker: Any) -> float | None:
    """Fraction of tasks done in the active stages (None when none are running)."""
    total = done = 0
    for stage_id in tracker.getActiveStageIds():
        info = tracker.getStageInfo(stage_id)
        if info is not None:
            total += info.numTasks
            done += info.numCompletedTasks
    return 100.0 * done / total if total else None
