"""pytest fixtures giving tests a real PostgreSQL server.

Enable with ``pytest_plugins = ("pgwire.testing.pytest_plugin",)`` in a
``conftest.py``. Fixtures:

``pg_server`` (session)
    A started :class:`~pgwire.testing.TestCluster`, or an
    :class:`~pgwire.testing.ExternalServer` when ``PGWIRE_TEST_DSN`` is set.
    Our own cluster also has login roles for the password authentication
    methods (``pg_server.auth_users``: method -> (user, password)) and a
    database ``test`` with a table ``test(fielda int, fieldb text)``.
``dsn`` (session)
    The server's DSN string.
``conn``
    ``pgwire.connect(dsn)``, closed after the test whatever happened.
``logical_server`` (session)
    A :class:`~pgwire.testing.TestCluster` with ``wal_level=logical``
    (:func:`logical_settings`), for replication tests.
``make_cluster``
    A factory of extra clusters (``make_cluster(settings=..., hba=...)``),
    all stopped after the test.

``pgbouncer``, ``pgbouncer_session``, ``make_pgbouncer``, ``make_replica_pair``
    PgBouncer in front of the server, and primary/standby pairs: see
    :mod:`pgwire.testing.scaleout`.

When no server can be started the tests that need one are skipped, except
under ``CI=true`` where that is an error: CI must never pass by skipping.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from pgwire.testing.cluster import (
    ClusterError,
    ExternalServer,
    TestCluster,
    find_bindir,
    server_version,
)
from pgwire.testing.scaleout import (  # noqa: F401  (fixtures of this plugin)
    make_pgbouncer,
    make_replica_pair,
    pgbouncer,
    pgbouncer_session,
)

__all__ = [
    "AUTH_USERS",
    "auth_hba_lines",
    "conn",
    "dsn",
    "in_ci",
    "logical_server",
    "logical_settings",
    "make_cluster",
    "make_pgbouncer",
    "make_replica_pair",
    "pg_server",
    "pgbouncer",
    "pgbouncer_session",
    "prepare_cluster",
    "pytest_report_header",
    "start_server",
]

#: Login roles made for authentication tests: method -> (user, password).
AUTH_USERS: dict[str, tuple[str, str]] = {
    "password": ("pgwire_password", "cleartext-secret"),
    "md5": ("pgwire_md5", "md5-secret"),
    "scram-sha-256": ("pgwire_scram", "scram-secret"),
}

# Rows of the ``test`` table; API.md's example selects fielda > 1971.
TEST_ROWS: tuple[tuple[int, str], ...] = (
    (1960, "sixties"),
    (1970, "seventies"),
    (1971, "unix"),
    (1972, "after"),
    (1989, "web"),
    (2001, "odyssey"),
)

Server = TestCluster | ExternalServer

# What a machine without a usable PostgreSQL raises while starting one.
_START_ERRORS = (ClusterError, OSError, subprocess.SubprocessError)


def in_ci() -> bool:
    """Whether we run under CI (``CI=true``), where a missing server is fatal."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(exc: BaseException) -> NoReturn:
    if in_ci():
        raise exc
    pytest.skip(f"no PostgreSQL server for the tests: {exc}")


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def auth_hba_lines() -> list[str]:
    """``pg_hba.conf`` lines making each role of :data:`AUTH_USERS` use its method."""
    lines = []
    for method, (user, _password) in AUTH_USERS.items():
        lines.append(f"host all {user} 127.0.0.1/32 {method}")
        lines.append(f"local all {user} {method}")
    return lines


