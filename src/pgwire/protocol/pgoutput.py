"""The messages of ``pgoutput``, PostgreSQL's logical decoding plugin, sans I/O.

Each XLogData of a logical stream started with ``pgoutput`` carries one
message: a transaction's Begin and Commit, the Relation describing a table
before its first change, Insert/Update/Delete/Truncate, Type, Origin,
logical decoding Messages, the Stream Start/Stop/Commit/Abort framing of
in-progress transactions (protocol version 2 on) and the two-phase commit
messages (version 3 on; version 4 adds the abort position of a streamed
transaction applied in parallel).

:class:`PgOutputDecoder` turns them into the dataclasses below, caching the
relations it was told about.  Column values are decoded by loaders the
caller picks per type OID and format (``column_loaders``): the decoder
itself knows no types.  A value the server left out (an unchanged TOASTed
column of an Update) reads as :data:`UNCHANGED_TOAST`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from struct import Struct
from struct import error as struct_error
from typing import Any

from .buffer import ProtocolViolation
from .replication import pg_timestamp

ColumnLoaders = Callable[[Sequence[int], Sequence[int]], list[Callable[[bytes], Any]]]
"""Picks one load function per column from their type OIDs and formats (0 text, 1 binary)."""

_u8 = Struct("!B")
_i16 = Struct("!h")
_u32 = Struct("!I")
_i32 = Struct("!i")
_u64 = Struct("!Q")
_i64 = Struct("!q")
_begin = Struct("!QqI")
_commit = Struct("!BQQq")
_prepare_head = Struct("!BQQqI")
_begin_prepare = Struct("!QQqI")
_rollback_prepared = Struct("!BQQqqI")


class _UnchangedToast:
    """The value of a TOASTed column an Update left unchanged (the server doesn't send it)."""

    _instance: _UnchangedToast | None = None

    def __new__(cls) -> _UnchangedToast:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNCHANGED_TOAST"

    def __bool__(self) -> bool:
        return False


UNCHANGED_TOAST: Any = _UnchangedToast()
"""Stands for a column value the server did not send (unchanged TOASTed data)."""


# --- the messages ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PgOutputMessage:
    """What every pgoutput message has: the WAL position of the XLogData that carried it."""

    lsn: int
    """Acknowledge this (``stream.ack(msg)``) once the message is processed.

    A Commit's is the end of its transaction; Relation and Type messages,
    sent outside the WAL order, have 0.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class Begin(PgOutputMessage):
    """A transaction starts; its changes follow, then its Commit."""

    final_lsn: int
    commit_time: datetime
    xid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit(PgOutputMessage):
    """A transaction committed; acknowledging it means it is never delivered again."""

    flags: int
    commit_lsn: int
    end_lsn: int
    commit_time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin(PgOutputMessage):
    """The transaction came from another node (replication origin)."""

    origin_lsn: int
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RelationColumn:
    """One column of a Relation."""

    name: str
    type_oid: int
    type_modifier: int
    key: bool
    """Part of the replica identity (the key Updates and Deletes send)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Relation(PgOutputMessage):
    """A table as the changes that follow describe their rows."""

    relation_id: int
    namespace: str
    name: str
    replica_identity: str
    """``d`` default (primary key), ``n`` nothing, ``f`` full row, ``i`` an index."""
    columns: tuple[RelationColumn, ...]
    xid: int | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of the columns, in the order of the row values."""
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, slots=True, kw_only=True)
class Type(PgOutputMessage):
    """A data type (not a builtin one) used by the relation described next."""

    type_oid: int
    namespace: str
    name: str
    xid: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Change(PgOutputMessage):
    """A row change of ``relation``; ``xid`` is set inside a streamed transaction."""

    relation: Relation
    xid: int | None = None

    def as_dict(self, values: Sequence[Any] | None) -> dict[str, Any] | None:
        """The row ``values`` (``msg.new``, ``msg.old``) keyed by column name."""
        if values is None:
            return None
        return dict(zip(self.relation.column_names, values, strict=True))


@dataclass(frozen=True, slots=True, kw_only=True)
class Insert(Change):
    """A row was inserted."""

    new: tuple[Any, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Update(Change):
    """A row was updated.

    ``old`` is the old key (``old_kind`` ``"K"``, other columns None) when the
    key changed, the whole old row (``"O"``) with REPLICA IDENTITY FULL, or
    None.
    """

    old: tuple[Any, ...] | None
    old_kind: str | None
    new: tuple[Any, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete(Change):
    """A row was deleted: ``old`` holds its key (``"K"``) or its whole row (``"O"``)."""

    old: tuple[Any, ...]
    old_kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Truncate(PgOutputMessage):
    """Tables were truncated (``cascade``, ``restart_identity`` as in TRUNCATE)."""

    relations: tuple[Relation, ...]
    cascade: bool
    restart_identity: bool
    xid: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(PgOutputMessage):
    """A message written with ``pg_logical_emit_message`` (plugin option ``messages``)."""

    transactional: bool
    message_lsn: int
    prefix: str
    content: bytes
    xid: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamStart(PgOutputMessage):
    """A block of changes of in-progress transaction ``xid`` follows."""

    xid: int
    first_segment: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamStop(PgOutputMessage):
    """The end of a block of streamed changes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamCommit(Commit):
    """A streamed transaction committed (a Commit: acknowledge it the same way)."""

    xid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamAbort(PgOutputMessage):
    """A streamed (sub)transaction aborted: drop its changes.

    ``abort_lsn`` and ``abort_time`` come with protocol version 4 and
    ``streaming`` ``parallel`` only.
    """

    xid: int
    subxid: int
    abort_lsn: int | None = None
    abort_time: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BeginPrepare(PgOutputMessage):
    """A transaction to be prepared for two-phase commit starts."""

    prepare_lsn: int
    end_lsn: int
    prepare_time: datetime
    xid: int
    gid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare(PgOutputMessage):
    """The transaction was prepared (PREPARE TRANSACTION ``gid``)."""

    flags: int
    prepare_lsn: int
    end_lsn: int
    prepare_time: datetime
    xid: int
    gid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamPrepare(Prepare):
    """A streamed transaction was prepared."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitPrepared(Commit):
    """COMMIT PREPARED ``gid`` (a Commit: acknowledge it the same way)."""

    xid: int
    gid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackPrepared(PgOutputMessage):
    """ROLLBACK PREPARED ``gid``."""

    flags: int
    prepare_end_lsn: int
    rollback_end_lsn: int
    prepare_time: datetime
    rollback_time: datetime
    xid: int
    gid: str


# --- decoding --------------------------------------------------------------------------


@dataclass
class _RelationLoaders:
    """A relation's load functions, per format, picked on first use."""

    oids: list[int]
    text: list[Callable[[bytes], Any]] | None = None
    binary: list[Callable[[bytes], Any]] | None = None


def _raw(value: bytes) -> bytes:
    return value


@dataclass
class PgOutputDecoder:
    """Decodes pgoutput messages; remembers relations and whether a stream block is open.

    ``column_loaders`` picks the load functions of a relation's columns
    (None: values stay bytes); ``encoding`` decodes names and prefixes.
    """

    column_loaders: ColumnLoaders | None = None
    encoding: str = "utf-8"
    relations: dict[int, Relation] = field(default_factory=dict)
    types: dict[int, Type] = field(default_factory=dict)
    in_stream: bool = False
    _loaders: dict[int, _RelationLoaders] = field(default_factory=dict)

    def decode(self, data: bytes, lsn: int) -> PgOutputMessage:
        """The message in ``data`` (the payload of one XLogData at ``lsn``)."""
        if not data:
            raise ProtocolViolation("empty pgoutput message")
        handler = _HANDLERS.get(data[0])
        if handler is None:
            raise ProtocolViolation(f"unknown pgoutput message type {chr(data[0])!r}")
        try:
            msg, end = handler(self, data, 1, lsn)
        except ProtocolViolation:
            raise
        except (IndexError, ValueError, UnicodeDecodeError, struct_error) as exc:
            # The message is shorter than its fields say.
            raise ProtocolViolation(f"malformed pgoutput message {chr(data[0])!r}: {exc}") from None
        if end != len(data):
            raise ProtocolViolation(f"pgoutput message {chr(data[0])!r} has trailing bytes")
        return msg

    # -- field readers ------------------------------------------------------------

    def _string(self, data: bytes, pos: int) -> tuple[str, int]:
        end = data.index(b"\x00", pos)
        return data[pos:end].decode(self.encoding), end + 1

    def _xid(self, data: bytes, pos: int) -> tuple[int | None, int]:
        """The xid field that messages carry inside a stream block."""
        if not self.in_stream:
            return None, pos
        return _u32.unpack_from(data, pos)[0], pos + 4

    def _relation(self, relid: int) -> Relation:
        try:
            return self.relations[relid]
        except KeyError:
            raise ProtocolViolation(f"change of relation {relid} before its Relation") from None

    def _load_functions(self, relid: int, fmt: int) -> list[Callable[[bytes], Any]]:
        cached = self._loaders[relid]
        funcs = cached.binary if fmt else cached.text
        if funcs is None:
            if self.column_loaders is None:
                funcs = [_raw] * len(cached.oids)
            else:
                funcs = self.column_loaders(cached.oids, [fmt] * len(cached.oids))
            if fmt:
                cached.binary = funcs
            else:
                cached.text = funcs
        return funcs

    def _tuple(self, data: bytes, pos: int, relation: Relation) -> tuple[tuple[Any, ...], int]:
        (count,) = _i16.unpack_from(data, pos)
        pos += 2
        if count != len(relation.columns):
            raise ProtocolViolation(
                f"a row of {count} columns for relation {relation.name!r}"
                f" of {len(relation.columns)}"
            )
        relid = relation.relation_id
        # Text values are the rule (binary only with the option): their loaders come first.
        text = self._load_functions(relid, 0)
        binary: list[Callable[[bytes], Any]] | None = None
        values: list[Any] = []
        append = values.append
        unpack_len = _i32.unpack_from
        size = len(data)
        for i, load in enumerate(text):
            kind = data[pos]
            if kind == 0x74 or kind == 0x62:  # 't', 'b'
                (n,) = unpack_len(data, pos + 1)
                start = pos + 5
                pos = start + n
                if n < 0 or pos > size:
                    raise ProtocolViolation("a pgoutput column value runs past the message")
                if kind == 0x62:
                    if binary is None:
                        binary = self._load_functions(relid, 1)
                    load = binary[i]
                append(load(data[start:pos]))
            elif kind == 0x6E:  # 'n'
                append(None)
                pos += 1
            elif kind == 0x75:  # 'u'
                append(UNCHANGED_TOAST)
                pos += 1
            else:
                raise ProtocolViolation(f"unknown pgoutput column kind {chr(kind)!r}")
        return tuple(values), pos


def _begin_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    final_lsn, ts, xid = _begin.unpack_from(data, pos)
    return Begin(lsn=lsn, final_lsn=final_lsn, commit_time=pg_timestamp(ts), xid=xid), (
        pos + _begin.size
    )


def _commit_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    flags, commit_lsn, end_lsn, ts = _commit.unpack_from(data, pos)
    msg = Commit(
        lsn=lsn, flags=flags, commit_lsn=commit_lsn, end_lsn=end_lsn, commit_time=pg_timestamp(ts)
    )
    return msg, pos + _commit.size


def _origin_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    (origin_lsn,) = _u64.unpack_from(data, pos)
    name, pos = d._string(data, pos + 8)
    return Origin(lsn=lsn, origin_lsn=origin_lsn, name=name), pos


def _relation_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, pos = d._xid(data, pos)
    (relid,) = _u32.unpack_from(data, pos)
    namespace, pos = d._string(data, pos + 4)
    name, pos = d._string(data, pos)
    identity = chr(data[pos])
    (ncols,) = _i16.unpack_from(data, pos + 1)
    pos += 3
    columns = []
    for _ in range(ncols):
        flags = data[pos]
        colname, pos = d._string(data, pos + 1)
        type_oid, typmod = _u32.unpack_from(data, pos)[0], _i32.unpack_from(data, pos + 4)[0]
        pos += 8
        columns.append(
            RelationColumn(
                name=colname, type_oid=type_oid, type_modifier=typmod, key=bool(flags & 1)
            )
        )
    relation = Relation(
        lsn=lsn,
        relation_id=relid,
        namespace=namespace,
        name=name,
        replica_identity=identity,
        columns=tuple(columns),
        xid=xid,
    )
    d.relations[relid] = relation
    d._loaders[relid] = _RelationLoaders([c.type_oid for c in columns])
    return relation, pos


def _type_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, pos = d._xid(data, pos)
    (oid,) = _u32.unpack_from(data, pos)
    namespace, pos = d._string(data, pos + 4)
    name, pos = d._string(data, pos)
    msg = Type(lsn=lsn, type_oid=oid, namespace=namespace, name=name, xid=xid)
    d.types[oid] = msg
    return msg, pos


def _insert_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, pos = d._xid(data, pos)
    (relid,) = _u32.unpack_from(data, pos)
    relation = d._relation(relid)
    if data[pos + 4] != 0x4E:  # 'N'
        raise ProtocolViolation("an Insert without its new row")
    new, pos = d._tuple(data, pos + 5, relation)
    return Insert(lsn=lsn, relation=relation, xid=xid, new=new), pos


def _update_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, pos = d._xid(data, pos)
    (relid,) = _u32.unpack_from(data, pos)
    relation = d._relation(relid)
    pos += 4
    old: tuple[Any, ...] | None = None
    old_kind: str | None = None
    if data[pos] in (0x4B, 0x4F):  # 'K', 'O'
        old_kind = chr(data[pos])
        old, pos = d._tuple(data, pos + 1, relation)
    if data[pos] != 0x4E:  # 'N'
        raise ProtocolViolation("an Update without its new row")
    new, pos = d._tuple(data, pos + 1, relation)
    msg = Update(lsn=lsn, relation=relation, xid=xid, old=old, old_kind=old_kind, new=new)
    return msg, pos


def _delete_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, pos = d._xid(data, pos)
    (relid,) = _u32.unpack_from(data, pos)
    relation = d._relation(relid)
    pos += 4
    if data[pos] not in (0x4B, 0x4F):  # 'K', 'O'
        raise ProtocolViolation("a Delete without its old key or row")
    old_kind = chr(data[pos])
    old, pos = d._tuple(data, pos + 1, relation)
    return Delete(lsn=lsn, relation=relation, xid=xid, old=old, old_kind=old_kind), pos


def _truncate_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, pos = d._xid(data, pos)
    (count,) = _u32.unpack_from(data, pos)
    options = data[pos + 4]
    pos += 5
    if pos + 4 * count > len(data):
        raise ProtocolViolation("a Truncate shorter than its relation list")
    relids = Struct(f"!{count}I").unpack_from(data, pos)
    relations = tuple(d._relation(r) for r in relids)
    msg = Truncate(
        lsn=lsn,
        relations=relations,
        cascade=bool(options & 1),
        restart_identity=bool(options & 2),
        xid=xid,
    )
    return msg, pos + 4 * count


def _message_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, pos = d._xid(data, pos)
    flags = data[pos]
    (message_lsn,) = _u64.unpack_from(data, pos + 1)
    prefix, pos = d._string(data, pos + 9)
    (size,) = _i32.unpack_from(data, pos)
    pos += 4
    if size < 0 or pos + size > len(data):
        raise ProtocolViolation("a logical decoding message runs past its end")
    msg = Message(
        lsn=lsn,
        transactional=bool(flags & 1),
        message_lsn=message_lsn,
        prefix=prefix,
        content=bytes(data[pos : pos + size]),
        xid=xid,
    )
    return msg, pos + size


def _stream_start_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    (xid,) = _u32.unpack_from(data, pos)
    first = data[pos + 4]
    d.in_stream = True
    return StreamStart(lsn=lsn, xid=xid, first_segment=bool(first)), pos + 5


def _stream_stop_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    d.in_stream = False
    return StreamStop(lsn=lsn), pos


def _stream_commit_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    (xid,) = _u32.unpack_from(data, pos)
    flags, commit_lsn, end_lsn, ts = _commit.unpack_from(data, pos + 4)
    msg = StreamCommit(
        lsn=lsn,
        xid=xid,
        flags=flags,
        commit_lsn=commit_lsn,
        end_lsn=end_lsn,
        commit_time=pg_timestamp(ts),
    )
    return msg, pos + 4 + _commit.size


def _stream_abort_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    xid, subxid = _u32.unpack_from(data, pos)[0], _u32.unpack_from(data, pos + 4)[0]
    pos += 8
    if len(data) - pos >= 16:
        (abort_lsn,) = _u64.unpack_from(data, pos)
        (ts,) = _i64.unpack_from(data, pos + 8)
        msg = StreamAbort(
            lsn=lsn, xid=xid, subxid=subxid, abort_lsn=abort_lsn, abort_time=pg_timestamp(ts)
        )
        return msg, pos + 16
    return StreamAbort(lsn=lsn, xid=xid, subxid=subxid), pos


def _begin_prepare_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    prepare_lsn, end_lsn, ts, xid = _begin_prepare.unpack_from(data, pos)
    gid, pos = d._string(data, pos + _begin_prepare.size)
    msg = BeginPrepare(
        lsn=lsn,
        prepare_lsn=prepare_lsn,
        end_lsn=end_lsn,
        prepare_time=pg_timestamp(ts),
        xid=xid,
        gid=gid,
    )
    return msg, pos


def _prepare_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    flags, prepare_lsn, end_lsn, ts, xid = _prepare_head.unpack_from(data, pos)
    gid, pos = d._string(data, pos + _prepare_head.size)
    cls = StreamPrepare if data[0] == 0x70 else Prepare  # 'p'
    msg = cls(
        lsn=lsn,
        flags=flags,
        prepare_lsn=prepare_lsn,
        end_lsn=end_lsn,
        prepare_time=pg_timestamp(ts),
        xid=xid,
        gid=gid,
    )
    return msg, pos


def _commit_prepared_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    flags, commit_lsn, end_lsn, ts, xid = _prepare_head.unpack_from(data, pos)
    gid, pos = d._string(data, pos + _prepare_head.size)
    msg = CommitPrepared(
        lsn=lsn,
        flags=flags,
        commit_lsn=commit_lsn,
        end_lsn=end_lsn,
        commit_time=pg_timestamp(ts),
        xid=xid,
        gid=gid,
    )
    return msg, pos


def _rollback_prepared_msg(d: PgOutputDecoder, data: bytes, pos: int, lsn: int) -> tuple[Any, int]:
    flags, prepare_end, rollback_end, prepare_ts, rollback_ts, xid = _rollback_prepared.unpack_from(
        data, pos
    )
    gid, pos = d._string(data, pos + _rollback_prepared.size)
    msg = RollbackPrepared(
        lsn=lsn,
        flags=flags,
        prepare_end_lsn=prepare_end,
        rollback_end_lsn=rollback_end,
        prepare_time=pg_timestamp(prepare_ts),
        rollback_time=pg_timestamp(rollback_ts),
        xid=xid,
        gid=gid,
    )
    return msg, pos


_HANDLERS: dict[int, Callable[[PgOutputDecoder, bytes, int, int], tuple[Any, int]]] = {
    ord("B"): _begin_msg,
    ord("C"): _commit_msg,
    ord("O"): _origin_msg,
    ord("R"): _relation_msg,
    ord("Y"): _type_msg,
    ord("I"): _insert_msg,
    ord("U"): _update_msg,
    ord("D"): _delete_msg,
    ord("T"): _truncate_msg,
    ord("M"): _message_msg,
    ord("S"): _stream_start_msg,
    ord("E"): _stream_stop_msg,
    ord("c"): _stream_commit_msg,
    ord("A"): _stream_abort_msg,
    ord("b"): _begin_prepare_msg,
    ord("P"): _prepare_msg,
    ord("p"): _prepare_msg,
    ord("K"): _commit_prepared_msg,
    ord("r"): _rollback_prepared_msg,
}

__all__ = [
    "UNCHANGED_TOAST",
    "Begin",
    "BeginPrepare",
    "Change",
    "ColumnLoaders",
    "Commit",
    "CommitPrepared",
    "Delete",
    "Insert",
    "Message",
    "Origin",
    "PgOutputDecoder",
    "PgOutputMessage",
    "Prepare",
    "Relation",
    "RelationColumn",
    "RollbackPrepared",
    "StreamAbort",
    "StreamCommit",
    "StreamPrepare",
    "StreamStart",
    "StreamStop",
    "Truncate",
    "Type",
    "Update",
]
