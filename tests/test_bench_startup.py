"""The startup benchmark times a fresh process's import, connect and first query."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import startup  # noqa: E402


@pytest.mark.parametrize("variant", ["pgwire", "pgwire-pure"])
def test_a_run_times_each_step_of_a_real_query(dsn: str, variant: str) -> None:
    # The child asserts that its query returned (1,): a run that did not
    # reach the server fails rather than timing nothing.
    times = startup._run_once(variant, startup._params(dsn))
    assert len(times) == len(startup._PHASES)
    assert all(t > 0 for t in times)


def test_a_failing_process_is_reported(dsn: str) -> None:
    params = startup._params(dsn)
    params["dbname"] = "no_such_database_here"
    with pytest.raises(RuntimeError, match="pgwire"):
        startup._run_once("pgwire", params)


def test_the_table_prints_every_driver_asked_for(dsn: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.startup",
            "--dsn",
            dsn,
            "--runs",
            "1",
            "--drivers",
            "pgwire,pgwire-pure",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    rows = [line.split() for line in out.stdout.splitlines()]
    names = [row[0] for row in rows if row and row[0].startswith("pgwire")]
    assert names == ["pgwire", "pgwire-pure"]
    # No peer asked for: no ratio to print.
    assert all(row[-1] == "-" for row in rows if row and row[0].startswith("pgwire"))