def prepare_cluster(cluster: TestCluster) -> None:
    """Create the roles of :data:`AUTH_USERS` and the ``test`` database.

    The md5 role's password is stored as an md5 hash and the others' as
    SCRAM verifiers, so that each method is exercised for real.
    """
    statements = []
    for method, (user, password) in AUTH_USERS.items():
        encryption = "md5" if method == "md5" else "scram-sha-256"
        statements.append(f"SET password_encryption = '{encryption}';")
        statements.append(f"CREATE ROLE {user} LOGIN PASSWORD {_sql_literal(password)};")
    statements.append("RESET password_encryption;")
    statements.append("CREATE DATABASE test;")
    cluster.psql("\n".join(statements))
    rows = ", ".join(f"({year}, {_sql_literal(text)})" for year, text in TEST_ROWS)
    cluster.psql(
        "CREATE TABLE test (fielda int, fieldb text);\n"
        f"INSERT INTO test (fielda, fieldb) VALUES {rows};\n"
        "GRANT SELECT ON test TO PUBLIC;",
        dbname="test",
    )
    cluster.auth_users = dict(AUTH_USERS)


def start_server() -> Server:
    """The server for a test session: ``PGWIRE_TEST_DSN`` or a prepared cluster."""
    external = os.environ.get("PGWIRE_TEST_DSN")
    if external:
        return ExternalServer(external)
    # Prepared transactions on, for the two-phase commit tests.
    cluster = TestCluster(hba=auth_hba_lines(), settings={"max_prepared_transactions": "10"})
    try:
        cluster.start()
        prepare_cluster(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """The PostgreSQL server shared by the whole test session."""
    try:
        server = start_server()
    except _START_ERRORS as exc:
        _unavailable(exc)
    try:
        yield server
    finally:
        if isinstance(server, TestCluster):
            server.stop()


@pytest.fixture(scope="session")
def dsn(pg_server: Server) -> str:
    """The DSN of :func:`pg_server`."""
    return pg_server.dsn


@pytest.fixture
def conn(dsn: str) -> Iterator[Any]:
    """A fresh ``pgwire`` connection, closed after the test."""
    pgwire = importlib.import_module("pgwire")
    connection = pgwire.connect(dsn)
    try:
        yield connection
    finally:
        # Closing discards whatever transaction the test left open or failed;
        # a connection the test broke may fail to close, which is its business.
        with contextlib.suppress(Exception):
            connection.close()


@pytest.fixture
def make_cluster() -> Iterator[Callable[..., TestCluster]]:
    """A factory of extra clusters: ``make_cluster(*, start=True, **TestCluster kwargs)``."""
    clusters: list[TestCluster] = []

    def factory(*, start: bool = True, **kwargs: Any) -> TestCluster:
        try:
            cluster = TestCluster(**kwargs)
            clusters.append(cluster)
            if start:
                cluster.start()
        except _START_ERRORS as exc:
            _unavailable(exc)
        return cluster

    try:
        yield factory
    finally:
        for cluster in clusters:
            cluster.stop()


def logical_settings() -> dict[str, str]:
    """Server settings for logical decoding tests: wal_level=logical, slots, 2PC."""
    return {
        "wal_level": "logical",
        "max_wal_senders": "20",
        "max_replication_slots": "20",
        "max_prepared_transactions": "10",
    }


@pytest.fixture(scope="session")
def logical_server() -> Iterator[TestCluster]:
    """A cluster of the session started with :func:`logical_settings`, for replication tests."""
    try:
        cluster = TestCluster(settings=logical_settings())
        cluster.start()
    except _START_ERRORS as exc:
        _unavailable(exc)
    try:
        yield cluster
    finally:
        cluster.stop()


_PASSWORD_IN_DSN = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)|(://[^:/@]*:)[^@]*@")


def _hide_password(dsn: str) -> str:
    def repl(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1) + "***"
        return match.group(3) + "***@"

    return _PASSWORD_IN_DSN.sub(repl, dsn)


def pytest_report_header(config: pytest.Config) -> str:
    """Name the server the tests will use."""
    external = os.environ.get("PGWIRE_TEST_DSN")
    if external:
        return f"pgwire test server: external, PGWIRE_TEST_DSN={_hide_password(external)}"
    try:
        bindir = find_bindir()
        full, _major = server_version(bindir)
    except ClusterError as exc:
        return f"pgwire test server: none ({exc})"
    return f"pgwire test server: PostgreSQL {full} from {bindir}"
