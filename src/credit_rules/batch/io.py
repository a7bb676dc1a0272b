"""Where population tables come from and where results go, independent of the back end.

Input: a table source — a file, directory or glob of Parquet, CSV or JSON Lines files, a
:class:`TableRef` naming a table of an existing database (DuckDB) or catalog (Spark), or rows
(a :class:`~credit_rules.batch.tables.Population` table). Output: the normalising ``SELECT``
that turns a source with whatever columns it has into the typed input view the SQL plan
reads (``cr_subjects``, ``cr_records``, ``cr_relations``), and the validation queries run
before evaluation. Errors: :class:`~credit_rules.errors.RecordsError` (codes ``CR-E801`` no
such input, ``CR-E802`` a required column is missing, ``CR-E803`` a value outside its closed
set, ``CR-E804`` an id naming no subject, ``CR-E805`` a subject id given twice).
"""

from __future__ import annotations

import enum
import glob
import os
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from credit_rules.batch.tables import TABLES, Column, ColumnType, Row, TableSpec
from credit_rules.errors import Diagnostic, RecordsError, error
from credit_rules.sql import Dialect


class FileFormat(enum.Enum):
    """A file format for inputs and outputs."""

    PARQUET = "parquet"
    CSV = "csv"
    JSONL = "jsonl"


_SUFFIXES = {
    ".parquet": FileFormat.PARQUET,
    ".pq": FileFormat.PARQUET,
    ".csv": FileFormat.CSV,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".json": FileFormat.JSONL,
}


@attrs.frozen(slots=True)
class TableRef:
    """A table or view already in the database (DuckDB) or the catalog (Spark)."""

    name: str


@attrs.frozen(slots=True)
class Files:
    """Files of one format: a file, every file of the format in a directory, or a glob."""

    paths: tuple[str, ...]
    format: FileFormat


Source = str | os.PathLike[str] | TableRef | Sequence[Row]


def format_of(path: str | os.PathLike[str], given: FileFormat | str | None = None) -> FileFormat:
    """The format of a path, from ``given`` or its suffix (``.parquet``, ``.csv``, ``.jsonl``).

    Raises:
        RecordsError: the suffix is not one of those and no format is given.
    """
    if given is not None:
        return FileFormat(given) if isinstance(given, str) else given
    name = os.fspath(path)
    suffix = os.path.splitext(name.rstrip("/*"))[1].lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise RecordsError(
        [
            error(
                "CR-E801",
                f"cannot tell the format of `{name}`",
                help="name it .parquet, .csv or .jsonl, or give the format",
            )
        ]
    )


def files_of(source: str | os.PathLike[str], table: str) -> Files:
    """The files a path source stands for.

    Raises:
        RecordsError: nothing is there, or a directory mixes formats.
    """
    name = os.fspath(source)
    if os.path.isdir(name):
        found = sorted(
            os.path.join(name, entry)
            for entry in os.listdir(name)
            if os.path.splitext(entry)[1].lower() in _SUFFIXES
        )
        formats = {format_of(p) for p in found}
        if len(formats) != 1:
            what = "no .parquet, .csv or .jsonl file" if not formats else "files of several formats"
            raise RecordsError([error("CR-E801", f"{table}: {what} in directory `{name}`")])
        return Files(tuple(found), formats.pop())
    paths = tuple(sorted(glob.glob(name))) if any(c in name for c in "*?[") else (name,)
    if not paths or not all(os.path.isfile(p) for p in paths):
        raise RecordsError([error("CR-E801", f"{table}: no file `{name}`")])
    formats = {format_of(p) for p in paths}
    if len(formats) != 1:
        raise RecordsError([error("CR-E801", f"{table}: files of several formats in `{name}`")])
    return Files(paths, formats.pop())


