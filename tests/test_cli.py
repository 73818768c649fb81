"""``python -m pgwire``: the main job."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from pgwire.__main__ import format_table, main, server_configured


def run(args, stdin=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_prints_aligned_table(dsn):
    code, out, err = run(["--dsn", dsn, "SELECT 1 AS n, 'hello' AS word UNION ALL SELECT 22, 'x'"])
    assert code == 0, err
    assert out.splitlines() == [
        " n  | word  ",
        "----+-------",
        "  1 | hello",
        " 22 | x",
        "(2 rows)",
    ]


def test_command_status_and_several_statements(dsn):
    code, out, _ = run(
        [
            "--dsn",
            dsn,
            "CREATE TEMP TABLE t (a int); INSERT INTO t VALUES (1)",
            "SELECT NULL AS nothing",
        ]
    )
    assert code == 0
    assert out.splitlines() == [
        "CREATE TABLE",
        "INSERT 0 1",
        " nothing ",
        "---------",
        "",
        "(1 row)",
    ]


def test_statements_from_stdin(dsn, monkeypatch):
    code, out, _ = run(["--dsn", dsn], stdin="SELECT 5 AS five;\n", monkeypatch=monkeypatch)
    assert code == 0
    assert " five " in out and "(1 row)" in out


def test_error_prints_server_error_and_exits_1(dsn):
    code, out, err = run(["--dsn", dsn, "SELECT 1/0"])
    assert code == 1
    assert "ERROR:  division by zero" in err
    assert "SQLSTATE: 22012" in err
    code, out, err = run(["--dsn", dsn, "SELECT * FROM nope_table"])
    assert code == 1 and "42P01" in err
    code, out, err = run(
        ["--dsn", dsn, "DO $$ BEGIN RAISE EXCEPTION 'bad' USING DETAIL = 'd1', HINT = 'h1'; END $$"]
    )
    assert code == 1 and "DETAIL:  d1" in err and "HINT:  h1" in err


def test_format_table_empty_and_multiline():
    assert format_table(["a"], []) == " a \n---\n(0 rows)"
    assert "(1 row)" in format_table(["a"], [("x\ny",)])


def test_server_detection(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("PG"):
            monkeypatch.delenv(key)
    assert server_configured("host=somewhere")
    monkeypatch.setenv("PGHOST", "elsewhere")
    assert server_configured(None)


@pytest.mark.slow
def test_embedded_server_from_a_clean_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") or k == "PGWIRE_PG_BINDIR"}
    proc = subprocess.run(
        [sys.executable, "-m", "pgwire", "--embedded", "SELECT version()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "throwaway PostgreSQL" in proc.stderr
    assert "PostgreSQL" in proc.stdout and "(1 row)" in proc.stdout
