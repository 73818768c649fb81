"""conninfo_attempts(), conninfo_attempts_async() and timeout_from_conninfo().

Name resolution never leaves the process: ``socket.getaddrinfo`` (and the
asyncio loop's ``getaddrinfo`` in the async tests) is replaced by a table of
made-up names, or by a function failing the test when a name should not be
looked up at all.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import socket
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

import pgwire
from pgwire import _hosts, conninfo
from pgwire.conninfo import (
    DEFAULT_CONNECT_TIMEOUT,
    ConnectParams,
    HostSpec,
    conninfo_attempts,
    conninfo_attempts_async,
    conninfo_to_dict,
    make_params,
    timeout_from_conninfo,
)
from pgwire.errors import OperationalError, ProgrammingError

#: The names the fake resolver knows, each with its addresses in answer order.
NAMES: dict[str, list[str]] = {
    "one.test": ["10.0.0.1"],
    "two.test": ["10.0.0.2"],
    "pair.test": ["10.0.1.1", "10.0.1.2"],
    "v6.test": ["fd00::1"],
    "many.test": [f"10.0.2.{n}" for n in range(1, 13)],
}

Resolver = Callable[..., list[tuple[Any, ...]]]


def _name(host: str | bytes) -> str:
    """The name asked of the resolver: getaddrinfo takes str (through IDNA) and bytes alike."""
    return host.decode("ascii") if isinstance(host, bytes) else host


def _answer(host: str | bytes, port: Any) -> list[tuple[Any, ...]]:
    assert isinstance(port, int) or (isinstance(port, str) and port.isdigit())
    host = _name(host)
    try:
        addresses = NAMES[host]
    except KeyError:
        # Not a gaierror: any OSError from the resolver counts as "does not resolve".
        raise OSError(f"unknown test name {host}") from None
    infos = []
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, int(port), 0, 0) if ":" in address else (address, int(port))
        infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        # getaddrinfo answers once per socket type unless asked for one: repeats are dropped.
        infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
    return infos


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PG* variable from the outside; no service file but the test's own."""
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PGSYSCONFDIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Resolve through NAMES; the list records every name looked up."""
    seen: list[str] = []

    def getaddrinfo(
        host: str | bytes, port: Any, *args: Any, **kwargs: Any
    ) -> list[tuple[Any, ...]]:
        seen.append(_name(host))
        return _answer(host, port)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return seen


@pytest.fixture
def no_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test on any name resolution."""

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"{host!r} should not have been looked up")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def reversed_shuffle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make load_balance_hosts=random predictable: every shuffle reverses."""
    monkeypatch.setattr(random, "shuffle", lambda items: items.reverse())


def attempts_of(text: str, **kwargs: Any) -> list[dict[str, object]]:
    return conninfo_attempts(conninfo_to_dict(text, **kwargs))


def dicts(*texts: str) -> list[dict[str, object]]:
    return [conninfo_to_dict(text) for text in texts]


def run_async(
    coro_fn: Callable[[], Coroutine[Any, Any, Any]], resolver: Resolver | None = None
) -> Any:
    """Run ``coro_fn()`` on a new loop whose getaddrinfo is ``resolver`` (over NAMES).

    ``socket.getaddrinfo`` fails meanwhile: the async functions must ask the loop.
    """

    async def main() -> Any:
        loop = asyncio.get_running_loop()

        async def loop_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
            return (resolver or _answer)(host, port)

        loop.getaddrinfo = loop_getaddrinfo  # type: ignore[method-assign,assignment]
        return await coro_fn()

    def blocking(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("the async variant resolved names with socket.getaddrinfo")

    real = socket.getaddrinfo
    socket.getaddrinfo = blocking
    try:
        return asyncio.run(main())
    finally:
        socket.getaddrinfo = real


# --------------------------------------------------------------------------
# Splitting the host lists, no resolution needed


@pytest.mark.parametrize(
    ("dsn", "want"),
    [
        ("", [""]),
        ("user=bar", ["user=bar"]),
        ("host='' user=bar", ["host='' user=bar"]),
        ("host=/var/run/postgresql", ["host=/var/run/postgresql"]),
        ("host=@abstract port=5433", ["host=@abstract port=5433"]),
        ("host=10.1.1.1 port=''", ["host=10.1.1.1 port='' hostaddr=10.1.1.1"]),
        ("host=::1", ["host=::1 hostaddr=::1"]),
        (
            "host=10.1.1.1,10.1.1.2 dbname=x",
            [
                "host=10.1.1.1 hostaddr=10.1.1.1 dbname=x",
                "host=10.1.1.2 hostaddr=10.1.1.2 dbname=x",
            ],
        ),
        (
            "host=10.1.1.1,10.1.1.2 port=6000",
            [
                "host=10.1.1.1 port=6000 hostaddr=10.1.1.1",
                "host=10.1.1.2 port=6000 hostaddr=10.1.1.2",
            ],
        ),
        (
            "host=10.1.1.1,10.1.1.2 port=6000,",
            [
                "host=10.1.1.1 port=6000 hostaddr=10.1.1.1",
                "host=10.1.1.2 port='' hostaddr=10.1.1.2",
            ],
        ),
        (
            "host=/tmp,,10.1.1.3 port=1,2,3",
            ["host=/tmp port=1", "host='' port=2", "host=10.1.1.3 port=3 hostaddr=10.1.1.3"],
        ),
        (
            # hostaddr given: nothing to look up, the names only serve TLS and .pgpass.
            "host=a.test,b.test hostaddr=10.1.1.1,10.1.1.2",
            ["host=a.test hostaddr=10.1.1.1", "host=b.test hostaddr=10.1.1.2"],
        ),
        ("hostaddr=10.1.1.1,10.1.1.2", ["hostaddr=10.1.1.1", "hostaddr=10.1.1.2"]),
        ("host=a.test hostaddr=10.1.1.1", ["host=a.test hostaddr=10.1.1.1"]),
    ],
)
def test_split_without_lookup(no_lookups: None, dsn: str, want: list[str]) -> None:
    assert attempts_of(dsn) == dicts(*want)


def test_other_parameters_are_kept_as_given(no_lookups: None) -> None:
    params = {"host": "10.1.1.1,10.1.1.2", "port": 5433, "connect_timeout": 3, "user": "me"}
    assert conninfo_attempts(params) == [
        {
            "host": "10.1.1.1",
            "port": "5433",
            "connect_timeout": 3,
            "user": "me",
            "hostaddr": "10.1.1.1",
        },
        {
            "host": "10.1.1.2",
            "port": "5433",
            "connect_timeout": 3,
            "user": "me",
            "hostaddr": "10.1.1.2",
        },
    ]
    # A single host leaves the port as it was given.
    assert conninfo_attempts({"host": "10.1.1.1", "port": 5433}) == [
        {"host": "10.1.1.1", "port": 5433, "hostaddr": "10.1.1.1"}
    ]
    # The input is not changed.
    assert params["host"] == "10.1.1.1,10.1.1.2"


def test_environment_lists(no_lookups: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "10.1.1.1,10.1.1.2")
    monkeypatch.setenv("PGPORT", "6001,6002")
    assert attempts_of("") == dicts(
        "host=10.1.1.1 port=6001 hostaddr=10.1.1.1", "host=10.1.1.2 port=6002 hostaddr=10.1.1.2"
    )
    # The connection string beats the environment.
    assert attempts_of("port=7000") == dicts(
        "host=10.1.1.1 port=7000 hostaddr=10.1.1.1", "host=10.1.1.2 port=7000 hostaddr=10.1.1.2"
    )
    assert attempts_of("host=10.1.1.9 port=7000") == dicts(
        "host=10.1.1.9 port=7000 hostaddr=10.1.1.9"
    )


def test_environment_hostaddr_means_no_lookup(
    no_lookups: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGHOSTADDR", "10.1.1.1")
    assert attempts_of("host=a.test port=5432") == dicts("host=a.test port=5432")


def test_service_lists(no_lookups: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pg_service.conf").write_text("[two]\nhost=10.1.1.1,10.1.1.2\nport=6001,6002\n")
    assert attempts_of("service=two") == dicts(
        "service=two host=10.1.1.1 port=6001 hostaddr=10.1.1.1",
        "service=two host=10.1.1.2 port=6002 hostaddr=10.1.1.2",
    )
    # A service that cannot be found is left for connect() to report.
    assert attempts_of("service=nosuch") == dicts("service=nosuch")
    with pytest.raises(ProgrammingError, match="nosuch"):
        make_params("service=nosuch")
    # The service beats PGHOST.
    monkeypatch.setenv("PGHOST", "10.9.9.9")
    monkeypatch.setenv("PGSERVICE", "two")
    assert [a["host"] for a in attempts_of("")] == ["10.1.1.1", "10.1.1.2"]


@pytest.mark.parametrize(
    ("dsn", "env", "message"),
    [
        ("host=a.test port=1,2", {}, "could not match 2 port numbers to 1 hosts"),
        ("host=10.1.1.1,10.1.1.2 port=1,2,3", {}, "could not match 3 port numbers to 2 hosts"),
        ("host=10.1.1.1,10.1.1.2", {"PGPORT": "1,2,3"}, "could not match 3 port numbers"),
        ("host=a,b,c hostaddr=10.1.1.1,10.1.1.2", {}, "could not match 3 host names"),
        ("hostaddr=a.test", {}, 'could not parse network address "a.test"'),
        ("host=10.1.1.1 port=http", {}, 'invalid integer value "http"'),
        ("host=10.1.1.1 port=0", {}, "invalid port number"),
        ("host=10.1.1.1 target_session_attrs=whatever", {}, "invalid target_session_attrs"),
        ("host=10.1.1.1 load_balance_hosts=yes", {}, "invalid load_balance_hosts"),
    ],
)
def test_bad_lists(
    no_lookups: None, monkeypatch: pytest.MonkeyPatch, dsn: str, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ProgrammingError, match=message):
        attempts_of(dsn)
    # make_params() says the same: one implementation of the pairing rules.
    with pytest.raises(ProgrammingError, match=message):
        make_params(dsn, user="u")


# --------------------------------------------------------------------------
# Resolving names


def test_names_resolved(lookups: list[str]) -> None:
    assert attempts_of("host=one.test,two.test port=5433,5434 user=u") == dicts(
        "host=one.test port=5433 user=u hostaddr=10.0.0.1",
        "host=two.test port=5434 user=u hostaddr=10.0.0.2",
    )
    assert lookups == ["one.test", "two.test"]


def test_every_address_an_attempt(lookups: list[str]) -> None:
    assert attempts_of("host=pair.test,v6.test") == dicts(
        "host=pair.test hostaddr=10.0.1.1",
        "host=pair.test hostaddr=10.0.1.2",
        "host=v6.test hostaddr=fd00::1",
    )


def test_only_names_are_looked_up(lookups: list[str]) -> None:
    attempts = attempts_of("host=one.test,10.1.1.1,/tmp,,two.test hostaddr=")
    assert [a.get("hostaddr") for a in attempts] == ["10.0.0.1", "10.1.1.1", "", "", "10.0.0.2"]
    assert lookups == ["one.test", "two.test"]


def test_unresolved_names_dropped(lookups: list[str]) -> None:
    assert attempts_of("host=nosuch.test,one.test,other.test") == dicts(
        "host=one.test hostaddr=10.0.0.1"
    )


def test_none_resolves(lookups: list[str]) -> None:
    with pytest.raises(OperationalError, match='could not translate host name "nosuch.test"'):
        attempts_of("host=nosuch.test")
    with pytest.raises(OperationalError, match="could not translate any host name") as info:
        attempts_of("host=nosuch.test,other.test")
    assert "nosuch.test" in str(info.value) and "other.test" in str(info.value)


def test_resolver_gaierror(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(OperationalError, match="Name or service not known"):
        attempts_of("host=x.test")


def test_default_port_for_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    ports = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        ports.append(port)
        return _answer(host, port)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    attempts_of("host=one.test,two.test port=,6000")
    assert ports == [5432, 6000]


# --------------------------------------------------------------------------
# target_session_attrs=prefer-standby, load_balance_hosts=random


def test_prefer_standby(lookups: list[str]) -> None:
    assert attempts_of("host=pair.test,10.1.1.1 target_session_attrs=prefer-standby") == dicts(
        "host=pair.test hostaddr=10.0.1.1 target_session_attrs=standby",
        "host=pair.test hostaddr=10.0.1.2 target_session_attrs=standby",
        "host=10.1.1.1 hostaddr=10.1.1.1 target_session_attrs=standby",
        "host=pair.test hostaddr=10.0.1.1",
        "host=pair.test hostaddr=10.0.1.2",
        "host=10.1.1.1 hostaddr=10.1.1.1",
    )
    # Each name is looked up once for both passes.
    assert lookups == ["pair.test"]


def test_prefer_standby_second_pass_not_overridden(
    no_lookups: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Left out, the environment's value would apply to the second pass: "any" is said.
    monkeypatch.setenv("PGTARGETSESSIONATTRS", "read-write")
    assert attempts_of("host=10.1.1.1 target_session_attrs=prefer-standby") == dicts(
        "host=10.1.1.1 hostaddr=10.1.1.1 target_session_attrs=standby",
        "host=10.1.1.1 hostaddr=10.1.1.1 target_session_attrs=any",
    )
    monkeypatch.setenv("PGTARGETSESSIONATTRS", "prefer-standby")
    assert attempts_of("host=10.1.1.1") == dicts(
        "host=10.1.1.1 hostaddr=10.1.1.1 target_session_attrs=standby",
        "host=10.1.1.1 hostaddr=10.1.1.1 target_session_attrs=any",
    )
    # Other values stay as given.
    assert attempts_of("host=10.1.1.1 target_session_attrs=primary") == dicts(
        "host=10.1.1.1 hostaddr=10.1.1.1 target_session_attrs=primary"
    )


def test_load_balance_order(lookups: list[str], reversed_shuffle: None) -> None:
    # Hosts in random order, then the addresses of each host: a host's addresses stay together.
    assert [a["hostaddr"] for a in attempts_of("host=one.test,pair.test,two.test")] == [
        "10.0.0.1",
        "10.0.1.1",
        "10.0.1.2",
        "10.0.0.2",
    ]
    got = attempts_of("host=one.test,pair.test,two.test load_balance_hosts=random")
    assert [a["hostaddr"] for a in got] == ["10.0.0.2", "10.0.1.2", "10.0.1.1", "10.0.0.1"]
    # Resolution follows the shuffled order too.
    assert lookups[-3:] == ["two.test", "pair.test", "one.test"]


def test_load_balance_from_environment(
    no_lookups: None, reversed_shuffle: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGLOADBALANCEHOSTS", "random")
    got = attempts_of("host=10.1.1.1,10.1.1.2")
    assert [a["host"] for a in got] == ["10.1.1.2", "10.1.1.1"]
    got = attempts_of("host=10.1.1.1,10.1.1.2 load_balance_hosts=disable")
    assert [a["host"] for a in got] == ["10.1.1.1", "10.1.1.2"]


def test_load_balance_really_shuffles(lookups: list[str]) -> None:
    hosts = [f"10.3.0.{n}" for n in range(1, 41)]
    params = {"host": ",".join(hosts), "load_balance_hosts": "random"}
    orders = {tuple(str(a["host"]) for a in conninfo_attempts(params)) for _ in range(5)}
    assert all(sorted(order) == sorted(hosts) for order in orders)
    assert orders != {tuple(hosts)}
    addresses = NAMES["many.test"]
    orders = {
        tuple(str(a["hostaddr"]) for a in attempts_of("host=many.test load_balance_hosts=random"))
        for _ in range(5)
    }
    assert all(sorted(order) == sorted(addresses) for order in orders)
    assert orders != {tuple(addresses)}


# --------------------------------------------------------------------------
# The asyncio variant


def test_async_same_attempts(lookups: list[str], reversed_shuffle: None) -> None:
    for dsn in (
        "host=one.test,10.1.1.1,,/tmp port=1,2,3,4",
        "host=pair.test,two.test target_session_attrs=prefer-standby",
        "host=one.test,pair.test,two.test load_balance_hosts=random",
        "host=nosuch.test,v6.test",
        "hostaddr=10.1.1.1,10.1.1.2",
    ):
        params = conninfo_to_dict(dsn)
        want = conninfo_attempts(params)
        assert run_async(functools.partial(conninfo_attempts_async, params)) == want, dsn


def test_async_uses_the_loop(no_lookups: None) -> None:
    seen = []

    def resolver(host: str | bytes, port: Any) -> Any:
        seen.append(_name(host))
        return _answer(host, port)

    got = run_async(lambda: conninfo_attempts_async({"host": "one.test,10.1.1.1"}), resolver)
    assert got == dicts("host=one.test hostaddr=10.0.0.1", "host=10.1.1.1 hostaddr=10.1.1.1")
    assert seen == ["one.test"]


def test_async_errors(no_lookups: None) -> None:
    with pytest.raises(OperationalError, match="could not translate any host name"):
        run_async(lambda: conninfo_attempts_async({"host": "bad1.test,bad2.test"}))
    with pytest.raises(ProgrammingError, match="could not match"):
        run_async(lambda: conninfo_attempts_async({"host": "one.test", "port": "1,2"}))


# --------------------------------------------------------------------------
# The connect path resolves the same way


def _params(dsn: str) -> ConnectParams:
    return make_params(dsn, user="u")


def test_connect_path_shares_resolution(lookups: list[str], reversed_shuffle: None) -> None:
    params = _params("host=pair.test,10.1.1.1")
    pair, numeric = params.hosts
    assert _hosts.resolve(params, pair) == [
        HostSpec("pair.test", 5432, "10.0.1.1"),
        HostSpec("pair.test", 5432, "10.0.1.2"),
    ]
    # Numeric hosts are not looked up.
    assert _hosts.resolve(params, numeric) == [HostSpec("10.1.1.1", 5432, "10.1.1.1")]
    assert lookups == ["pair.test"]
    shuffled = _params("host=pair.test load_balance_hosts=random")
    assert [h.hostaddr for h in _hosts.resolve(shuffled, shuffled.hosts[0])] == [
        "10.0.1.2",
        "10.0.1.1",
    ]
    # Any resolver error is an OperationalError, which connect() passes over.
    with pytest.raises(OperationalError, match='could not translate host name "nosuch.test"'):
        _hosts.resolve(params, HostSpec("nosuch.test", 5432))


def test_connect_path_async_resolution(no_lookups: None) -> None:
    params = _params("host=pair.test")
    got = run_async(lambda: _hosts.resolve_async(params, params.hosts[0]))
    assert [h.hostaddr for h in got] == ["10.0.1.1", "10.0.1.2"]


def test_import_does_not_load_asyncio() -> None:
    import subprocess
    import sys

    code = "import sys, pgwire.conninfo; sys.exit('asyncio' in sys.modules)"
    src = str(Path(pgwire.__file__).parent.parent)
    assert subprocess.run([sys.executable, "-c", code], cwd=src, check=False).returncode == 0


@pytest.fixture
def server_params(dsn: str) -> Iterator[dict[str, object]]:
    yield conninfo_to_dict(dsn)


def test_attempts_connect(
    server_params: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each attempt is a working set of connection parameters."""
    host = str(server_params.get("host", ""))
    if host.startswith("/") or not host:
        server_params["host"] = f"{host},{host}" if host else ""
    else:
        # Reach the server through a made-up name resolving to its address.
        real = socket.getaddrinfo

        def getaddrinfo(name: str | bytes, port: Any, *args: Any, **kwargs: Any) -> Any:
            return real(host if _name(name) == "db.test" else name, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        server_params["host"] = f"db.test,{host}"
    attempts = conninfo_attempts(server_params)
    assert len(attempts) == 2
    for attempt in attempts:
        with pgwire.connect(**{k: str(v) for k, v in attempt.items()}) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_ascii_names_reach_the_resolver_as_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """As libpq hands names to getaddrinfo; a str would go through the IDNA codec."""
    asked: list[str | bytes] = []

    def getaddrinfo(host: str | bytes, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        if _name(host) == "10.0.0.1":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]
        return _answer(host, port)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert conninfo.resolver_name("one.test") == b"one.test"
    assert conninfo.resolver_name("10.0.0.1") == b"10.0.0.1"
    assert conninfo.resolver_name("bücher.test") == "bücher.test"
    assert [h.hostaddr for h in conninfo.lookup(HostSpec("one.test", 5432))] == ["10.0.0.1"]
    with pytest.raises(OperationalError, match='could not translate host name "bücher.test"'):
        conninfo.lookup(HostSpec("bücher.test", 5432))
    from pgwire.drivers.connect import addresses

    list(addresses(HostSpec("one.test", 5432, "10.0.0.1")))
    assert asked == [b"one.test", "bücher.test", b"10.0.0.1"]

    seen: list[str | bytes] = []

    def resolver(host: str | bytes, port: Any) -> Any:
        seen.append(host)
        return _answer(host, port)

    run_async(lambda: conninfo.lookup_async(HostSpec("two.test", 5432)), resolver)
    assert seen == [b"two.test"]


def test_connecting_by_name_or_address_leaves_the_idna_codec_unloaded(
    dsn: str, isolated_script: Callable[..., Any]
) -> None:
    """Its first use imports it: milliseconds on a process's first connection."""
    params = conninfo_to_dict(dsn)
    host = str(params.get("host", ""))
    if not host or host.startswith("/"):
        pytest.skip("the test server listens on a Unix socket only")
    code = """
        import asyncio, sys
        import pgwire

        def check(conn):
            assert conn.execute("SELECT 1").fetchone() == (1,)

        for host in (sys.argv[2], "localhost"):
            with pgwire.connect(sys.argv[1], host=host) as conn:
                check(conn)

        async def main():
            conn = await pgwire.AsyncConnection.connect(sys.argv[1], host="localhost")
            cur = await conn.execute("SELECT 1")
            assert await cur.fetchone() == (1,)
            await conn.close()

        asyncio.run(main())
        sys.exit(3 if "encodings.idna" in sys.modules else 0)
        """
    out = isolated_script(code, dsn, host)
    assert out.returncode == 0, out.stderr


# --------------------------------------------------------------------------
# timeout_from_conninfo()


@pytest.mark.parametrize(
    ("params", "env", "want"),
    [
        ({}, {}, DEFAULT_CONNECT_TIMEOUT),
        ({"host": "x"}, {}, DEFAULT_CONNECT_TIMEOUT),
        ({"connect_timeout": "0"}, {}, DEFAULT_CONNECT_TIMEOUT),
        ({"connect_timeout": "-1"}, {}, DEFAULT_CONNECT_TIMEOUT),
        ({"connect_timeout": ""}, {}, DEFAULT_CONNECT_TIMEOUT),
        ({"connect_timeout": "1e999"}, {}, DEFAULT_CONNECT_TIMEOUT),
        ({"connect_timeout": "1"}, {}, 2),
        ({"connect_timeout": "1.5"}, {}, 2),
        ({"connect_timeout": "10"}, {}, 10),
        ({"connect_timeout": " 7.9 "}, {}, 7),
        ({"connect_timeout": 12}, {}, 12),
        ({"connect_timeout": None}, {"PGCONNECT_TIMEOUT": "15"}, 15),
        ({}, {"PGCONNECT_TIMEOUT": "15"}, 15),
        ({"connect_timeout": "4"}, {"PGCONNECT_TIMEOUT": "15"}, 4),
    ],
)
def test_timeout(
    monkeypatch: pytest.MonkeyPatch, params: dict[str, object], env: dict[str, str], want: int
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    got = timeout_from_conninfo(params)
    assert got == want and isinstance(got, int)


def test_timeout_from_service(tmp_path: Path) -> None:
    (tmp_path / "pg_service.conf").write_text("[slow]\nconnect_timeout=25\n")
    assert timeout_from_conninfo({"service": "slow"}) == 25


@pytest.mark.parametrize("value", ["abc", "1s", "1,2"])
def test_timeout_bad(value: str) -> None:
    with pytest.raises(ProgrammingError, match="connect_timeout"):
        timeout_from_conninfo({"connect_timeout": value})
