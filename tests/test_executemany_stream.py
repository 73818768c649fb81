"""executemany over an iterator: taken a batch at a time while the server works."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgwire
from pgwire import errors
from pgwire.engine import batch as _batch
from pgwire.protocol import core
from pgwire.types import Transformer
from pgwire.types.adapt import AdaptContext


class Counting:
    """An iterator of parameter sets that records how many were taken."""

    def __init__(self, n: int, bad_at: int | None = None) -> None:
        self.n = n
        self.bad_at = bad_at
        self.taken = 0

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for i in range(self.n):
            self.taken += 1
            yield (i, "bad\x00" if i == self.bad_at else f"row {i}")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_batch, "BATCH_ROWS", 7)
    # A small high-water mark: the request is fed in many steps.
    monkeypatch.setattr(core, "STREAM_HIGH_WATER", 200)


@pytest.fixture
def target(conn: Any) -> Any:
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE em (id int, txt text)")
    return conn


@pytest.mark.parametrize("autocommit", [True, False])
def test_generator_rows_all_inserted(target: Any, small_batches: None, autocommit: bool) -> None:
    conn = target
    conn.autocommit = autocommit
    cur = conn.cursor()
    rows = Counting(500)
    cur.executemany("INSERT INTO em VALUES (%s, %s)", iter(rows))
    assert cur.rowcount == 500
    if not autocommit:
        conn.commit()
    assert conn.execute("SELECT count(*), sum(id) FROM em").fetchone() == (500, 499 * 500 // 2)


def test_late_bad_parameter_raises_and_nothing_commits(target: Any, small_batches: None) -> None:
    conn = target
    cur = conn.cursor()
    rows = Counting(10_000, bad_at=300)
    with pytest.raises(errors.DataError, match="NUL"):
        cur.executemany("INSERT INTO em VALUES (%s, %s)", iter(rows))
    # Taken lazily: up to the batch holding the bad row, not the whole iterator.
    assert rows.taken < 300 + 2 * _batch.BATCH_ROWS
    # The rows sent before it were in the pipeline's transaction: rolled back.
    assert conn.execute("SELECT count(*) FROM em").fetchone() == (0,)


def test_late_bad_parameter_in_a_transaction(target: Any, small_batches: None) -> None:
    conn = target
    conn.autocommit = False
    cur = conn.cursor()
    with pytest.raises(errors.DataError):
        cur.executemany("INSERT INTO em VALUES (%s, %s)", iter(Counting(1000, bad_at=400)))
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM em").fetchone() == (0,)


def test_first_batch_errors_come_before_sending(target: Any, small_batches: None) -> None:
    conn = target
    conn.autocommit = False
    cur = conn.cursor()
    conn.execute("INSERT INTO em VALUES (-1, 'kept')")
    with pytest.raises(errors.DataError):
        cur.executemany("INSERT INTO em VALUES (%s, %s)", iter(Counting(100, bad_at=2)))
    # Nothing was sent: the transaction is still usable.
    conn.commit()
    assert conn.execute("SELECT count(*) FROM em").fetchone() == (1,)


def test_server_error_mid_stream(target: Any, small_batches: None) -> None:
    conn = target
    conn.execute("CREATE UNIQUE INDEX ON em (id)")
    cur = conn.cursor()

    def rows() -> Iterator[tuple[int, str]]:
        for i in range(300):
            yield (i if i != 150 else 3, "x")

    with pytest.raises(errors.UniqueViolation):
        cur.executemany("INSERT INTO em VALUES (%s, %s)", rows())
    assert conn.execute("SELECT count(*) FROM em").fetchone() == (0,)


def test_empty_iterator_and_returning(target: Any, small_batches: None) -> None:
    conn = target
    cur = conn.cursor()
    cur.executemany("INSERT INTO em VALUES (%s, %s)", iter([]))
    assert cur.rowcount == 0
    cur.executemany(
        "INSERT INTO em VALUES (%s, %s) RETURNING id", (r for r in Counting(20)), returning=True
    )
    got = []
    while True:
        got.extend(cur.fetchall())
        if not cur.nextset():
            break
    assert got == [(i,) for i in range(20)]


def test_async_generator_rows(dsn: str, small_batches: None) -> None:
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        try:
            await conn.execute("CREATE TEMP TABLE em (id int, txt text)")
            cur = conn.cursor()
            await cur.executemany("INSERT INTO em VALUES (%s, %s)", iter(Counting(300)))
            with pytest.raises(errors.DataError):
                await cur.executemany(
                    "INSERT INTO em VALUES (%s, %s)", iter(Counting(300, bad_at=200))
                )
            return await (await conn.execute("SELECT count(*) FROM em")).fetchone()
        finally:
            await conn.close()

    assert asyncio.run(main()) == (300,)


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.one_of(st.integers(-(2**40), 2**40), st.none()), st.text(max_size=5)),
        max_size=40,
    ),
    size=st.integers(1, 9),
)
def test_streamed_bytes_are_the_listed_bytes(rows: list[Any], size: int) -> None:
    saved = _batch.BATCH_ROWS
    _batch.BATCH_ROWS = size
    try:
        rows = [r for r in rows if "\x00" not in r[1]]
        tx = Transformer(AdaptContext())
        _sql, whole = _batch.encode_batches(tx, "INSERT %s, %s", rows, "utf-8", [], False)
        encoder = _batch.BatchEncoder(
            Transformer(AdaptContext()), "INSERT %s, %s", "utf-8", [], False
        )
        streamed = b"".join(encoder.stream(iter(rows)))
    finally:
        _batch.BATCH_ROWS = saved
    # A batch repeats the Parse where the types change: the Binds must be the same.
    assert _binds(b"".join(whole)) == _binds(streamed)
    assert len(_binds(streamed)) == len(rows)


def _binds(data: bytes) -> list[bytes]:
    """The Bind messages of a run of messages, in order."""
    out = []
    pos = 0
    while pos < len(data):
        kind = data[pos : pos + 1]
        length = int.from_bytes(data[pos + 1 : pos + 5], "big")
        if kind == b"B":
            out.append(data[pos : pos + 1 + length])
        pos += 1 + length
    return out
