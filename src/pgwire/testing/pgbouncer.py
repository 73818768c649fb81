"""A throwaway PgBouncer in front of a test server.

:class:`PgBouncer` runs the ``pgbouncer`` binary (``PGWIRE_PGBOUNCER``, else
``pgbouncer`` on ``PATH`` or in ``/usr/sbin``) on a free port of 127.0.0.1,
with every database of the server it fronts reachable through it, trust
authentication and the pooling mode asked (``session``, ``transaction`` or
``statement``). Like the server, it refuses to run as root: it then runs as
the same unprivileged account as the clusters.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import subprocess
import time
import weakref
from collections.abc import Mapping
from typing import Any

from pgwire.testing.cluster import (
    LOCALHOST,
    START_TIMEOUT,
    STOP_TIMEOUT,
    ClusterError,
    StartStop,
    _child_env,
    _chown,
    _free_port,
    _make_tempdir,
    _preexec_fn,
    _Runtime,
    _server_account,
    _tail,
)

__all__ = ["PgBouncer", "PgBouncerNotFound", "find_pgbouncer"]


class PgBouncerNotFound(ClusterError):
    """No pgbouncer binary on this machine."""


def find_pgbouncer() -> str:
    """The pgbouncer binary: ``PGWIRE_PGBOUNCER``, ``PATH``, then ``/usr/sbin``."""
    explicit = os.environ.get("PGWIRE_PGBOUNCER")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise PgBouncerNotFound(f"PGWIRE_PGBOUNCER={explicit} is not an executable")
        return explicit
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        raise PgBouncerNotFound("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    return found


def _ini_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if "\n" in text:
        raise ValueError(f"invalid pgbouncer setting value: {text!r}")
    return text


class PgBouncer(StartStop):
    """A private PgBouncer pooling connections to ``server`` (a started TestCluster).

    ``pool_mode`` is PgBouncer's: ``transaction`` hands the server connection
    back to the pool at the end of each transaction, so that many clients
    share ``pool_size`` server connections. ``settings`` are extra lines of
    the ``[pgbouncer]`` section. Users of the server are let in without a
    password (``auth_type = trust``): ``users`` lists the names allowed,
    the server's superuser by default.
    """

    __test__ = False

    host = LOCALHOST

    def __init__(
        self,
        server: Any,
        *,
        pool_mode: str = "transaction",
        pool_size: int = 2,
        max_client_conn: int = 200,
        users: tuple[str, ...] | None = None,
        settings: Mapping[str, object] | None = None,
        binary: str | None = None,
    ) -> None:
        if pool_mode not in ("session", "transaction", "statement"):
            raise ValueError(f"unknown pool_mode {pool_mode!r}")
        self._binary = binary or find_pgbouncer()
        self.server = server
        self.pool_mode = pool_mode
        self.pool_size = pool_size
        self.max_client_conn = max_client_conn
        self.users = users or (server.superuser,)
        self._settings = dict(settings or {})
        self._port = _free_port()
        self._rt = _Runtime()
        self._finalizer = weakref.finalize(self, _Runtime.close, self._rt)

    @property
    def port(self) -> int:
        """The TCP port PgBouncer listens on."""
        return self._port

    @property
    def running(self) -> bool:
        """Whether the pgbouncer process is alive."""
        return self._rt.running()

    @property
    def logfile(self) -> str:
        """PgBouncer's log."""
        if self._rt.basedir is None:
            raise ClusterError("pgbouncer has no files: start() it first")
        return os.path.join(self._rt.basedir, "pgbouncer.log")

    @property
    def dsn(self) -> str:
        """A keyword DSN reaching the server's ``postgres`` database through PgBouncer."""
        return self.dsn_for("postgres")

    def dsn_for(self, dbname: str, user: str | None = None) -> str:
        """A keyword DSN reaching ``dbname`` through PgBouncer."""
        return f"host={self.host} port={self._port} user={user or self.users[0]} dbname={dbname}"

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<PgBouncer {self.pool_mode} port={self._port} {state}>"

    def _config(self, base: str) -> str:
        settings: dict[str, object] = {
            "listen_addr": LOCALHOST,
            "listen_port": self._port,
            "unix_socket_dir": "",
            "auth_type": "trust",
            "auth_file": os.path.join(base, "userlist.txt"),
            "pool_mode": self.pool_mode,
            "default_pool_size": self.pool_size,
            "max_client_conn": self.max_client_conn,
            "pidfile": os.path.join(base, "pgbouncer.pid"),
            "admin_users": self.users[0],
            "server_check_delay": 0,
        }
        settings.update(self._settings)
        lines = [
            "[databases]",
            f"* = host={self.server.host} port={self.server.port}",
            "[pgbouncer]",
            *(f"{name} = {_ini_value(value)}" for name, value in settings.items()),
        ]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        """Start PgBouncer and wait until it accepts connections. Does nothing if running."""
        if self.running:
            return
        account = _server_account()
        if self._rt.basedir is None:
            self._rt.basedir = _make_tempdir("pgwire-pgbouncer-", account)
        base = self._rt.basedir
        ini = os.path.join(base, "pgbouncer.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write(self._config(base))
        with open(os.path.join(base, "userlist.txt"), "w", encoding="utf-8") as f:
            f.writelines(f'"{user}" ""\n' for user in self.users)
        for name in ("pgbouncer.ini", "userlist.txt"):
            _chown(os.path.join(base, name), account)
        logfile = self.logfile
        log = open(logfile, "ab")  # closed by the runtime at stop
        offset = log.tell()
        kwargs = account.popen_kwargs() if account else {}
        try:
            proc = subprocess.Popen(
                [self._binary, ini],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=base,
                env=_child_env(),
                start_new_session=True,
                preexec_fn=_preexec_fn(),
                **kwargs,
            )
        except BaseException:
            log.close()
            raise
        self._rt.proc = proc
        self._rt.log = log
        self._wait_ready(proc, offset)

    def _wait_ready(self, proc: subprocess.Popen[bytes], offset: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            code = proc.poll()
            if code is not None:
                self._rt.terminate(signal.SIGKILL, STOP_TIMEOUT)
                raise ClusterError(
                    f"pgbouncer exited with code {code} while starting:\n"
                    + _tail(self.logfile, offset)
                )
            try:
                with socket.create_connection((self.host, self._port), timeout=1.0):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self._rt.terminate(signal.SIGKILL, STOP_TIMEOUT)
                raise ClusterError(
                    f"pgbouncer did not listen within {START_TIMEOUT:.0f} s:\n"
                    + _tail(self.logfile, offset)
                )
            time.sleep(0.02)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut PgBouncer down at once (SIGTERM, SIGKILL after ``timeout``); delete its files."""
        self._rt.terminate(signal.SIGTERM, timeout)
        self._rt.remove_files()

    def show(self, what: str) -> list[tuple[Any, ...]]:
        """Rows of the admin console's ``SHOW what`` (``pools``, ``servers``, ``stats``...)."""
        pgwire = importlib.import_module("pgwire")
        conn = pgwire.connect(self.dsn_for("pgbouncer"), autocommit=True)
        try:
            cur = conn.cursor()
            cur.execute(f"SHOW {what}")
            return list(cur.fetchall())
        finally:
            conn.close()