def logical_type(engine_type: str) -> ColumnType | None:
    """The logical type of a column as a back end describes it (None: anything else)."""
    text = engine_type.strip().upper()
    if text.endswith("[]") or text.startswith(("ARRAY", "LIST")):
        return ColumnType.TEXT_LIST
    if text in ("DATE",):
        return ColumnType.DATE
    if text in ("BOOLEAN", "BOOL"):
        return ColumnType.BOOLEAN
    if text in ("VARCHAR", "STRING", "TEXT") or text.startswith(("VARCHAR", "CHAR")):
        return ColumnType.TEXT
    return None


def normalising_select(
    spec: TableSpec,
    source: str,
    columns: Mapping[str, str],
    *,
    dialect: Dialect,
) -> str:
    """``SELECT`` the spec's columns, typed, from a source with the given columns and types.

    Absent optional columns are NULL (or their default); a text ``tags`` column is read as a
    JSON array. Column names match case-insensitively.

    Raises:
        RecordsError: a required column is absent.
    """
    present = {name.lower(): (name, kind) for name, kind in columns.items()}
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    if missing:
        raise RecordsError(
            [
                error(
                    "CR-E802",
                    f"{spec.name}: required column `{name}` is missing",
                    help="columns found: " + ", ".join(sorted(columns)) if columns else None,
                )
                for name in missing
            ]
        )
    parts = []
    for column in spec.columns:
        if column.name in present:
            original, kind = present[column.name]
            expr = _cast(column, dialect.ident(original), kind, dialect)
        else:
            expr = _absent(column, dialect)
        parts.append(f"{expr} AS {dialect.ident(column.name)}")
    return f"SELECT {', '.join(parts)} FROM {source}"


def _cast(column: Column, expr: str, engine_type: str, dialect: Dialect) -> str:
    found = logical_type(engine_type)
    if column.type is ColumnType.TEXT_LIST:
        if found is ColumnType.TEXT_LIST:
            value = f"CAST({expr} AS {_list_type(dialect)})"
        else:
            value = _parse_list(f"CAST({expr} AS {_text_type(dialect)})", dialect)
        return f"COALESCE({value}, {dialect.empty_list})"
    if column.type is ColumnType.DATE:
        value = f"CAST({expr} AS DATE)"
    elif column.type is ColumnType.BOOLEAN:
        value = f"CAST({expr} AS BOOLEAN)"
    else:
        value = f"CAST({expr} AS {_text_type(dialect)})"
        if column.name == "status":
            value = f"COALESCE({value}, 'active')"
    if column.default is not None:
        value = f"COALESCE({value}, {'TRUE' if column.default else 'FALSE'})"
    return value


def _absent(column: Column, dialect: Dialect) -> str:
    if column.type is ColumnType.TEXT_LIST:
        return dialect.empty_list
    if column.default is not None:
        return "TRUE" if column.default else "FALSE"
    if column.name == "status":
        return "'active'"
    sql_type = {
        ColumnType.TEXT: _text_type(dialect),
        ColumnType.DATE: "DATE",
        ColumnType.BOOLEAN: "BOOLEAN",
    }[column.type]
    return f"CAST(NULL AS {sql_type})"


def _text_type(dialect: Dialect) -> str:
    return "STRING" if dialect.name == "spark" else "VARCHAR"


def _list_type(dialect: Dialect) -> str:
    return "ARRAY<STRING>" if dialect.name == "spark" else "VARCHAR[]"


def _parse_list(text: str, dialect: Dialect) -> str:
    empty = f"NULLIF(TRIM({text}), '')"
    if dialect.name == "spark":
        return f"from_json({empty}, 'array<string>')"
    return f"from_json({empty}, '[\"VARCHAR\"]')"


# ---------------------------------------------------------------------------------------------
# Validation


