"""Connection parameters: DSN strings, URIs, ``PG*`` environment, service and password files.

This module turns what a user hands to :func:`pgwire.connect` into a
:class:`ConnectParams`, following libpq's rules so that a connection string or
environment that works with ``psql`` works here too.  It reads the
environment and a few small files, and never opens a socket; the only network
traffic it causes is name resolution, in :func:`lookup` (and the functions
built on it: :func:`conninfo_attempts`, :func:`conninfo_attempts_async`).

Precedence, highest first: keyword arguments (``None`` meaning "not given"),
the DSN, the service named by ``service``/``PGSERVICE``, the ``PG*``
environment variables, then libpq's defaults.
"""

from __future__ import annotations

import math
import os
import re
import socket
import stat
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

from pgwire.charsets import pg_encoding
from pgwire.errors import NotSupportedError, OperationalError, ProgrammingError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_PORT",
    "DEFAULT_SOCKET_DIRS",
    "KEYWORDS",
    "ConnectParams",
    "HostSpec",
    "conninfo_attempts",
    "conninfo_attempts_async",
    "conninfo_to_dict",
    "lookup",
    "lookup_async",
    "make_conninfo",
    "make_params",
    "parse_dsn",
    "read_pgpass",
    "timeout_from_conninfo",
]

#: Port used when none is given.
DEFAULT_PORT = 5432

#: What :func:`timeout_from_conninfo` answers when ``connect_timeout`` sets no
#: limit, for callers that need a finite deadline.  pgwire's own ``connect()``
#: has none: without ``connect_timeout`` it waits as long as the system does.
DEFAULT_CONNECT_TIMEOUT = 130

# psycopg's spelling of the same value (psycopg.conninfo._DEFAULT_CONNECT_TIMEOUT).
_DEFAULT_CONNECT_TIMEOUT = DEFAULT_CONNECT_TIMEOUT

#: Directories where a local server's Unix socket is looked for, in order, when
#: no host is given.  The first one that exists is used; "localhost" otherwise.
DEFAULT_SOCKET_DIRS: tuple[str, ...] = ("/var/run/postgresql", "/tmp")

#: Every libpq connection keyword, mapped to the environment variable that
#: supplies its default (None when libpq has none).  Kept in libpq's order so
#: that rendered strings look familiar.
KEYWORDS: dict[str, str | None] = {
    "service": "PGSERVICE",
    "servicefile": "PGSERVICEFILE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "channel_binding": "PGCHANNELBINDING",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "client_encoding": "PGCLIENTENCODING",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "fallback_application_name": None,
    "keepalives": None,
    "keepalives_idle": None,
    "keepalives_interval": None,
    "keepalives_count": None,
    "tcp_user_timeout": None,
    "sslmode": "PGSSLMODE",
    "sslnegotiation": "PGSSLNEGOTIATION",
    "sslcompression": "PGSSLCOMPRESSION",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslkeylogfile": None,
    "sslcertmode": "PGSSLCERTMODE",
    "sslpassword": None,
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI",
    "requirepeer": "PGREQUIREPEER",
    "require_auth": "PGREQUIREAUTH",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "min_protocol_version": "PGMINPROTOCOLVERSION",
    "max_protocol_version": "PGMAXPROTOCOLVERSION",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "gsslib": "PGGSSLIB",
    "gssdelegation": "PGGSSDELEGATION",
    "replication": None,
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
    "scram_client_key": None,
    "scram_server_key": None,
    "oauth_issuer": None,
    "oauth_client_id": None,
    "oauth_client_secret": None,
    "oauth_scope": None,
}

# Keywords whose values are secrets: never shown in a repr or an error message.
_SECRET_KEYWORDS = frozenset(
    {"password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"}
)

# Keywords that ConnectParams turns into dedicated fields or startup parameters;
# every other keyword given ends up in ConnectParams.extra.
_CONSUMED_KEYWORDS = frozenset(
    {
        "service",
        "servicefile",
        "user",
        "password",
        "passfile",
        "connect_timeout",
        "dbname",
        "host",
        "hostaddr",
        "port",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "replication",
        "sslmode",
        "target_session_attrs",
        "load_balance_hosts",
    }
)

# Values libpq accepts for its enumerated keywords; "" is rejected as libpq does.
_CHOICES: dict[str, tuple[str, ...]] = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "target_session_attrs": (
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby",
    ),
    "load_balance_hosts": ("disable", "random"),
    "channel_binding": ("disable", "prefer", "require"),
    "gssencmode": ("disable", "prefer", "require"),
    "sslcertmode": ("disable", "allow", "require"),
    "sslnegotiation": ("postgres", "direct"),
}

#: The TLS versions ``ssl_min/max_protocol_version`` name, in order (compared
#: case-insensitively; empty means no bound).
TLS_VERSIONS = ("tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3")

# Keywords whose non-empty values libpq parses as integers.
_INT_KEYWORDS = (
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
)

# Environment variables libpq sends as startup parameters on their own, not as
# connection keywords (a value of "default" means "let the server decide").
_ENV_STARTUP_SETTINGS = (("PGDATESTYLE", "datestyle"), ("PGTZ", "timezone"), ("PGGEQO", "geqo"))

# Whitespace as C's isspace() sees it in the "C" locale: the only separators in
# a keyword/value connection string.
_SPACE = " \t\n\r\f\v"

_URI_PREFIXES = ("postgresql://", "postgres://")

_INT_RE = re.compile(r"[+-]?[0-9]+")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class HostSpec(NamedTuple):
    """One server to try: a host name, an IP address or a Unix socket directory.

    ``host`` is empty only when ``hostaddr`` alone was given for this entry.
    When ``hostaddr`` is set the connection goes over TCP to that numeric
    address and ``host`` only serves TLS verification and the password file.
    """

    host: str
    port: int
    hostaddr: str | None = None

    @property
    def is_unix(self) -> bool:
        """True when the connection goes through a Unix-domain socket.

        A host starting with ``/`` is a socket directory; one starting with
        ``@`` names a directory in Linux's abstract socket namespace.
        """
        return not self.hostaddr and self.host.startswith(("/", "@"))

    def socket_path(self) -> str:
        """Return the socket file for a Unix-domain host: ``<dir>/.s.PGSQL.<port>``.

        For an abstract-namespace host the result starts with ``@``, which the
        caller replaces with a NUL byte when building the socket address.
        """
        if not self.is_unix:
            raise ProgrammingError(f"host {self.host!r} is not a Unix socket directory")
        directory = self.host.rstrip("/") or "/"
        sep = "" if directory.endswith("/") else "/"
        return f"{directory}{sep}.s.PGSQL.{self.port}"


