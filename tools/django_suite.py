#!/usr/bin/env python3
"""Run Django's own test suite on ``pgwire.django`` and on Django's psycopg backend; compare.

Django's ``tests/runtests.py`` comes from a Django source tree matching the
installed Django (``--django-src``; e.g. ``pip download --no-binary :all:
--no-deps django==5.2.19`` unpacked).  A throwaway PostgreSQL is started with
:mod:`pgwire.testing` (``--bindir``, default: what ``pgwire.testing`` finds;
``django.contrib.postgres`` needs a server with the contrib extensions, such
as ``/usr/lib/postgresql/15/bin``).

Each run records the outcome of every test (pass, fail, error, skip, xfail,
xpass) through a test runner of ours named in the generated settings, and
writes it as JSON in ``--out``.  The pgwire runs are made with psycopg,
psycopg2 and psycopg_pool hidden (an import of them fails), as if they were
not installed; the test module that imports psycopg_pool itself is
bound with ``pgwire.django.bind()``, as a project's own code would be.
``--compare`` prints per label the counts of each run and every test whose
outcome differs between the backends of a binding mode.

Example::

    python tools/django_suite.py --python /work/venvs/django52/bin/python \\
        --django-src /work/ext/django-5.2.19 --bindir /usr/lib/postgresql/15/bin \\
        --backends pgwire psycopg --bindings client server basic queries
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pgwire.testing import TestCluster  # noqa: E402

#: The labels the comparison covers.
LABELS = [
    "backends",
    "basic",
    "queries",
    "transactions",
    "transaction_hooks",
    "model_fields",
    "expressions",
    "aggregation",
    "lookup",
    "annotations",
    "migrations",
    "schema",
    "introspection",
    "postgres_tests",
    "db_functions",
    "select_for_update",
    "serializers",
    "timezones",
    "bulk_create",
    "update",
    "delete",
    "custom_lookups",
    "inspectdb",
    "indexes",
    "constraints",
]

ENGINES = {"pgwire": "pgwire.django", "psycopg": "django.db.backends.postgresql"}

# Django's own settings for its suite (tests/test_sqlite.py of the same
# version: SECRET_KEY, PASSWORD_HASHERS, USE_TZ, DEFAULT_AUTO_FIELD where the
# version sets one), with our databases and our runner.
SETTINGS = """\
from test_sqlite import *  # noqa: F403

DATABASES = {{
    alias: {{
        "ENGINE": {engine!r},
        "NAME": {prefix!r} + alias,
        "USER": {user!r},
        "HOST": {host!r},
        "PORT": {port!r},
        "OPTIONS": {options!r},
    }}
    for alias in ("default", "other")
}}
TEST_RUNNER = "suite_recorder.RecordingRunner"
{extra}"""

# In the pgwire runs, the one test module that imports psycopg_pool itself
# (PoolTimeout, in backends/postgresql/tests.py) is bound the way a project
# binds its own code written for psycopg: it gets pgwire's pool error.
BIND_TESTS = """
import pgwire.django

pgwire.django.bind("backends.postgresql.tests")
"""

RECORDER = '''\
"""A DiscoverRunner writing each test's outcome to $SUITE_RESULTS as JSON."""
import json
import os
import unittest

from django.test.runner import DiscoverRunner


class RecordingResult(unittest.TextTestResult):
    outcomes = {}

    def _set(self, test, outcome):
        key = test.id()
        # A failing subtest makes its test fail; a pass never hides a failure.
        if self.outcomes.get(key) in ("fail", "error") and outcome == "pass":
            return
        self.outcomes[key] = outcome

    def addSuccess(self, test):
        super().addSuccess(test)
        self._set(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "fail")

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, "error")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "skip")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "xpass")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._set(test, "fail" if failed else "error")


class RecordingRunner(DiscoverRunner):
    def get_resultclass(self):
        return RecordingResult

    def run_suite(self, suite, **kwargs):
        result = super().run_suite(suite, **kwargs)
        with open(os.environ["SUITE_RESULTS"], "w") as f:
            json.dump(RecordingResult.outcomes, f, indent=0, sort_keys=True)
        return result
