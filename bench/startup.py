"""A script's first query: what a fresh process pays before its first row.

``python -m bench.startup [--dsn DSN] [--runs N] [--drivers a,b]`` runs, for
each driver, a fresh Python process that imports the driver, connects, runs
``SELECT 1``, fetches the row and closes: what a command-line tool, a cron job
or a serverless handler does on every start.  The process times each step
itself, so the interpreter's own start (the same for every driver) is left
out.  The drivers take turns, run after run, so that the machine's drift
falls on all of them alike; the table shows the medians and each total's
ratio to the best peer's.

asyncpg has only an asyncio interface: its process runs ``asyncio.run()``, and
importing asyncio is part of its import, as it is for its users.

Every driver imports from compiled bytecode, as an installed package does:
pgwire's own caches are written first (an editable checkout under
``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module each time).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.drivers import VARIANTS

#: The code each process runs: imports the driver, connects, queries, closes.
#: ``T`` is appended the time after each step; the connection's parameters
#: come in ``P`` (host, port, user, dbname, password).
_DBAPI_STEPS = """
import {module}
T.append(now())
conn = {module}.connect(**P)
T.append(now())
cur = conn.cursor(); cur.execute("SELECT 1"); row = cur.fetchone(); conn.close()
"""

_STEPS = {
    "pgwire": _DBAPI_STEPS.format(module="pgwire"),
    "psycopg2": _DBAPI_STEPS.format(module="psycopg2"),
    "psycopg3": _DBAPI_STEPS.format(module="psycopg"),
    "pg8000": """
import pg8000.dbapi
T.append(now())
kw = dict(user=P["user"], database=P["dbname"], password=P.get("password"))
if P["host"].startswith("/"):
    kw["unix_sock"] = f"{P['host']}/.s.PGSQL.{P['port']}"
else:
    kw["host"], kw["port"] = P["host"], int(P["port"])
conn = pg8000.dbapi.connect(**kw)
T.append(now())
cur = conn.cursor(); cur.execute("SELECT 1"); row = cur.fetchone(); conn.close()
""",
    "asyncpg": """
import asyncpg
import asyncio
T.append(now())
async def main():
    conn = await asyncpg.connect(
        host=P["host"], port=int(P["port"]), user=P["user"], database=P["dbname"],
        password=P.get("password"))
    T.append(now())
    row = await conn.fetchrow("SELECT 1")
    await conn.close()
    return row
row = asyncio.run(main())
""",
}
_STEPS["pgwire-pure"] = _STEPS["pgwire"]
_STEPS["psycopg3-pure"] = _STEPS["psycopg3"]

_CHILD = """
import json, sys, time
now = time.perf_counter
P = json.loads(sys.argv[1])
T = [now()]
{steps}
T.append(now())
assert tuple(row) == (1,), row
print(json.dumps([(b - a) * 1000 for a, b in zip(T, T[1:])]))
"""

_PHASES = ("import", "connect", "query + close")


def _params(dsn: str) -> dict[str, Any]:
    """What each process connects with: ``dsn`` resolved as the main benchmark resolves it."""
    from bench.runner import conninfo_from_dsn

    conn = conninfo_from_dsn(dsn)
    return {
        "host": conn.host,
        "port": conn.port,
        "user": conn.user,
        "dbname": conn.dbname,
        "password": conn.password,
    }


def _run_once(variant: str, params: dict[str, Any]) -> list[float]:
    env = {**os.environ, **VARIANTS[variant].env}
    code = _CHILD.format(steps=_STEPS[variant])
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(params)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{variant}: {out.stderr.strip().splitlines()[-1:]}")
    times: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    return times


def _available(variant: str) -> bool:
    # The variant's first import line names the module it needs.
    module = _STEPS[variant].split()[1].split(",")[0].split(".")[0]
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def measure(dsn: str, variants: list[str], runs: int) -> dict[str, list[float]]:
    """Median milliseconds of each phase, per variant, over ``runs`` interleaved runs."""
    import pgwire

    compileall.compile_dir(Path(pgwire.__file__).parent, quiet=2)
    params = _params(dsn)
    samples: dict[str, list[list[float]]] = {v: [] for v in variants}
    for v in variants:
        _run_once(v, params)  # warms the file cache; not counted
    for _ in range(runs):
        for v in variants:
            samples[v].append(_run_once(v, params))
    return {
        v: [statistics.median(run[i] for run in runs_) for i in range(len(_PHASES))]
        + [statistics.median(sum(run) for run in runs_)]
        for v, runs_ in samples.items()
    }


def table(medians: dict[str, list[float]]) -> str:
    """The results as a text table, totals as ratios to the best peer."""
    peers = [v for v in medians if not VARIANTS[v].ours]
    best = min((medians[v][-1] for v in peers), default=None)
    lines = [
        f"{'driver':15} " + " ".join(f"{p:>14}" for p in _PHASES) + f" {'total':>10} {'ratio':>7}",
    ]
    for v, m in medians.items():
        ratio = f"{m[-1] / best:6.2f}x" if best else "      -"
        lines.append(
            f"{v:15} " + " ".join(f"{x:12.1f}ms" for x in m[:-1]) + f" {m[-1]:8.1f}ms {ratio}"
        )
    lines.append(
        "median milliseconds in a fresh process (the interpreter's own start left out);"
        " ratio = total / best peer's total"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure every available driver and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="use this server instead of a throwaway one")
    parser.add_argument("--runs", type=int, default=15, help="processes per driver")
    parser.add_argument("--drivers", default=",".join(VARIANTS), help="comma-separated drivers")
    parser.add_argument("--json", help="also write the medians here")
    args = parser.parse_args(argv)
    variants = [v for v in args.drivers.split(",") if _available(v)]
    if args.dsn:
        medians = measure(args.dsn, variants, args.runs)
    else:
        from pgwire.testing import TestCluster

        with TestCluster(settings={"fsync": "off"}) as cluster:
            medians = measure(cluster.dsn, variants, args.runs)
    print(table(medians))
    if args.json:
        Path(args.json).write_text(json.dumps(medians, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