class ConnectParams:
    """Everything needed to open a connection, resolved and validated.

    * ``hosts``: the servers to try, in the order given (at least one).
      ``load_balance_hosts="random"`` asks the caller to shuffle them.
    * ``password``: the explicit password (keyword argument, DSN or
      ``PGPASSWORD``), ``None`` if none; :meth:`password_for` adds the
      password file.  Hidden by ``repr()``.
    * ``passfile``: the password file to consult (may not exist).
    * ``connect_timeout``: seconds per host, at least 2; ``None`` waits forever.
    * ``application_name``: the name sent to the server (explicit, else
      ``fallback_application_name``), ``None`` when none is sent.
    * ``server_settings``: startup-packet parameters besides ``user`` and
      ``database``, in the order libpq sends them.
    * ``extra``: the other libpq keywords that were given (TLS files,
      keepalives, ``require_auth``...), verbatim; a keyword absent here has
      libpq's default.
    """

    __slots__ = (
        "hosts",
        "user",
        "dbname",
        "password",
        "passfile",
        "connect_timeout",
        "sslmode",
        "application_name",
        "options",
        "target_session_attrs",
        "load_balance_hosts",
        "server_settings",
        "extra",
    )

    def __init__(
        self,
        hosts: list[HostSpec],
        user: str,
        dbname: str,
        password: str | None,
        passfile: str,
        connect_timeout: float | None,
        sslmode: str,
        application_name: str | None,
        options: str | None,
        target_session_attrs: str,
        load_balance_hosts: str,
        server_settings: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.hosts = hosts
        self.user = user
        self.dbname = dbname
        self.password = password
        self.passfile = passfile
        self.connect_timeout = connect_timeout
        self.sslmode = sslmode
        self.application_name = application_name
        self.options = options
        self.target_session_attrs = target_session_attrs
        self.load_balance_hosts = load_balance_hosts
        self.server_settings = {} if server_settings is None else server_settings
        self.extra = {} if extra is None else extra

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq is

    def password_for(self, host: HostSpec) -> str | None:
        """Return the password to offer to ``host``.

        An explicit non-empty password wins; otherwise the password file is
        consulted for that host, port, database and user (libpq looks it up
        per host, as entries may differ).  ``None`` when there is none.
        """
        if self.password:
            return self.password
        found = read_pgpass(
            self.passfile, host.host or host.hostaddr or "", host.port, self.dbname, self.user
        )
        if found is not None:
            return found
        return self.password

    def __repr__(self) -> str:
        extra = {k: ("***" if k in _SECRET_KEYWORDS else v) for k, v in self.extra.items()}
        password = None if self.password is None else "***"
        return (
            f"{type(self).__name__}(hosts={self.hosts!r}, user={self.user!r}, "
            f"dbname={self.dbname!r}, password={password!r}, passfile={self.passfile!r}, "
            f"connect_timeout={self.connect_timeout!r}, sslmode={self.sslmode!r}, "
            f"application_name={self.application_name!r}, options={self.options!r}, "
            f"target_session_attrs={self.target_session_attrs!r}, "
            f"load_balance_hosts={self.load_balance_hosts!r}, "
            f"server_settings={self.server_settings!r}, extra={extra!r})"
        )


# --------------------------------------------------------------------------
# Parsing connection strings


def parse_dsn(dsn: str) -> dict[str, str]:
    """Parse a keyword/value connection string or a ``postgresql://`` URI.

    Returns the keywords found, with their values unquoted or percent-decoded,
    later occurrences overriding earlier ones.  Nothing is defaulted or
    validated beyond syntax and keyword names.  Raises
    :class:`~pgwire.errors.ProgrammingError` on a syntax error or on unknown
    keywords (all of them are named).
    """
    values, unknown = _parse_dsn(dsn)
    if unknown:
        raise _unknown_error(unknown)
    return values


def _parse_dsn(dsn: str) -> tuple[dict[str, str], list[str]]:
    """Parse ``dsn`` and return its values plus the unknown keywords met, in order."""
    if not isinstance(dsn, str):
        raise ProgrammingError(f"the connection string must be a str, not {type(dsn).__name__}")
    if dsn.startswith(_URI_PREFIXES):
        pairs = _parse_uri(dsn)
    else:
        pairs = _parse_keywords(dsn)
    values: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in pairs:
        if key in KEYWORDS:
            values[key] = value
        elif key not in unknown:
            unknown.append(key)
    return values, unknown


def _unknown_error(unknown: list[str]) -> ProgrammingError:
    names = ", ".join(f'"{name}"' for name in unknown)
    noun = "option" if len(unknown) == 1 else "options"
    return ProgrammingError(f"invalid connection {noun}: {names}")


def _parse_keywords(text: str) -> list[tuple[str, str]]:
    """Split a libpq keyword/value string into (keyword, value) pairs."""
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in _SPACE:
            i += 1
            continue
        start = i
        while i < n and text[i] != "=" and text[i] not in _SPACE:
            i += 1
        key = text[start:i]
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n or text[i] != "=":
            # Only echo the word when it is a keyword: a stray word may well be
            # the second half of an unquoted password.
            if key in KEYWORDS:
                raise ProgrammingError(f'missing "=" after "{key}" in connection string')
            raise ProgrammingError(
                f'missing "=" after the word at offset {start} in connection string '
                "(values containing spaces must be single-quoted)"
            )
        if not key:
            raise ProgrammingError(
                f"empty keyword before the '=' at offset {i} in connection string"
            )
        i += 1
        # As in libpq, blanks after "=" are skipped, so "a= b" gives a the value "b".
        while i < n and text[i] in _SPACE:
            i += 1
        chars: list[str] = []
        if i < n and text[i] == "'":
            quote_at = i
            i += 1
            while True:
                if i >= n:
                    raise ProgrammingError(
                        f"unterminated quoted string (opened at offset {quote_at}) "
                        "in connection string"
                    )
                c = text[i]
                if c == "\\":
                    i += 1
                    if i < n:
                        chars.append(text[i])
                        i += 1
                elif c == "'":
                    i += 1
                    break
                else:
                    chars.append(c)
                    i += 1
        else:
            while i < n and text[i] not in _SPACE:
                if text[i] == "\\":
                    i += 1
                    if i < n:
                        chars.append(text[i])
                        i += 1
                else:
                    chars.append(text[i])
                    i += 1
        pairs.append((key, "".join(chars)))
    return pairs


def _uri_decode(text: str, where: str) -> str:
    """Percent-decode ``text`` (``+`` stays a plus sign, as libpq has it)."""
    if "%" not in text:
        return text
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "%":
            hexdigits = text[i + 1 : i + 3]
            if len(hexdigits) != 2 or not all(h in "0123456789abcdefABCDEF" for h in hexdigits):
                raise ProgrammingError(f"invalid percent-encoded token in the URI's {where}")
            byte = int(hexdigits, 16)
            if byte == 0:
                raise ProgrammingError(f"forbidden value %00 in the URI's {where}")
            out.append(byte)
            i += 3
        else:
            out += c.encode("utf-8", "surrogatepass")
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise ProgrammingError(
            f"percent-encoded bytes in the URI's {where} are not valid UTF-8"
        ) from None


def _parse_uri(uri: str) -> list[tuple[str, str]]:
    """Split a ``postgresql://`` URI into (keyword, value) pairs."""
    rest = uri.split("://", 1)[1]
    pairs: list[tuple[str, str]] = []

    end = len(rest)
    for sep in "/?":
        pos = rest.find(sep)
        if pos != -1:
            end = min(end, pos)
    authority, tail = rest[:end], rest[end:]

    # The last "@" separates the credentials, so that an unencoded "@" in a
    # password still parses; for well-formed URIs this is the only "@".
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
        user, colon, password = userinfo.partition(":")
        if user:
            pairs.append(("user", _uri_decode(user, "user name")))
        if colon and password:
            pairs.append(("password", _uri_decode(password, "password")))

    hosts: list[str] = []
    ports: list[str] = []
    pos = 0
    while True:
        if authority.startswith("[", pos):
            close = authority.find("]", pos)
            if close == -1:
                raise ProgrammingError(
                    'end of string reached when looking for matching "]" in IPv6 host '
                    "address in URI"
                )
            if close == pos + 1:
                raise ProgrammingError("IPv6 host address may not be empty in URI")
            hosts.append(authority[pos + 1 : close])
            pos = close + 1
            if pos < len(authority) and authority[pos] not in ":,":
                raise ProgrammingError(
                    f'unexpected character "{authority[pos]}" after an IPv6 host address '
                    'in URI (expected ":", "," or "/")'
                )
        else:
            stop = pos
            while stop < len(authority) and authority[stop] not in ":,":
                stop += 1
            hosts.append(authority[pos:stop])
            pos = stop
        port = ""
        if authority.startswith(":", pos):
            stop = authority.find(",", pos)
            if stop == -1:
                stop = len(authority)
            port = authority[pos + 1 : stop]
            pos = stop
        ports.append(port)
        if authority.startswith(",", pos):
            pos += 1
            continue
        break

    host_text = ",".join(hosts)
    if host_text:
        pairs.append(("host", _uri_decode(host_text, "host")))
    # Unlike libpq, a host list without any port does not store "," as the port,
    # so that PGPORT still applies to it.
    if any(ports):
        pairs.append(("port", _uri_decode(",".join(ports), "port")))

    if tail.startswith("/"):
        dbname, qmark, query = tail[1:].partition("?")
        if dbname:
            pairs.append(("dbname", _uri_decode(dbname, "database name")))
    else:
        qmark, query = (tail[:1], tail[1:])
    if qmark:
        for item in query.split("&"):
            if not item:
                continue
            if "=" not in item:
                raise ProgrammingError(
                    'missing key/value separator "=" in URI query parameter '
                    f'"{_uri_decode(item, "query")}"'
                )
            raw_key, _, raw_value = item.partition("=")
            key = _uri_decode(raw_key, "query")
            if "=" in raw_value:
                raise ProgrammingError(
                    f'extra key/value separator "=" in URI query parameter "{key}"'
                )
            value = _uri_decode(raw_value, f'query parameter "{key}"')
            if key == "ssl" and value == "true":
                # The JDBC spelling, accepted by libpq too.
                key, value = "sslmode", "require"
            pairs.append((key, value))
    return pairs


# --------------------------------------------------------------------------
# Rendering


def _quote(value: str) -> str:
    """Quote ``value`` for a keyword/value connection string when it needs it."""
    # Python's notion of whitespace is wider than libpq's: quoting those values
    # too is harmless and keeps the string readable.
    if value and not any(c in "'\\" or c.isspace() for c in value):
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def format_conninfo(values: dict[str, str]) -> str:
    """``values`` as a keyword/value connection string, each value quoted if it needs it."""
    return " ".join(f"{key}={_quote(value)}" for key, value in values.items())


def _kwarg_to_str(key: str, value: object) -> str:
    """Convert one keyword argument to the text libpq would be given."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        # libpq's boolean keywords (keepalives, sslsni...) take 1 and 0.
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str):
            return path
    raise ProgrammingError(
        f"connection parameter {key!r} must be a str or a number, not {type(value).__name__}"
    )


def _kwargs_to_values(kwargs: dict[str, object]) -> tuple[dict[str, str], list[str]]:
    """Turn keyword arguments into keyword values; also return unknown keywords."""
    values: dict[str, str] = {}
    unknown: list[str] = []
    if kwargs.get("database") is not None and kwargs.get("dbname") is not None:
        raise ProgrammingError("give the database name as dbname or database, not both")
    for key, value in kwargs.items():
        if value is None:
            continue
        if key == "database":
            key = "dbname"
        if key not in KEYWORDS:
            unknown.append(key)
            continue
        values[key] = _kwarg_to_str(key, value)
    return values, unknown


def make_conninfo(dsn: str = "", **kwargs: object) -> str:
    """Merge ``kwargs`` into ``dsn`` and return a keyword/value connection string.

    Keyword arguments override the DSN's values; ``None`` means "not given"
    and ``database`` is an alias of ``dbname``.  With no keyword arguments
    the DSN is returned unchanged, once checked.  Values are quoted as libpq
    expects, so ``parse_dsn(make_conninfo(**kw))`` gives back ``kw`` as text.
    """
    values, unknown = _parse_dsn(dsn or "")
    extra, unknown_kwargs = _kwargs_to_values(kwargs)
    unknown += [k for k in unknown_kwargs if k not in unknown]
    if unknown:
        raise _unknown_error(unknown)
    if not extra:
        return dsn or ""
    values.update(extra)
    _check_no_nul(values)
    return format_conninfo(values)


def conninfo_to_dict(conninfo: str = "", **kwargs: object) -> dict[str, object]:
    """The keywords of a connection string, with ``kwargs`` (those not None) on top.

    psycopg's spelling of :func:`parse_dsn` plus keyword overrides; the
    values of ``kwargs`` are kept as given.
    """
    values: dict[str, object] = dict(parse_dsn(conninfo))
    for key, value in kwargs.items():
        if value is not None:
            values[key] = value
    return values


# --------------------------------------------------------------------------
# Resolution


def _check_no_nul(values: dict[str, str]) -> None:
    for key, value in values.items():
        if "\x00" in value:
            # The startup packet and libpq both use NUL-terminated strings.
            raise ProgrammingError(f"connection parameter {key!r} contains a NUL character")


def _home_dir() -> str | None:
    """The user's home directory as libpq finds it: $HOME, else the password database."""
    home = os.environ.get("HOME")
    if home:
        return home
    try:
        import pwd  # POSIX only: imported here so the module loads everywhere.

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, AttributeError, OSError):
        return None


