"""pytest fixtures for PgBouncer and primary/standby pairs (part of the pytest plugin).

``pgbouncer`` (session)
    A :class:`~pgwire.testing.pgbouncer.PgBouncer` in transaction pooling
    mode (``pool_size`` 2) in front of ``pg_server``; ``pgbouncer.dsn``
    reaches its ``postgres`` database, ``pgbouncer.dsn_for("test")`` another.
``pgbouncer_session`` (session)
    The same in session pooling mode.
``make_pgbouncer``
    A factory: ``make_pgbouncer(server=None, **PgBouncer kwargs)`` (default
    server: ``pg_server``), stopped after the test.
``make_replica_pair``
    A factory of started :class:`~pgwire.testing.replica.ReplicaPair`
    (``make_replica_pair(synchronous=True)``...), stopped after the test.

Where PgBouncer is not installed or a server cannot start, the tests using
them are skipped, except under ``CI=true`` where that is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pgwire.testing.cluster import ClusterError, ExternalServer
from pgwire.testing.pgbouncer import PgBouncer
from pgwire.testing.replica import ReplicaPair

__all__ = ["make_pgbouncer", "make_replica_pair", "pgbouncer", "pgbouncer_session"]


class _Upstream:
    """Where an external server (``PGWIRE_TEST_DSN``) listens, as PgBouncer needs it."""

    def __init__(self, server: ExternalServer) -> None:
        from pgwire.conninfo import make_params

        params = make_params(server.dsn)
        host = params.hosts[0]
        if host.is_unix:
            raise ClusterError("PgBouncer fixtures need the external server over TCP")
        self.host = host.hostaddr or host.host
        self.port = host.port
        self.superuser = params.user


def _start_pgbouncer(server: Any, **kwargs: Any) -> PgBouncer:
    from pgwire.testing.pytest_plugin import _START_ERRORS, _unavailable

    upstream = _Upstream(server) if isinstance(server, ExternalServer) else server
    try:
        bouncer = PgBouncer(upstream, **kwargs)
        bouncer.start()
    except _START_ERRORS as exc:
        _unavailable(exc)
    return bouncer


def _running_pgbouncer(server: Any, pool_mode: str) -> Iterator[PgBouncer]:
    bouncer = _start_pgbouncer(server, pool_mode=pool_mode)
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture(scope="session")
def pgbouncer(pg_server: Any) -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling mode in front of ``pg_server``."""
    yield from _running_pgbouncer(pg_server, "transaction")


@pytest.fixture(scope="session")
def pgbouncer_session(pg_server: Any) -> Iterator[PgBouncer]:
    """PgBouncer in session pooling mode in front of ``pg_server``."""
    yield from _running_pgbouncer(pg_server, "session")


@pytest.fixture
def make_pgbouncer(pg_server: Any) -> Iterator[Callable[..., PgBouncer]]:
    """A factory of started PgBouncers (default in front of ``pg_server``)."""
    started: list[PgBouncer] = []

    def factory(server: Any = None, **kwargs: Any) -> PgBouncer:
        bouncer = _start_pgbouncer(server if server is not None else pg_server, **kwargs)
        started.append(bouncer)
        return bouncer

    try:
        yield factory
    finally:
        for bouncer in started:
            bouncer.stop()


@pytest.fixture
def make_replica_pair() -> Iterator[Callable[..., ReplicaPair]]:
    """A factory of started primary/standby pairs, stopped after the test."""
    from pgwire.testing.pytest_plugin import _START_ERRORS, _unavailable

    pairs: list[ReplicaPair] = []

    def factory(**kwargs: Any) -> ReplicaPair:
        try:
            pair = ReplicaPair(**kwargs)
            pairs.append(pair)
            pair.start()
        except _START_ERRORS as exc:
            _unavailable(exc)
        return pair

    try:
        yield factory
    finally:
        for pair in pairs:
            pair.stop()
