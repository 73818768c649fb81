"""Several hosts against a real primary and its streaming standby.

``target_session_attrs`` picks the right server, ``load_balance_hosts=random``
spreads connections over the hosts and over the addresses of one host name,
``connect_timeout`` applies to each attempt, and a pool with both hosts keeps
writing through a failover (primary killed, standby promoted) without losing
anything it reported committed.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

import pgwire
from pgwire import _hosts
from pgwire.pool import ConnectionPool
from pgwire.testing import ReplicaPair, TestCluster
from pgwire.testing.pytest_plugin import _START_ERRORS, _unavailable

PRIMARY, STANDBY = "primary", "standby"

# Which server each target_session_attrs picks from the pair, whatever the order.
EXPECTED = {
    "read-write": PRIMARY,
    "primary": PRIMARY,
    "read-only": STANDBY,
    "standby": STANDBY,
    "prefer-standby": STANDBY,
}


@pytest.fixture(scope="module")
def pair() -> Iterator[ReplicaPair]:
    """One pair for the tests that don't fail it over."""
    replicas = ReplicaPair()
    try:
        replicas.start()
    except _START_ERRORS as exc:
        _unavailable(exc)
    try:
        yield replicas
    finally:
        replicas.stop()


def role(conn: Any) -> str:
    """Which server of the pair the connection reached, asked of the server itself."""
    in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
    return STANDBY if in_recovery else PRIMARY


