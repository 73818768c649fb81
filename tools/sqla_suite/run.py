"""Run SQLAlchemy's dialect compliance suite against a throwaway server.

    python tools/sqla_suite/run.py                    # pgwire and pgwire_async
    python tools/sqla_suite/run.py --compare          # ... and psycopg beside them
    python tools/sqla_suite/run.py -- -k Isolation    # extra pytest arguments

Starts a PostgreSQL with ``pgwire.testing`` (``PGWIRE_PG_BINDIR`` picks the
binaries; ``PGWIRE_TEST_DSN`` an existing server instead), runs the suite once
per dialect with SQLAlchemy's pytest plugin (``--dburi``), and prints the
counts. It fails when a pgwire dialect has a failing test, or, with
``--compare``, when psycopg passes a test that pgwire does not. When no
server can be started it says so and skips, except under ``CI=true``, where
that is a failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "src"
sys.path.insert(0, str(SRC))

from pgwire.testing import ClusterError, ExternalServer, TestCluster  # noqa: E402
from pgwire.testing.pytest_plugin import in_ci  # noqa: E402

# The drivers compared, by the URL scheme each is reached with.
PGWIRE_SCHEMES = {"pgwire": "postgresql+pgwire", "pgwire_async": "postgresql+pgwire_async"}
PSYCOPG_SCHEMES = {"psycopg": "postgresql+psycopg", "psycopg_async": "postgresql+psycopg_async"}
# Which pgwire dialect each psycopg one is compared with.
COUNTERPART = {"psycopg": "pgwire", "psycopg_async": "pgwire_async"}

# The schemas the suite's cross-schema tests use.
SETUP_SQL = "CREATE SCHEMA IF NOT EXISTS test_schema; CREATE SCHEMA IF NOT EXISTS test_schema_2;"


def start_server() -> tuple[object, str]:
    """A server for the suite and its URL tail (``user@host:port/dbname``)."""
    external = os.environ.get("PGWIRE_TEST_DSN")
    if external:
        server: TestCluster | ExternalServer = ExternalServer(external)
    else:
        # Two-phase commit tests need prepared transactions.
        server = TestCluster(settings={"max_prepared_transactions": "10"})
        server.start()
    try:
        server.psql(SETUP_SQL)
    except BaseException:
        if isinstance(server, TestCluster):
            server.stop()
        raise
    conn = server.connect()
    try:
        info = conn.info
        tail = f"{info.user}@{info.host}:{info.port}/{info.dbname}"
    finally:
        conn.close()
    return server, tail


def run_suite(name: str, url: str, out: Path, extra: list[str]) -> dict[str, str]:
    """Run the suite with one dialect; return each test's outcome by its id."""
    report = out / f"{name}.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "--dburi",
        url,
        f"--junitxml={report}",
        *extra,
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), str(HERE)])))
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=HERE, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if not report.exists():
        sys.stdout.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise SystemExit(f"{name}: the suite did not run (exit status {proc.returncode})")
    outcomes = parse_report(report, url.split("://")[0])
    print(f"{name:14} {summary(outcomes)}  ({elapsed:.0f} s)")
    failed = sorted(t for t, o in outcomes.items() if o == "failed")
    for test in failed[:50]:
        print(f"    FAILED {test}")
    if len(failed) > 50:
        print(f"    ... and {len(failed) - 50} more")
    return outcomes


def parse_report(path: Path, scheme: str) -> dict[str, str]:
    """Each test case of a JUnit XML report: passed, failed or skipped.

    The suite names its test classes after the URL scheme; the ids returned
    say ``postgresql`` instead, so that the drivers' results compare.
    """
    outcomes: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        classname = (case.get("classname") or "").replace(scheme, "postgresql")
        test = f"{classname}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        # An error in teardown adds a second entry for a test that passed.
        if outcomes.get(test) != "failed":
            outcomes[test] = outcome
    return outcomes


def summary(outcomes: dict[str, str]) -> str:
    """``N passed, N failed, N skipped``."""
    counts = {k: 0 for k in ("passed", "failed", "skipped")}
    for outcome in outcomes.values():
        counts[outcome] += 1
    return ", ".join(f"{n} {k}" for k, n in counts.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--compare", action="store_true", help="also run psycopg and compare pass sets"
    )
    parser.add_argument(
        "--only",
        choices=[*PGWIRE_SCHEMES, *PSYCOPG_SCHEMES],
        action="append",
        help="run only these dialects",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()

    schemes = dict(PGWIRE_SCHEMES)
    if args.compare:
        schemes.update(PSYCOPG_SCHEMES)
    if args.only:
        schemes = {k: v for k, v in {**PGWIRE_SCHEMES, **PSYCOPG_SCHEMES}.items() if k in args.only}

    try:
        server, tail = start_server()
    except (ClusterError, OSError, subprocess.SubprocessError) as exc:
        if in_ci():
            print(f"no PostgreSQL server for the SQLAlchemy suite: {exc}", file=sys.stderr)
            return 1
        print(f"skipped: no PostgreSQL server for the SQLAlchemy suite: {exc}")
        return 0
    status = 0
    results: dict[str, dict[str, str]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="sqla-suite-") as tmp:
            for name, scheme in schemes.items():
                results[name] = run_suite(name, f"{scheme}://{tail}", Path(tmp), args.pytest_args)
    finally:
        if isinstance(server, TestCluster):
            server.stop()

    for name in PGWIRE_SCHEMES:
        if name in results and "failed" in results[name].values():
            status = 1
    for name, ours in COUNTERPART.items():
        if name not in results or ours not in results:
            continue
        theirs_passed = {t for t, o in results[name].items() if o == "passed"}
        ours_passed = {t for t, o in results[ours].items() if o == "passed"}
        missing = sorted(theirs_passed - ours_passed)
        extra = len(ours_passed - theirs_passed)
        print(
            f"{ours} vs {name}: {len(ours_passed)} vs {len(theirs_passed)} passed;"
            f" {len(missing)} passed by {name} only, {extra} by {ours} only"
        )
        for test in missing:
            print(f"    passed by {name} only: {test}")
        if missing:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
