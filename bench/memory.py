"""Memory of pgwire's streaming paths at full size: does it stay flat as the work grows?

``python -m bench.memory [--dsn DSN] [--scale S]`` runs each case below in a
fresh process at 1/16, 1/4 and all of its size and prints the time and the
rise of resident memory (the kernel's high-water mark above the level when
the case starts).  The sizes are those the design promises constant memory
for:

* ``executemany_gen``: ``executemany`` over a generator of 10 million
  parameter sets (an INSERT in one transaction);
* ``stream``: ``Cursor.stream()`` over 10 million rows;
* ``server_cursor``: iterating a named cursor over 10 million rows;
* ``copy_out``: ``COPY ... TO STDOUT`` of 1 GB, each chunk dropped as read;
* ``copy_in``: ``COPY ... FROM STDIN`` of 1 GB written a chunk at a time
  (``WHERE false``: the server parses every row and keeps none).

Memory that grows with the size is memory held per row: the numbers say
whether any of these paths does.  ``--scale`` shrinks every size (0.01 for
a smoke run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

#: Full sizes: rows (parameter sets) or bytes.
SIZES = {
    "executemany_gen": 10_000_000,
    "stream": 10_000_000,
    "server_cursor": 10_000_000,
    "copy_out": 1 << 30,
    "copy_in": 1 << 30,
}

# Each COPY line of the two COPY cases: an int, a tab, 100 x's and a newline (~110 bytes).
_PAD = 100


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _run_case(case: str, size: int, dsn: str) -> dict[str, Any]:
    """Run one case in this process; return its time and memory rise."""
    import pgwire

    conn = pgwire.connect(dsn)
    cur = conn.cursor()
    series = f"SELECT i, 'row ' || i FROM generate_series(1, {size}) AS i"
    line_size = len(f"{size}\t{'x' * _PAD}\n")
    lines = max(1, size // line_size)
    if case in ("executemany_gen", "copy_in"):
        cur.execute("CREATE TEMP TABLE mem_target (i int, t text)")
        conn.commit()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the high-water mark: only the case's own peak counts
    start_kb = _status_kb("VmRSS")
    started = time.perf_counter()
    done = 0
    if case == "executemany_gen":
        cur.executemany(
            "INSERT INTO mem_target VALUES (%s, %s)", ((i, f"row {i}") for i in range(size))
        )
        conn.commit()
        done = size
    elif case == "stream":
        for _ in cur.stream(series):
            done += 1
    elif case == "server_cursor":
        named = conn.cursor("mem_cursor")
        named.itersize = 2000
        named.execute(series)
        for _ in named:
            done += 1
        named.close()
    elif case == "copy_out":
        query = (
            f"COPY (SELECT i, repeat('x', {_PAD}) FROM generate_series(1, {lines}) AS i)"
            " TO STDOUT"
        )
        with cur.copy(query) as copy:
            for chunk in copy:
                done += len(chunk)
    elif case == "copy_in":
        block_lines = 500
        with cur.copy("COPY mem_target FROM STDIN WHERE false") as copy:
            for first in range(0, lines, block_lines):
                count = min(block_lines, lines - first)
                copy.write(
                    "".join(f"{i}\t{'x' * _PAD}\n" for i in range(first, first + count))
                )
                done += count * line_size
    else:
        raise ValueError(f"unknown case {case!r}")
    elapsed = time.perf_counter() - started
    rise_kb = max(0, _status_kb("VmHWM") - start_kb)
    conn.close()
    return {"case": case, "size": size, "done": done, "seconds": elapsed, "rise_kb": rise_kb}


def _format_kb(kb: int) -> str:
    return f"{kb / 1024:.1f}M" if kb >= 1024 else f"{kb}K"


def main(argv: list[str] | None = None) -> int:
    """Run every case at three sizes, each in its own process, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="use this server instead of a throwaway one")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    parser.add_argument("--cases", default=",".join(SIZES), help="comma-separated cases")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_run_case(args.one[0], int(args.one[1]), args.dsn)))
        return 0
    cluster = None
    dsn = args.dsn
    if dsn is None:
        from pgwire.testing import TestCluster

        cluster = TestCluster(settings={"fsync": "off"})
        cluster.start()
        dsn = cluster.dsn
    try:
        rows = []
        for case in args.cases.split(","):
            full = max(16, int(SIZES[case] * args.scale))
            for part in (16, 4, 1):
                size = full // part
                out = subprocess.run(
                    [sys.executable, "-m", "bench.memory", "--dsn", dsn, "--one", case, str(size)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(
                    f"{case:16} 1/{part:<3} size {size:>12,}  {rows[-1]['seconds']:8.2f}s"
                    f"  memory rise {_format_kb(rows[-1]['rise_kb']):>8}",
                    flush=True,
                )
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
