"""The asyncio driver: runs an operation, waiting on the event loop."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from ..errors import OperationalError
from ..protocol import messages as m
from ..protocol.core import PGGen
from .channel import Channel, Operation


async def wait_ready(fd: int, write: bool) -> None:
    """Wait until ``fd`` is readable (or writable, if asked)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not fut.done():
            fut.set_result(None)

    loop.add_reader(fd, wake)
    if write:
        loop.add_writer(fd, wake)
    try:
        await fut
    finally:
        loop.remove_reader(fd)
        if write:
            loop.remove_writer(fd)


async def run(chan: Channel, op: Operation) -> Any:
    """Drive ``op`` to completion on the event loop; return its outcome."""
    while not op.done:
        if chan.wants_write:
            chan.send_some()
        if chan.recv_some():
            op.resume()
            continue
        await wait_ready(chan.fd, chan.wants_write)
    return op.outcome()


async def flush(chan: Channel) -> None:
    """Send everything queued, taking in (and buffering) what the server sends meanwhile."""
    while chan.wants_write:
        chan.send_some()
        chan.recv_some()
        if chan.wants_write:
            await wait_ready(chan.fd, True)


async def execute(chan: Channel, gen: PGGen) -> Any:
    """Start the operation ``gen`` and run it to completion."""
    chan.check_open()
    op = Operation(gen)
    op.resume()
    try:
        return await run(chan, op)
    finally:
        if chan.proto.closed:
            chan.close()


async def send_cancel(family: int, address: Any, pid: int, key: bytes) -> None:
    """Send a CancelRequest and wait until the server has closed that connection."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, address)
        await loop.sock_sendall(sock, m.cancel_request(pid, key))
        while await loop.sock_recv(sock, 4096):
            pass
    except OSError as exc:
        raise OperationalError(f"could not send the cancel request: {exc}") from None
    finally:
        sock.close()
