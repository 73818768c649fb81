"""Choosing the server among several: addresses to try, and whether a session fits.

As libpq does: every address a host name resolves to is a separate attempt
(shuffled with ``load_balance_hosts=random``, after the hosts themselves), each
with its own ``connect_timeout``; a new session is kept only if it fits
``target_session_attrs``.  PostgreSQL 14 and later report what that needs
(``in_hot_standby``, ``default_transaction_read_only``); older servers are
asked, with ``SHOW transaction_read_only`` or ``pg_is_in_recovery()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import session_matches
from .conninfo import ConnectParams, HostSpec, lookup, lookup_async
from .errors import OperationalError
from .protocol import core
from .protocol.core import PGGen, Protocol

if TYPE_CHECKING:
    from .drivers.channel import Channel

__all__ = ["reject_session", "resolve", "resolve_async", "session_fits"]


def resolve(params: ConnectParams, host: HostSpec) -> list[HostSpec]:
    """The attempts for ``host``: one per address its name resolves to.

    Each keeps the host name (for TLS and the password file) with the
    numeric address in ``hostaddr``.  Blocks on name resolution; raises
    OperationalError when the name does not resolve.  The same resolution as
    :func:`pgwire.conninfo.conninfo_attempts` (:func:`pgwire.conninfo.lookup`).
    """
    return lookup(host, params.load_balance_hosts == "random")


async def resolve_async(params: ConnectParams, host: HostSpec) -> list[HostSpec]:
    """:func:`resolve` through the running asyncio loop's getaddrinfo()."""
    return await lookup_async(host, params.load_balance_hosts == "random")


# What to ask a server that does not report what target_session_attrs needs (libpq's questions).
_READ_ONLY_QUERY = b"SHOW transaction_read_only"
_RECOVERY_QUERY = b"SELECT pg_catalog.pg_is_in_recovery()"


def session_fits(proto: Protocol, wanted: str) -> PGGen:
    """The operation telling whether the new session fits ``target_session_attrs``.

    Asks the server only when its reported parameters don't tell (before
    PostgreSQL 14).
    """
    fits = session_matches(proto, wanted)
    if fits is not None:
        return fits
    if wanted in ("read-write", "read-only"):
        read_only = yield from core.ask(proto, _READ_ONLY_QUERY)
        return (read_only == "on") == (wanted == "read-only")
    in_recovery = yield from core.ask(proto, _RECOVERY_QUERY)
    return (in_recovery == "t") == (wanted in ("standby", "prefer-standby"))


def reject_session(chan: Channel, wanted: str, host: HostSpec) -> OperationalError:
    """Close a session that does not fit ``target_session_attrs``; the error to report."""
    chan.close()
    where = host.host or host.hostaddr
    if host.hostaddr and host.host and host.hostaddr != host.host:
        where = f"{host.host} ({host.hostaddr})"
    return OperationalError(f"server at {where}:{host.port} is not {wanted}")
