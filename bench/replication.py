"""Logical replication throughput: pgwire's decoded stream against psycopg2's raw one.

``python -m bench --replication`` (or ``python -m bench.replication``) starts a
throwaway cluster with ``wal_level=logical``, writes ``--rows`` rows in
transactions of ``--per-transaction`` rows to a table of mixed types, and
reads the same slot (never acknowledged, so each reader gets everything)
with:

* ``pgwire decoded``: typed Insert objects, values loaded as a SELECT loads them;
* ``pgwire raw``: ``decode=False``, the XLogData payloads as bytes;
* ``psycopg2 raw``: ``LogicalReplicationConnection`` with ``decode=False``
  (psycopg2 has no pgoutput decoding).

Each reader is timed from START_REPLICATION to the last Commit; the best of
``--rounds`` runs is reported as changes per second.  The difference between
the two pgwire rows is the cost of decoding.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

TABLE = "bench_cdc"
PUBLICATION = "bench_cdc_pub"
SLOT = "bench_cdc_slot"


def _prepare(dsn: str, rows: int, per_transaction: int) -> int:
    import pgwire

    with pgwire.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {TABLE} (id int PRIMARY KEY, name text, amount numeric,"
            " at timestamptz, flag bool, score float8)"
        )
        conn.execute(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE {TABLE}")
        with pgwire.connect(dsn, replication="database") as repl:
            repl.execute(f"CREATE_REPLICATION_SLOT {SLOT} LOGICAL pgoutput")
        transactions = 0
        for start in range(0, rows, per_transaction):
            end = min(rows, start + per_transaction)
            conn.execute(
                f"INSERT INTO {TABLE} SELECT i, 'name ' || i, i * 1.25,"
                " '2024-01-01'::timestamptz + i * interval '1 second', i % 2 = 0, i / 7.0"
                f" FROM generate_series({start}, {end - 1}) i"
            )
            transactions += 1
    return transactions


def read_pgwire(dsn: str, transactions: int, decode: bool) -> int:
    """Read the slot to its last Commit; return the changes seen."""
    import pgwire
    from pgwire import replication as r

    changes = commits = 0
    with pgwire.connect(dsn, replication="database") as conn:
        with conn.start_replication(
            SLOT, publication_names=[PUBLICATION], proto_version=1, decode=decode
        ) as stream:
            for msg in stream:
                if decode:
                    if isinstance(msg, r.Insert):
                        changes += 1
                    elif isinstance(msg, r.Commit):
                        commits += 1
                else:
                    kind = msg.data[0]
                    if kind == 0x49:  # 'I'
                        changes += 1
                    elif kind == 0x43:  # 'C'
                        commits += 1
                if commits == transactions:
                    break
    return changes


def read_psycopg2(dsn: str, transactions: int) -> int:
    """The same with psycopg2's replication cursor (raw pgoutput bytes)."""
    import psycopg2
    import psycopg2.extras

    conn = psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
    counts = {"changes": 0, "commits": 0}

    def consume(msg: Any) -> None:
        kind = msg.payload[0]
        if kind == 0x49:
            counts["changes"] += 1
        elif kind == 0x43:
            counts["commits"] += 1
            if counts["commits"] == transactions:
                raise psycopg2.extras.StopReplication

    try:
        cur = conn.cursor()
        cur.start_replication(
            slot_name=SLOT,
            decode=False,
            options={"proto_version": "1", "publication_names": PUBLICATION},
        )
        try:
            cur.consume_stream(consume)
        except psycopg2.extras.StopReplication:
            pass
    finally:
        conn.close()
    return counts["changes"]


def _best(fn: Callable[[], int], rounds: int, expected: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        got = fn()
        elapsed = time.perf_counter() - t0
        if got != expected:
            raise RuntimeError(f"read {got} changes, expected {expected}")
        best = min(best, elapsed)
    return best


def _cleanup(dsn: str) -> None:
    import pgwire

    with pgwire.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE slot_name = %s",
            (SLOT,),
        )
        conn.execute(f"DROP PUBLICATION IF EXISTS {PUBLICATION}")
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")


def measure(dsn: str, rows: int, per_transaction: int, rounds: int) -> dict[str, float]:
    """Changes per second of each reader on the server at ``dsn`` (wal_level=logical)."""
    _cleanup(dsn)
    try:
        transactions = _prepare(dsn, rows, per_transaction)
        readers: dict[str, Callable[[], int]] = {
            "pgwire decoded (typed values)": lambda: read_pgwire(dsn, transactions, True),
            "pgwire raw (decode=False)": lambda: read_pgwire(dsn, transactions, False),
        }
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            pass
        else:
            readers["psycopg2 raw (LogicalReplicationConnection)"] = lambda: read_psycopg2(
                dsn, transactions
            )
        return {name: rows / _best(fn, rounds, rows) for name, fn in readers.items()}
    finally:
        _cleanup(dsn)


def report(results: dict[str, float], title: str) -> str:
    """The results as a Markdown table, with the cost of decoding."""
    lines = [title, "", "| reader | changes/s |", "| --- | ---: |"]
    lines += [f"| {name} | {rate:,.0f} |" for name, rate in results.items()]
    decoded = results["pgwire decoded (typed values)"]
    raw = results["pgwire raw (decode=False)"]
    lines += [
        "",
        f"Cost of decoding: {1e6 / decoded - 1e6 / raw:.2f} µs per change"
        f" ({raw / decoded:.2f}x the raw read time)",
    ]
    if len(results) == 2:
        lines.append("(psycopg2 is not installed: its row is left out)")
    return "\n".join(lines) + "\n"


def run(
    rows: int, per_transaction: int, rounds: int, dsn: str | None = None, out: Any = sys.stdout
) -> dict[str, float]:
    """Measure (on a throwaway cluster unless ``dsn`` is given), print the table, return it."""
    if dsn is not None:
        results = measure(dsn, rows, per_transaction, rounds)
        version = "at " + dsn
    else:
        from pgwire.testing import TestCluster
        from pgwire.testing.pytest_plugin import logical_settings

        with TestCluster(settings=logical_settings()) as cluster:
            results = measure(cluster.dsn, rows, per_transaction, rounds)
            version = str(cluster.version)
    title = (
        f"Logical replication, PostgreSQL {version}: {rows} inserted rows"
        f" (6 columns) in transactions of {per_transaction}, best of {rounds}"
    )
    out.write("\n" + report(results, title))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.replication``."""
    parser = argparse.ArgumentParser(prog="python -m bench.replication", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--per-transaction", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dsn", help="a server with wal_level=logical instead of a throwaway one")
    args = parser.parse_args(argv)
    run(args.rows, args.per_transaction, args.rounds, args.dsn)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
