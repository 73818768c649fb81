"""Fixtures of the SQLAlchemy, pandas and Alembic tests: a database and engines on it.

A pytest plugin (see conftest.py); SQLAlchemy is imported only by the
fixtures, so that the rest of the suite runs without it.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from typing import Any

import pytest

import pgwire
from pgwire.testing.pytest_plugin import in_ci


def require(module: str) -> Any:
    """Import an optional test dependency: skip without it, except under CI=true."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if in_ci():
            raise
        pytest.skip(f"{module} is not installed", allow_module_level=True)


DATABASE = "pgwire_sqla"

# The classes the URL schemes must reach.
DIALECTS = {
    "postgresql.pgwire": "pgwire.sqlalchemy:PGDialect_pgwire",
    "postgresql.pgwire_async": "pgwire.sqlalchemy:PGDialectAsync_pgwire",
}


def register_dialects() -> None:
    """Name the dialects to SQLAlchemy if their entry points are not installed.

    From a checkout that was not pip-installed, they are missing
    (test_sqlalchemy checks the entry points pyproject.toml declares).
    """
    from sqlalchemy.dialects import registry

    installed = {ep.name for ep in importlib.metadata.entry_points(group="sqlalchemy.dialects")}
    for name, target in DIALECTS.items():
        if name not in installed:
            module, cls = target.split(":")
            registry.register(name, module, cls)


@pytest.fixture(scope="session")
def sqla_database(dsn: str) -> Iterator[dict[str, Any]]:
    """A database of its own (with hstore and citext): the URL parts to reach it."""
    register_dialects()
    with pgwire.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
        info = admin.info
        parts = {"username": info.user, "host": info.host, "port": info.port, "database": DATABASE}
    with pgwire.connect(dsn, dbname=DATABASE, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION hstore")
        conn.execute("CREATE EXTENSION citext")
    try:
        yield parts
    finally:
        if os.environ.get("PGWIRE_TEST_DSN"):
            with pgwire.connect(dsn, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def make_url(parts: dict[str, Any], driver: str = "pgwire", **query: str) -> Any:
    """The URL of the test database for ``postgresql+<driver>``."""
    from sqlalchemy.engine import URL

    return URL.create(f"postgresql+{driver}", query=query, **parts)


@pytest.fixture
def engine(sqla_database: dict[str, Any]) -> Iterator[Any]:
    """A ``postgresql+pgwire`` engine, disposed of after the test."""
    from sqlalchemy import create_engine

    eng = create_engine(make_url(sqla_database))
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def async_engine(sqla_database: dict[str, Any]) -> Iterator[Any]:
    """A ``postgresql+pgwire_async`` engine (dispose it in the test's event loop)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    yield create_async_engine(make_url(sqla_database, "pgwire_async"))

