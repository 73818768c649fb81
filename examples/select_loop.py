"""Asynchronous queries on cursors, driven from select().

Part 1 is the seed's example as written.  Part 2 drives 8 connections' queries
from one select loop: they all finish in about the time of the slowest one.

Run it as it is: with no DSN (argument or PG* variables) and no server at the
default address, a throwaway PostgreSQL is started for the run.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time

import pgwire
from pgwire.__main__ import embedded_server, server_configured


def seed_example(dsn: str, another_file: int) -> None:
    """The seed's own example: poll a cursor and another file in select()."""
    conn = pgwire.connect(dsn, dbname="test")
    curs = conn.cursor()
    curs.execute("SELECT * FROM test WHERE fielda > %s", (1971,), async_=True)
    query_ended = False
    while not query_ended:
        rread, rwrite, rspec = select.select([curs, another_file], [], [], 5)
        if not curs.isbusy():
            query_ended = True
        # manage input from other sources like another_file, etc.
    for row in curs:
        print(row)
    conn.close()


def eight_connections(dsn: str) -> float:
    """Run 8 queries of different lengths at once from one select loop; return the time."""
    conns = [pgwire.connect(dsn, autocommit=True) for _ in range(8)]
    cursors = [c.cursor() for c in conns]
    started = time.monotonic()
    for i, cur in enumerate(cursors):
        cur.execute("SELECT %s::int, pg_sleep(%s)", (i, 0.2 + 0.1 * i), async_=True)
    waiting = set(cursors)
    while waiting:
        ready, _, _ = select.select(list(waiting), [], [], 5)
        for cur in ready:
            if not cur.isbusy():
                waiting.discard(cur)
                print("finished:", cur.fetchone()[0], f"after {time.monotonic() - started:.2f}s")
    elapsed = time.monotonic() - started
    for c in conns:
        c.close()
    return elapsed


def prepare_test_table(dsn: str) -> None:
    """Create database ``test`` with table ``test`` if missing (the seed queries it)."""
    with pgwire.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'test'").fetchone():
            conn.execute("CREATE DATABASE test")
    with pgwire.connect(dsn, dbname="test") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS test (fielda int, fieldb text)")
        if not conn.execute("SELECT 1 FROM test LIMIT 1").fetchone():
            conn.cursor().executemany(
                "INSERT INTO test VALUES (%s, %s)",
                [(1960 + i * 5, f"row {i}") for i in range(8)],
            )


def main() -> None:
    """Run both parts, on the embedded default when nothing is configured."""
    dsn = sys.argv[1] if len(sys.argv) > 1 else ""
    with contextlib.ExitStack() as stack:
        if not server_configured(dsn):
            dsn = stack.enter_context(embedded_server(sys.stderr))
        prepare_test_table(dsn)
        read_end, write_end = os.pipe()
        try:
            seed_example(dsn, read_end)
        finally:
            os.close(read_end)
            os.close(write_end)
        elapsed = eight_connections(dsn)
        print(f"8 queries (0.2 s to 0.9 s each) took {elapsed:.2f} s in all")


if __name__ == "__main__":
    main()
