"""Parameter plans of prepared statements run again, for the accelerator's Bind builder.

A query run again with parameters of the same types, once the server has it
prepared, needs neither the placeholder conversion nor the per-value choice of
dumpers: the accelerator encodes its Bind message from the plan learned on an
earlier run (see :func:`pgwire.accel.encode_plans.plan_params`).  Whatever does
not fit the plan (an int grown past int2, a str with NUL...) takes the full
path, which also reports the errors.
"""

from __future__ import annotations

from typing import Any

from ..accel.encode_plans import plan_params
from ..accel.selection import speedups
from ..protocol import messages as m
from ..types import Format, Transformer

__all__ = ["StatementPlan", "StatementPlans"]

_MAX_PLANS = 256


class StatementPlan:
    """What a query with given parameter types compiles to, under one adaptation state."""

    __slots__ = (
        "query", "key", "formats", "plan", "stamp", "_head_for", "_head", "_tail_for", "_tail"
    )

    def __init__(
        self, query: bytes, key: Any, formats: list[int], plan: tuple[Any, ...], stamp: Any
    ) -> None:
        #: The query text sent (``$n`` placeholders).
        self.query = query
        #: The key of the statement in the connection's PreparedCache.
        self.key = key
        self.formats = formats
        self.plan = plan
        self.stamp = stamp
        self._head_for: bytes | None = None
        self._head = b""
        self._tail_for: list[int] | None = None
        self._tail = b""

    def bind(self, params: Any, statement: bytes, result_formats: list[int]) -> bytes | None:
        """The Bind message of ``params`` for ``statement``, or None if they don't fit.

        The encoded ends of the message are kept for the statement name and
        the result formats list last seen (lists that are not changed in place).
        """
        if statement is not self._head_for:
            self._head = m.bind_head(b"", statement, self.formats, len(self.plan))
            self._head_for = statement
        if result_formats is not self._tail_for:
            self._tail = m.bind_tail(result_formats)
            self._tail_for = result_formats
        bind_many = speedups.bind_many  # type: ignore[union-attr]
        data, stop = bind_many([params], 0, self.plan, self._head, self._tail, b"")
        return data if stop == 1 else None  # type: ignore[no-any-return]


class StatementPlans:
    """The plans of one connection, by (query, parameter types)."""

    def __init__(self) -> None:
        # Keyed by (type of the query, query, parameter types...): the query's
        # type first, so that "abc" and b"abc" are never compared.
        self._plans: dict[Any, StatementPlan] = {}

    @staticmethod
    def usable(params: Any, prepare: bool | None, binary: bool) -> bool:
        """Whether a run may use (or teach) a plan: a list or tuple, nothing forced."""
        ptype = type(params)
        return (
            (ptype is tuple or ptype is list)
            and prepare is None
            and not binary
            and speedups is not None
        )

    @staticmethod
    def _key(query: Any, params: Any) -> Any:
        key = (type(query), query, *map(type, params))
        try:
            hash(key)
        except TypeError:  # an unhashable query object
            return None
        return key

    def get(self, query: Any, params: Any, tx: Transformer) -> StatementPlan | None:
        """The plan learned for this query and these parameter types, if still valid."""
        try:
            plan = self._plans.get((type(query), query, *map(type, params)))
        except TypeError:  # an unhashable query object
            return None
        if plan is None or plan.stamp != tx.current_stamp():
            return None
        return plan

    def learn(
        self,
        query: Any,
        params: Any,
        tx: Transformer,
        sql: bytes,
        key: Any,
        values: list[Any],
        formats: list[int],
        param_formats: list[Format | None] | None,
    ) -> None:
        """Remember how the run just dumped its parameters, if the accelerator can redo it."""
        memo_key = self._key(query, params)
        if memo_key is None:
            return
        plan = plan_params(values, tx.param_dumpers(values, param_formats))
        if plan is None:
            return
        if len(self._plans) >= _MAX_PLANS:
            self._plans.clear()
        self._plans[memo_key] = StatementPlan(sql, key, formats, plan, tx.current_stamp())
