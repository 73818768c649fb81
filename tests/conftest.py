"""Shared pytest configuration."""

from __future__ import annotations

import gc
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import pgwire

pytest_plugins = ("pgwire.testing.pytest_plugin", "sqla_fixtures")


@pytest.fixture
def interrupt_after() -> Iterator[Callable[[float], None]]:
    """Arm a SIGALRM raising KeyboardInterrupt after the given seconds."""

    def arm(seconds: float) -> None:
        # A signal landing in a finalizer or a gc callback is swallowed by
        # Python, which would void the test: no garbage collection meanwhile.
        gc.collect()
        gc.disable()

        def handler(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    gc.enable()


@pytest.fixture
def sent(conn):
    """The bytes the connection sends, one entry per send() call."""
    chunks: list[bytes] = []
    chan = conn._chan
    sock = chan.sock

    class Spy:
        def __getattr__(self, name):
            return getattr(sock, name)

        def send(self, data, *flags):
            chunks.append(bytes(data))
            return sock.send(data, *flags)

    chan.sock = Spy()
    # Writes through the socket object, where the spy sees them.
    compiled_io, chan.compiled_io = chan.compiled_io, False
    yield chunks
    chan.sock = sock
    # Not on a channel closed meanwhile (see Channel.close()).
    chan.compiled_io = compiled_io and not chan.closed


@pytest.fixture
def isolated_script() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a script in a fresh interpreter that sees pgwire and the standard library only.

    ``python -S`` (no site-packages) from pgwire's source folder: what a
    process loads is what pgwire makes it load.  Called with the script's
    source (dedented) and its arguments.
    """
    src = str(Path(pgwire.__file__).parent.parent)

    def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", "-c", textwrap.dedent(code), *args],
            cwd=src,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run
