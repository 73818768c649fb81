"""The benchmark suite (``python -m bench``): the runner works end to end, checks bite.

Speed is never asserted here: only that measurements happen, are recorded in
the expected shape and that wrong results are refused.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

# ``bench`` lives beside ``src``, not in the installed package.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import runner  # noqa: E402
from bench import workloads as wl  # noqa: E402
from bench.runner import (  # noqa: E402
    Measurement,
    build_report,
    format_spread_table,
    format_table,
)


def run_bench(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = runner.main(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def check_ok_entry(entry: dict, rounds: int) -> None:
    assert entry["status"] == "ok", entry
    assert len(entry["times"]) == rounds
    assert all(t > 0 for t in entry["times"])
    assert entry["median"] > 0 and entry["per_second"] > 0
    assert entry["min"] <= entry["median"] <= entry["max"]
    assert entry["check"]["rows"] > 0


def test_runner_tiny_mode(dsn, tmp_path):
    out_json = tmp_path / "results.json"
    code, out, err = run_bench(
        [
            "--quick",
            "--rounds",
            "1",
            "--scale",
            "0.01",
            "--drivers",
            "pgwire,psycopg3",
            "--workloads",
            "roundtrip,nonblocking_select",
            "--dsn",
            dsn,
            "--json",
            str(out_json),
        ]
    )
    assert code == 0, out + err
    report = json.loads(out_json.read_text())
    assert report["meta"]["rounds"] == 1
    assert report["meta"]["quick"] is True
    assert report["meta"]["server_version"]
    assert list(report["drivers"]) == ["pgwire", "psycopg3"]
    assert report["drivers"]["pgwire"]["ours"] is True
    assert report["drivers"]["psycopg3"]["info"]["version"]
    assert list(report["workloads"]) == ["roundtrip", "nonblocking_select"]

    rt = report["workloads"]["roundtrip"]
    assert rt["size"] == 50  # 5000 queries in quick mode, times 0.01
    assert rt["best_peer"] == "psycopg3"
    for d in ("pgwire", "psycopg3"):
        check_ok_entry(rt["results"][d], rounds=1)
        assert rt["results"][d]["check"]["checksum"] == str(50 * 51 // 2)
    ours, peer = rt["results"]["pgwire"], rt["results"]["psycopg3"]
    assert peer["ratio_to_best_peer"] == 1.0
    assert math.isclose(ours["ratio_to_best_peer"], ours["median"] / peer["median"])

    nb = report["workloads"]["nonblocking_select"]
    check_ok_entry(nb["results"]["pgwire"], rounds=1)
    assert nb["results"]["psycopg3"]["status"] == "skipped"
    assert nb["results"]["psycopg3"]["reason"]
    assert nb["best_peer"] is None
    assert nb["results"]["pgwire"]["ratio_to_best_peer"] is None

    # CPU time of the timed run: the worker's own, and the server's (it runs here).
    for d in ("pgwire", "psycopg3"):
        entry = rt["results"][d]
        assert entry["client_cpu"] > 0 and entry["server_cpu"] > 0, entry

    lines = out.splitlines()
    assert any(line.split() == ["workload", "size", "pgwire", "psycopg3"] for line in lines)
    row = next(line.split() for line in lines if line.startswith("roundtrip "))
    assert row[:2] == ["roundtrip", "50"] and row[-1] == "1.00x"
    cpu_table = out[out.index("CPU time of the run") :]
    cpu_row = next(line for line in cpu_table.splitlines() if line.startswith("roundtrip "))
    assert cpu_row.split()[:2] == ["roundtrip", "50"] and cpu_row.count(" + ") == 2


def test_server_cpu_is_watched_only_on_this_machine(dsn):
    import pgwire

    with pgwire.connect(dsn, autocommit=True) as admin:
        local = runner.conninfo_from_dsn(dsn)
        postmaster = runner._local_postmaster(admin, local)
        assert postmaster is not None
        backend = admin.execute("SELECT pg_backend_pid()").fetchone()[0]
        with open(f"/proc/{postmaster}/task/{postmaster}/children") as f:
            assert str(backend) in f.read().split()
        # A server elsewhere may have the pid of an unrelated process here.
        remote = dataclasses.replace(local, host="db.example.com")
        assert runner._local_postmaster(admin, remote) is None


def test_runner_every_workload(dsn, tmp_path):
    out_json = tmp_path / "results.json"
    code, out, err = run_bench(
        [
            "--quick",
            "--rounds",
            "1",
            "--scale",
            "0.005",
            "--drivers",
            "pgwire,psycopg3",
            "--dsn",
            dsn,
            "--json",
            str(out_json),
        ]
    )
    assert code == 0, out + err
    report = json.loads(out_json.read_text())
    assert set(report["workloads"]) == set(wl.WORKLOADS)
    for name, entry in report["workloads"].items():
        assert entry["checksums_agree"], name
        peer = entry["results"]["psycopg3"]
        if name == "nonblocking_select":
            assert peer["status"] == "skipped"
        else:
            check_ok_entry(peer, rounds=1)
        ours = entry["results"]["pgwire"]
        # COPY is measured once pgwire has it; until then it is a clean skip.
        assert ours["status"] in ("ok", "skipped"), (name, ours)
        if ours["status"] == "ok":
            check_ok_entry(ours, rounds=1)
        else:
            assert name in ("copy_in", "copy_out"), (name, ours)


def test_unknown_driver_or_workload_is_refused(capsys):
    with pytest.raises(SystemExit):
        runner.parse_args(["--drivers", "pgwire,nodriver"])
    assert "nodriver" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        runner.parse_args(["--workloads", "nothing"])


def test_default_rounds_and_sizes():
    assert runner.parse_args(["--quick"]).rounds == runner.DEFAULT_ROUNDS_QUICK
    assert runner.parse_args([]).rounds == runner.DEFAULT_ROUNDS_FULL
    spec = wl.WORKLOADS["fetch_1m"]
    assert wl.scaled_size(spec, quick=False, scale=1) == 1_000_000
    assert wl.scaled_size(spec, quick=True, scale=0.5) == spec.quick_size // 2
    # The concurrency workloads need one query per connection at least.
    assert wl.scaled_size(wl.WORKLOADS["nonblocking_select"], quick=True, scale=1e-9) == (
        wl.CONCURRENCY
    )


def test_report_ratios_and_table():
    ms = {
        ("roundtrip", "pgwire"): Measurement(times=[2.0, 1.0, 3.0], checks=[{"rows": 1}]),
        ("roundtrip", "asyncpg"): Measurement(times=[4.0, 4.0], checks=[{"rows": 1}]),
        ("roundtrip", "pg8000"): Measurement(times=[8.0], checks=[{"rows": 1}]),
        ("roundtrip", "psycopg2"): Measurement(errors=["boom"]),
    }
    report = build_report(
        ms,
        drivers=["pgwire", "asyncpg", "pg8000", "psycopg2"],
        workloads=["roundtrip"],
        sizes={"roundtrip": 100},
        meta={"rounds": 3},
    )
    entry = report["workloads"]["roundtrip"]
    assert entry["best_peer"] == "asyncpg"
    res = entry["results"]
    assert res["pgwire"]["median"] == 2.0
    assert res["pgwire"]["ratio_to_best_peer"] == 0.5
    assert res["pg8000"]["ratio_to_best_peer"] == 2.0
    assert res["pgwire"]["per_second"] == 50.0
    assert res["psycopg2"]["status"] == "error"
    assert res["psycopg2"]["ratio_to_best_peer"] is None
    table = format_table(report)
    row = next(line for line in table.splitlines() if line.startswith("roundtrip"))
    assert row.split() == ["roundtrip", "100", "2.00s", "0.50x", "4.00s", "1.00x",
                           "8.00s", "2.00x", "ERROR"]
    assert "ERROR roundtrip / psycopg2: boom" in table
    # asyncpg ran 2 of the 3 rounds: no ratio round by round.
    assert res["pgwire"]["round_ratios"] is None


def test_round_ratios_pair_each_round_with_the_best_peer():
    ms = {
        ("roundtrip", "pgwire"): Measurement(times=[2.0, 1.0, 6.0], checks=[{"rows": 1}]),
        ("roundtrip", "pgwire-pure"): Measurement(times=[4.0, 4.0], checks=[{"rows": 1}]),
        ("roundtrip", "asyncpg"): Measurement(times=[4.0, 2.0, 3.0], checks=[{"rows": 1}]),
    }
    report = build_report(
        ms,
        drivers=["pgwire", "pgwire-pure", "asyncpg"],
        workloads=["roundtrip"],
        sizes={"roundtrip": 100},
        meta={"rounds": 3},
    )
    res = report["workloads"]["roundtrip"]["results"]
    assert res["pgwire"]["round_ratios"] == [0.5, 0.5, 2.0]
    assert res["asyncpg"]["round_ratios"] == [1.0, 1.0, 1.0]
    table = format_spread_table(report)
    row = next(line for line in table.splitlines() if line.startswith("roundtrip"))
    # pgwire-pure missed a round: no spread for it.
    assert row.split() == ["roundtrip", "0.50", "/", "0.50", "/", "2.00", "-"]


def test_checks_accept_right_and_refuse_wrong_results():
    n = 30
    rows = [list(r) for r in wl.insert_rows(n)]
    assert wl.check("fetch_1m", rows, n)["rows"] == n
    with pytest.raises(wl.VerifyError):
        wl.check("fetch_1m", rows[:-1], n)
    bad = [list(r) for r in rows]
    bad[3][3] += timedelta(microseconds=1)
    with pytest.raises(wl.VerifyError):
        wl.check("fetch_1m", bad, n)
    naive = [[*r[:3], r[3].replace(tzinfo=None)] for r in rows]
    with pytest.raises((wl.VerifyError, TypeError)):
        wl.check("fetch_1m", naive, n)

    assert wl.check("roundtrip", n * (n + 1) // 2, n)["rows"] == n
    with pytest.raises(wl.VerifyError):
        wl.check("roundtrip", n * (n + 1) // 2 - 1, n)

    summary = [str(v) for v in wl.expected_summary(n)]
    assert wl.check("executemany", summary, n)["rows"] == n
    with pytest.raises(wl.VerifyError):
        wl.check("copy_in", [*summary[:3], str(Decimal(summary[3]) + 1), summary[4]], n)

    data = b"".join(wl.copy_lines(n))
    assert wl.check("copy_out", data, n)["bytes"] == len(data)
    with pytest.raises(wl.VerifyError):
        wl.check("copy_out", data.replace(b"7\t", b"8\t", 1), n)


def test_wide_check_tolerates_documented_type_differences_only():
    n = 25
    rows = [wl.wide_row(g) for g in range(1, n + 1)]
    assert wl.check("fetch_wide", rows, n)["rows"] == n
    # psycopg2 (memoryview bytea, str uuid) and asyncpg (json as text) defaults.
    lenient = [
        (*r[:13], memoryview(r[13]), *r[14:18], str(r[18]), json.dumps(r[19])) for r in rows
    ]
    assert wl.check("fetch_wide", lenient, n) == wl.check("fetch_wide", rows, n)
    wrong = list(rows)
    wrong[10] = (*rows[10][:5], rows[10][5] + Decimal("0.0001"), *rows[10][6:])
    with pytest.raises(wl.VerifyError, match="row 11 column c_num"):
        wl.check("fetch_wide", wrong, n)
    as_text = [(str(r[0]), *r[1:]) for r in rows]
    with pytest.raises(wl.VerifyError):
        wl.check("fetch_wide", as_text, n)


def test_table_sql_matches_python_formulas(dsn):
    # The tables are made by SQL while the checks compute the data in Python:
    # both must agree, read through the reference driver.
    psycopg = pytest.importorskip("psycopg")
    n = 40
    with psycopg.connect(dsn) as pconn:
        for stmt in wl.wide_table_sql("bench_wide_check", n) + wl.rows_table_sql(
            "bench_rows_check", n
        ):
            if not stmt.startswith("VACUUM"):
                pconn.execute(stmt.replace("UNLOGGED", "TEMP"))
        rows = pconn.execute(wl.wide_select_sql("bench_wide_check")).fetchall()
        assert wl.check("fetch_wide", rows, n)["rows"] == n
        rows = pconn.execute(wl.rows_select_sql("bench_rows_check")).fetchall()
        assert wl.check("fetch_1m", rows, n)["rows"] == n
        summary = pconn.execute(wl.summary_sql("bench_rows_check")).fetchone()
        assert wl.check("executemany", summary, n)["rows"] == n
        pconn.rollback()


def test_memory_and_growth_tables(dsn, tmp_path):
    out_json = tmp_path / "results.json"
    code, out, err = run_bench(
        [
            "--rounds",
            "1",
            "--scale",
            "0.001",
            "--drivers",
            "pgwire",
            "--workloads",
            "copy_rows,server_cursor",
            "--growth",
            "--dsn",
            dsn,
            "--json",
            str(out_json),
        ]
    )
    assert code == 0, out + err
    report = json.loads(out_json.read_text())
    entry = report["workloads"]["copy_rows"]["results"]["pgwire"]
    check_ok_entry(entry, rounds=1)
    assert isinstance(entry["memory"], (int, float)) and entry["memory"] >= 0
    growth = report["growth"]
    assert [g["factor"] for g in growth] == [1, 4, 16]
    sizes = [g["workloads"]["copy_rows"]["size"] for g in growth]
    assert sizes == [31, 125, 500]
    for g in growth:
        check_ok_entry(g["workloads"]["server_cursor"]["results"]["pgwire"], rounds=1)
    assert "peak memory rise" in out
    assert any(line.split()[:2] == ["copy_rows", "pgwire"] for line in out.splitlines())


def test_new_workload_checks_refuse_wrong_results():
    n = 10
    tri = n * (n + 1) // 2
    good = (str(n), str(tri), str(4 * n + 11), str(Decimal(tri) / 4))
    assert wl.check("copy_rows", good, n)["rows"] == n
    with pytest.raises(wl.VerifyError):
        wl.check("copy_rows", (str(n - 1), *good[1:]), n)
    assert wl.check("server_cursor", (n, tri), n)["rows"] == n
    with pytest.raises(wl.VerifyError):
        wl.check("server_cursor", (n, tri - 1), n)
    rows = [wl.wide_row(g) for g in range(1, n + 1)]
    assert wl.check("fetch_wide_fresh", [rows, rows], n)["rows"] == n
    with pytest.raises(wl.VerifyError):
        wl.check("fetch_wide_fresh", [rows, rows[:-1]], n)


def test_cpu_list_is_parsed_and_bad_ones_refused(capsys):
    assert runner.parse_args(["--cpus", "1"]).cpus == {1}
    assert runner.parse_args(["--cpus", "0-2,5"]).cpus == {0, 1, 2, 5}
    assert runner.parse_args([]).cpus is None
    for bad in ("x", "1-y", ","):
        with pytest.raises(SystemExit):
            runner.parse_args(["--cpus", bad])
        assert "CPU" in capsys.readouterr().err


def test_header_names_the_pinned_cpus():
    meta = {
        "quick": True,
        "scale": 1,
        "server_version": "18.1",
        "server": "throwaway",
        "python": "3.11",
        "machine": "Linux x86_64",
        "cpu_count": 2,
        "rounds": 3,
    }
    assert "pinned" not in runner._header({**meta, "cpus": None})
    assert "2 CPUs, pinned to CPU(s) 1;" in runner._header({**meta, "cpus": [1]})
