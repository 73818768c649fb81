"""Connecting, written once: the hosts and addresses tried, TLS retried, sessions checked.

The flows here (see :mod:`pgwire._flow`) hold the whole policy of
``connect()``; the blocking and the asyncio connection classes only give the
steps that wait (:class:`ConnectSteps`) and run the flows their own way.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ._base import connect_error, connect_plan, split_connect_kwargs, startup_operation, tls_retry
from ._flow import Call, FlowGen
from ._hosts import reject_session, session_fits
from .conninfo import ConnectParams, HostSpec, make_params
from .drivers.channel import Channel
from .drivers.connect import cancel_securer
from .errors import InvalidConnectionOption, OperationalError, ProgrammingError
from .protocol.core import PGGen, Protocol

if TYPE_CHECKING:
    import socket

__all__ = ["ConnectSteps", "connect_flow"]


class ConnectSteps:
    """The steps of connecting that wait; blocking or coroutines in the subclasses."""

    @staticmethod
    def _resolve(params: ConnectParams, host: HostSpec) -> Any:
        """The addresses to try for ``host`` (a list of HostSpecs)."""
        raise NotImplementedError

    @staticmethod
    def _open_socket(
        params: ConnectParams, host: HostSpec, deadline: float | None, tls: bool | None
    ) -> Any:
        """A socket connected to ``host``, with TLS as ``tls`` and ``params`` say."""
        raise NotImplementedError

    @staticmethod
    def _execute_on(chan: Channel, gen: PGGen, deadline: float | None) -> Any:
        """Run a protocol operation on a channel no connection holds yet."""
        raise NotImplementedError

    @staticmethod
    def _open_session(params: ConnectParams, host: HostSpec, attrs: str) -> Any:
        """A session with ``host`` (:func:`open_session_flow`), in connect_timeout."""
        raise NotImplementedError


def connect_flow(cls: Any, dsn: str | None, kwargs: dict[str, Any]) -> FlowGen[Any]:
    """A new ``cls`` connection: every host and address in turn until one fits."""
    own = split_connect_kwargs(kwargs)
    # The connection string and keywords pass through the class's hook (as
    # psycopg's; the asyncio connection's is a coroutine, awaited here).
    keywords = yield Call(cls._get_connection_params, dsn or "", **kwargs)
    try:
        params = make_params(None, **keywords)
    except ProgrammingError as exc:
        raise InvalidConnectionOption(str(exc)) from exc
    attempts: list[tuple[HostSpec, Exception]] = []
    for attrs, host in connect_plan(params):
        try:
            targets = yield Call(cls._resolve, params, host)
        except OperationalError as exc:
            attempts.append((host, exc))
            continue
        for target in targets:
            try:
                chan = yield Call(cls._open_session, params, target, attrs)
            except (OperationalError, OSError) as exc:
                attempts.append((target, exc))
                continue
            return cls(chan, params, target, **own)
    raise connect_error(attempts)


def open_session_flow(
    steps: type[ConnectSteps], params: ConnectParams, host: HostSpec, attrs: str
) -> FlowGen[Channel]:
    """A session with ``host`` fitting ``attrs`` (target_session_attrs), in connect_timeout."""
    timeout = params.connect_timeout
    deadline = None if timeout is None else time.monotonic() + timeout
    chan = yield from _open_channel_flow(steps, params, host, deadline)
    try:
        fits = yield Call(steps._execute_on, chan, session_fits(chan.proto, attrs), deadline)
    except BaseException:
        chan.close()
        raise
    if not fits:
        raise reject_session(chan, attrs, host)
    return chan


def _open_channel_flow(
    steps: type[ConnectSteps], params: ConnectParams, host: HostSpec, deadline: float | None
) -> FlowGen[Channel]:
    """A started session with ``host``; once more with(out) TLS if the server refused."""
    tls: bool | None = None
    while True:
        sock: socket.socket = yield Call(steps._open_socket, params, host, deadline, tls)
        chan = Channel(sock, Protocol())
        chan.secure_cancel = cancel_securer(params, host, sock)
        try:
            yield Call(steps._execute_on, chan, startup_operation(chan, params, host), deadline)
            return chan
        except BaseException as exc:
            chan.close()
            tls = tls_retry(params, chan, exc, tls)
            if tls is None:
                raise