'''

HIDE = "raise ModuleNotFoundError('hidden for this run: not installed', name=__name__)\n"


def write_support(workdir: Path, backend: str, binding: str, cluster: TestCluster) -> Path:
    """The settings module, the recording runner and (for pgwire) the psycopg blockers."""
    support = workdir / f"{backend}-{binding}"
    support.mkdir(parents=True, exist_ok=True)
    options = {"server_side_binding": binding == "server"}
    (support / "suite_settings.py").write_text(
        SETTINGS.format(
            engine=ENGINES[backend],
            prefix=f"{backend}_{binding}_",
            user=cluster.superuser,
            host=cluster.host,
            port=str(cluster.port),
            options=options,
            extra=BIND_TESTS if backend == "pgwire" else "",
        )
    )
    (support / "suite_recorder.py").write_text(RECORDER)
    if backend == "pgwire":
        for name in ("psycopg", "psycopg2", "psycopg_pool"):
            (support / name).mkdir(exist_ok=True)
            (support / name / "__init__.py").write_text(HIDE)
    return support


def run(
    args: argparse.Namespace, backend: str, binding: str, cluster: TestCluster, workdir: Path
) -> Path:
    """One runtests.py run; returns the JSON file of outcomes."""
    support = write_support(workdir, backend, binding, cluster)
    out = Path(args.out) / f"{backend}-{binding}.json"
    log = Path(args.out) / f"{backend}-{binding}.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(support), str(ROOT / "src")])
    env["SUITE_RESULTS"] = str(out)
    cmd = [
        args.python,
        "runtests.py",
        "--settings=suite_settings",
        f"--parallel={args.parallel}",
        "--noinput",
        *args.labels,
    ]
    started = time.monotonic()
    print(f"== {backend} / {binding}-side binding: {' '.join(cmd)}", flush=True)
    with open(log, "w") as logfile:
        proc = subprocess.run(
            cmd, cwd=Path(args.django_src) / "tests", env=env, stdout=logfile, stderr=logfile
        )
    print(f"   exit {proc.returncode} after {time.monotonic() - started:.0f}s, log {log}")
    if not out.exists():
        raise SystemExit(f"no results from {backend}/{binding}: see {log}")
    return out


def label_of(test_id: str) -> str:
    """The app label a test id belongs to (``unittest.loader._FailedTest.x`` -> ``x``)."""
    prefix = "unittest.loader._FailedTest."
    if test_id.startswith(prefix):
        test_id = test_id[len(prefix) :]
    return test_id.split(".", 1)[0]


def compare(out: Path, labels: list[str], bindings: list[str]) -> int:
    """Print counts per label and every pgwire/psycopg difference; 1 if pgwire lost a pass."""
    status = 0
    kinds = ("pass", "fail", "error", "skip", "xfail", "xpass")
    for binding in bindings:
        runs = {}
        for backend in ENGINES:
            path = out / f"{backend}-{binding}.json"
            if path.exists():
                runs[backend] = json.loads(path.read_text())
        if len(runs) < 2:
            continue
        print(f"\n### {binding}-side binding")
        print("| label | backend | " + " | ".join(kinds) + " |")
        print("|---|---|" + "---|" * len(kinds))
        for label in labels:
            for backend, outcomes in runs.items():
                counts = Counter(v for k, v in outcomes.items() if label_of(k) == label)
                print(
                    f"| {label} | {backend} | " + " | ".join(str(counts[k]) for k in kinds) + " |"
                )
        pg, ps = runs["pgwire"], runs["psycopg"]
        differ = sorted(k for k in set(pg) | set(ps) if pg.get(k) != ps.get(k))
        print(f"\n{len(differ)} tests differ ({binding}-side binding):")
        for key in differ:
            print(f"  {key}: psycopg={ps.get(key)} pgwire={pg.get(key)}")
            if ps.get(key) in ("pass", "xfail") and pg.get(key) not in ("pass", "xfail", "skip"):
                status = 1
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("labels", nargs="*", default=LABELS)
    parser.add_argument("--python", default=sys.executable, help="the Python with Django")
    parser.add_argument("--django-src", required=True, help="Django source tree (has tests/)")
    parser.add_argument("--bindir", default=None, help="PostgreSQL binaries for the server")
    parser.add_argument("--backends", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument("--bindings", nargs="+", default=["client", "server"])
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--out", default="django-suite-results")
    parser.add_argument("--compare-only", action="store_true", help="only compare saved runs")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 if any test of the runs made fails or errors (for CI subsets)",
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.compare_only:
        settings = {"max_connections": "200", "fsync": "off", "full_page_writes": "off"}
        with (
            TestCluster(bindir=args.bindir, settings=settings) as cluster,
            tempfile.TemporaryDirectory() as tmp,
        ):
            for binding in args.bindings:
                for backend in args.backends:
                    run(args, backend, binding, cluster, Path(tmp))
    status = compare(out, args.labels, args.bindings)
    if args.strict and not args.compare_only:
        status = max(status, strict_check(out, args.backends, args.bindings))
    return status


def strict_check(out: Path, backends: list[str], bindings: list[str]) -> int:
    """Print the failed tests of each run; 1 if there is any."""
    status = 0
    for binding in bindings:
        for backend in backends:
            outcomes = json.loads((out / f"{backend}-{binding}.json").read_text())
            bad = sorted(k for k, v in outcomes.items() if v in ("fail", "error", "xpass"))
            counts = Counter(outcomes.values())
            print(f"{backend} / {binding}-side binding: {dict(sorted(counts.items()))}")
            for key in bad:
                print(f"  {outcomes[key]}: {key}")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
