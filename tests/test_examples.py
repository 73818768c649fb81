"""The examples run as they are."""

from __future__ import annotations

import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def test_select_loop_example(dsn):
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "select_loop.py"), dsn],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # The seed's example prints the rows of test with fielda > 1971.
    rows = [eval(line) for line in lines if line.startswith("(")]  # noqa: S307
    assert rows and all(r[0] > 1971 for r in rows)
    assert sum(1 for line in lines if line.startswith("finished:")) == 8
    total = float(lines[-1].split(" took ")[1].split(" s")[0])
    # 8 queries of 0.2 s .. 0.9 s run concurrently: about the slowest, not the sum (4.4 s).
    assert 0.85 <= total < 2.5


def test_cdc_example(logical_server):
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "cdc.py"), logical_server.dsn],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "insert orders {'id': 1, 'item': 'apple', 'qty': 3}",
        "insert orders {'id': 2, 'item': 'pear', 'qty': 1}",
        "update orders {'id': 1, 'item': 'apple', 'qty': 4}",
        "delete orders {'id': 2, 'item': None, 'qty': None}",
    ]
