"""One measurement in a fresh process: ``python -m bench.worker``.

The runner starts one worker per (round, workload, driver), so that imports,
caches and the garbage a driver leaves behind never leak into another
measurement. The worker imports the driver, lets it connect and set up (not
timed), times the workload's ``run``, checks the result, and prints one line::

    BENCH-RESULT {"status": "ok", "seconds": ..., "cpu": {...}, "check": {...}, "info": {...}}

``cpu`` holds the CPU seconds of the timed run: ``client``, the worker's own
(all its threads), and ``server``, the server's processes' (when the server
runs on this machine). On one shared CPU the wall time is about their sum,
which tells a client-bound workload from a server-bound one.

``status`` is ``ok``, ``skipped`` (with ``reason``) or ``error`` (with
``error``). The connection parameters come from the ``PGWIRE_BENCH_CONN``
environment variable (see :class:`bench.workloads.ConnInfo`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import inspect
import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from bench import workloads
from bench.drivers import VARIANTS
from bench.workloads import Job, Params, Skip

#: The prefix of the line carrying the result on stdout.
RESULT_PREFIX = "BENCH-RESULT "

# The memory watch of the last measurement.
_MEMORY: _Memory | None = None

# Top-level packages whose absence means "driver not installed", not a bug.
_DRIVER_PACKAGES = frozenset({"pgwire", "psycopg", "psycopg2", "asyncpg", "pg8000"})


def _status_kb(field: str) -> int:
    """A ``kB`` field of /proc/self/status in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _Memory:
    """How far the resident memory rises above its level when the timing starts.

    The kernel's high-water mark of resident memory is reset at the start
    (``/proc/self/clear_refs``), so the setup's own peak doesn't count.
    """

    def __init__(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass
        self.start = _status_kb("VmRSS")
        self.rise: int | None = None

    def stop(self) -> None:
        """Note the rise of the peak over the start."""
        self.rise = max(0, _status_kb("VmHWM") - self.start)


def _process_cpu(pid: int) -> float | None:
    """CPU seconds process ``pid`` has used (None if it is gone or can't be read).

    The kernel's per-process CPU clock (what clock_getcpuclockid() gives) is
    precise to the nanosecond, where /proc/PID/stat counts 10 ms ticks.
    """
    try:
        return time.clock_gettime((~pid << 3) | 2)
    except (OSError, OverflowError, AttributeError):
        return None


def _server_processes(postmaster: int) -> list[int]:
    """The postmaster and its children: backends and background processes."""
    try:
        with open(f"/proc/{postmaster}/task/{postmaster}/children") as f:
            return [postmaster, *map(int, f.read().split())]
    except OSError:
        return [postmaster]


class _CpuWatch:
    """CPU time of this process and of the server's processes over the timed run."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.client = 0.0
        self.server: float | None = None
        self._server_start = self._server_now()
        self._client_start = time.process_time()

    def _server_now(self) -> dict[int, float]:
        if self.server_pid is None:
            return {}
        found = {pid: _process_cpu(pid) for pid in _server_processes(self.server_pid)}
        return {pid: cpu for pid, cpu in found.items() if cpu is not None}

    def stop(self) -> None:
        """Note the CPU time used since the watch was made."""
        self.client = time.process_time() - self._client_start
        if self.server_pid is not None and self._server_start:
            end = self._server_now()
            # A process started during the run counts whole; one that ended
            # during it is lost (a backend of the run ends after it).
            self.server = sum(cpu - self._server_start.get(pid, 0.0) for pid, cpu in end.items())

    def record(self) -> dict[str, float | None]:
        """The ``cpu`` field of the result record."""
        return {"client": self.client, "server": self.server}


# The CPU watch of the last measurement.
_CPU: _CpuWatch | None = None


def _measure_sync(method: Callable[[Params], Job], params: Params) -> tuple[float, Any]:
    global _MEMORY, _CPU
    job = method(params)
    try:
        # Garbage of the setup is not the workload's to collect.
        gc.collect()
        _MEMORY = _Memory()
        _CPU = _CpuWatch(params.conn.server_pid)
        start = time.perf_counter()
        value = job.run()
        elapsed = time.perf_counter() - start
        _CPU.stop()
        _MEMORY.stop()
        if job.collect is not None:
            value = job.collect()
    finally:
        if job.close is not None:
            job.close()
    return elapsed, value


async def _measure_async(method: Callable[[Params], Any], params: Params) -> tuple[float, Any]:
    global _MEMORY, _CPU
    job = await method(params)
    try:
        gc.collect()
        _MEMORY = _Memory()
        _CPU = _CpuWatch(params.conn.server_pid)
        start = time.perf_counter()
        value = await job.run()
        elapsed = time.perf_counter() - start
        _CPU.stop()
        _MEMORY.stop()
        if job.collect is not None:
            value = await job.collect()
    finally:
        if job.close is not None:
            await job.close()
    return elapsed, value


def measure(
    variant: str,
    workload: str,
    size: int,
    *,
    table: str | None = None,
    copy_file: str | None = None,
    concurrency: int = workloads.CONCURRENCY,
) -> dict[str, Any]:
    """Run one measurement in this process and return its result record."""
    spec = VARIANTS[variant]
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in _DRIVER_PACKAGES:
            return {"status": "skipped", "reason": f"{spec.package or exc.name} is not installed"}
        raise
    driver = module.Driver()
    info = driver.info()
    method = getattr(driver, workload, None)
    if method is None:
        return {"status": "skipped", "reason": f"{variant} does not support it", "info": info}
    params = Params(
        workload=workload,
        size=size,
        conn=workloads.ConnInfo.from_env(),
        table=table,
        copy_file=copy_file,
        concurrency=concurrency,
    )
    try:
        if inspect.iscoroutinefunction(method):
            seconds, value = asyncio.run(_measure_async(method, params))
        else:
            seconds, value = _measure_sync(method, params)
    except Skip as exc:
        return {"status": "skipped", "reason": str(exc), "info": info}
    summary = workloads.check(workload, value, size)
    memory = _MEMORY.rise if _MEMORY is not None else None
    cpu = _CPU.record() if _CPU is not None else None
    return {
        "status": "ok",
        "seconds": seconds,
        "cpu": cpu,
        "memory": memory,
        "check": summary,
        "info": info,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.worker", description="Run one benchmark measurement."
    )
    parser.add_argument("--driver", required=True, choices=sorted(VARIANTS))
    parser.add_argument("--workload", required=True, choices=sorted(workloads.WORKLOADS))
    parser.add_argument("--size", required=True, type=int)
    parser.add_argument("--table")
    parser.add_argument("--copy-file")
    parser.add_argument("--concurrency", type=int, default=workloads.CONCURRENCY)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: measure, print the result line; exit 0 unless the worker itself broke."""
    args = _parser().parse_args(argv)
    try:
        record = measure(
            args.driver,
            args.workload,
            args.size,
            table=args.table,
            copy_file=args.copy_file,
            concurrency=args.concurrency,
        )
    except Exception as exc:
        traceback.print_exc()
        record = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(RESULT_PREFIX + json.dumps(record) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
