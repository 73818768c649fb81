"""Sending a CancelRequest on a connection of its own (blocking)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

from ..errors import CancellationTimeout, OperationalError
from ..protocol import messages as m

CANCEL_TIMEOUT = 30.0


Securer = Callable[[socket.socket], socket.socket]
"""Turns a connected socket into a TLS one (see drivers.connect.cancel_securer)."""


def send_cancel(
    family: int,
    address: object,
    pid: int,
    key: bytes,
    secure: Securer | None = None,
    *,
    timeout: float = CANCEL_TIMEOUT,
) -> None:
    """Ask the server to cancel what backend ``pid`` runs; wait until it has taken the request.

    The server closes the cancel connection once it has signalled the
    backend, so waiting for that close means a later query cannot be hit by
    this request. With ``secure`` the request goes over TLS.
    """
    deadline = time.monotonic() + timeout
    try:
        with socket.socket(family, socket.SOCK_STREAM) as plain:
            plain.settimeout(timeout)
            plain.connect(address)  # type: ignore[arg-type]
            sock = plain if secure is None else secure(plain)
            try:
                sock.sendall(m.cancel_request(pid, key))
                while sock.recv(4096):
                    if time.monotonic() > deadline:
                        raise CancellationTimeout("cancel request: timeout expired")
            finally:
                if sock is not plain:
                    sock.close()
    except TimeoutError:
        raise CancellationTimeout("cancel request: timeout expired") from None
    except OSError as exc:
        raise cancel_failed(exc) from None


def cancel_failed(exc: OSError) -> OperationalError:
    """The error for a cancel request that could not be sent, naming the system's reason."""
    reason = str(exc)
    if exc.errno is not None:
        # asyncio words a refused connection its own way: name the errno's reason too.
        plain = os.strerror(exc.errno)
        if plain not in reason:
            reason = f"{plain}: {reason}"
    return OperationalError(f"could not send the cancel request: {reason}")
