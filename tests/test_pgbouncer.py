"""pgwire behind a real PgBouncer, in transaction and session pooling modes.

In transaction mode each transaction (each statement outside a transaction
block) may run on another server session than the one before: state kept on
the server between transactions, such as named prepared statements, is not
there any more, or belongs to another client.  With its defaults pgwire keeps
none (statements run unnamed, with a Describe), so many clients can share a
few server sessions without an error.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

import pgwire
from pgwire import errors
from pgwire.testing.pgbouncer import PgBouncer

CLIENTS = 8
ROUNDS = 12


def _server_sessions(bouncer: PgBouncer) -> int:
    """How many server sessions PgBouncer opened for the postgres database."""
    return sum(1 for row in bouncer.show("servers") if row[2] == "postgres")


def _client_work(dsn: str, client: int, table: str) -> list[str]:
    """Repeated queries of every kind through the pooler; the problems seen."""
    problems: list[str] = []

    def check(what: str, got: Any, expected: Any) -> None:
        if got != expected:
            problems.append(f"client {client}: {what}: {got!r} != {expected!r}")

    with pgwire.connect(dsn) as conn:
        for i in range(ROUNDS):
            # Outside a transaction block.
            conn.autocommit = True
            for j in range(6):
                row = conn.execute("SELECT %s::int * 2, %s::text", (i * 10 + j, "x")).fetchone()
                check("select", row, (2 * (i * 10 + j), "x"))
            conn.execute(f"INSERT INTO {table} (client, n) VALUES (%s, %s)", (client, i))
            # Inside transaction blocks, with repeated statements.
            conn.autocommit = False
            with conn.transaction():
                for j in range(6):
                    cur = conn.execute(
                        f"SELECT count(*) FROM {table} WHERE client = %s AND n <= %s",
                        (client, j),
                    )
                    check("count in a block", cur.fetchone(), (min(i, j) + 1,))
                cur = conn.cursor()
                cur.executemany(
                    f"INSERT INTO {table} (client, n) VALUES (%s, %s)",
                    [(client, 1000 + i * 10 + k) for k in range(5)],
                )
                with cur.copy(f"COPY {table} (client, n) FROM STDIN") as copy:
                    for k in range(3):
                        copy.write_row((client, 2000 + i * 10 + k))
            conn.autocommit = True
            if conn._prepared.direct is not False:
                problems.append(f"client {client}: the pooler was not noticed")
            cur = conn.cursor()
            with cur.copy(
                f"COPY (SELECT n FROM {table} WHERE client = {client} AND n >= 2000"
                " ORDER BY n) TO STDOUT"
            ) as copy:
                copied = [int(r[0]) for r in copy.rows()]
            check("copy out", copied[-3:], [2000 + i * 10 + k for k in range(3)])
            cur.executemany(
                f"UPDATE {table} SET n = n WHERE client = %s AND n = %s",
                [(client, i), (client, i)],
            )
            check("executemany rowcount", cur.rowcount, 2)
    return problems


def _run_clients(work: Callable[[int], list[str]]) -> list[str]:
    problems: list[str] = []
    lock = threading.Lock()

    def run(client: int) -> None:
        try:
            found = work(client)
        except Exception as exc:  # every error counts
            found = [f"client {client}: {type(exc).__name__}: {exc}"]
        with lock:
            problems.extend(found)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return problems


@pytest.fixture
def table(pg_server: Any) -> Any:
    name = "bouncer_rows"
    with pgwire.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
        conn.execute(f"CREATE TABLE {name} (client int, n int)")
    yield name
    with pgwire.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.mark.parametrize("mode", ["transaction", "session"])
def test_many_clients_with_the_defaults(
    make_pgbouncer: Callable[..., PgBouncer], table: str, mode: str
) -> None:
    bouncer = make_pgbouncer(pool_mode=mode, pool_size=2 if mode == "transaction" else CLIENTS)
    problems = _run_clients(lambda client: _client_work(bouncer.dsn, client, table))
    assert problems == []
    sessions = _server_sessions(bouncer)
    if mode == "transaction":
        # Eight clients really shared two server sessions.
        assert 1 <= sessions <= 2
    with pgwire.connect(bouncer.dsn, autocommit=True) as conn:
        total = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert total == CLIENTS * ROUNDS * (1 + 5 + 3)


def test_named_statements_collide_in_transaction_mode(
    make_pgbouncer: Callable[..., PgBouncer],
) -> None:
    """What the default avoids: two clients naming statements on one server session."""
    bouncer = make_pgbouncer(pool_mode="transaction", pool_size=1)
    query = "SELECT %s::int + 7"
    with (
        pgwire.connect(bouncer.dsn, autocommit=True, prepare_threshold=0) as first,
        pgwire.connect(bouncer.dsn, autocommit=True, prepare_threshold=0) as second,
    ):
        assert first.execute(query, (1,)).fetchone() == (8,)
        with pytest.raises(errors.DuplicatePreparedStatement):
            second.execute(query, (2,))
    with (
        pgwire.connect(bouncer.dsn, autocommit=True) as first,
        pgwire.connect(bouncer.dsn, autocommit=True) as second,
    ):
        for i in range(10):
            assert first.execute(query, (i,)).fetchone() == (i + 7,)
            assert second.execute(query, (i,)).fetchone() == (i + 7,)


def test_named_statements_in_session_mode(pgbouncer_session: PgBouncer) -> None:
    """Session pooling keeps the server session: prepare_threshold works as without a pooler."""
    with pgwire.connect(pgbouncer_session.dsn, autocommit=True, prepare_threshold=2) as conn:
        for i in range(6):
            assert conn.execute("SELECT %s::int - 1", (i,)).fetchone() == (i - 1,)
        names = conn.execute("SELECT name FROM pg_prepared_statements").fetchall()
        assert len(names) == 1 and names[0][0].startswith("_pgwire_")


def test_asyncio_clients_in_transaction_mode(pgbouncer: PgBouncer) -> None:
    async def client(n: int) -> list[Any]:
        conn = await pgwire.AsyncConnection.connect(pgbouncer.dsn, autocommit=True)
        try:
            got = []
            for i in range(20):
                cur = await conn.execute("SELECT %s::int + %s::int", (i, n))
                got.append((await cur.fetchone())[0])
            async with conn.transaction():
                for i in range(5):
                    cur = await conn.execute("SELECT %s::int * 3", (i,))
                    got.append((await cur.fetchone())[0])
            return got
        finally:
            await conn.close()

    async def main() -> list[list[Any]]:
        return await asyncio.gather(*(client(n) for n in range(6)))

    results = asyncio.run(main())
    for n, got in enumerate(results):
        assert got == [i + n for i in range(20)] + [i * 3 for i in range(5)]
