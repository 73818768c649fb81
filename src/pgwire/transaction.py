"""What ``conn.transaction()`` sends, shared by the blocking and asyncio connections."""

from __future__ import annotations

from enum import Enum
from typing import Any

from .errors import ProgrammingError
from .protocol import core
from .protocol.sqltext import quote_ident


class Rollback(Exception):
    """Raise inside a ``transaction()`` block to roll it back quietly.

    ``Rollback(tx)`` rolls back every block up to and including ``tx``.
    """

    def __init__(self, transaction: Any = None) -> None:
        super().__init__(transaction)
        self.transaction = transaction


class OutOfOrderTransactionNesting(ProgrammingError):
    """A transaction block was ended while a block opened inside it was still open."""


class BlockStatus(str, Enum):
    """Where a ``transaction()`` block stands (its ``status``)."""

    NOT_STARTED = "not_started"
    ACTIVE = "active"
    COMMITTED = "committed"
    FAILED = "failed"
    ROLLED_BACK_EXPLICITLY = "rolled_back_explicitly"
    ROLLED_BACK_WITH_ERROR = "rolled_back_with_error"


class TransactionPlan:
    """The statements that open and close one transaction block."""

    def __init__(self, conn: Any, savepoint_name: str | None, force_rollback: bool) -> None:
        self._conn = conn
        self.savepoint_name = savepoint_name
        self.force_rollback = force_rollback
        self._outer = False
        self._depth = 0
        self.owner: Any = None
        self.status = BlockStatus.NOT_STARTED

    def enter(self) -> list[bytes]:
        """The statements opening the block."""
        if self.status != BlockStatus.NOT_STARTED:
            raise TypeError("transaction blocks can be used only once")
        self.status = BlockStatus.ACTIVE
        conn = self._conn
        status = conn._proto.transaction_status
        if status == core.INERROR:
            raise ProgrammingError(
                "can't start a transaction block: the current transaction is aborted;"
                " roll it back first"
            )
        self._outer = conn._savepoints == 0 and status == core.IDLE
        self._depth = conn._savepoints
        conn._savepoints += 1
        commands = []
        if self._outer:
            commands.append(conn._begin_statement)
        elif self.savepoint_name is None:
            self.savepoint_name = f"_pgwire_{conn._savepoints}"
        if self.savepoint_name is not None:
            commands.append(b"SAVEPOINT " + quote_ident(self.savepoint_name).encode())
        return commands

    def exit(self, exc: BaseException | None) -> tuple[list[bytes], bool]:
        """The statements closing the block, and whether to swallow ``exc``.

        Raises OutOfOrderTransactionNesting, sending nothing, when a block
        opened inside this one is still open.
        """
        conn = self._conn
        conn._savepoints -= 1
        ok = exc is None and not self.force_rollback
        if ok:
            self.status = BlockStatus.COMMITTED
        elif isinstance(exc, Rollback) or self.force_rollback:
            self.status = BlockStatus.ROLLED_BACK_EXPLICITLY
        else:
            self.status = BlockStatus.ROLLED_BACK_WITH_ERROR
        if conn._savepoints != self._depth:
            # Closing this block would commit or roll back, in its place, the
            # work of the block still open inside it.
            raise OutOfOrderTransactionNesting(
                f"transaction {'commit' if ok else 'rollback'} at the wrong nesting level:"
                f" {self.owner!r} ended while a block opened inside it is still open"
            )
        commands = []
        if self.savepoint_name is not None:
            name = quote_ident(self.savepoint_name).encode()
            if ok:
                commands.append(b"RELEASE SAVEPOINT " + name)
            else:
                commands.append(b"ROLLBACK TO SAVEPOINT " + name)
                commands.append(b"RELEASE SAVEPOINT " + name)
        if self._outer:
            commands = [b"COMMIT" if ok else b"ROLLBACK"]
        swallow = isinstance(exc, Rollback) and (
            exc.transaction is None or exc.transaction is self.owner
        )
        return commands, swallow

    def abandon(self) -> None:
        """Forget the block when the connection went away."""
        self._conn._savepoints = max(0, self._conn._savepoints)
        self.status = BlockStatus.FAILED


class BaseTransaction:
    """What ``Transaction`` and ``AsyncTransaction`` share: the plan and its state."""

    Status = BlockStatus

    def __init__(self, conn: Any, savepoint_name: str | None, force_rollback: bool) -> None:
        self._conn = conn
        self._plan = TransactionPlan(conn, savepoint_name, force_rollback)
        self._plan.owner = self

    def __repr__(self) -> str:
        # As psycopg: the block's state, its savepoint if any, then the connection's.
        name = f" {self.savepoint_name!r}" if self.savepoint_name else ""
        state = self.status.value
        summary = self.connection._summary()
        return f"<pgwire.{type(self).__qualname__}{name} ({state}) {summary} at 0x{id(self):x}>"

    @property
    def connection(self) -> Any:
        """The connection the block runs on (read-only)."""
        return self._conn

    @property
    def savepoint_name(self) -> str | None:
        """The savepoint of a nested block (None for the outer one)."""
        return self._plan.savepoint_name

    @property
    def status(self) -> BlockStatus:
        """NOT_STARTED, ACTIVE, then COMMITTED, ROLLED_BACK_... or FAILED."""
        return self._plan.status

    @property
    def force_rollback(self) -> bool:
        """Whether the block rolls back even when it ends without an exception."""
        return self._plan.force_rollback
