#!/usr/bin/env python3
"""Run psycopg 3's own test suite against pgwire and classify the outcome.

psycopg's ``tests/`` are NOT part of this repository: fetch them first, e.g.
from a clone of https://github.com/psycopg/psycopg::

    git archive <commit> tests tools/pproxy_fix.py | tar -x -C /work/ext/psycopg
    pip install pproxy    # the proxy the connection-failure tests put in between

then, from the repository root::

    PYTHONPATH=src python tools/psycopg_suite.py [--tests /work/ext/psycopg/tests]
        [--json out.json] [--show-failures] [-- extra pytest args / test paths]

How it works: ``tools/psycopg_alias/sitecustomize.py`` (put on PYTHONPATH so
that subprocesses get it too) makes ``import psycopg``/``psycopg_pool`` load
pgwire modules; a psycopg name pgwire lacks becomes a placeholder raising
``MissingAPI`` when used.  A throwaway server is started with
``pgwire.testing`` (``max_prepared_transactions`` on, for the TPC tests) and
given to the suite as ``--test-dsn``.

Classification of each test (the report prints the counts and the rate):

* ``passed``, ``skipped`` (skipped by psycopg's own markers: CockroachDB,
  missing numpy/shapely/gevent, server version...);
* ``excluded``: whole files that test libpq or psycopg's implementation
  internals and are not collected at all (``EXCLUDED_PATHS``);
* ``libpq-internal``: a failure caused by something only libpq has (the
  rules are in :func:`classify`: a ``pgconn``/``pgresult``/``PGconn`` object
  missing or read by the failing statement,
  the ``psycopg.pq`` wrapper functions, psycopg's generators/waiting
  modules, a fixture that opens a raw libpq connection);
* ``psycopg-private``: a failure caused by a private psycopg name (one
  whose module or attribute begins with ``_``: ``psycopg._queries``,
  ``psycopg.types.json._dumpers_cache``, ``ConnectionPool._pool``...) that
  pgwire does not have: these tests check psycopg's implementation, not its
  public API;
* ``missing-api``: a failure caused by a public psycopg name pgwire does not have;
* ``behaviour``: every other failure (a difference in behaviour).

The pass rate is ``passed / (passed + missing-api + behaviour)``: libpq-internal
and psycopg-private failures and skips are out of the denominator, everything
else stays in.  The report also prints the rate with the psycopg-private
failures counted, and the rate without the failures of psycopg's data faker
(see ``docs/psycopg3-differences.md``, dict-as-jsonb).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ALIAS_DIR = HERE / "psycopg_alias"

#: Files and folders of psycopg's tests that only test libpq or psycopg's
#: internals (not collected).
EXCLUDED_PATHS = (
    "pq",  # the libpq wrapper
    "test_generators.py",  # psycopg's libpq-driving generators
    "test_waiting.py",  # psycopg's wait functions over a libpq connection
    "test_waiting_async.py",
    "test_typing.py",  # runs mypy over psycopg-specific snippets (minutes per test)
    "crdb",  # CockroachDB only
)

#: Failure texts that mean the test needs something only libpq/psycopg has.
LIBPQ_PATTERNS = [
    re.compile(p)
    for p in (
        r"MissingAPI: pgwire lacks psycopg name "
        r"psycopg\.(pq|generators|waiting|_cmodule|_psycopg|crdb)\b",
        r"MissingAPI: pgwire lacks psycopg name psycopg_c\b",
        r"'Protocol' object has no attribute",  # pgwire's conn.pgconn is its sans-I/O core
        r"has no attribute '(pgconn|pgresult|_pgconn|_pgresult)'",
        r"MissingAPI: pgwire lacks psycopg name [\w.]*\.(pgconn|pgresult|PGconn|PGresult)\b",
        r"fixture '(pgconn|libpq|generators|pgconn_debug|tracefile)'",
        r"\bpq\.(PGconn|PGresult|Conninfo|Escaping|PGcancel)",
        # The statement that failed (pytest marks it with ">") reads a libpq object.
        r"(?m)^>.*\b(pgconn|pgresult)\b",
    )
]

_MISSING = re.compile(r"MissingAPI: pgwire lacks psycopg name ([\w.]+)")
_NO_ATTR = re.compile(r"AttributeError: '(\w+)' object has no attribute '(\w+)'")
_NO_MODULE_ATTR = re.compile(r"AttributeError: module '([\w.]+)' has no attribute '(\w+)'")
_NO_CLASS_ATTR = re.compile(
    r"AttributeError: (?:type object '(\w+)'|<class '[\w.]*?(\w+)'>) has no attribute '(\w+)'"
)
_UNEXPECTED_KW = re.compile(r"TypeError: ([\w.]+\(\)) got an unexpected keyword argument '(\w+)'")


def classify(nodeid: str, result: dict[str, Any]) -> tuple[str, str]:
    """(category, cause) of one test's result."""
    outcome = result["outcome"]
    if outcome == "passed":
        return "passed", ""
    if outcome == "skipped":
        return "skipped", ""
    text = result["text"]
    for pattern in LIBPQ_PATTERNS:
        if pattern.search(text):
            return "libpq-internal", pattern.pattern
    found = _MISSING.findall(text)
    if found:
        return _missing(found[-1])
    match = _NO_ATTR.search(text) or _NO_MODULE_ATTR.search(text)
    if match:
        return _missing(f"{match.group(1)}.{match.group(2)}")
    match = _NO_CLASS_ATTR.search(text)
    if match:
        return _missing(f"{match.group(1) or match.group(2)}.{match.group(3)}")
    match = _UNEXPECTED_KW.search(text)
    if match:
        return "missing-api", f"{match.group(1)} {match.group(2)}="
    last = [line for line in text.splitlines() if line.startswith("E ")]
    return "behaviour", (last[0][1:].strip() if last else outcome)[:160]


