"""Static typing: cursors and connections are generic in the type of their rows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pgwire.testing.pytest_plugin import in_ci

try:
    import mypy.api as mypy_api
except ImportError:  # pragma: no cover - mypy is in the test extras
    if in_ci():
        raise
    pytest.skip("mypy is not installed", allow_module_level=True)

SRC = Path(__file__).resolve().parent.parent / "src"

SNIPPET = """
from dataclasses import dataclass
import pgwire
from pgwire.rows import class_row, dict_row, scalar_row

@dataclass
class Point:
    x: int

conn = pgwire.connect("")
reveal_type(conn)
reveal_type(conn.cursor().fetchone())
reveal_type(conn.cursor(row_factory=dict_row).fetchone())
reveal_type(conn.cursor(row_factory=class_row(Point)).fetchall())
dconn = pgwire.connect("", row_factory=dict_row)
reveal_type(dconn.execute("SELECT 1").fetchone())
for row in dconn.cursor():
    reveal_type(row)

async def main() -> None:
    aconn = await pgwire.AsyncConnection.connect("", row_factory=dict_row)
    cur = await aconn.execute("SELECT 1")
    reveal_type(await cur.fetchone())
    reveal_type(await aconn.cursor(row_factory=class_row(Point)).fetchmany())
    async for value in aconn.cursor(row_factory=scalar_row):
        reveal_type(value)
"""

EXPECTED = [
    "pgwire.connection.Connection[tuple[Any, ...]]",
    "tuple[Any, ...] | None",
    "dict[str, Any] | None",
    "list[snippet.Point]",
    "dict[str, Any] | None",
    "dict[str, Any]",
    "dict[str, Any] | None",
    "list[snippet.Point]",
    "Any",
]


def test_row_types(tmp_path, monkeypatch):
    (tmp_path / "snippet.py").write_text(SNIPPET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MYPYPATH", str(SRC) + os.pathsep + os.environ.get("MYPYPATH", ""))
    out, err, status = mypy_api.run(
        ["--no-incremental", "--cache-dir", os.devnull, "--python-version", "3.10", "snippet.py"]
    )
    assert status == 0, out + err
    revealed = re.findall(r'Revealed type is "(.*)"', out)
    assert revealed == EXPECTED
