"""The pipelined messages of ``executemany``: a Parse whenever the parameter types
change, then Bind (+ Describe) + Execute per parameter set.

With the compiled accelerator, runs of parameter sets shaped like the one
before (same types, same dumpers) are encoded in C; the bytes are the same
as the Python code's.

A list or tuple of parameter sets is encoded whole before anything is sent,
so that any bad parameter raises first. Any other iterable is taken
:data:`BATCH_ROWS` parameter sets at a time while the server works through
the ones sent before: memory stays bounded however many there are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from ..accel.encode_plans import plan_params
from ..accel.selection import speedups
from ..protocol import messages as m
from ..types import Transformer
from .placeholders import PreparedQuery, convert_query

__all__ = ["BATCH_ROWS", "BatchEncoder", "encode_batches"]

BATCH_ROWS = 250
"""Parameter sets taken at a time from an iterator (not a list or tuple).

A few kilobytes of messages: the server starts on them while the next batch
is encoded."""


class BatchEncoder:
    """Encodes the messages of one executemany, list of parameter sets by list."""

    def __init__(
        self,
        tx: Transformer,
        query: Any,
        encoding: str,
        result_formats: Sequence[int],
        describe: bool,
        convert: Callable[[Any, Any], PreparedQuery] | None = None,
    ) -> None:
        """``convert`` turns the query and one parameter set into the ``$n`` text and
        values (default: :func:`~pgwire.sql.convert_query` in ``encoding``)."""
        if convert is None:

            def convert(query: Any, params: Any) -> PreparedQuery:
                return convert_query(query, params, encoding)

        self._convert = convert
        self._tx = tx
        self._query = query
        self._encoding = encoding
        self._result_formats = result_formats
        self._bind_many = speedups.bind_many if speedups is not None else None
        if type(query) is not str and type(query) is not bytes:
            self._bind_many = None  # a Composable is rendered per row: keep to the Python path
        self._after = (m.DESCRIBE_UNNAMED_PORTAL if describe else b"") + m.EXECUTE_UNNAMED
        self._tail = m.bind_tail(result_formats)
        self._last_oids: list[int] | None = None
        #: The statement's text (``$n`` placeholders), known after the first parameter set.
        self.sql = b""

    def encode(self, rows: list[Any]) -> list[bytes]:
        """The messages running the statement once per parameter set of ``rows``."""
        tx = self._tx
        query = self._query
        batches: list[bytes] = []
        i, n = 0, len(rows)
        while i < n:
            params = rows[i]
            i += 1
            pq = self._convert(query, params)
            values_in = pq.params or []
            oids, formats, values = tx.dump_params(values_in, pq.formats)
            if oids != self._last_oids or pq.query != self.sql:
                self.sql = pq.query
                batches.append(m.parse(b"", self.sql, oids))
                self._last_oids = oids
            batches.append(m.bind(b"", b"", formats, values, self._result_formats) + self._after)
            bind_many = self._bind_many
            if (
                bind_many is None
                or i >= n
                or (type(params) is not tuple and type(params) is not list)
            ):
                continue
            plan = plan_params(values_in, tx.param_dumpers(values_in, pq.formats))
            if plan is None:
                continue
            head = m.bind_head(b"", b"", formats, len(values))
            data, i = bind_many(rows, i, plan, head, self._tail, self._after)
            if data:
                batches.append(data)
        return batches

    def stream(self, params_iter: Iterator[Any]) -> Iterator[bytes]:
        """The messages of the parameter sets left in ``params_iter``, a batch at a time."""
        while rows := list(islice(params_iter, BATCH_ROWS)):
            yield b"".join(self.encode(rows))


def encode_batches(
    tx: Transformer,
    query: Any,
    params_seq: Iterable[Any],
    encoding: str,
    result_formats: Sequence[int],
    describe: bool,
    convert: Callable[[Any, Any], PreparedQuery] | None = None,
) -> tuple[bytes, list[bytes]]:
    """Return the statement's text and the messages running it once per parameter set.

    ``convert`` turns the query and one parameter set into the ``$n`` text and
    values (default: :func:`~pgwire.sql.convert_query` in ``encoding``).  Bad
    parameters raise (ProgrammingError, DataError...) before anything is sent.
    """
    encoder = BatchEncoder(tx, query, encoding, result_formats, describe, convert)
    # A copy: dumpers run user code, which must not change the list under us.
    batches = encoder.encode(list(params_seq))
    return encoder.sql, batches
