"""Rows sorted in Arrow (for the Parquet writer) are in exactly the order of DuckDB's
``ORDER BY … NULLS FIRST`` (text by its UTF-8 bytes), whatever the values."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_rules.batch.duck import sort_table

# few distinct values, so that ties on the first keys are common; non-ASCII and NULLs
_TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "A", "b", "a~1", "a~10", "é", "限制", "z"]))
_ROWS = st.lists(st.tuples(_TEXT, _TEXT, _TEXT, st.integers(0, 3)), max_size=60)
_SCHEMA = pa.schema([("a", pa.string()), ("b", pa.string()), ("c", pa.string()), ("n", pa.int64())])


@settings(max_examples=200, deadline=None)
@given(_ROWS, st.integers(0, 60))
def test_arrow_sort_is_duckdb_order_by_nulls_first(
    rows: list[tuple[object, ...]], cut: int
) -> None:
    # in two chunks, as a query's Arrow result comes
    chunks = [rows[:cut], rows[cut:]]
    table = pa.concat_tables(
        pa.table({n: [r[i] for r in part] for i, n in enumerate(_SCHEMA.names)}, schema=_SCHEMA)
        for part in chunks
    )
    con = duckdb.connect()
    con.register("t", table)
    keys = ("a", "b", "c", "n")
    order = ", ".join(f"{k} NULLS FIRST" for k in keys)
    expected = con.execute(f"SELECT * FROM t ORDER BY {order}").fetchall()
    found = sort_table(table, keys)
    # every column is a key: rows equal on the keys are equal, so the order is exact
    columns = [found.column(n).to_pylist() for n in _SCHEMA.names]
    assert list(zip(*columns, strict=True)) == expected
    assert found.schema == table.schema


def test_only_the_key_columns_decide_and_the_others_follow_their_row() -> None:
    table = pa.table({"k": ["b", None, "a"], "v": [[1], [2, 3], []]})
    found = sort_table(table, ("k",))
    assert found.column("k").to_pylist() == [None, "a", "b"]
    assert found.column("v").to_pylist() == [[2, 3], [], [1]]
