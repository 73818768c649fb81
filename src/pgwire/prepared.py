"""Automatic prepared statements: which queries to prepare, and their cache.

A query run ``prepare_threshold`` times (by its text and parameter types) is
prepared as a named statement; later runs skip parsing and planning and ask
for each column in its cheapest format.  Statements past the cache size are
closed on the server, piggybacked on the next query.
"""

from __future__ import annotations

from collections import OrderedDict

from .protocol import messages as m

Key = tuple[bytes, tuple[int, ...]]


class PreparedEntry:
    """A query seen before: how often, and its server statement once prepared."""

    __slots__ = (
        "count",
        "name",
        "type_oids",
        "result_formats",
        "generation",
        "fields",
        "fields_formats",
    )

    def __init__(self) -> None:
        self.count = 0
        self.name: bytes | None = None
        # The result's column types once seen, and the formats chosen for them
        # under the session facts (DateStyle...) of ``generation``.
        self.type_oids: list[int] | None = None
        self.result_formats: list[int] | None = None
        self.generation = -1
        # The columns the statement returns when asked in ``fields_formats``
        # (core.NO_ROWS if it returns no rows): runs asking the same skip
        # describing them again.
        self.fields: list[m.FieldDescription] | None = None
        self.fields_formats: list[int] | None = None


class PreparedCache:
    """The statements of one connection, least recently used first."""

    def __init__(self, threshold: int | None = 5, size: int = 100) -> None:
        self.threshold = threshold
        self.size = size
        self._entries: OrderedDict[Key, PreparedEntry] = OrderedDict()
        self._counter = 0
        self._to_close: list[bytes] = []

    def plan(self, key: Key, prepare: bool | None) -> tuple[PreparedEntry | None, bool]:
        """The entry to use for this run and whether this run prepares it.

        ``prepare`` True forces preparing now, False never; None follows the
        threshold.  Returns (None, False) when the query runs unprepared and
        untracked.
        """
        if prepare is False or (prepare is None and self.threshold is None):
            return None, False
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = PreparedEntry()
            self._evict()
        else:
            self._entries.move_to_end(key)
        if entry.name is not None:
            return entry, False
        entry.count += 1
        if prepare or (self.threshold is not None and entry.count >= self.threshold):
            self._counter += 1
            entry.name = b"_pgwire_%d" % self._counter
            return entry, True
        return entry, False

    def prepared(self, key: Key) -> PreparedEntry | None:
        """The entry of ``key`` if its statement is prepared already (marked as just used)."""
        entry = self._entries.get(key)
        if entry is None or entry.name is None:
            return None
        self._entries.move_to_end(key)
        return entry

    def _evict(self) -> None:
        while len(self._entries) > self.size:
            _, old = self._entries.popitem(last=False)
            if old.name is not None:
                self._to_close.append(old.name)

    def forget(self, key: Key) -> None:
        """Drop a statement that failed (its server side may be gone)."""
        entry = self._entries.pop(key, None)
        if entry is not None and entry.name is not None:
            self._to_close.append(entry.name)

    def invalidate(self) -> None:
        """Forget every statement and close them on the server with the next query.

        Called after a command that may have changed what they describe
        (DROP, ALTER, ROLLBACK): prepared afresh, they see the new schema.
        """
        for entry in self._entries.values():
            if entry.name is not None:
                self._to_close.append(entry.name)
        self._entries.clear()

    def clear(self) -> None:
        """Forget every statement (after DISCARD ALL / DEALLOCATE ALL or a reset)."""
        self._entries.clear()
        self._to_close.clear()

    @property
    def closes_pending(self) -> bool:
        """True if statements wait to be closed (see :meth:`pending_closes`)."""
        return bool(self._to_close)

    def pending_closes(self) -> bytes:
        """Close messages for evicted statements, to send before the next query."""
        if not self._to_close:
            return b""
        data = b"".join(m.close_statement(name) for name in self._to_close)
        self._to_close.clear()
        return data