@pytest.fixture(params=["reported", "asked"])
def how(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Servers reporting their state (PostgreSQL 14+), or asked as older ones must be."""
    if request.param == "asked":
        real = _hosts.session_matches
        hidden = ("in_hot_standby", "default_transaction_read_only")

        def as_before_14(proto: Any, wanted: str) -> bool | None:
            parameters = {k: v for k, v in proto.parameters.items() if k not in hidden}
            return real(SimpleNamespace(parameters=parameters), wanted)

        monkeypatch.setattr(_hosts, "session_matches", as_before_14)
    return str(request.param)


@pytest.mark.parametrize("standby_first", [False, True], ids=["primary-first", "standby-first"])
@pytest.mark.parametrize("attrs", ["any", *EXPECTED])
def test_target_session_attrs(pair: ReplicaPair, how: str, attrs: str, standby_first: bool) -> None:
    dsn = pair.dsn(standby_first=standby_first, target_session_attrs=attrs)
    with pgwire.connect(dsn) as conn:
        first = STANDBY if standby_first else PRIMARY
        assert role(conn) == EXPECTED.get(attrs, first)
        assert conn.info.port == (pair.standby if role(conn) == STANDBY else pair.primary).port


@pytest.mark.parametrize("attrs", ["any", *EXPECTED])
def test_target_session_attrs_async(pair: ReplicaPair, how: str, attrs: str) -> None:
    async def main() -> str:
        dsn = pair.dsn(standby_first=True, target_session_attrs=attrs)
        conn = await pgwire.AsyncConnection.connect(dsn)
        try:
            cur = await conn.execute("SELECT pg_is_in_recovery()")
            return STANDBY if (await cur.fetchone())[0] else PRIMARY
        finally:
            await conn.close()

    assert asyncio.run(main()) == EXPECTED.get(attrs, STANDBY)


def test_no_fitting_server(pair: ReplicaPair, how: str) -> None:
    primary_only = (
        f"host={pair.primary.host} port={pair.primary.port} user={pair.primary.superuser}"
        " dbname=postgres"
    )
    with pytest.raises(pgwire.OperationalError, match="is not standby"):
        pgwire.connect(primary_only, target_session_attrs="standby")
    # prefer-standby settles for what there is.
    with pgwire.connect(primary_only, target_session_attrs="prefer-standby") as conn:
        assert role(conn) == PRIMARY
    standby_only = pair.standby.dsn
    with pytest.raises(pgwire.OperationalError, match="is not read-write"):
        pgwire.connect(standby_only, target_session_attrs="read-write")


def test_read_only_by_default_transaction_read_only(pair: ReplicaPair, how: str) -> None:
    """A primary whose sessions default to read-only counts as read-only, not read-write."""
    options = "'-c default_transaction_read_only=on'"
    dsn = pair.dsn(target_session_attrs="read-only", options=options)
    with pgwire.connect(dsn) as conn:
        # The primary comes first and fits: its sessions are read-only.
        assert role(conn) == PRIMARY
    with pytest.raises(pgwire.OperationalError, match="Multiple connection attempts failed"):
        pgwire.connect(pair.dsn(target_session_attrs="read-write", options=options))


def test_load_balance_hosts_random(pair: ReplicaPair) -> None:
    seen = []
    for _ in range(30):
        with pgwire.connect(pair.dsn(load_balance_hosts="random")) as conn:
            seen.append(role(conn))
    assert set(seen) == {PRIMARY, STANDBY}
    # Without it, the first host always.
    for _ in range(5):
        with pgwire.connect(pair.dsn()) as conn:
            assert role(conn) == PRIMARY


MULTI_NAME = "pair.pgwire.invalid"


@pytest.fixture
def two_addresses(make_cluster: Callable[..., TestCluster], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Two servers on one port of 127.0.0.1 and 127.0.0.2, and a name resolving to both.

    The second one's sessions are read-only by default.
    """
    first = make_cluster()
    second = make_cluster(
        start=False,
        settings={"listen_addresses": "127.0.0.2", "default_transaction_read_only": "on"},
    )
    # The same port on another loopback address: what one name with two
    # addresses in the DNS looks like.
    second._port = first.port
    second.host = "127.0.0.2"
    second.start()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        # Names come as str or, when ASCII, as bytes (both are what getaddrinfo takes).
        if host in (MULTI_NAME, MULTI_NAME.encode()):
            return [
                info
                for address in ("127.0.0.1", "127.0.0.2")
                for info in real(address, port, *args, **kwargs)
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return f"host={MULTI_NAME} port={first.port} user={first.superuser} dbname=postgres"


def _server_address(conn: Any) -> str:
    return str(conn.execute("SELECT host(inet_server_addr())").fetchone()[0])


def test_load_balance_over_the_addresses_of_one_name(two_addresses: str) -> None:
    seen = set()
    for _ in range(30):
        with pgwire.connect(two_addresses, load_balance_hosts="random") as conn:
            seen.add(_server_address(conn))
            assert conn.info.host == MULTI_NAME
    assert seen == {"127.0.0.1", "127.0.0.2"}
    for _ in range(5):
        with pgwire.connect(two_addresses) as conn:
            assert _server_address(conn) == "127.0.0.1"


def test_every_address_is_an_attempt(two_addresses: str, how: str) -> None:
    """An address whose server does not fit is passed over for the next one of the same name."""
    with pgwire.connect(two_addresses, target_session_attrs="read-only") as conn:
        assert _server_address(conn) == "127.0.0.2"
    with pgwire.connect(two_addresses, target_session_attrs="read-write") as conn:
        assert _server_address(conn) == "127.0.0.1"


class _SilentServer:
    """A TCP port that accepts connections and never answers (a hung host)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[_SilentServer]:
    server = _SilentServer()
    try:
        yield server
    finally:
        server.close()


def test_connect_timeout_per_host(silent: _SilentServer, pg_server: Any) -> None:
    dsn = (
        f"host=127.0.0.1,{pg_server.host} port={silent.port},{pg_server.port}"
        f" user={pg_server.superuser} dbname=postgres connect_timeout=2"
    )
    started = time.monotonic()
    with pgwire.connect(dsn) as conn:
        assert conn.info.port == pg_server.port
    assert time.monotonic() - started >= 1.9  # the hung host had its full timeout
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(
            f"host=127.0.0.1 port={silent.port} user=x dbname=postgres connect_timeout=2"
        )


def test_connect_timeout_per_host_async(silent: _SilentServer, pg_server: Any) -> None:
    dsn = (
        f"host=127.0.0.1,{pg_server.host} port={silent.port},{pg_server.port}"
        f" user={pg_server.superuser} dbname=postgres connect_timeout=2"
    )

    async def main() -> int:
        conn = await pgwire.AsyncConnection.connect(dsn)
        try:
            return int(conn.info.port)
        finally:
            await conn.close()

    assert asyncio.run(main()) == pg_server.port


# --- failover ------------------------------------------------------------------------


WRITERS = 4


def test_pool_keeps_writing_through_failover(make_replica_pair: Callable[..., ReplicaPair]) -> None:
    pair = make_replica_pair(synchronous=True)
    with pgwire.connect(pair.primary.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE ledger (writer int, n int, PRIMARY KEY (writer, n))")
    dsn = pair.dsn(target_session_attrs="read-write", connect_timeout=2)
    committed: list[tuple[int, int]] = []
    failed: list[tuple[int, int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int, pool: ConnectionPool) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                with pool.connection() as conn:
                    conn.execute("INSERT INTO ledger (writer, n) VALUES (%s, %s)", (w, n))
            except Exception as exc:
                with lock:
                    failed.append((w, n, f"{type(exc).__name__}: {exc}"))
                time.sleep(0.05)
            else:
                with lock:
                    committed.append((w, n))

    def count() -> int:
        with lock:
            return len(committed)

    def wait_for(target: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while count() < target:
            assert time.monotonic() < deadline, f"only {count()} writes committed"
            time.sleep(0.02)

    with ConnectionPool(
        dsn, min_size=WRITERS, timeout=60, check=ConnectionPool.check_connection
    ) as pool:
        threads = [threading.Thread(target=writer, args=(w, pool)) for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        try:
            wait_for(200, 60)
            pair.failover()
            after = count()
            wait_for(after + 200, 90)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
    with pgwire.connect(dsn) as conn:
        assert role(conn) == PRIMARY and conn.info.port == pair.standby.port
        rows = set(conn.execute("SELECT writer, n FROM ledger").fetchall())
    lost = set(committed) - rows
    assert not lost, f"reported committed but lost: {sorted(lost)[:10]}"
    # Only the statements running when the primary died may have failed.
    assert len(failed) <= WRITERS, failed
    # What committed without being reported is among those.
    assert rows - set(committed) <= {(w, n) for w, n, _ in failed}
