"""The memory benchmark runs every case and does all of its work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import memory as bench_memory  # noqa: E402


@pytest.mark.parametrize("case", list(bench_memory.SIZES))
def test_each_case_does_its_work(dsn: str, case: str) -> None:
    size = 3000 if case in ("executemany_gen", "stream", "server_cursor") else 200_000
    result: dict[str, Any] = bench_memory._run_case(case, size, dsn)
    if case in ("copy_out", "copy_in"):
        # Whole lines of the COPY, about the size (the ids are shorter than the longest).
        assert size * 0.9 < result["done"] <= size
    else:
        assert result["done"] == size
    assert result["rise_kb"] >= 0 and result["seconds"] > 0


def test_the_table_runs_each_case_at_three_sizes(dsn: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--dsn", dsn, "--scale", "0.0002"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    lines = [line for line in out.splitlines() if "memory rise" in line]
    assert len(lines) == 3 * len(bench_memory.SIZES)
    assert {line.split()[0] for line in lines} == set(bench_memory.SIZES)