def validation_queries(spec: TableSpec, view: str, dialect: Dialect) -> list[tuple[str, str]]:
    """(what, query) pairs; each query returns up to 5 offending values (none when valid)."""
    queries: list[tuple[str, str]] = []
    for column in spec.columns:
        name = dialect.ident(column.name)
        if column.required:
            queries.append(
                (
                    f"{spec.name}: column `{column.name}` is empty in some rows",
                    f"SELECT 'NULL' FROM {view} WHERE {name} IS NULL LIMIT 1",
                )
            )
        if column.values is not None:
            allowed = dialect.strings(column.values)
            queries.append(
                (
                    f"{spec.name}: column `{column.name}` has values outside "
                    + ", ".join(column.values),
                    f"SELECT DISTINCT {name} FROM {view} "
                    f"WHERE {name} IS NOT NULL AND {name} NOT IN {allowed} LIMIT 5",
                )
            )
    return queries


def reference_queries(dialect: Dialect) -> list[tuple[str, str, str]]:
    """(code, what, query) checks across the three input views."""
    # Records repeated within a subject: grouped first by a 64-bit hash of (subject, id),
    # which is cheaper than grouping by two strings, then the few rows whose hash repeats are
    # grouped exactly (so a collision is never reported).
    pair_hash = dialect.hash64(["subject_id", "id"])
    repeated = (
        f"SELECT h FROM (SELECT {pair_hash} AS h FROM cr_records) x GROUP BY h HAVING count(*) > 1"
    )
    return [
        (
            "CR-E805",
            "subjects: the same id is given to several subjects",
            "SELECT id FROM cr_subjects GROUP BY id HAVING count(*) > 1 LIMIT 5",
        ),
        (
            "CR-E805",
            "records: the same id is given to several records of a subject",
            "SELECT DISTINCT subject_id || '/' || id FROM (SELECT subject_id, id FROM cr_records "
            f"WHERE {pair_hash} IN ({repeated}) "
            "GROUP BY subject_id, id HAVING count(*) > 1) d LIMIT 5",
        ),
        (
            "CR-E804",
            "records: `subject_id` names no subject",
            "SELECT DISTINCT r.subject_id FROM cr_records r "
            "LEFT JOIN cr_subjects s ON s.id = r.subject_id WHERE s.id IS NULL LIMIT 5",
        ),
        (
            "CR-E804",
            "relations: `subject_id` or `related_id` names no subject",
            "SELECT DISTINCT x.id FROM (SELECT subject_id AS id FROM cr_relations "
            "UNION ALL SELECT related_id AS id FROM cr_relations) x "
            "LEFT JOIN cr_subjects s ON s.id = x.id WHERE s.id IS NULL LIMIT 5",
        ),
    ]


def validation_plan(dialect: Dialect) -> tuple[str, list[tuple[str, str]]]:
    """One query running every validation (a row per offending value, tagged with the index
    of its check), and the (code, what) of each check: one job instead of twenty."""
    checks: list[tuple[str, str]] = []
    parts = []
    text = "STRING" if dialect.name == "spark" else "VARCHAR"
    for spec in TABLES:
        for what, query in validation_queries(spec, f"cr_{spec.name}", dialect):
            checks.append(("CR-E803", what))
            parts.append((len(checks) - 1, query))
    for code, what, query in reference_queries(dialect):
        checks.append((code, what))
        parts.append((len(checks) - 1, query))
    union = " UNION ALL ".join(
        f"SELECT {index} AS check_index, CAST(v AS {text}) AS value FROM ({query}) AS q{index}(v)"
        for index, query in parts
    )
    return union, checks


def problems_of(
    rows: Sequence[tuple[Any, Any]], checks: Sequence[tuple[str, str]]
) -> list[Diagnostic]:
    """Diagnostics from the rows of :func:`validation_plan`'s query."""
    found: dict[int, list[Any]] = {}
    for index, value in rows:
        found.setdefault(int(index), []).append(value)
    return [
        problem(checks[index][0], checks[index][1], sorted(map(str, values)))
        for index, values in sorted(found.items())
    ]


def problem(code: str, what: str, values: Sequence[Any]) -> Diagnostic:
    """A validation finding with up to five example values."""
    shown = ", ".join(f"`{v}`" for v in values[:5])
    return error(code, f"{what}: {shown}" if shown else what)
