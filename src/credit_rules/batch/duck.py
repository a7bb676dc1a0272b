"""The embedded back end: a SQL plan run by DuckDB.

Input: population table sources (files, tables of an existing DuckDB database, or rows) and
a :class:`~credit_rules.sql.Plan`. Output: the plan's views in an in-process DuckDB
connection, fetched as rows or copied to Parquet, CSV or JSON Lines. Errors:
:class:`~credit_rules.errors.RecordsError` for unreadable or invalid inputs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any

import duckdb

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
from credit_rules.sql import DUCKDB, Plan, View


class DuckSession:
    """One DuckDB connection holding the input views and a plan.

    ``database``: an existing DuckDB file whose tables :class:`TableRef` sources name (attached
    read-only as ``src``). ``threads`` and ``memory_limit`` are passed to DuckDB; past the
    memory limit DuckDB spills to ``temp_directory`` (default: a fresh directory under the
    system's temporary directory, removed on close).
    """

    def __init__(
        self,
        *,
        database: str | os.PathLike[str] | None = None,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
    ) -> None:
        self.connection = duckdb.connect()
        if threads is not None:
            self.connection.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            self.connection.execute(f"SET memory_limit = '{_plain(memory_limit)}'")
        # spill to the system's temporary directory, never into the working directory
        self._temp = None
        if temp_directory is None:
            self._temp = tempfile.mkdtemp(prefix="credit-rules-duckdb-")
            temp_directory = self._temp
        self.connection.execute(f"SET temp_directory = '{_plain(temp_directory)}'")
        self.connection.execute("SET preserve_insertion_order = false")
        self._database = os.fspath(database) if database is not None else None
        if self._database is not None:
            if not os.path.isfile(self._database):
                raise RecordsError([error("CR-E801", f"no DuckDB database `{self._database}`")])
            self.connection.execute(f"ATTACH '{_plain(self._database)}' AS src (READ_ONLY)")
        self._keep: list[Any] = []

    def close(self) -> None:
        """Close the connection (and remove its spill directory)."""
        self.connection.close()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)

    # -- inputs -------------------------------------------------------------------------------

    def load(self, spec: TableSpec, source: Source | None) -> None:
        """Create the raw and normalised views of one table (an absent table is empty)."""
        raw = f"cr_raw_{spec.name}"
        if source is None:
            from credit_rules.batch.arrow import to_arrow

            self._register(raw, to_arrow(spec, []))
        elif isinstance(source, TableRef):
            name = source.name if self._database is None else f"src.{source.name}"
            self._view(raw, f"SELECT * FROM {name}", spec.name)
        elif isinstance(source, str | os.PathLike):
            self._view(raw, f"SELECT * FROM {_reader(files_of(source, spec.name))}", spec.name)
        else:
            from credit_rules.batch.arrow import to_arrow

            self._register(raw, to_arrow(spec, list(source)))
        columns = {
            str(name): str(kind)
            for name, kind, *_ in self.connection.execute(f"DESCRIBE {raw}").fetchall()
        }
        select = normalising_select(spec, raw, columns, dialect=DUCKDB)
        self.connection.execute(f"CREATE OR REPLACE TEMP VIEW cr_{spec.name} AS {select}")

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
        query, checks = validation_plan(DUCKDB)
        problems = problems_of(self._fetch(query), checks)
        if problems:
            raise RecordsError(problems)

    # -- plans --------------------------------------------------------------------------------

    def create(self, plan: Plan, *, partitions: int = 1, progress: Progress | None = None) -> None:
        """Create the shared views of a plan (every view of an unpartitioned plan), for a
        number of partitions; materialised ones are computed now, in order."""
        self._create(plan.shared(partitions), "", progress)

    def create_partition(
        self, plan: Plan, part: int, *, label: str = "", progress: Progress | None = None
    ) -> None:
        """Create (again) the per-partition views of a partitioned plan for one partition;
        each replaces the previous partition's, so memory holds one partition at a time."""
        self._create(plan.partition(part), label, progress)

    def _create(self, views: Sequence[View], label: str, progress: Progress | None) -> None:
        for view in views:
            if view.materialise:
                if progress is not None:
                    progress(label + view.name, None)
                self._run(f"CREATE OR REPLACE TEMP TABLE {view.name} AS {view.sql}", progress)
            else:
                self.connection.execute(f"CREATE OR REPLACE TEMP VIEW {view.name} AS {view.sql}")

    def rows(
        self, view: str, *, columns: str = "*", order_by: str | None = None
    ) -> list[dict[str, Any]]:
        """Every row of a view (its ``columns``) as dicts."""
        query = f"SELECT {columns} FROM {view}" + (f" ORDER BY {order_by}" if order_by else "")
        cursor = self.connection.execute(query)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def materialise(self, view: str, table: str, *, progress: Progress | None = None) -> int:
        """Compute a view into a temporary table; returns its row count."""
        self._run(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {view}", progress)
        return self.count(table)

    def count(self, table: str) -> int:
        """The rows of a table or view. Fetched whole: a result left open by ``fetchone``
        keeps the connection busy for the next query (DuckDB 2.0.1 raises
        ResourceInUseException when a Parquet writer then reads)."""
        found = self.connection.execute(f"SELECT count(*) FROM {table}").fetchall()
        return int(found[0][0]) if found else 0

    def copy(
        self,
        query: str,
        path: str | os.PathLike[str],
        format: FileFormat,
        *,
        list_columns: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> int:
        """Write the rows of a query to a file (list columns as JSON arrays in CSV); returns
        the number of rows written."""
        target = os.fspath(path)
        if format is FileFormat.CSV and list_columns:
            replace = ", ".join(f"to_json({c}) AS {c}" for c in list_columns)
            query = f"SELECT * REPLACE ({replace}) FROM ({query})"
        options = {
            FileFormat.PARQUET: "FORMAT parquet",
            FileFormat.CSV: "FORMAT csv, HEADER true",
            FileFormat.JSONL: "FORMAT json",
        }[format]
        found = self._run(f"COPY ({query}) TO '{_plain(target)}' ({options})", progress)
        return int(found[0][0]) if found else 0

    def appender(
        self,
        path: str | os.PathLike[str],
        format: FileFormat,
        *,
        list_columns: Sequence[str] = (),
    ) -> Appender:
        """A writer of one file from several queries' rows, one after the other."""
        return Appender(self, os.fspath(path), format, list_columns)

    def _run(self, statement: str, progress: Progress | None) -> list[tuple[Any, ...]]:
        if progress is None:
            return self.connection.execute(statement).fetchall()
        failure: list[BaseException] = []
        result: list[tuple[Any, ...]] = []

        def work() -> None:
            try:
                result.extend(self.connection.execute(statement).fetchall())
            except BaseException as exc:  # re-raised in the calling thread
                failure.append(exc)

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
            if worker.is_alive():
                try:
                    done = float(self.connection.query_progress())
                except duckdb.Error:
                    done = -1.0
                progress("", done if done >= 0 else None)
        if failure:
            raise failure[0]
        return result

    def _fetch(self, query: str) -> list[tuple[Any, ...]]:
        return self.connection.execute(query).fetchall()

    def _view(self, name: str, select: str, table: str) -> None:
        try:
            self.connection.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")
            self.connection.execute(f"DESCRIBE {name}")
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0]
            raise RecordsError(
                [error("CR-E801", f"{table}: cannot read input: {message}")]
            ) from None

    def _register(self, name: str, table: Any) -> None:
        self._keep.append(table)
        self.connection.register(f"{name}_arrow", table)
        self.connection.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_arrow")


class Appender:
    """Writes the rows of several queries to one file, in order (a partitioned run's result).

    Parquet: each query's rows, fetched as one Arrow table, go to one ``pyarrow`` Parquet
    writer (DuckDB's ``COPY`` cannot add to a file) in a background thread, so encoding one
    partition overlaps computing the next (memory holds one partition's rows meanwhile). CSV
    and JSON Lines: each query is copied by DuckDB to a part file beside the target, then
    added to it (CSV keeps the first part's header only).
    """

    def __init__(
        self, session: DuckSession, target: str, format: FileFormat, list_columns: Sequence[str]
    ) -> None:
        self.session = session
        self.target = target
        self.format = format
        self.list_columns = tuple(list_columns)
        self.parts = 0
        self._writer: Any = None
        self._file: Any = None
        self._thread: threading.Thread | None = None
        self._failure: list[BaseException] = []

    def write(
        self,
        query: str,
        *,
        order_by: Sequence[str] = (),
        drop: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> int:
        """Add a query's rows, sorted by the ``order_by`` columns (ascending, NULL first) when
        given, without the ``drop`` columns (Parquet only: columns read for the order alone);
        returns how many were written."""
        self.parts += 1
        if self.format is FileFormat.PARQUET:
            return self._parquet(query, tuple(order_by), tuple(drop))
        if drop:
            raise ValueError("only Parquet output drops columns")
        if order_by:
            keys = ", ".join(f"{c} NULLS FIRST" for c in order_by)
            query = f"SELECT * FROM ({query}) q ORDER BY {keys}"
        part = f"{self.target}.part"
        try:
            written = self.session.copy(
                query, part, self.format, list_columns=self.list_columns, progress=progress
            )
            with open(part, "rb") as source:
                if self._file is None:
                    self._file = open(self.target, "wb")  # noqa: SIM115 (closed by close())
                elif self.format is FileFormat.CSV:
                    source.readline()  # the header, written once
                shutil.copyfileobj(source, self._file, 1 << 20)
        finally:
            if os.path.exists(part):
                os.remove(part)
        return written

    def _parquet(self, query: str, order_by: tuple[str, ...], drop: tuple[str, ...]) -> int:
        import pyarrow.parquet as pq

        table = self.session.connection.sql(query).to_arrow_table()
        self._wait()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.target, table.drop_columns(list(drop)).schema)
        writer = self._writer

        def work() -> None:
            try:
                ordered = sort_table(table, order_by) if order_by else table
                if drop:
                    ordered = ordered.drop_columns(list(drop))
                writer.write_table(ordered, row_group_size=_BATCH_ROWS)
            except BaseException as exc:  # re-raised by the next write or close
                self._failure.append(exc)

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()
        return int(table.num_rows)

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._failure:
            raise self._failure.pop()

    def close(self) -> None:
        """Finish the file (an empty one when nothing was written).

        Raises:
            Whatever writing a part raised.
        """
        try:
            self._wait()
        finally:
            self._close()

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._file is not None:
            self._file.close()
            self._file = None


#: rows per Parquet row group when appending
_BATCH_ROWS = 1 << 20


def sort_table(table: Any, columns: Sequence[str]) -> Any:
    """An Arrow table's rows sorted by columns (ascending, NULL first; text by its UTF-8
    bytes): the order of DuckDB's ``ORDER BY c NULLS FIRST, …``.

    Sorting in Arrow (the indices of a sort, then one gather) costs about half of DuckDB's
    sort of the same rows with their list columns, and runs in the Parquet writer's thread,
    beside the next partition's evaluation. A NULL sorts first through a validity key
    before the column (so no option of the Arrow version is relied on for NULL placement).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    keys: dict[str, Any] = {}
    sort_keys: list[tuple[str, str]] = []
    for index, name in enumerate(columns):
        column = table.column(name)
        if column.null_count:
            keys[f"v{index}"] = pc.is_valid(column)
            sort_keys.append((f"v{index}", "ascending"))
        keys[f"k{index}"] = column
        sort_keys.append((f"k{index}", "ascending"))
    indices = pc.sort_indices(pa.table(keys), sort_keys=sort_keys)
    return table.take(indices)


def _reader(files: Files) -> str:
    paths = "[" + ", ".join(f"'{_plain(p)}'" for p in files.paths) + "]"
    if files.format is FileFormat.PARQUET:
        return f"read_parquet({paths})"
    if files.format is FileFormat.CSV:
        return f"read_csv({paths}, header = true, all_varchar = true)"
    return f"read_json({paths}, format = 'newline_delimited')"


def _plain(text: str) -> str:
    """A value for inside a single-quoted SQL string."""
    return text.replace("'", "''")


def elapsed(start: float) -> float:
    """Seconds since ``start`` (a ``time.perf_counter`` value)."""
    return time.perf_counter() - start
