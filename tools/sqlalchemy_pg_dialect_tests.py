"""Run SQLAlchemy's own PostgreSQL dialect tests (``test/dialect/postgresql``) with pgwire.

    python tools/sqlalchemy_pg_dialect_tests.py                 # pgwire and psycopg
    python tools/sqlalchemy_pg_dialect_tests.py --drivers pgwire,pgwire_async
    python tools/sqlalchemy_pg_dialect_tests.py -- -k Range     # extra pytest arguments

The tests come from the source distribution of the installed SQLAlchemy
version, downloaded with ``pip download --no-binary`` into ``--src-dir``
(default ``/work/ext``, or ``$SQLALCHEMY_SRC`` naming an unpacked tree) and
run from there with SQLAlchemy's own pytest configuration; nothing of them is
copied here. A throwaway server from ``pgwire.testing`` gets the setup
SQLAlchemy's README.unittests asks for (a UTF-8 ``test`` database, the
``test_schema`` schemas, hstore and citext, English text search, prepared
transactions). Each driver's pass count is printed, then the tests a
reference driver passes that pgwire does not.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
SUITE_DIR = HERE / "sqla_suite"
sys.path[:0] = [str(SRC), str(SUITE_DIR)]

import sqlalchemy  # noqa: E402
from run import parse_report, summary  # noqa: E402

from pgwire.testing import TestCluster  # noqa: E402

SCHEMES = {
    "pgwire": "postgresql+pgwire",
    "pgwire_async": "postgresql+pgwire_async",
    "psycopg": "postgresql+psycopg",
    "psycopg_async": "postgresql+psycopg_async",
}
COUNTERPART = {"psycopg": "pgwire", "psycopg_async": "pgwire_async"}

SETUP_DATABASE = "CREATE DATABASE test ENCODING 'utf8' TEMPLATE template0;"
SETUP_TEST_DB = """
ALTER DATABASE test SET default_text_search_config = 'pg_catalog.english';
CREATE SCHEMA test_schema;
CREATE SCHEMA test_schema_2;
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
"""


def sqlalchemy_source(src_dir: Path) -> Path:
    """The unpacked source distribution of the installed SQLAlchemy version."""
    given = os.environ.get("SQLALCHEMY_SRC")
    if given:
        return Path(given)
    version = sqlalchemy.__version__
    tree = src_dir / f"sqlalchemy-{version}"
    if (tree / "test" / "dialect" / "postgresql").is_dir():
        return tree
    src_dir.mkdir(parents=True, exist_ok=True)
    archive = src_dir / f"sqlalchemy-{version}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-binary",
                ":all:",
                "--no-deps",
                f"sqlalchemy=={version}",
                "-d",
                str(src_dir),
            ],
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(src_dir, filter="data")
    return tree


def run_tests(
    name: str, url: str, tree: Path, out: Path, extra: list[str], pgwire_src: Path
) -> dict[str, str]:
    """Run test/dialect/postgresql with one driver; each test's outcome by id."""
    report = out / f"{name}.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:timeout",
        "-p",
        "register_dialects",
        "--maxfail=1000000",
        "--requirements",
        "pg_dialect_requirements:PgwireRequirements",
        "--dburi",
        url,
        f"--junitxml={report}",
        "test/dialect/postgresql",
        *extra,
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(pgwire_src), str(SUITE_DIR)]))
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if not report.exists():
        sys.stdout.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise SystemExit(f"{name}: the tests did not run (exit status {proc.returncode})")
    outcomes = parse_report(report, url.split("://")[0])
    print(f"{name:14} {summary(outcomes)}", flush=True)
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drivers", default="pgwire,psycopg", help="comma-separated")
    parser.add_argument("--src-dir", type=Path, default=Path("/work/ext"))
    parser.add_argument("--show", type=int, default=200, help="differences to list")
    parser.add_argument(
        "--pgwire-src", type=Path, default=SRC, help="the pgwire source tree to test (src/)"
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    drivers = [d for d in args.drivers.split(",") if d]
    tree = sqlalchemy_source(args.src_dir)
    print(f"SQLAlchemy {sqlalchemy.__version__} tests from {tree}")

    results: dict[str, dict[str, str]] = {}
    with TestCluster(settings={"max_prepared_transactions": "10"}) as cluster:
        cluster.psql(SETUP_DATABASE)
        cluster.psql(SETUP_TEST_DB, dbname="test")
        tail = f"{cluster.superuser}@{cluster.host}:{cluster.port}/test"
        with tempfile.TemporaryDirectory(prefix="sqla-pg-") as tmp:
            for name in drivers:
                url = f"{SCHEMES[name]}://{tail}"
                results[name] = run_tests(
                    name, url, tree, Path(tmp), args.pytest_args, args.pgwire_src
                )

    status = 0
    for theirs, ours in COUNTERPART.items():
        if theirs not in results or ours not in results:
            continue
        # SQLAlchemy's requirements leave some tests to drivers they name:
        # compare on the tests both drivers ran.
        both = results[theirs].keys() & results[ours].keys()
        passed = {k: {t for t in both if results[k][t] == "passed"} for k in (theirs, ours)}
        only_theirs = sorted(passed[theirs] - passed[ours])
        print(
            f"{ours} vs {theirs} on the {len(both)} tests both ran:"
            f" {len(passed[ours])} vs {len(passed[theirs])} passed;"
            f" {len(only_theirs)} passed by {theirs} only,"
            f" {len(passed[ours] - passed[theirs])} by {ours} only;"
            f" {len(results[theirs].keys() - both)} tests ran for {theirs} only"
        )
        for test in only_theirs[: args.show]:
            print(f"    passed by {theirs} only: {test}")
        if only_theirs:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