def _default_passfile() -> str:
    if os.name == "nt":
        appdata = os.environ.get("APPDATA", "")
        return os.path.join(appdata, "postgresql", "pgpass.conf")
    home = _home_dir()
    return os.path.join(home, ".pgpass") if home else ""


def _default_host() -> str:
    if os.name != "nt":
        for directory in DEFAULT_SOCKET_DIRS:
            if os.path.isdir(directory):
                return directory
    return "localhost"


def _os_user() -> str:
    # Imported here, as locale below: only a connection without a user
    # needs it, and every process's import of pgwire would pay for it.
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # KeyError, OSError, ImportError depending on the platform
        raise ProgrammingError(
            "could not determine the operating system user name: pass user= explicitly"
        ) from None


def _service_files(servicefile: str | None) -> list[str]:
    """The service files to search, user's first, as libpq does."""
    files = []
    if servicefile:
        files.append(servicefile)
    else:
        home = _home_dir()
        if os.name == "nt":
            appdata = os.environ.get("APPDATA")
            if appdata:
                files.append(os.path.join(appdata, "postgresql", ".pg_service.conf"))
        elif home:
            files.append(os.path.join(home, ".pg_service.conf"))
    sysconfdir = os.environ.get("PGSYSCONFDIR") or "/etc/postgresql-common"
    files.append(os.path.join(sysconfdir, "pg_service.conf"))
    return files


