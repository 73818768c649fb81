"""``python -m pgwire``: run SQL and print the results as aligned tables.

With no DSN, no PG* variables and no server at the default socket or port, a
throwaway PostgreSQL is started for the run (``pgwire.testing``) and stopped
on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import decimal
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from .conninfo import make_params
from .errors import Error


def _center(text: str, width: int) -> str:
    # psql puts the odd padding space on the right.
    left = (width - len(text)) // 2
    return " " * left + text + " " * (width - len(text) - left)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render rows as psql does: a header, a rule, aligned cells and a row count."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    right = [
        bool(rows)
        and all(isinstance(r[i], (int, float, decimal.Decimal)) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]
    widths = [len(c) for c in columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], max((len(x) for x in cell.split("\n")), default=0))
    lines = [" " + " | ".join(_center(c, w) for c, w in zip(columns, widths, strict=True)) + " "]
    lines.append("-" + "-+-".join("-" * w for w in widths) + "-")
    for row in cells:
        padded = [
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(row, widths, right, strict=True)
        ]
        lines.append((" " + " | ".join(padded) + " ").rstrip() if padded else "")
    n = len(rows)
    lines.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(lines)


def format_error(exc: Error) -> str:
    """The server's error the way psql shows it: severity, SQLSTATE, message, detail, hint."""
    diag = exc.diag
    severity = diag.severity or "ERROR"
    lines = [f"{severity}:  {diag.message_primary or exc}"]
    if exc.sqlstate:
        lines.append(f"SQLSTATE: {exc.sqlstate}")
    if diag.message_detail:
        lines.append(f"DETAIL:  {diag.message_detail}")
    if diag.message_hint:
        lines.append(f"HINT:  {diag.message_hint}")
    return "\n".join(lines)


def server_configured(dsn: str | None) -> bool:
    """True if the user named a server, or one answers at libpq's default address."""
    if dsn or any(k.startswith("PG") and k != "PGPASSFILE" for k in os.environ):
        return True
    import socket

    params = make_params(None)
    for host in params.hosts:
        try:
            if host.is_unix:
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(1)
                    s.connect(host.socket_path())
            else:
                socket.create_connection((host.host, host.port), timeout=1).close()
            return True
        except OSError:
            continue
    return False


@contextlib.contextmanager
def embedded_server(err: TextIO) -> Iterator[str]:
    """Start a throwaway PostgreSQL, yield its DSN, stop it afterwards."""
    from .testing import TestCluster

    with TestCluster() as cluster:
        print(
            f"pgwire: no server configured; started a throwaway PostgreSQL {cluster.version}"
            f" on port {cluster.port} (stopped on exit)",
            file=err,
        )
        yield cluster.dsn


def run_sql(conn: Any, statements: Sequence[str], out: TextIO) -> None:
    """Run each SQL text and print each of its results."""
    for text in statements:
        cur = conn.cursor()
        cur.execute(text)
        while True:
            if cur.description is not None:
                names = [c.name for c in cur.description]
                print(format_table(names, cur.fetchall()), file=out)
            elif cur.statusmessage:
                print(cur.statusmessage, file=out)
            if not cur.nextset():
                break


def main(
    argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Entry point of ``python -m pgwire``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m pgwire", description="Run SQL on PostgreSQL and print the results."
    )
    parser.add_argument("--dsn", help="libpq keyword string or postgresql:// URI")
    parser.add_argument(
        "--embedded", action="store_true", help="always run on a throwaway embedded server"
    )
    parser.add_argument("sql", nargs="*", help="SQL to run (default: read statements from stdin)")
    args = parser.parse_args(argv)
    statements = args.sql or [sys.stdin.read()]

    import pgwire

    with contextlib.ExitStack() as stack:
        dsn = args.dsn
        if args.embedded or not server_configured(dsn):
            try:
                dsn = stack.enter_context(embedded_server(err))
            except Exception as exc:
                print(f"pgwire: could not start an embedded server: {exc}", file=err)
                return 2
        try:
            conn = stack.enter_context(pgwire.connect(dsn or "", autocommit=True))
        except Error as exc:
            print(f"pgwire: could not connect: {exc}", file=err)
            if exc.sqlstate:
                print(f"SQLSTATE: {exc.sqlstate}", file=err)
            return 2
        try:
            run_sql(conn, statements, out)
        except Error as exc:
            print(format_error(exc), file=err)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
