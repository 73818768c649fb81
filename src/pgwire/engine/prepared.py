"""What a connection knows of the queries it runs: descriptions, and prepared statements.

Every query run with parameters (by its text and parameter types) gets an
entry; a query without parameters gets one once it has run alone (one
statement, which succeeded) through the simple-query protocol, as psycopg
counts them, and is prepared like the others when its turn comes.  Until
the query is prepared nothing is kept on the server: each run sends the
unnamed Parse, Bind, Describe, Execute and Sync in one round trip,
as is safe behind a pooler handing out a different server session per
transaction; the entry remembers the columns described, so that later runs
ask for each column in its cheapest format and don't parse the same
RowDescription again.

A query run ``prepare_threshold`` times is prepared as a named statement
on its next run (0: on its first); later runs skip parsing, planning and
Describe.  The default,
``"auto"``, does so after 5 runs only where it is safe: on a connection that
reaches a PostgreSQL backend directly, not a pooler that may hand the next
transaction another server session.  That is checked once, when a query first
reaches the threshold: the backend's ``pg_backend_pid()`` is the pid the
server gave at connection time only when nothing stands in between (poolers
give their own).  Statements past the cache size are closed on the server,
piggybacked on the next query.
"""

from __future__ import annotations

from collections import OrderedDict

from ..protocol import messages as m
from ..protocol.core import Result

Key = tuple[bytes, tuple[int, ...]]

#: ``prepare_threshold`` naming statements only on direct connections.
AUTO = "auto"
#: The runs before a statement is named under ``AUTO``.
AUTO_THRESHOLD = 5


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
        "description",
        "_parse",
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
        # The body of the RowDescription of ``fields`` (b"" for no rows).
        self.description: bytes | None = None
        self._parse = b""

    def ran(self) -> None:
        """Count a run of the statement unnamed, outside :meth:`PreparedCache.plan`."""
        if self.name is None:
            self.count += 1

    def parse_message(self, key: Key) -> bytes:
        """The unnamed Parse message of the statement of ``key`` (made once)."""
        if not self._parse:
            self._parse = m.parse(b"", key[0], list(key[1]))
        return self._parse


class PreparedCache:
    """The statements of one connection, least recently used first."""

    def __init__(self, threshold: int | str | None = AUTO, prepared_max: int = 100) -> None:
        self.threshold = threshold
        #: The most statements kept prepared (``sys.maxsize``: no bound).
        self.prepared_max = prepared_max
        #: Whether the connection reaches PostgreSQL directly (None: not known yet).
        self.direct: bool | None = None
        #: Set when a run reached the threshold under AUTO before ``direct`` was
        #: known: the caller checks it (see the module's docstring).
        self.check_wanted = False
        self._entries: OrderedDict[Key, PreparedEntry] = OrderedDict()
        self._counter = 0
        self._to_close: list[bytes] = []
        #: Counts the times statements were dropped (see :meth:`reuse`).
        self.epoch = 0

    def plan(self, key: Key, prepare: bool | None) -> tuple[PreparedEntry | None, bool]:
        """The entry to use for this run and whether this run prepares it.

        ``prepare`` True forces preparing now, False never; None follows the
        threshold (None: never).  An entry without a name runs unnamed.
        Returns (None, False) when the query runs unprepared and untracked
        (``prepare=False``).
        """
        if prepare is False:
            return None, False
        entry = self._used(key)
        if entry.name is not None:
            return entry, False
        entry.count += 1
        limit = self._limit()
        if not prepare and (limit is None or entry.count < limit):
            return entry, False
        if not prepare and self._threshold == AUTO and self.direct is None:
            # Named from the next run on, if the check says it is safe.
            self.check_wanted = True
            return entry, False
        self._counter += 1
        entry.name = b"_pgwire_%d" % self._counter
        return entry, True

    @property
    def threshold(self) -> int | str | None:
        """Runs before a statement is named: an int, None (never) or ``"auto"``."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: int | str | None) -> None:
        if not (value is None or value == AUTO or (type(value) is int and value >= 0)):
            raise ValueError(
                f'prepare_threshold must be "auto", None or an int >= 0, not {value!r}'
            )
        self._threshold = value

    def _limit(self) -> int | None:
        """The run (counting it) that names a statement now (None: none does).

        Under AUTO, while it is not known whether the connection is direct,
        the run that reaches the threshold asks, and the run after it names
        the statement.
        """
        value = self._threshold
        if value == AUTO:
            if self.direct is None:
                return AUTO_THRESHOLD
            return AUTO_THRESHOLD + 1 if self.direct else None
        if value is None:
            return None
        return value + 1  # type: ignore[operator]

    def due(self, key: Key) -> bool:
        """Whether a query without parameters goes through :meth:`plan` for this run.

        True once it is named, or when this run is the one that names it
        (or asks whether it may); until then it runs as a simple query,
        counted by :meth:`ran_alone`.  A text never run before that has a
        ``;`` may hold several statements, which can't be prepared: it runs
        as a simple query first even when the threshold is 0.
        """
        limit = self._limit()
        entry = self._entries.get(key)
        if entry is None:
            return limit is not None and limit <= 1 and b";" not in key[0]
        return entry.name is not None or (limit is not None and entry.count + 1 >= limit)

    def ran_alone(self, key: Key, results: list[Result]) -> None:
        """Count a simple-query run of ``key`` if it was one statement (it succeeded)."""
        if len(results) != 1 or results[0].command_tag is None:
            return
        self._used(key).ran()

    def _used(self, key: Key) -> PreparedEntry:
        """The entry of ``key``, made if new, marked as the most recently used."""
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = PreparedEntry()
            self._evict()
        else:
            self._entries.move_to_end(key)
        return entry

    def known(self, key: Key) -> PreparedEntry | None:
        """The entry of ``key`` if its columns are known (marked as just used).

        Its statement is either prepared already, or run unnamed (and then
        not prepared by the next run: the threshold is not reached); the
        caller counts the run (:meth:`PreparedEntry.ran`).
        """
        entry = self._entries.get(key)
        if entry is None or entry.fields is None:
            return None
        if entry.name is None:
            limit = self._limit()
            if limit is not None and entry.count + 1 >= limit:
                return None
        self._entries.move_to_end(key)
        return entry

    def reuse(self, key: Key, epoch: int) -> bool:
        """Whether no statement was dropped since ``epoch`` (then ``key``'s is marked as just used).

        A caller that kept a statement's entry, with the epoch of then, runs
        it again without looking it up while this holds: the entry is still
        the cache's, and no Close waits to be sent before it.
        """
        if epoch != self.epoch:
            return False
        self._entries.move_to_end(key)
        return True

    def _evict(self) -> None:
        while len(self._entries) > self.prepared_max:
            _, old = self._entries.popitem(last=False)
            self.epoch += 1
            if old.name is not None:
                self._to_close.append(old.name)

    def forget(self, key: Key) -> None:
        """Drop a statement that failed (its server side may be gone)."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.epoch += 1
            if entry.name is not None:
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
        self.epoch += 1

    def clear(self) -> None:
        """Forget every statement (after DISCARD ALL / DEALLOCATE ALL or a reset)."""
        self._entries.clear()
        self.epoch += 1
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