def _read_service(name: str, servicefile: str | None) -> dict[str, str]:
    """Return the keywords that service ``name`` defines in the service files."""
    for path in _service_files(servicefile):
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        found: dict[str, str] | None = None
        in_section = False
        for lineno, raw in enumerate(lines, 1):
            line = raw.strip(_SPACE)
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                if found is not None and in_section:
                    break
                in_section = line == f"[{name}]"
                if in_section:
                    found = {}
                continue
            if not in_section or found is None:
                continue
            key, eq, value = line.partition("=")
            if not eq:
                raise ProgrammingError(f'syntax error in service file "{path}", line {lineno}')
            if key in ("service", "servicefile"):
                raise ProgrammingError(
                    f'nested "{key}" specifications not supported in service file "{path}", '
                    f"line {lineno}"
                )
            if key not in KEYWORDS:
                raise ProgrammingError(
                    f'syntax error in service file "{path}", line {lineno}: unknown keyword "{key}"'
                )
            found.setdefault(key, value)
        if found is not None:
            return found
    raise ProgrammingError(f'definition of service "{name}" not found')


def _parse_port(text: str) -> int:
    text = text.strip(_SPACE)
    if not text:
        return DEFAULT_PORT
    if not _INT_RE.fullmatch(text):
        raise ProgrammingError(f'invalid integer value "{text}" for connection option "port"')
    port = int(text)
    if not 1 <= port <= 65535:
        raise ProgrammingError(f'invalid port number: "{text}"')
    return port


def _parse_timeout(text: str) -> float | None:
    text = text.strip(_SPACE)
    if not text:
        return None
    if not _NUMBER_RE.fullmatch(text):
        raise ProgrammingError(
            f'invalid value "{text}" for connection option "connect_timeout": '
            "expected a number of seconds"
        )
    seconds = float(text)
    if seconds <= 0:
        return None
    # libpq's minimum: shorter waits are too easily cut by clock granularity.
    return max(seconds, 2.0)


def _check_choice(key: str, value: str) -> str:
    choices = _CHOICES[key]
    if value not in choices:
        raise ProgrammingError(
            f'invalid {key} value: "{value}" (expected one of: {", ".join(choices)})'
        )
    return value


def protocol_versions(values: dict[str, str]) -> tuple[int, int]:
    """The (lowest, highest) protocol minor versions that min/max_protocol_version allow.

    libpq's default: 3.0 to 3.0; ``latest`` is 3.2.
    """
    bounds = []
    for key, default in (("min_protocol_version", "3.0"), ("max_protocol_version", "3.0")):
        value = values.get(key) or default
        if value == "latest":
            value = "3.2"
        if value not in ("3.0", "3.2"):
            raise ProgrammingError(f'invalid {key} value: "{value}" (expected 3.0, 3.2 or latest)')
        bounds.append(int(value[2:]))
    lowest, highest = bounds
    if lowest > highest:
        raise ProgrammingError("min_protocol_version is greater than max_protocol_version")
    return lowest, highest


