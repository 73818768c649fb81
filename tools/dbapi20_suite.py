#!/usr/bin/env python3
"""Run the DB-API 2.0 compliance suites (dbapi20.py, dbapi20_tpc.py) against pgwire.

The suites are not part of this repository: they are read from a folder
holding ``dbapi20.py`` and ``dbapi20_tpc.py`` (psycopg's ``tests/`` has both;
see ``tools/psycopg_suite.py`` for how to fetch it).  From the repository root::

    PYTHONPATH=src python tools/dbapi20_suite.py [--tests /work/ext/psycopg/tests]

The test classes are used as published but for the two tests the suite
leaves to each driver (see ``PgwireDBAPI20``), supplied as psycopg's own run
does; a throwaway server (with ``max_prepared_transactions`` on) is started with
``pgwire.testing``.  Exits non-zero if any test fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import unittest
from pathlib import Path
from types import ModuleType
from typing import Any

import pgwire
from pgwire.testing import TestCluster


def load(path: Path) -> ModuleType:
    """Import a suite module from its file."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def suites(tests: Path, dsn: str) -> unittest.TestSuite:
    """The two suites, bound to pgwire and to ``dsn``."""
    dbapi20 = load(tests / "dbapi20.py")
    dbapi20_tpc = load(tests / "dbapi20_tpc.py")

    class PgwireDBAPI20(dbapi20.DatabaseAPI20Test):  # type: ignore[name-defined,misc]
        driver = pgwire
        connect_args = (dsn,)
        connect_kw_args: dict[str, Any] = {}

        # The two tests the suite asks each driver to supply, supplied as
        # psycopg does: setoutputsize() is a no-op the suite cannot check, and
        # test_nextset needs a procedure returning several result sets, which
        # a PostgreSQL function cannot do (nextset() is tested in our suite).
        def test_nextset(self) -> None:
            pass

        def test_setoutputsize(self) -> None:
            pass

    class PgwireTPC(dbapi20_tpc.TwoPhaseCommitTests):  # type: ignore[name-defined,misc]
        driver = pgwire

        def connect(self) -> Any:
            return pgwire.connect(dsn)

        def setUp(self) -> None:
            # Leftovers of an earlier failed test would break the counts.
            with pgwire.connect(dsn, autocommit=True) as conn:
                for (gid,) in conn.execute("SELECT gid FROM pg_prepared_xacts").fetchall():
                    conn.execute(f"ROLLBACK PREPARED '{gid}'")

    loader = unittest.TestLoader()
    return unittest.TestSuite(
        [loader.loadTestsFromTestCase(PgwireDBAPI20), loader.loadTestsFromTestCase(PgwireTPC)]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=Path, default=Path("/work/ext/psycopg/tests"))
    args = parser.parse_args()
    if not (args.tests / "dbapi20.py").exists():
        parser.error(f"{args.tests} has no dbapi20.py (see the docstring)")
    with TestCluster(settings={"max_prepared_transactions": "10"}) as cluster:
        dsn = f"host={cluster.host} port={cluster.port} user={cluster.superuser} dbname=postgres"
        result = unittest.TextTestRunner(verbosity=2).run(suites(args.tests, dsn))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
