"""A throwaway primary with a streaming standby, for high-availability tests.

:class:`StandbyCluster` is a :class:`~pgwire.testing.TestCluster` whose data
directory is a ``pg_basebackup -R`` of a running primary: it starts as a hot
standby streaming from it, and :meth:`StandbyCluster.promote` turns it into a
primary. :class:`ReplicaPair` starts both and offers what failover tests
need: a multi-host DSN, waiting for the standby to catch up, killing or
stopping the primary.

With ``synchronous=True`` the primary waits for the standby to flush each
commit before reporting it, so that nothing reported committed is lost when
the primary dies and the standby takes over.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pgwire.testing.cluster import (
    LOCALHOST,
    STOP_TIMEOUT,
    ClusterError,
    StartStop,
    TestCluster,
    _child_env,
    _make_tempdir,
    _server_account,
)

__all__ = ["ReplicaPair", "StandbyCluster"]

#: Seconds allowed to a base backup, a promotion or the standby's catching up.
REPLICA_TIMEOUT = 120.0


class StandbyCluster(TestCluster):
    """A hot standby of ``primary``, made by ``pg_basebackup -R`` when started.

    ``settings`` and ``hba`` apply on top of what the backup copied from the
    primary. The primary must be running when the standby starts (after
    :meth:`stop`, starting again takes a fresh backup).
    """

    __test__ = False

    def __init__(
        self,
        primary: TestCluster,
        *,
        settings: Mapping[str, str] | None = None,
        hba: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            bindir=primary.bindir, settings=settings, hba=hba, superuser=primary.superuser
        )
        self._primary = primary

    @property
    def primary(self) -> TestCluster:
        """The cluster this standby was copied from."""
        return self._primary

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<StandbyCluster of port {self._primary.port} port={self.port} {state}>"

    def _create(self) -> None:
        # The base backup replaces the copy of the initdb template.
        if not self._primary.running:
            raise ClusterError("the primary must be running to make a standby of it")
        account = _server_account()
        base = _make_tempdir("pgwire-standby-", account)
        self._rt.basedir = base
        try:
            datadir = os.path.join(base, "data")
            cmd = [
                os.path.join(self._runtime_bindir(), "pg_basebackup"),
                "-h", LOCALHOST,
                "-p", str(self._primary.port),
                "-U", self.superuser,
                "-D", datadir,
                "-R",
                "-X", "stream",
                "-c", "fast",
                "--no-sync",
            ]  # fmt: skip
            kwargs = account.popen_kwargs() if account else {}
            try:
                result = subprocess.run(
                    cmd,
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=REPLICA_TIMEOUT,
                    cwd=base,
                    env=_child_env(),
                    **kwargs,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise ClusterError(f"pg_basebackup failed to run: {exc}") from exc
            if result.returncode != 0:
                raise ClusterError(
                    f"pg_basebackup failed (exit {result.returncode}):\n"
                    f"{result.stdout}{result.stderr}"
                )
            self._write_config(datadir)
        except BaseException:
            self._rt.remove_files()
            raise

    @property
    def in_recovery(self) -> bool:
        """Whether the server still runs as a standby (``pg_is_in_recovery()``)."""
        return self.psql("SELECT pg_is_in_recovery()") == "t"

    def promote(self, timeout: float = REPLICA_TIMEOUT) -> None:
        """Make this standby a primary; return once it accepts writes."""
        self.psql(f"SELECT pg_promote(true, {int(timeout)})", timeout=timeout + 10)
        deadline = time.monotonic() + timeout
        while self.in_recovery:
            if time.monotonic() > deadline:
                raise ClusterError(f"the standby was not promoted within {timeout:.0f} s")
            time.sleep(0.05)

    def wait_caught_up(self, timeout: float = REPLICA_TIMEOUT) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        target = self._primary.psql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
        while self.psql(query) != "t":
            if time.monotonic() > deadline:
                raise ClusterError(f"the standby did not reach {target} within {timeout:.0f} s")
            time.sleep(0.05)


class ReplicaPair(StartStop):
    """A primary and its streaming standby, both throwaway, as a context manager.

    ``synchronous=True`` makes every commit on the primary wait until the
    standby has flushed it (``synchronous_standby_names = '*'`` with
    ``synchronous_commit = on``), so that failover loses nothing reported
    committed. ``settings`` apply to both servers.
    """

    __test__ = False

    def __init__(
        self,
        *,
        bindir: str | None = None,
        settings: Mapping[str, str] | None = None,
        hba: Sequence[str] | None = None,
        synchronous: bool = False,
    ) -> None:
        self.primary = TestCluster(bindir=bindir, settings=settings, hba=hba)
        self.standby = StandbyCluster(self.primary, settings=settings, hba=hba)
        self.synchronous = synchronous

    def __repr__(self) -> str:
        return f"<ReplicaPair primary={self.primary!r} standby={self.standby!r}>"

    def start(self) -> None:
        """Start the primary, then the standby streaming from it."""
        try:
            self.primary.start()
            self.standby.start()
            if self.synchronous:
                self.primary.psql(
                    "ALTER SYSTEM SET synchronous_standby_names = '*';\n"
                    "ALTER SYSTEM SET synchronous_commit = on;\n"
                    "SELECT pg_reload_conf();"
                )
            self.wait_streaming()
        except BaseException:
            self.stop()
            raise

    def wait_streaming(self, timeout: float = REPLICA_TIMEOUT) -> None:
        """Wait until the primary sees the standby streaming (and synchronous if asked)."""
        wanted = "sync" if self.synchronous else "async"
        query = (
            "SELECT count(*) FROM pg_stat_replication"
            f" WHERE state = 'streaming' AND sync_state = '{wanted}'"
        )
        deadline = time.monotonic() + timeout
        while self.primary.psql(query) != "1":
            if time.monotonic() > deadline:
                raise ClusterError(f"the standby was not streaming within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop both servers and delete their files. Idempotent."""
        self.standby.stop()
        self.primary.stop()

    def kill_primary(self) -> None:
        """SIGKILL the primary, as a crash would."""
        self.primary.kill()

    def stop_primary(self) -> None:
        """Shut the primary down cleanly (fast mode), keeping its data."""
        self.primary._rt.terminate(signal.SIGINT, STOP_TIMEOUT)

    def failover(self) -> None:
        """Kill the primary and promote the standby."""
        self.kill_primary()
        self.standby.promote()

    def dsn(self, *, standby_first: bool = False, **keywords: Any) -> str:
        """A DSN naming both servers (primary first by default), plus ``keywords``."""
        servers = [self.standby, self.primary] if standby_first else [self.primary, self.standby]
        extra = "".join(f" {k}={v}" for k, v in keywords.items())
        return (
            f"host={','.join(s.host for s in servers)}"
            f" port={','.join(str(s.port) for s in servers)}"
            f" user={self.primary.superuser} dbname=postgres{extra}"
        )