def scram_keys(values: dict[str, str]) -> tuple[bytes, bytes] | None:
    """The SCRAM ClientKey and ServerKey given as base64 (both or neither), else None."""
    client, server = values.get("scram_client_key"), values.get("scram_server_key")
    if not client and not server:
        return None
    import base64

    keys = []
    for key, text in (("scram_client_key", client), ("scram_server_key", server)):
        try:
            raw = base64.b64decode(text or "", validate=True)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ProgrammingError(f"invalid {key}: expected 32 bytes in base64")
        keys.append(raw)
    return keys[0], keys[1]


def _validate_extra(values: dict[str, str]) -> None:
    """Check the keywords libpq validates before connecting."""
    for key in ("channel_binding", "gssencmode", "sslcertmode", "sslnegotiation"):
        if key in values:
            _check_choice(key, values[key])
    if values.get("gssencmode") == "require":
        raise NotSupportedError(
            'gssencmode value "require" is not supported: pgwire has no GSSAPI support'
        )
    if values.get("sslcertmode") == "require":
        # libpq fails when the server did not ask for the certificate; Python's
        # ssl module cannot tell, so the promise can't be kept.
        raise NotSupportedError(
            'sslcertmode value "require" is not supported: Python\'s ssl module cannot '
            "tell whether the server asked for a client certificate"
        )
    if values.get("channel_binding") == "require" and values.get("sslmode") == "disable":
        raise ProgrammingError('channel_binding=require needs TLS, but sslmode is "disable"')
    AuthPolicy(values.get("require_auth", ""), values.get("channel_binding", "prefer"))
    protocol_versions(values)
    scram_keys(values)
    for key in ("ssl_min_protocol_version", "ssl_max_protocol_version"):
        value = values.get(key, "")
        if value and value.lower() not in TLS_VERSIONS:
            raise ProgrammingError(
                f'invalid {key} value: "{value}" (expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)'
            )
    for key in _INT_KEYWORDS:
        value = values.get(key, "").strip(_SPACE)
        if value and not _INT_RE.fullmatch(value):
            raise ProgrammingError(f'invalid integer value "{value}" for connection option "{key}"')
    if values.get("sslnegotiation") == "direct" and values.get("sslmode") in (
        "disable",
        "allow",
        "prefer",
    ):
        raise ProgrammingError(
            'weak sslmode "{}" may not be used with sslnegotiation=direct '
            '(use "require", "verify-ca", or "verify-full")'.format(values["sslmode"])
        )


def _client_encoding(value: str) -> str | None:
    if value != "auto":
        return value
    import locale

    return pg_encoding(locale.getpreferredencoding(False))


def _host_entries(values: dict[str, str]) -> list[tuple[str, str, str]]:
    """Pair the host, hostaddr and port lists as libpq does: one (host, hostaddr, port) each.

    The texts are kept as given (empty when a list is absent or an item is
    empty).  A single port applies to every host; otherwise the lists must
    be as long as each other.
    """
    host_text = values.get("host", "")
    hostaddr_text = values.get("hostaddr", "")
    port_text = values.get("port", "")

    if hostaddr_text:
        hostaddrs = hostaddr_text.split(",")
        count = len(hostaddrs)
        if host_text:
            hostnames = host_text.split(",")
            if len(hostnames) != count:
                raise ProgrammingError(
                    f"could not match {len(hostnames)} host names to {count} hostaddr values"
                )
        else:
            hostnames = [""] * count
    else:
        hostnames = host_text.split(",") if host_text else [""]
        count = len(hostnames)
        hostaddrs = [""] * count

    if port_text:
        port_items = port_text.split(",")
        if len(port_items) == 1:
            port_items *= count
        elif len(port_items) != count:
            raise ProgrammingError(
                f"could not match {len(port_items)} port numbers to {count} hosts"
            )
    else:
        port_items = [""] * count
    return list(zip(hostnames, hostaddrs, port_items, strict=True))


def _host_spec(name: str, addr: str, port: str) -> HostSpec:
    """The HostSpec of one entry of :func:`_host_entries`, its address and port checked."""
    if addr and not _is_ip_address(addr):
        raise ProgrammingError(f'could not parse network address "{addr}"')
    return HostSpec(host=name, port=_parse_port(port), hostaddr=addr or None)


def _split_hosts(values: dict[str, str]) -> list[HostSpec]:
    """Build the host list from host, hostaddr and port, an empty host meaning the default."""
    default_host: str | None = None
    hosts = []
    for name, addr, port in _host_entries(values):
        if not name and not addr:
            if default_host is None:
                default_host = _default_host()
            name = default_host
        hosts.append(_host_spec(name, addr, port))
    return hosts


def replication_mode(value: str) -> str | None:
    """What the ``replication`` keyword asks for: "logical", "physical" or None (none).

    Accepts what the server accepts: ``database``, and its booleans (true,
    yes, on, 1 / false, no, off, 0, in any case, and prefixes as long as
    they are unambiguous).
    """
    text = value.strip().lower()
    if text == "database":
        return "logical"
    words = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
    matches = {on for word, on in words.items() if text and word.startswith(text)}
    if text in ("1", "0"):
        matches = {text == "1"}
    if len(matches) != 1:
        raise ProgrammingError(
            f'invalid replication value: "{value}"'
            " (expected database, true, false, on, off, 1 or 0)"
        )
    return "physical" if matches.pop() else None


def _add_defaults(values: dict[str, str], *, lenient_service: bool = False) -> None:
    """Complete ``values`` from the service file, then from the ``PG*`` environment.

    Values already there win.  A service that cannot be read raises
    :class:`~pgwire.errors.ProgrammingError`, unless ``lenient_service``:
    then it is passed over (connecting reports it).
    """
    env = os.environ
    service = values["service"] if "service" in values else env.get("PGSERVICE", "")
    if service:
        servicefile = values.get("servicefile") or env.get("PGSERVICEFILE") or None
        try:
            defined = _read_service(service, servicefile)
        except ProgrammingError:
            if not lenient_service:
                raise
            defined = {}
        for key, value in defined.items():
            values.setdefault(key, value)

    for key, envvar in KEYWORDS.items():
        if key not in values and envvar is not None and envvar in env:
            values[key] = env[envvar]


