"""pandas through the ``postgresql+pgwire`` engine: read_sql, read_sql_table, to_sql."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import pytest
from sqla_fixtures import require

sa = require("sqlalchemy")

pd = require("pandas")
np = require("numpy")


def frame() -> Any:
    """Every common dtype, with missing values where the dtype has them."""
    n = 7
    return pd.DataFrame(
        {
            "i64": np.arange(n, dtype="int64") * 10**12,
            "i32": np.arange(n, dtype="int32"),
            "nullable_int": pd.array([1, None, 3, 4, None, 6, 7], dtype="Int64"),
            "f64": [0.1, np.nan, -1.5, 1e300, 2.0, np.inf, 3.25],
            "f32": np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5], dtype="float32"),
            "flag": [True, False, True, True, False, False, True],
            "nullable_flag": pd.array(
                [True, None, False, True, None, False, True], dtype="boolean"
            ),
            "text": ["a", "b'c", 'd"e', "ünï", "%s", "", "x\ny"],
            "maybe_text": ["p", None, "q", None, "r", "s", "t"],
            "when": pd.date_range("2024-01-01 12:34:56.789", periods=n, freq="37h"),
            "when_tz": pd.date_range("2024-03-30 23:00", periods=n, freq="90min", tz="UTC"),
            "day": [dt.date(2024, 1, i + 1) for i in range(n)],
        }
    )


def read_back(engine: Any, table: str) -> Any:
    out = pd.read_sql_table(table, engine).sort_values("idx").reset_index(drop=True)
    return out.drop(columns="idx")


def check_equal(got: Any, want: Any) -> None:
    """Values equal after the round trip, dtypes as pandas reads them back."""
    # pandas reads int32 back as int64, float32 as float64 (real -> float), nullable
    # ints with NULLs as float, dates as datetime64: compare the values.
    assert list(got.columns) == list(want.columns)
    for name in want.columns:
        g, w = got[name], want[name]
        if name in ("i64", "i32"):
            assert g.dtype == "int64" and g.tolist() == w.tolist(), name
        elif name in ("f64", "f32"):
            np.testing.assert_array_equal(g.to_numpy(dtype=float), w.to_numpy(dtype=float))
        elif name == "nullable_int":
            assert [None if pd.isna(v) else int(v) for v in g] == [
                None if pd.isna(v) else int(v) for v in w
            ]
        elif name == "nullable_flag":
            assert [None if pd.isna(v) else bool(v) for v in g] == [
                None if pd.isna(v) else bool(v) for v in w
            ]
        elif name == "flag":
            assert g.dtype == bool and g.tolist() == w.tolist()
        elif name in ("text", "maybe_text"):
            assert [None if pd.isna(v) else v for v in g] == [None if pd.isna(v) else v for v in w]
        elif name == "when":
            assert g.dt.tz is None and (g.to_numpy() == w.to_numpy()).all()
        elif name == "when_tz":
            assert str(g.dt.tz) == "UTC" and (g == w).all()
        elif name == "day":
            assert [pd.Timestamp(v).date() for v in g] == w.tolist()
        else:
            raise AssertionError(f"unchecked column {name}")


def copy_method(table: Any, conn: Any, keys: list[str], data_iter: Iterable[Any]) -> int:
    """A to_sql ``method`` writing through pgwire's COPY FROM STDIN."""
    dbapi_conn = conn.connection.dbapi_connection
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    columns = ", ".join(f'"{k}"' for k in keys)
    rows = 0
    with dbapi_conn.cursor() as cur:
        with cur.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for row in data_iter:
                copy.write_row(row)
                rows += 1
    return rows


@pytest.mark.parametrize("method", [None, "multi", copy_method], ids=["default", "multi", "copy"])
@pytest.mark.parametrize("chunksize", [None, 3])
def test_to_sql_and_read_sql_table_round_trip(engine: Any, method: Any, chunksize: Any) -> None:
    df = frame()
    name = "pd_round_trip"
    written = df.to_sql(
        name,
        engine,
        if_exists="replace",
        index=True,
        index_label="idx",
        method=method,
        chunksize=chunksize,
    )
    assert written == len(df)
    try:
        check_equal(read_back(engine, name), df)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {name}")


def test_read_sql_query_with_parameters_and_chunks(engine: Any) -> None:
    df = frame()
    df.to_sql("pd_query", engine, if_exists="replace", index=True, index_label="idx")
    try:
        query = sa.text("SELECT idx, text, f64 FROM pd_query WHERE idx >= :low ORDER BY idx")
        got = pd.read_sql(query, engine, params={"low": 2})
        assert got["idx"].tolist() == [2, 3, 4, 5, 6]
        assert got["text"].tolist() == df["text"].tolist()[2:]
        chunks = list(pd.read_sql("SELECT idx FROM pd_query ORDER BY idx", engine, chunksize=3))
        assert [c["idx"].tolist() for c in chunks] == [[0, 1, 2], [3, 4, 5], [6]]
        # Streamed from a server-side cursor, in chunks.
        with engine.connect().execution_options(stream_results=True) as conn:
            streamed = list(pd.read_sql_query("SELECT idx FROM pd_query", conn, chunksize=4))
        assert sum(len(c) for c in streamed) == 7
        parsed = pd.read_sql("SELECT day FROM pd_query ORDER BY idx", engine, parse_dates=["day"])
        assert parsed["day"].dtype.kind == "M"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE pd_query")


def test_to_sql_append_and_dtype(engine: Any) -> None:
    df = pd.DataFrame({"k": ["a", "b"], "v": [1.5, 2.5]})
    df.to_sql("pd_append", engine, index=False, dtype={"v": sa.Numeric(10, 2)})
    df.to_sql("pd_append", engine, index=False, if_exists="append")
    try:
        with pytest.raises(ValueError, match="already exists"):
            df.to_sql("pd_append", engine, index=False, if_exists="fail")
        got = pd.read_sql("SELECT * FROM pd_append ORDER BY k, v", engine)
        assert got.to_dict("list") == {"k": ["a", "a", "b", "b"], "v": [1.5, 1.5, 2.5, 2.5]}
        insp = sa.inspect(engine)
        types = {c["name"]: c["type"] for c in insp.get_columns("pd_append")}
        assert isinstance(types["v"], sa.Numeric) and types["v"].scale == 2
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE pd_append")


def test_csv_copy_method_matches_default(engine: Any) -> None:
    # The COPY method above, checked against pandas' own path on the same frame.
    df = frame()[["i64", "text", "when"]]
    df.to_sql("pd_a", engine, index=True, index_label="idx", if_exists="replace")
    df.to_sql(
        "pd_b", engine, index=True, index_label="idx", if_exists="replace", method=copy_method
    )
    try:
        a, b = read_back(engine, "pd_a"), read_back(engine, "pd_b")
        out_a, out_b = io.StringIO(), io.StringIO()
        a.to_csv(out_a, quoting=csv.QUOTE_ALL)
        b.to_csv(out_b, quoting=csv.QUOTE_ALL)
        assert out_a.getvalue() == out_b.getvalue()
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE pd_a, pd_b")
