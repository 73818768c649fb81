"""The exceptions raised by the connection pools."""

from __future__ import annotations

from ..errors import OperationalError

__all__ = ["PoolClosed", "PoolTimeout", "TooManyRequests"]


class PoolTimeout(OperationalError):
    """No connection became available within the time allowed."""


class PoolClosed(OperationalError):
    """The pool is closed, or not opened yet."""


class TooManyRequests(OperationalError):
    """The queue of clients waiting for a connection is full (``max_waiting``)."""