def make_params(dsn: str | None = None, **kwargs: object) -> ConnectParams:
    """Resolve a DSN and keyword arguments into :class:`ConnectParams`.

    ``kwargs`` must hold connection keywords only (libpq's, plus the
    ``database`` alias); ``None`` values are ignored.  The environment is read
    now.  Raises :class:`~pgwire.errors.ProgrammingError` for syntax errors,
    unknown keywords and invalid values; messages never include passwords.
    """
    values, unknown = _parse_dsn(dsn or "")
    given, unknown_kwargs = _kwargs_to_values(kwargs)
    unknown += [k for k in unknown_kwargs if k not in unknown]
    if unknown:
        raise _unknown_error(unknown)
    values.update(given)
    _check_no_nul(values)

    _add_defaults(values)
    _check_no_nul(values)
    env = os.environ

    if "sslmode" not in values:
        # libpq: trusting the system's CA store only makes sense with full checks.
        values["sslmode"] = "verify-full" if values.get("sslrootcert") == "system" else "prefer"

    sslmode = _check_choice("sslmode", values["sslmode"])
    if values.get("sslrootcert") == "system" and sslmode != "verify-full":
        raise ProgrammingError(
            f'weak sslmode "{sslmode}" may not be used with sslrootcert=system (use "verify-full")'
        )
    target_session_attrs = _check_choice(
        "target_session_attrs", values.get("target_session_attrs", "any")
    )
    load_balance_hosts = _check_choice(
        "load_balance_hosts", values.get("load_balance_hosts", "disable")
    )
    _validate_extra(values)

    hosts = _split_hosts(values)
    connect_timeout = _parse_timeout(values.get("connect_timeout", ""))
    user = values.get("user") or _os_user()
    dbname = values.get("dbname") or user
    passfile = values.get("passfile") or _default_passfile()

    server_settings: dict[str, str] = {}
    # Same order as libpq's startup packet, after user and database.
    replication = replication_mode(values["replication"]) if values.get("replication") else None
    if replication is not None:
        # The server takes "database" in lower case only.
        server_settings["replication"] = "database" if replication == "logical" else "true"
    options = values.get("options") or None
    if options:
        server_settings["options"] = options
    if "application_name" in values:
        # An explicit empty name suppresses the fallback, as in libpq.
        application_name = values["application_name"] or None
    else:
        application_name = values.get("fallback_application_name") or None
    if application_name:
        server_settings["application_name"] = application_name
    encoding = values.get("client_encoding")
    if encoding:
        resolved = _client_encoding(encoding)
        if resolved:
            server_settings["client_encoding"] = resolved
    for envvar, setting in _ENV_STARTUP_SETTINGS:
        env_value = env.get(envvar)
        if env_value and env_value.lower() != "default":
            server_settings[setting] = env_value

    extra = {k: v for k, v in values.items() if k not in _CONSUMED_KEYWORDS}

    return ConnectParams(
        hosts=hosts,
        user=user,
        dbname=dbname,
        password=values.get("password"),
        passfile=passfile,
        connect_timeout=connect_timeout,
        sslmode=sslmode,
        application_name=application_name,
        options=options,
        target_session_attrs=target_session_attrs,
        load_balance_hosts=load_balance_hosts,
        server_settings=server_settings,
        extra=extra,
    )


# --------------------------------------------------------------------------
# Name resolution and connection attempts


def _is_ip_address(text: str) -> bool:
    """Whether ``text`` is a numeric IPv4 address, or IPv6 (with a ``%zone`` or not).

    Checked as :mod:`ipaddress` checks it, with the socket module's parser:
    importing ipaddress costs a process milliseconds before its first row.
    """
    address, zone_mark, zone = text.partition("%")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    if zone_mark and (family == socket.AF_INET or not zone or "%" in zone or "/" in zone):
        return False
    try:
        socket.inet_pton(family, address)
    except (OSError, ValueError):  # ValueError: a NUL character
        return False
    return True


def _without_lookup(host: HostSpec) -> list[HostSpec] | None:
    """The attempts for ``host`` when they need no name resolution, else None.

    A Unix socket, an entry with its ``hostaddr``, and an empty host (the
    default one) stay as they are; a host given as a numeric address gets
    it as its ``hostaddr`` too.
    """
    if host.hostaddr or host.is_unix or not host.host:
        return [host]
    if _is_ip_address(host.host):
        return [host._replace(hostaddr=host.host)]
    return None


def resolver_name(name: str) -> str | bytes:
    """``name`` as handed to :func:`socket.getaddrinfo`: an ASCII name as bytes, as libpq does.

    A str goes through Python's IDNA codec, whose first use imports it (a few
    milliseconds on a process's first connection); only a name with other
    characters needs it.
    """
    return name.encode("ascii") if name.isascii() else name


def _lookup_error(host: HostSpec, exc: BaseException) -> OperationalError:
    return OperationalError(f'could not translate host name "{host.host}": {exc}')


def shuffle_hosts(items: list[Any]) -> None:
    """Shuffle ``items`` in place, for ``load_balance_hosts=random``.

    :mod:`random` is imported by the first shuffle: a process that never
    balances hosts does not pay milliseconds of its start for it.
    """
    import random

    random.shuffle(items)


def _from_addresses(host: HostSpec, infos: list[Any], shuffle: bool) -> list[HostSpec]:
    """One attempt per distinct IP address among getaddrinfo's answers, in their order."""
    found: list[str] = []
    for family, _kind, _proto, _name, addr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and addr[0] not in found:
            found.append(addr[0])
    if shuffle:
        shuffle_hosts(found)
    return [host._replace(hostaddr=address) for address in found] or [host]


