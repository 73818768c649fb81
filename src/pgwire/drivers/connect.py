"""Opening a socket to one host of the connection parameters, with TLS negotiation."""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import Iterator

from ..conninfo import ConnectParams, HostSpec
from ..errors import OperationalError
from ..protocol import messages as m

_REQUIRE_TLS = ("require", "verify-ca", "verify-full")


def addresses(host: HostSpec) -> Iterator[tuple[int, int, int, str, tuple]]:
    """Socket addresses to try for ``host``, in getaddrinfo order."""
    if host.is_unix:
        yield (socket.AF_UNIX, socket.SOCK_STREAM, 0, "", host.socket_path())  # type: ignore[misc]
        return
    target = host.hostaddr or host.host
    try:
        infos = socket.getaddrinfo(target, host.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OperationalError(f'could not translate host name "{host.host}": {exc}') from None
    yield from infos  # type: ignore[misc]


def make_ssl_context(params: ConnectParams) -> ssl.SSLContext:
    """The TLS context libpq's sslmode and ssl* keywords ask for."""
    mode = params.sslmode
    extra = params.extra
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    rootcert = extra.get("sslrootcert") or os.path.expanduser("~/.postgresql/root.crt")
    verify = mode in ("verify-ca", "verify-full") or (
        mode == "require" and "sslrootcert" in extra and os.path.exists(rootcert)
    )
    ctx.check_hostname = mode == "verify-full"
    if verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if rootcert == "system":
            ctx.load_default_certs()
        else:
            try:
                ctx.load_verify_locations(rootcert)
            except OSError as exc:
                raise OperationalError(f"could not read root certificate file: {exc}") from None
    else:
        ctx.verify_mode = ssl.CERT_NONE
    cert = extra.get("sslcert") or os.path.expanduser("~/.postgresql/postgresql.crt")
    key = extra.get("sslkey") or os.path.expanduser("~/.postgresql/postgresql.key")
    if os.path.exists(cert):
        try:
            ctx.load_cert_chain(cert, key if os.path.exists(key) else None)
        except (OSError, ssl.SSLError) as exc:
            raise OperationalError(f"could not load the client certificate: {exc}") from None
    return ctx


def open_socket(params: ConnectParams, host: HostSpec, deadline: float | None) -> socket.socket:
    """Connect a blocking socket to ``host`` and negotiate TLS as sslmode asks."""
    errors: list[str] = []
    for family, kind, proto, _, addr in addresses(host):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(None if deadline is None else max(0.001, deadline - time.monotonic()))
            sock.connect(addr)
            if family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock = negotiate_tls(sock, params, host)
            return sock
        except (OSError, OperationalError) as exc:
            sock.close()
            if isinstance(exc, OperationalError):
                raise
            where = addr if isinstance(addr, str) else f"{addr[0]}:{addr[1]}"
            reason = "timeout expired" if isinstance(exc, TimeoutError) else exc
            errors.append(f"{where}: {reason}")
    raise OperationalError(
        f'connection to server at "{host.host}" port {host.port} failed: ' + "; ".join(errors)
    )


def negotiate_tls(sock: socket.socket, params: ConnectParams, host: HostSpec) -> socket.socket:
    """Send SSLRequest when sslmode wants TLS; wrap the socket if the server agrees."""
    mode = params.sslmode
    if mode in ("disable", "allow"):
        return sock
    sock.sendall(m.ssl_request())
    answer = sock.recv(1)
    if answer == b"S":
        ctx = make_ssl_context(params)
        try:
            return ctx.wrap_socket(sock, server_hostname=host.host if ctx.check_hostname else None)
        except ssl.SSLError as exc:
            raise OperationalError(f"TLS negotiation failed: {exc}") from None
    if answer == b"N":
        if mode in _REQUIRE_TLS:
            raise OperationalError("the server does not support TLS, but sslmode requires it")
        return sock
    if answer == b"E":
        raise OperationalError("the server rejected the TLS request")
    raise OperationalError(f"unexpected answer {answer!r} to the TLS request")
