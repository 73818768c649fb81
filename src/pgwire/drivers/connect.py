"""Opening a socket to one host of the connection parameters, with TLS negotiation."""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ..conninfo import TLS_VERSIONS, ConnectParams, HostSpec, resolver_name
from ..errors import ConnectionTimeout, OperationalError
from ..protocol import messages as m
from .channel import is_tls

if TYPE_CHECKING:
    # ssl is imported where a TLS context is made: a Unix socket or a server
    # without TLS never needs it, and its import is milliseconds of each
    # process's start.
    import ssl

_REQUIRE_TLS = ("require", "verify-ca", "verify-full")


# libpq's floor when ssl_min_protocol_version is not given.
_DEFAULT_MIN_TLS = "TLSv1.2"


class TLSHandshakeError(OperationalError):
    """The TLS handshake with the server failed (a bad certificate, no common protocol...).

    Under ``sslmode=prefer`` it is followed by a plain attempt, as in libpq.
    """


def addresses(host: HostSpec) -> Iterator[tuple[int, int, int, str, tuple]]:
    """Socket addresses to try for ``host``, in getaddrinfo order."""
    if host.is_unix:
        yield (socket.AF_UNIX, socket.SOCK_STREAM, 0, "", host.socket_path())  # type: ignore[misc]
        return
    target = host.hostaddr or host.host
    try:
        infos = socket.getaddrinfo(resolver_name(target), host.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OperationalError(f'could not translate host name "{host.host}": {exc}') from None
    yield from infos  # type: ignore[misc]


def _dot_postgresql(name: str) -> str:
    """A default file of libpq under ``~/.postgresql`` ("" without a home folder)."""
    home = os.path.expanduser("~")
    return "" if home == "~" else os.path.join(home, ".postgresql", name)


def _exists(path: str) -> bool:
    # libpq goes on without a file only when it is missing; anything else
    # (a permission problem...) shows up when the file is loaded.
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _set_protocol_versions(ctx: ssl.SSLContext, extra: dict[str, str]) -> None:
    import ssl

    # "tlsv1.2" -> ssl.TLSVersion.TLSv1_2, for each name conninfo accepts.
    versions = {name: ssl.TLSVersion["TLSv" + name[4:].replace(".", "_")] for name in TLS_VERSIONS}
    low = extra.get("ssl_min_protocol_version", _DEFAULT_MIN_TLS)
    high = extra.get("ssl_max_protocol_version", "")
    try:
        if low:
            ctx.minimum_version = versions[low.lower()]
        if high:
            ctx.maximum_version = versions[high.lower()]
    except (KeyError, ValueError) as exc:
        raise OperationalError(f"unsupported TLS protocol version: {exc}") from None
    if low and high and versions[low.lower()] > versions[high.lower()]:
        raise OperationalError("invalid SSL protocol version range")


def _load_root_certificates(ctx: ssl.SSLContext, mode: str, extra: dict[str, str]) -> bool:
    """Load what the server is checked against; False when nothing is to be checked."""
    import ssl

    rootcert = extra.get("sslrootcert") or _dot_postgresql("root.crt")
    if rootcert == "system":
        ctx.load_default_certs()
        return True
    if not rootcert or not _exists(rootcert):
        if mode.startswith("verify-"):
            raise OperationalError(
                f'root certificate file "{rootcert}" does not exist: provide the file, '
                "use the system's trusted roots with sslrootcert=system, or change "
                "sslmode to disable server certificate verification"
            )
        # libpq: without a root certificate, require and prefer only encrypt.
        return False
    try:
        ctx.load_verify_locations(rootcert)
    except OSError as exc:  # ssl.SSLError among them
        raise OperationalError(
            f'could not read root certificate file "{rootcert}": {exc}'
        ) from None
    crl = extra.get("sslcrl") or _dot_postgresql("root.crl")
    crldir = extra.get("sslcrldir") or ""
    crl = crl if crl and _exists(crl) else ""
    crldir = crldir if crldir and _exists(crldir) else ""
    if crl or crldir:
        try:
            ctx.load_verify_locations(cafile=crl or None, capath=crldir or None)
        except OSError as exc:  # ssl.SSLError among them
            raise OperationalError(
                f"could not load the SSL certificate revocation list: {exc}"
            ) from None
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    return True


def _check_key_permissions(key: str) -> None:
    """Refuse a private key that others may read, as libpq does on POSIX systems."""
    if os.name == "nt":
        return
    try:
        st = os.stat(key)
    except OSError as exc:
        raise OperationalError(f'could not stat private key file "{key}": {exc}') from None
    if not stat.S_ISREG(st.st_mode):
        raise OperationalError(f'private key file "{key}" is not a regular file')
    mode = st.st_mode
    if (st.st_uid == os.geteuid() and mode & 0o077) or (st.st_uid == 0 and mode & 0o037):
        raise OperationalError(
            f'private key file "{key}" has group or world access; file must have '
            "permissions u=rw (0600) or less if owned by the current user, or "
            "permissions u=rw,g=r (0640) or less if owned by root"
        )


def _load_client_certificate(ctx: ssl.SSLContext, extra: dict[str, str]) -> None:
    if extra.get("sslcertmode") == "disable":
        return
    cert = extra.get("sslcert") or _dot_postgresql("postgresql.crt")
    if not cert or not _exists(cert):
        # The server may accept the connection without one.
        return
    key = extra.get("sslkey") or _dot_postgresql("postgresql.key")
    if not key or not _exists(key):
        raise OperationalError(f'certificate present, but not private key file "{key}"')
    _check_key_permissions(key)
    # An empty password rather than None: OpenSSL would otherwise ask for
    # the passphrase of an encrypted key on the terminal.
    password = extra.get("sslpassword", "")
    try:
        ctx.load_cert_chain(cert, key, password)
    except OSError as exc:  # ssl.SSLError among them
        raise OperationalError(
            f'could not load the client certificate "{cert}" with key "{key}": {exc}'
        ) from None


def make_ssl_context(params: ConnectParams) -> ssl.SSLContext:
    """The TLS context libpq's sslmode and ssl* keywords ask for.

    As in libpq, the server certificate is checked whenever a root
    certificate file is there (``sslrootcert``, else ``~/.postgresql/root.crt``),
    whatever the sslmode; ``verify-ca`` and ``verify-full`` fail without one,
    and only ``verify-full`` checks the host name.
    """
    import ssl

    mode = params.sslmode
    extra = params.extra
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _set_protocol_versions(ctx, extra)
    verify = _load_root_certificates(ctx, mode, extra)
    # check_hostname goes first: CERT_NONE is refused while it is on.
    ctx.check_hostname = verify and mode == "verify-full"
    ctx.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
    _load_client_certificate(ctx, extra)
    # As libpq 17+: servers taking TLS first (sslnegotiation=direct) require it.
    ctx.set_alpn_protocols(["postgresql"])
    if extra.get("sslcompression") == "1":
        ctx.options &= ~ssl.OP_NO_COMPRESSION
    keylog = extra.get("sslkeylogfile")
    if keylog:
        try:
            ctx.keylog_filename = keylog
        except OSError as exc:
            raise OperationalError(f'could not open SSL key log file "{keylog}": {exc}') from None
    return ctx


# libpq's TCP keywords and the socket options they set (the seconds of
# tcp_user_timeout are milliseconds, as in libpq).
_TCP_OPTIONS = (
    ("keepalives_idle", "TCP_KEEPIDLE"),
    ("keepalives_interval", "TCP_KEEPINTVL"),
    ("keepalives_count", "TCP_KEEPCNT"),
    ("tcp_user_timeout", "TCP_USER_TIMEOUT"),
)


def set_tcp_options(sock: socket.socket, extra: dict[str, str]) -> None:
    """Keepalives (on unless ``keepalives=0``) and timeouts on a TCP socket, as libpq sets them.

    A value of 0 (or none) leaves the system's default, as in libpq; an
    option this system doesn't have raises rather than being ignored.
    """
    keepalives = int(extra.get("keepalives", "").strip() or 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1 if keepalives else 0)
    for key, option in _TCP_OPTIONS:
        value = int(extra.get(key, "").strip() or 0)
        if value <= 0 or (not keepalives and key.startswith("keepalives")):
            continue
        number = getattr(socket, option, None)
        if number is None:
            raise OperationalError(f"{key} is not supported on this platform")
        try:
            sock.setsockopt(socket.IPPROTO_TCP, number, value)
        except OSError as exc:
            raise OperationalError(f"could not set {key} to {value}: {exc}") from None


def _connect(
    family: int,
    kind: int,
    proto: int,
    addr: tuple | str,
    deadline: float | None,
    extra: dict[str, str] | None = None,
) -> socket.socket:
    sock = socket.socket(family, kind, proto)
    try:
        sock.settimeout(None if deadline is None else max(0.001, deadline - time.monotonic()))
        if family != socket.AF_UNIX and extra is not None:
            set_tcp_options(sock, extra)
        sock.connect(addr)
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


def connect_timeout_error(host: HostSpec) -> ConnectionTimeout:
    """The error of a connection attempt to ``host`` that outlasted ``connect_timeout``."""
    where = host.hostaddr or host.host
    return ConnectionTimeout(
        f'connection to server at "{where}", port {host.port} failed: connection timeout expired'
    )


def open_socket(
    params: ConnectParams, host: HostSpec, deadline: float | None, tls: bool | None = None
) -> socket.socket:
    """Connect a blocking socket to ``host`` and negotiate TLS as sslmode asks.

    ``tls`` overrides sslmode's first choice for a second attempt (libpq's
    retries under ``prefer`` and ``allow``, see :func:`retry_tls`): False
    never asks for TLS, True insists on it. Unix sockets never use TLS.
    """
    errors: list[str] = []
    timeouts = 0
    for family, kind, proto, _, addr in addresses(host):
        sock: socket.socket | None = None
        try:
            sock = _connect(family, kind, proto, addr, deadline, params.extra)
            if family == socket.AF_UNIX:
                check_peer(sock, params)
                return sock
            try:
                return negotiate_tls(sock, params, host, tls)
            except TLSHandshakeError:
                sock.close()
                sock = None
                if tls is not None or params.sslmode != "prefer":
                    raise
            # prefer: the handshake failed, so try once more without TLS.
            return _connect(family, kind, proto, addr, deadline, params.extra)
        except (OSError, OperationalError) as exc:
            if sock is not None:
                sock.close()
            if isinstance(exc, OperationalError):
                raise
            where = addr if isinstance(addr, str) else f"{addr[0]}:{addr[1]}"
            reason = "timeout expired" if isinstance(exc, TimeoutError) else exc
            errors.append(f"{where}: {reason}")
            timeouts += isinstance(exc, TimeoutError)
        except BaseException:
            # Interrupted (Ctrl-C, a task cancelled) mid-handshake: no socket left open.
            if sock is not None:
                sock.close()
            raise
    if errors and timeouts == len(errors):
        raise connect_timeout_error(host)
    raise OperationalError(
        f'connection to server at "{host.host}", port {host.port} failed: ' + "; ".join(errors)
    )


def cancel_securer(
    params: ConnectParams, host: HostSpec, sock: socket.socket
) -> Callable[[socket.socket], socket.socket] | None:
    """How to encrypt the connections carrying cancel requests for a session on ``sock``.

    A session over TLS sends its cancel requests over TLS too (as libpq 17
    does), negotiated and checked as the session was, so that its cancel
    key never travels in clear text; a plain session's go plain.
    """
    if not is_tls(sock):
        return None

    def secure(cancel_sock: socket.socket) -> socket.socket:
        return negotiate_tls(cancel_sock, params, host, True)

    return secure


def retry_tls(params: ConnectParams, used_tls: bool) -> bool | None:
    """Whether to try again, and with TLS or not, after the server refused a session.

    libpq gives a second chance when the server rejects the startup: a
    session refused over TLS under ``prefer`` is tried again in plain, and
    one refused in plain under ``allow`` is tried again over TLS. Returns
    the ``tls`` argument of :func:`open_socket` for that attempt, or None
    when there is none.
    """
    if params.sslmode == "prefer" and used_tls:
        return False
    if params.sslmode == "allow" and not used_tls:
        return True
    return None


def _wrap(
    sock: socket.socket, params: ConnectParams, host: HostSpec, direct: bool = False
) -> socket.socket:
    """The TLS handshake on ``sock``, checking the server as the ssl* keywords ask."""
    import ssl

    ctx = make_ssl_context(params)
    server_hostname: str | None = host.host or None
    if ctx.check_hostname and server_hostname is None:
        raise OperationalError("host name must be specified for a verified SSL connection")
    if not ctx.check_hostname and params.extra.get("sslsni", "1") == "0":
        # The name would only be sent as SNI, which was turned off.
        server_hostname = None
    try:
        wrapped = ctx.wrap_socket(sock, server_hostname=server_hostname)
    except ssl.SSLError as exc:
        raise TLSHandshakeError(f"TLS negotiation failed: {exc}") from None
    except (UnicodeError, ValueError) as exc:
        raise OperationalError(f'invalid host name "{host.host}" for TLS: {exc}') from None
    except OSError as exc:
        if direct:
            # A server that doesn't take TLS first closes on the handshake.
            raise TLSHandshakeError(f"direct TLS negotiation failed: {exc}") from None
        raise
    if direct and wrapped.selected_alpn_protocol() != "postgresql":
        wrapped.close()
        raise OperationalError(
            "the server did not select the ALPN protocol postgresql in direct TLS negotiation"
        )
    return wrapped


def check_peer(sock: socket.socket, params: ConnectParams) -> None:
    """``requirepeer``: the server's process must run as that operating-system user.

    Only Unix-domain sockets tell who is at the other end (as in libpq,
    TCP connections are not checked).
    """
    wanted = params.extra.get("requirepeer")
    if not wanted or sock.family != socket.AF_UNIX:
        return
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        raise OperationalError("requirepeer parameter is not supported on this platform")
    import pwd  # POSIX only, as SO_PEERCRED
    import struct

    creds = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        raise OperationalError(f"could not look up local user ID {uid}") from None
    if name != wanted:
        raise OperationalError(
            f'requirepeer specifies "{wanted}", but actual peer user name is "{name}"'
        )


def negotiate_tls(
    sock: socket.socket, params: ConnectParams, host: HostSpec, tls: bool | None = None
) -> socket.socket:
    """Send SSLRequest when sslmode wants TLS; wrap the socket if the server agrees.

    ``tls`` overrides sslmode's choice: False skips TLS, True requires it.
    """
    mode = params.sslmode
    if tls is False or (tls is None and mode in ("disable", "allow")):
        return sock
    required = tls is True or mode in _REQUIRE_TLS
    if params.extra.get("sslnegotiation") == "direct":
        # TLS from the first byte (PostgreSQL 17+), the server told by ALPN.
        return _wrap(sock, params, host, direct=True)
    sock.sendall(m.ssl_request())
    answer = sock.recv(1)
    if answer == b"S":
        return _wrap(sock, params, host)
    if answer == b"N":
        if required:
            raise OperationalError("the server does not support TLS, but sslmode requires it")
        return sock
    if answer == b"E":
        raise OperationalError("the server rejected the TLS request")
    if not answer:
        raise OperationalError("the server closed the connection in answer to the TLS request")
    raise OperationalError(f"unexpected answer {answer!r} to the TLS request")
