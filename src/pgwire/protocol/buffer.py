"""Framing of backend messages out of the bytes received so far.

Messages are framed as one type byte, a 4-byte big-endian length that counts
itself, and the payload.  The buffer keeps the received bytes in one ``bytes``
object and hands out offsets into it, so that parsing a message needs no copy.
A message that spans many reads is collected in a list of chunks and joined
once, when it is complete, so large messages cost linear time.
"""

from __future__ import annotations

from struct import Struct

from ..errors import InterfaceError

MAX_MESSAGE_SIZE = 1 << 30
"""Largest message accepted (1 GiB, as the server's own limit)."""

_HEADER = Struct("!ci")
_unpack_header = Struct("!Bi").unpack_from


class ProtocolViolation(InterfaceError):
    """The server sent bytes that break the frontend/backend protocol."""


class ReadBuffer:
    """Accumulates received bytes and frames complete messages out of them.

    After :meth:`next_message` returns a type byte, the payload is
    ``data[start:end]``; ``data`` stays valid until the next :meth:`feed`.
    The accelerator's C code reads ``data`` and ``pos`` and writes ``pos`` by
    name (see ``Protocol``).
    """

    __slots__ = ("data", "pos", "start", "end", "_chunks", "_chunks_len", "_need")

    def __init__(self) -> None:
        self.data: bytes = b""
        self.pos = 0
        self.start = 0
        self.end = 0
        # A message larger than what is buffered is collected here until complete.
        self._chunks: list[bytes] = []
        self._chunks_len = 0
        self._need = 0

    def __len__(self) -> int:
        """Number of bytes received and not yet consumed."""
        return len(self.data) - self.pos + self._chunks_len

    def feed(self, chunk: bytes) -> None:
        """Add bytes received from the server."""
        if self._chunks:
            self._chunks.append(chunk)
            self._chunks_len += len(chunk)
            if self._chunks_len >= self._need:
                self.data = b"".join(self._chunks)
                self.pos = 0
                self._chunks.clear()
                self._chunks_len = 0
            return
        if self.pos >= len(self.data):
            self.data = chunk
        else:
            self.data = self.data[self.pos :] + chunk
        self.pos = 0

    def next_message(self) -> int:
        """Frame the next complete message; return its type byte, or -1 if incomplete.

        Raises :class:`ProtocolViolation` for a length that cannot be valid,
        without allocating what the length claims.
        """
        if self._chunks:
            return -1
        data = self.data
        pos = self.pos
        avail = len(data) - pos
        if avail < 5:
            return -1
        mtype, length = _unpack_header(data, pos)
        if length < 4 or length > MAX_MESSAGE_SIZE:
            raise ProtocolViolation(
                f"invalid length {length} for message type {chr(mtype)!r} from the server"
            )
        if avail < length + 1:
            if length > 65536:
                # Collect the rest of a large message in chunks, joined once.
                self.data = b""
                self.pos = 0
                self._chunks.append(data[pos:] if pos else data)
                self._chunks_len = avail
                self._need = length + 1
            return -1
        self.start = pos + 5
        self.end = self.pos = pos + 1 + length
        return mtype

    def payloads_alike(self, limit: int) -> list[bytes]:
        """The payload of the message last framed and of the complete ones of its type after it.

        Taken until ``limit`` bytes are held (a COPY TO sends a message per
        row: framed here in one loop, rather than one :meth:`next_message`
        each). A message not all there, or of a length that cannot be valid,
        is left to :meth:`next_message`.
        """
        data = self.data
        start, pos = self.start, self.pos
        mtype = data[start - 5]
        payloads = [data[start:pos]]
        size = pos - start
        avail = len(data)
        while size < limit and pos + 5 <= avail and data[pos] == mtype:
            length = _unpack_header(data, pos)[1]
            end = pos + 1 + length
            if end > avail or length < 4:
                break
            payloads.append(data[pos + 5 : end])
            size += length - 4
            start, pos = pos + 5, end
        self.start, self.end, self.pos = start, pos, pos
        return payloads

    def payload(self) -> bytes:
        """A copy of the payload of the message last framed."""
        return self.data[self.start : self.end]