def lookup(host: HostSpec, shuffle: bool = False) -> list[HostSpec]:
    """The attempts for ``host``: one per address its name resolves to.

    Each keeps the host name (for TLS and the password file) with the numeric
    address in ``hostaddr``; ``shuffle`` puts the addresses in random order
    (``load_balance_hosts=random``).  Hosts needing no resolution (socket
    directories, numeric addresses, a ``hostaddr`` already there) come back
    alone.  Blocks on :func:`socket.getaddrinfo`; raises
    :class:`~pgwire.errors.OperationalError` when the name does not resolve.
    """
    attempts = _without_lookup(host)
    if attempts is not None:
        return attempts
    try:
        infos = socket.getaddrinfo(resolver_name(host.host), host.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _lookup_error(host, exc) from None
    return _from_addresses(host, infos, shuffle)


async def lookup_async(host: HostSpec, shuffle: bool = False) -> list[HostSpec]:
    """:func:`lookup` for asyncio: the name is resolved by the running loop's getaddrinfo()."""
    attempts = _without_lookup(host)
    if attempts is not None:
        return attempts
    import asyncio  # here, so that importing pgwire does not load asyncio

    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(resolver_name(host.host), host.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _lookup_error(host, exc) from None
    return _from_addresses(host, list(infos), shuffle)


def session_passes(target_session_attrs: str) -> list[str]:
    """The ``target_session_attrs`` each pass over the hosts asks for, in order.

    ``prefer-standby`` is libpq's two passes: every host as a standby, then
    every host again accepting any server.
    """
    if target_session_attrs == "prefer-standby":
        return ["standby", "any"]
    return [target_session_attrs]


def _given_values(params: Mapping[str, object]) -> dict[str, str]:
    """``params`` as connection keyword texts (``None`` dropped, ``database`` as ``dbname``).

    Keys that are not connection keywords are left out: connecting reports them.
    """
    values, _unknown = _kwargs_to_values(dict(params))
    return values


class _AttemptPlan:
    """What :func:`conninfo_attempts` needs besides name resolution.

    ``entries`` pairs each host's attempt parameters (before resolution) with
    the HostSpec to resolve, in the order to try them.
    """

    __slots__ = ("entries", "explicit_any", "passes", "shuffle")

    def __init__(
        self,
        entries: list[tuple[dict[str, object], HostSpec]],
        shuffle: bool,
        passes: list[str],
        explicit_any: bool,
    ) -> None:
        self.entries = entries
        self.shuffle = shuffle
        self.passes = passes
        self.explicit_any = explicit_any

    @classmethod
    def of(cls, params: Mapping[str, object]) -> _AttemptPlan:
        given = _given_values(params)
        values = dict(given)
        _add_defaults(values, lenient_service=True)
        wanted = _check_choice("target_session_attrs", values.get("target_session_attrs") or "any")
        balance = _check_choice("load_balance_hosts", values.get("load_balance_hosts") or "disable")

        base: dict[str, object] = dict(params)
        explicit_any = False
        if wanted == "prefer-standby":
            # The passes set target_session_attrs themselves; the "any" pass
            # leaves it out, unless the service or environment would then
            # supply another value.
            base.pop("target_session_attrs", None)
            rest = {k: v for k, v in given.items() if k != "target_session_attrs"}
            _add_defaults(rest, lenient_service=True)
            explicit_any = "target_session_attrs" in rest

        entries = _host_entries(values)
        several = len(entries) > 1
        planned: list[tuple[dict[str, object], HostSpec]] = []
        for name, addr, port in entries:
            attempt = dict(base)
            if several:
                # Only the lists that were given are split, one item per attempt.
                for key, text in (("host", name), ("hostaddr", addr), ("port", port)):
                    if values.get(key):
                        attempt[key] = text
            planned.append((attempt, _host_spec(name, addr, port)))
        shuffle = balance == "random"
        if shuffle:
            shuffle_hosts(planned)
        return cls(planned, shuffle, session_passes(wanted), explicit_any)

    def finish(
        self,
        resolved: list[tuple[dict[str, object], HostSpec, list[HostSpec]]],
        errors: list[OperationalError],
    ) -> list[dict[str, object]]:
        """The attempts, given each entry's resolution; raise if no host resolved."""
        if not resolved:
            if len(errors) == 1:
                raise errors[0]
            raise OperationalError(
                "could not translate any host name: " + "; ".join(str(e) for e in errors)
            )
        attempts: list[dict[str, object]] = []
        for attempt, spec, targets in resolved:
            for target in targets:
                one = dict(attempt)
                if target.hostaddr and target.hostaddr != spec.hostaddr:
                    one["hostaddr"] = target.hostaddr
                attempts.append(one)
        if len(self.passes) == 1:
            return attempts
        passes: list[dict[str, object]] = []
        for attrs in self.passes:
            if attrs == "any" and not self.explicit_any:
                passes += attempts
            else:
                passes += [{**a, "target_session_attrs": attrs} for a in attempts]
        return passes


def conninfo_attempts(params: Mapping[str, object]) -> list[dict[str, object]]:
    """Split connection parameters into the attempts libpq would make, in order.

    ``params`` is what :func:`conninfo_to_dict` returns (or any mapping of
    connection keywords).  Each attempt is a copy of ``params`` for one
    server: the ``host``, ``hostaddr`` and ``port`` lists (from ``params``,
    the service file or ``PGHOST``/``PGHOSTADDR``/``PGPORT``) are paired as
    libpq pairs them, and a host name is resolved to its addresses, each one
    an attempt with it in ``hostaddr``.  Hosts that do not resolve are
    dropped; :class:`~pgwire.errors.OperationalError` is raised when none
    does.  Hosts, then each host's addresses, come in random order with
    ``load_balance_hosts=random``; ``target_session_attrs=prefer-standby``
    gives every attempt with ``target_session_attrs=standby``, then every
    attempt again without it.  Mismatched lists or invalid values raise
    :class:`~pgwire.errors.ProgrammingError`.

    Name resolution blocks; see :func:`conninfo_attempts_async`.
    """
    plan = _AttemptPlan.of(params)
    resolved = []
    errors = []
    for attempt, spec in plan.entries:
        try:
            resolved.append((attempt, spec, lookup(spec, plan.shuffle)))
        except OperationalError as exc:
            errors.append(exc)
    return plan.finish(resolved, errors)


async def conninfo_attempts_async(params: Mapping[str, object]) -> list[dict[str, object]]:
    """:func:`conninfo_attempts` resolving host names with the running asyncio loop."""
    plan = _AttemptPlan.of(params)
    resolved = []
    errors = []
    for attempt, spec in plan.entries:
        try:
            resolved.append((attempt, spec, await lookup_async(spec, plan.shuffle)))
        except OperationalError as exc:
            errors.append(exc)
    return plan.finish(resolved, errors)


def timeout_from_conninfo(params: Mapping[str, object]) -> int:
    """The seconds to allow for connecting to one host, as ``connect_timeout`` says.

    ``connect_timeout`` comes from ``params``, the service file or
    ``PGCONNECT_TIMEOUT``; as in libpq a value under 2 seconds counts as 2.
    When it sets no limit (absent, zero or negative) the answer is
    :data:`DEFAULT_CONNECT_TIMEOUT`, so that it is always finite.  Raises
    :class:`~pgwire.errors.ProgrammingError` when the value is not a number.
    """
    values = _given_values(params)
    _add_defaults(values, lenient_service=True)
    timeout = _parse_timeout(values.get("connect_timeout", ""))
    if timeout is None or not math.isfinite(timeout):
        return DEFAULT_CONNECT_TIMEOUT
    return int(timeout)


# --------------------------------------------------------------------------
# Password file


def _pgpass_field(line: str, pos: int, token: str) -> int | None:
    """Match the field of ``line`` starting at ``pos`` against ``token``.

    Returns the position after the field's ":" terminator, or None when the
    field does not match.  A field that is exactly ``*`` matches anything;
    ``\\`` escapes the next character.
    """
    if line.startswith("*:", pos):
        return pos + 2
    chars: list[str] = []
    n = len(line)
    while pos < n:
        c = line[pos]
        if c == "\\" and pos + 1 < n:
            chars.append(line[pos + 1])
            pos += 2
            continue
        if c == ":":
            return pos + 1 if "".join(chars) == token else None
        chars.append(c)
        pos += 1
    # A field not terminated by ":" cannot be followed by a password.
    return None


def _pgpass_password(line: str, pos: int) -> str:
    """Unescape the password field, which ends at an unescaped ":" or the line's end."""
    chars: list[str] = []
    n = len(line)
    while pos < n and line[pos] != ":":
        if line[pos] == "\\" and pos + 1 < n:
            pos += 1
        chars.append(line[pos])
        pos += 1
    return "".join(chars)


def _is_default_socket_dir(host: str) -> bool:
    normalised = host.rstrip("/") or "/"
    return any(normalised == (d.rstrip("/") or "/") for d in DEFAULT_SOCKET_DIRS)


def read_pgpass(path: str, host: str, port: int, dbname: str, user: str) -> str | None:
    """Look up a password in the password file at ``path``, as libpq does.

    Lines are ``host:port:database:user:password``; ``*`` matches any value,
    ``\\:`` and ``\\\\`` escape, lines starting with ``#`` are comments and
    the first matching line wins.  An empty ``host`` or the default Unix
    socket directory is looked up as ``localhost``.  Returns None when the
    file is missing, unreadable or nothing matches.  On POSIX a file that is
    not a regular file, or that group or others may access, is ignored with a
    warning, as libpq ignores it.  Bytes that are not UTF-8 are kept as
    surrogate escapes.
    """
    if not path or not dbname or not user:
        return None
    if not host or (host.startswith(("/", "@")) and _is_default_socket_dir(host)):
        host = "localhost"
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if os.name != "nt":
        if not stat.S_ISREG(st.st_mode):
            warnings.warn(f'password file "{path}" is not a plain file', stacklevel=2)
            return None
        if st.st_mode & 0o077:
            warnings.warn(
                f'password file "{path}" has group or world access; '
                "permissions should be u=rw (0600) or less",
                stacklevel=2,
            )
            return None
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            content = f.read()
    except OSError:
        return None
    port_text = str(port)
    for line in content.split("\n"):
        line = line.rstrip("\r\n")
        if not line or line.startswith("#"):
            continue
        pos: int | None = 0
        for token in (host, port_text, dbname, user):
            assert pos is not None
            pos = _pgpass_field(line, pos, token)
            if pos is None:
                break
        if pos is not None:
            return _pgpass_password(line, pos)
    return None


#: The methods ``require_auth`` names, as libpq spells them.
AUTH_METHODS = ("password", "md5", "gss", "sspi", "scram-sha-256", "oauth", "none")

# What libpq says the server asked for, by method.
_REQUESTED = {
    "password": "server requested a cleartext password",
    "md5": "server requested a hashed password",
    "gss": "server requested GSSAPI authentication",
    "sspi": "server requested SSPI authentication",
    "scram-sha-256": "server requested SASL authentication",
    "oauth": "server requested OAuth authentication",
    "none": "server did not complete authentication",
}


class AuthPolicy:
    """What the client accepts of the server's authentication: libpq's
    ``require_auth`` and ``channel_binding``.

    ``require_auth`` is a comma-separated list of methods the server must
    use (``none``: no authentication at all), or of methods it must not use,
    each prefixed with ``!``. Checked when the server asks for a method,
    before any credential goes out.
    """

    def __init__(self, require_auth: str = "", channel_binding: str = "prefer") -> None:
        self.text = require_auth
        self.channel_binding = channel_binding or "prefer"
        if self.channel_binding not in ("disable", "prefer", "require"):
            raise ProgrammingError(f'invalid channel_binding value: "{channel_binding}"')
        self.allowed = set(AUTH_METHODS)
        if not require_auth:
            return
        names = [item.strip() for item in require_auth.split(",")]
        negated = [name.startswith("!") for name in names]
        if any(negated) and not all(negated):
            raise ProgrammingError(
                f'invalid require_auth value: "{require_auth}": negative methods ("!") '
                "cannot be mixed with required methods"
            )
        methods = [name[1:] if name.startswith("!") else name for name in names]
        for method in methods:
            if method not in AUTH_METHODS:
                raise ProgrammingError(
                    f'invalid require_auth method: "{method}" (expected one of: '
                    + ", ".join(AUTH_METHODS)
                    + ", each optionally prefixed with !)"
                )
            if methods.count(method) > 1:
                raise ProgrammingError(
                    f'require_auth method "{method}" is specified more than once'
                )
        if all(negated):
            self.allowed -= set(methods)
        else:
            self.allowed = set(methods)

    def check(self, method: str) -> None:
        """Raise unless the server may authenticate the client with ``method``."""
        if method not in self.allowed:
            raise OperationalError(
                f'authentication method requirement "{self.text}" failed: {_REQUESTED[method]}'
            )
        if self.channel_binding == "require" and method != "scram-sha-256":
            if method == "none":
                raise OperationalError(
                    "channel binding required, but server authenticated client "
                    "without channel binding"
                )
            raise OperationalError(
                "channel binding required but not supported by server's authentication "
                f"request ({_REQUESTED[method]})"
            )