def _missing(name: str) -> tuple[str, str]:
    """The category of a missing psycopg name: private if any part of it is."""
    private = any(part.startswith("_") and not part.startswith("__") for part in name.split("."))
    return ("psycopg-private" if private else "missing-api"), name


#: The failure text of the tests that psycopg's data faker cannot set up: it
#: lists every class with a registered dumper and cannot make a dict.
FAKER_DICT = "cannot make fake objects of class <class 'dict'>"


def start_server() -> Any:
    """A throwaway cluster for the suite (max_prepared_transactions for TPC)."""
    from pgwire.testing import TestCluster

    cluster = TestCluster(settings={"max_prepared_transactions": "10"})
    cluster.start()
    return cluster


def run(
    tests: Path, pytest_args: list[str], report: Path, dsn: str, src: Path, verbose: bool
) -> int:
    root = tests.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ALIAS_DIR), str(src), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    env["PSYCOPG_SUITE_REPORT"] = str(report)
    ignores = [f"--ignore={tests / p}" for p in EXCLUDED_PATHS]
    targets = [a for a in pytest_args if not a.startswith("-")] or [str(tests)]
    options = [a for a in pytest_args if a.startswith("-")]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "psycopg_suite_report",
        "-p",
        "no:randomly",
        "--timeout=120",
        "--continue-on-collection-errors",
        f"--test-dsn={dsn}",
        # A fresh cache: psycopg's conftest refuses to run after an interrupted run.
        "-o",
        f"cache_dir={report.parent / 'cache'}",
        "-W",
        "ignore",
        *ignores,
        *options,
        *targets,
    ]
    return subprocess.call(cmd, cwd=root, env=env, stdout=None if verbose else subprocess.DEVNULL)


def summarize(results: dict[str, dict[str, Any]], show: bool) -> dict[str, Any]:
    """Counts per category and the causes of the failures, most frequent first."""
    counts: collections.Counter[str] = collections.Counter()
    causes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    failures = []
    for nodeid, result in sorted(results.items()):
        category, cause = classify(nodeid, result)
        counts[category] += 1
        if category not in ("passed", "skipped"):
            causes[category][cause] += 1
            failures.append((category, cause, nodeid))
    counted = counts["passed"] + counts["missing-api"] + counts["behaviour"]
    rate = counts["passed"] / counted if counted else 0.0
    with_private = counted + counts["psycopg-private"]
    faker = causes["behaviour"][next((c for c in causes["behaviour"] if FAKER_DICT in c), "")]
    print(
        f"tests: {sum(counts.values())}  "
        + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    )
    print(f"pass rate (passed / (passed + missing-api + behaviour)): {rate:.1%} of {counted}")
    if with_private:
        print(
            f"  with psycopg-private failures counted: "
            f"{counts['passed'] / with_private:.1%} of {with_private}"
        )
    if faker and counted > faker:
        print(
            f"  without the {faker} tests the data faker cannot set up (dict): "
            f"{counts['passed'] / (counted - faker):.1%} of {counted - faker}"
        )
    categories = ("missing-api", "behaviour", "psycopg-private", "libpq-internal")
    for category in (*categories, "collection-error"):
        if causes[category]:
            print(f"\n{category}, by cause:")
            for cause, n in causes[category].most_common(40):
                print(f"  {n:5d}  {cause}")
    if show:
        print()
        for category, cause, nodeid in failures:
            print(f"{category:15s} {nodeid}  [{cause}]")
    return {"counts": dict(counts), "rate": rate, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=Path, default=Path("/work/ext/psycopg/tests"))
    parser.add_argument(
        "--src", type=Path, default=HERE.parent / "src", help="the pgwire sources to test"
    )
    parser.add_argument("--dsn", help="use this server instead of a throwaway cluster")
    parser.add_argument("--json", type=Path, help="write the classified results here")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="show pytest's output")
    parser.add_argument(
        "--reclassify", type=Path, help="classify the raw outcomes of an earlier --json run"
    )
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    if args.reclassify:
        summarize(json.loads(args.reclassify.read_text())["raw"], args.show_failures)
        return 0
    if not (args.tests / "conftest.py").exists():
        parser.error(f"{args.tests} does not hold psycopg's tests (see the docstring)")
    cluster = None
    if args.dsn:
        dsn = args.dsn
    else:
        cluster = start_server()
        dsn = f"host={cluster.host} port={cluster.port} user={cluster.superuser} dbname=postgres"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        try:
            run(args.tests, args.pytest_args, report, dsn, args.src, args.verbose)
        finally:
            if cluster is not None:
                cluster.stop()
        results = json.loads(report.read_text()) if report.exists() else {}
    summary = summarize(results, args.show_failures)
    if args.json:
        # The raw outcomes too, so that a run can be classified again later.
        args.json.write_text(json.dumps({**summary, "raw": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
