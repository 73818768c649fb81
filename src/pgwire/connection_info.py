"""What a connection tells of its session (``conn.info``) and the states it reports."""

from __future__ import annotations

import codecs
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from .conninfo import format_conninfo
from .errors import OperationalError
from .protocol import core
from .protocol import messages as m

if TYPE_CHECKING:
    from ._base import BaseConnection

__all__ = [
    "ConnStatus",
    "ConnectionInfo",
    "IsolationLevel",
    "PipelineStatus",
    "TransactionStatus",
    "transaction_status",
]


class IsolationLevel(IntEnum):
    """Transaction isolation levels, for ``conn.isolation_level``."""

    READ_UNCOMMITTED = 1
    READ_COMMITTED = 2
    REPEATABLE_READ = 3
    SERIALIZABLE = 4


class TransactionStatus(IntEnum):
    """Where the session stands with respect to transactions."""

    IDLE = 0
    ACTIVE = 1
    INTRANS = 2
    INERROR = 3
    UNKNOWN = 4


class ConnStatus(IntEnum):
    """Whether the connection is usable (``conn.info.status``)."""

    OK = 0
    BAD = 1


class PipelineStatus(IntEnum):
    """Whether the connection is in pipeline mode (``conn.info.pipeline_status``)."""

    OFF = 0
    ON = 1
    ABORTED = 2


_STATUS = {
    core.IDLE: TransactionStatus.IDLE,
    core.INTRANS: TransactionStatus.INTRANS,
    core.INERROR: TransactionStatus.INERROR,
}


def transaction_status(status: int) -> TransactionStatus:
    """The status a ReadyForQuery byte (``Protocol.transaction_status``) stands for."""
    return _STATUS.get(status, TransactionStatus.UNKNOWN)


class ConnectionInfo:
    """Facts about the session: server, backend and parameter status."""

    def __init__(self, conn: BaseConnection) -> None:
        self._conn = conn

    @property
    def server_version(self) -> int:
        """The server version as an integer (e.g. 180001, 150018)."""
        raw = self._conn._proto.parameters.get("server_version", "0")
        parts = raw.split()[0].split(".")
        try:
            major = int(parts[0])
            minor = int("".join(c for c in parts[1] if c.isdigit()) or 0) if len(parts) > 1 else 0
        except ValueError:
            return 0
        return major * 10000 + minor if major >= 10 else major * 10000 + minor * 100

    @property
    def backend_pid(self) -> int:
        """The process id of the backend serving this session (OperationalError once closed)."""
        return self._open_conn()._proto.backend_pid

    def parameter_status(self, name: str) -> str | None:
        """The last value the server reported for a parameter (e.g. "TimeZone")."""
        return self._conn._proto.parameters.get(name)

    @property
    def parameters(self) -> dict[str, str]:
        """Every parameter the server has reported, by name."""
        return dict(self._conn._proto.parameters)

    @property
    def transaction_status(self) -> TransactionStatus:
        """IDLE, INTRANS, INERROR, ACTIVE (a query or COPY running) or UNKNOWN (closed)."""
        conn = self._conn
        if conn.closed:
            return TransactionStatus.UNKNOWN
        if conn._inflight is not None or conn._copying:
            return TransactionStatus.ACTIVE
        return transaction_status(conn._proto.transaction_status)

    def _open_conn(self) -> BaseConnection:
        """The connection, refusing to describe one that is closed (as libpq)."""
        if self._conn.closed:
            raise OperationalError("the connection is closed")
        return self._conn

    @property
    def host(self) -> str:
        """The host (or socket directory) connected to."""
        return self._open_conn()._host.host

    @property
    def hostaddr(self) -> str:
        """The numeric address connected to ('' over a Unix socket)."""
        conn = self._open_conn()
        if conn._host.hostaddr:
            return conn._host.hostaddr
        try:
            address = conn._chan.sock.getpeername()
        except (OSError, AttributeError):
            return ""
        return address[0] if isinstance(address, tuple) else ""

    @property
    def port(self) -> int:
        """The port connected to."""
        return self._open_conn()._host.port

    @property
    def dbname(self) -> str:
        """The database name."""
        return self._open_conn()._params.dbname

    @property
    def user(self) -> str:
        """The user name."""
        return self._open_conn()._params.user

    @property
    def password(self) -> str:
        """The password given to connect ('' if none)."""
        conn = self._open_conn()
        return conn._params.password_for(conn._host) or ""

    @property
    def options(self) -> str:
        """The ``options`` connection parameter ('' if none)."""
        return self._open_conn()._params.options or ""

    @property
    def vendor(self) -> str:
        """The server's vendor: "PostgreSQL"."""
        return "PostgreSQL"

    @property
    def status(self) -> ConnStatus:
        """OK while the connection is usable, BAD once closed or lost."""
        return ConnStatus.BAD if self._conn.closed else ConnStatus.OK

    @property
    def pipeline_status(self) -> PipelineStatus:
        """ON inside ``conn.pipeline()``, ABORTED after an error there, else OFF."""
        pipeline = getattr(self._conn, "_pipeline", None)
        if pipeline is None:
            return PipelineStatus.OFF
        return PipelineStatus.ABORTED if pipeline.aborted else PipelineStatus.ON

    @property
    def full_protocol_version(self) -> int:
        """The protocol version in use as major * 10000 + minor (30000 for 3.0)."""
        proto = self._open_conn()._proto
        version = getattr(proto, "protocol_version", m.PROTOCOL_VERSION)
        return (version >> 16) * 10000 + (version & 0xFFFF)

    @property
    def error_message(self) -> str:
        """The text of the last error the server reported ('' if none), as libpq shows it."""
        conn = self._conn
        if conn.closed:
            return "connection pointer is NULL\n"
        return conn._proto.last_error_message

    def get_parameters(self) -> dict[str, str]:
        """The connection parameters in use, the password left out."""
        conn = self._open_conn()
        params, host = conn._params, conn._host
        out = {"host": host.host, "port": str(host.port), "user": params.user}
        out["dbname"] = params.dbname
        if host.hostaddr:
            out["hostaddr"] = host.hostaddr
        if params.application_name:
            out["application_name"] = params.application_name
        if params.options:
            out["options"] = params.options
        if params.connect_timeout is not None:
            out["connect_timeout"] = f"{params.connect_timeout:g}"
        if params.sslmode != "prefer":
            out["sslmode"] = params.sslmode
        for key, value in params.extra.items():
            if key not in _SECRET_PARAMETERS:
                out.setdefault(key, value)
        out.pop("password", None)
        return out

    @property
    def dsn(self) -> str:
        """The connection parameters as a connection string, without the password."""
        return format_conninfo(self.get_parameters())

    @property
    def encoding(self) -> str:
        """The Python codec of the client encoding, by its canonical name (``iso8859-15``)."""
        return codecs.lookup(self._conn.adapt_context.encoding).name

    @property
    def timezone(self) -> Any:
        """The session time zone as a tzinfo."""
        return self._conn.adapt_context.timezone


_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
