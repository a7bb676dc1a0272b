"""Population tables as Apache Arrow tables, and files written from dossiers in chunks.

Input: rows of a population table, or dossiers. Output: ``pyarrow.Table`` values with the
column types of ``batch/tables.py`` (``DATE`` as date32, ``tags`` as a list of strings), and
Parquet, CSV or JSON Lines files of the three tables. Errors:
:class:`~credit_rules.errors.RecordsError` from flattening inconsistent dossiers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from credit_rules.batch.io import FileFormat
from credit_rules.batch.tables import (
    TABLES,
    ColumnType,
    Population,
    PopulationBuilder,
    Row,
    TableSpec,
)
from credit_rules.model import Dossier

_ARROW_TYPES = {
    ColumnType.TEXT: pa.string(),
    ColumnType.DATE: pa.date32(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.TEXT_LIST: pa.list_(pa.string()),
}


def schema(spec: TableSpec) -> Any:
    """The Arrow schema of a population table."""
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in spec.columns])


def to_arrow(spec: TableSpec, rows: Sequence[Row]) -> Any:
    """A ``pyarrow.Table`` of rows (dicts keyed by column name) with the table's schema."""
    columns = {c.name: [row.get(c.name) for row in rows] for c in spec.columns}
    return pa.table(columns, schema=schema(spec))


def population_tables(population: Population) -> dict[str, Any]:
    """The three tables of a population as ``pyarrow.Table`` values, keyed by table name."""
    return {spec.name: to_arrow(spec, population.table(spec.name)) for spec in TABLES}


class PopulationWriter:
    """Writes dossiers to ``DIR/subjects.EXT``, ``DIR/records.EXT`` and ``DIR/relations.EXT``.

    Dossiers are flattened and written ``chunk`` subjects at a time, so a population far larger
    than memory can be written. Subjects and records are de-duplicated within a chunk only:
    give each subject's dossier once (related subjects are written with the dossier that
    lists them, so a subject shared by dossiers of different chunks is written once per chunk
    unless ``shared_once`` is kept true, which remembers every subject id written).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        format: FileFormat = FileFormat.PARQUET,
        chunk: int = 50_000,
        shared_once: bool = True,
    ) -> None:
        self.directory = os.fspath(directory)
        self.format = format
        self.chunk = chunk
        self._builder = PopulationBuilder()
        self._pending = 0
        self._written: set[str] | None = set() if shared_once else None
        self._written_records: set[tuple[str, str]] | None = set() if shared_once else None
        self._written_relations: set[tuple[Any, ...]] | None = set() if shared_once else None
        self._sinks: dict[str, Any] = {}
        os.makedirs(self.directory, exist_ok=True)
        self.counts = dict.fromkeys((s.name for s in TABLES), 0)

    def path(self, table: str) -> str:
        """The file a table is written to."""
        return os.path.join(self.directory, f"{table}.{self.format.value}")

    def add(self, dossier: Dossier) -> None:
        """Add one dossier (written once ``chunk`` dossiers have been added)."""
        self._builder.add(dossier)
        self._pending += 1
        if self._pending >= self.chunk:
            self.flush()

    def add_all(self, dossiers: Iterable[Dossier]) -> None:
        """Add many dossiers."""
        for dossier in dossiers:
            self.add(dossier)

    def flush(self) -> None:
        """Write what has been added."""
        population = self._builder.take()
        self._pending = 0
        subjects = population.subjects
        records = population.records
        if self._written is not None and self._written_records is not None:
            subjects = tuple(r for r in subjects if r["id"] not in self._written)
            self._written.update(r["id"] for r in subjects)
            records = tuple(
                r for r in records if (r["subject_id"], r["id"]) not in self._written_records
            )
            self._written_records.update((r["subject_id"], r["id"]) for r in records)
        relations = population.relations
        if self._written_relations is not None:
            relations = tuple(
                r for r in relations if tuple(r.values()) not in self._written_relations
            )
            self._written_relations.update(tuple(r.values()) for r in relations)
        parts = {
            "subjects": subjects,
            "records": records,
            "relations": relations,
        }
        for spec in TABLES:
            rows = parts[spec.name]
            self._write(spec, to_arrow(spec, rows))
            self.counts[spec.name] += len(rows)

    def close(self) -> None:
        """Write what is left and close the files."""
        self.flush()
        for sink in self._sinks.values():
            sink.close()
        self._sinks.clear()

    def __enter__(self) -> PopulationWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, spec: TableSpec, table: Any) -> None:
        sink = self._sinks.get(spec.name)
        if self.format is FileFormat.PARQUET:
            if sink is None:
                sink = pq.ParquetWriter(self.path(spec.name), schema(spec))
                self._sinks[spec.name] = sink
            sink.write_table(table)
            return
        if self.format is FileFormat.CSV:
            if sink is None:
                sink = _CsvSink(self.path(spec.name), spec)
                self._sinks[spec.name] = sink
            sink.write(table)
            return
        if sink is None:
            sink = open(self.path(spec.name), "w", encoding="utf-8")  # noqa: SIM115
            self._sinks[spec.name] = sink
        for row in table.to_pylist():
            sink.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


class _CsvSink:
    """CSV with a header; ``tags`` as a JSON array text."""

    def __init__(self, path: str, spec: TableSpec) -> None:
        self._handle = open(path, "wb")  # noqa: SIM115
        self._spec = spec
        self._header = True

    def write(self, table: Any) -> None:
        for column in self._spec.columns:
            if column.type is ColumnType.TEXT_LIST:
                index = table.schema.get_field_index(column.name)
                texts = [
                    json.dumps(v, ensure_ascii=False) if v is not None else None
                    for v in table.column(column.name).to_pylist()
                ]
                table = table.set_column(index, column.name, pa.array(texts, pa.string()))
        options = pa_csv.WriteOptions(include_header=self._header)
        pa_csv.write_csv(table, self._handle, write_options=options)
        self._header = False

    def close(self) -> None:
        self._handle.close()


def write_population(
    dossiers: Iterable[Dossier],
    directory: str | os.PathLike[str],
    *,
    format: FileFormat = FileFormat.PARQUET,
    chunk: int = 50_000,
) -> dict[str, int]:
    """Write dossiers as the three tables; returns the row count of each table."""
    with PopulationWriter(directory, format=format, chunk=chunk) as writer:
        writer.add_all(dossiers)
    return dict(writer.counts)
