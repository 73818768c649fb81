"""Two-phase commit: transaction ids and the statements of the DB-API tpc_*() methods.

PostgreSQL names a prepared transaction with a string (its "gid").  The
DB-API speaks of XA triples (format id, global transaction id, branch
qualifier); an :class:`Xid` holds either and converts the triple to a gid
the way the PostgreSQL JDBC driver does (``<format_id>_<b64 gtrid>_<b64
bqual>``), so that both drivers recognise each other's transactions.

Nothing here does I/O: :class:`TpcState` answers with the statements to run,
and the blocking and asyncio connections run them.
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
from typing import Any

from .engine.composition import quote
from .errors import ProgrammingError

#: An XA gid: format id, gtrid and bqual in base64 (compiled by re at its first use).
_XA_GID = r"(\d+)_([^_]*)_([^_]*)"

#: The query tpc_recover() runs.
RECOVER_QUERY = "SELECT gid, prepared, owner, database FROM pg_prepared_xacts"


class Xid:
    """A two-phase transaction id: an XA triple, or a plain PostgreSQL gid.

    Unpacks as the 3-tuple ``(format_id, gtrid, bqual)``; a plain gid has
    ``format_id`` and ``bqual`` None.  ``prepared``, ``owner`` and
    ``database`` are filled in by ``tpc_recover()``.  Immutable, compared
    and hashed by all six.
    """

    __slots__ = ("format_id", "gtrid", "bqual", "prepared", "owner", "database")

    format_id: int | None
    gtrid: str
    bqual: str | None
    prepared: dt.datetime | None
    owner: str | None
    database: str | None

    def __init__(
        self,
        format_id: int | None,
        gtrid: str,
        bqual: str | None,
        prepared: dt.datetime | None = None,
        owner: str | None = None,
        database: str | None = None,
    ) -> None:
        values = (format_id, gtrid, bqual, prepared, owner, database)
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Xid is immutable: cannot assign {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Xid is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[Xid], tuple[Any, ...]]:
        return (type(self), self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Xid({fields})"

    @classmethod
    def from_parts(cls, format_id: int | None, gtrid: str, bqual: str | None) -> Xid:
        """An Xid from its parts, checked as the XA specification wants."""
        if format_id is None:
            if bqual is not None:
                raise TypeError("if format_id is None, bqual must be None too")
            return cls(None, gtrid, None)
        if bqual is None:
            raise TypeError("if format_id is specified, bqual must be too")
        if not 0 <= format_id < 0x80000000:
            raise ValueError("format_id must be a non-negative 32-bit integer")
        for name, value in (("gtrid", gtrid), ("bqual", bqual)):
            if len(value) > 64:
                raise ValueError(f"{name} must be not longer than 64 chars")
        return cls(format_id, gtrid, bqual)

    @classmethod
    def from_string(cls, gid: str) -> Xid:
        """The Xid of a gid: an XA triple if it has that form, else a plain gid."""
        match = re.fullmatch(_XA_GID, gid)
        if match is not None:
            from base64 import b64decode

            try:
                gtrid = b64decode(match.group(2), validate=True).decode()
                bqual = b64decode(match.group(3), validate=True).decode()
                return cls.from_parts(int(match.group(1)), gtrid, bqual)
            except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
                pass
        return cls(None, gid, None)

    def __str__(self) -> str:
        """The PostgreSQL gid of this transaction."""
        if self.format_id is None or self.bqual is None:
            return self.gtrid
        from base64 import b64encode

        gtrid = b64encode(self.gtrid.encode()).decode()
        bqual = b64encode(self.bqual.encode()).decode()
        return f"{self.format_id}_{gtrid}_{bqual}"

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> int | str | None:
        return (self.format_id, self.gtrid, self.bqual)[index]

    @classmethod
    def from_record(cls, gid: str, prepared: dt.datetime, owner: str, database: str) -> Xid:
        """The Xid of a row of ``pg_prepared_xacts``."""
        xid = cls.from_string(gid)
        return cls(xid.format_id, xid.gtrid, xid.bqual, prepared, owner, database)


def as_xid(xid: Xid | str) -> Xid:
    """``xid`` as an Xid (a string is parsed as a gid)."""
    return xid if isinstance(xid, Xid) else Xid.from_string(xid)


class TpcState:
    """The two-phase transaction of a connection, if any, and what each step sends."""

    def __init__(self) -> None:
        self.xid: Xid | None = None
        self.prepared = False

    @property
    def active(self) -> bool:
        """True between tpc_begin() and the end of the transaction."""
        return self.xid is not None

    def begin(self, xid: Xid | str, idle: bool, autocommit: bool) -> Xid:
        """Start tracking ``xid``; the caller then sends its BEGIN."""
        xid = as_xid(xid)
        if not idle:
            raise ProgrammingError(
                "can't start a two-phase transaction: the connection is in a transaction"
            )
        if autocommit:
            raise ProgrammingError("can't use two-phase transactions in autocommit mode")
        self.xid, self.prepared = xid, False
        return xid

    def prepare(self) -> bytes:
        """The PREPARE TRANSACTION statement of the first phase."""
        if self.xid is None:
            raise ProgrammingError("tpc_prepare() must be called inside a two-phase transaction")
        if self.prepared:
            raise ProgrammingError(
                "tpc_prepare() cannot be used during a prepared two-phase transaction"
            )
        self.prepared = True
        return ("PREPARE TRANSACTION " + quote(str(self.xid))).encode()

    def finish(self, action: str, xid: Xid | str | None) -> bytes:
        """The statement ending the transaction with ``action`` (COMMIT or ROLLBACK).

        Without ``xid``: the current transaction, in one phase (plain
        COMMIT/ROLLBACK) if it was not prepared.  With ``xid``: a prepared
        transaction recovered from elsewhere, outside any two-phase one.
        """
        name = f"tpc_{action.lower()}()"
        if xid is None:
            if self.xid is None:
                raise ProgrammingError(
                    f"{name} without xid must be called inside a two-phase transaction"
                )
            target, one_phase = self.xid, not self.prepared
        else:
            if self.xid is not None:
                raise ProgrammingError(
                    f"{name} with xid must be called outside a two-phase transaction"
                )
            target, one_phase = as_xid(xid), False
        self.xid, self.prepared = None, False
        if one_phase:
            return action.encode()
        return f"{action} PREPARED {quote(str(target))}".encode()

    def check_no_tpc(self, command: str) -> None:
        """Refuse commit()/rollback() inside a two-phase transaction."""
        if self.xid is not None:
            raise ProgrammingError(f"{command}() cannot be used during a two-phase transaction")


def recovered(rows: list[Any]) -> list[Xid]:
    """The Xids of the rows of :data:`RECOVER_QUERY`."""
    return [Xid.from_record(*row) for row in rows]


__all__ = ["RECOVER_QUERY", "TpcState", "Xid", "as_xid", "recovered"]
