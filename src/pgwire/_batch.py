"""The pipelined messages of ``executemany``: a Parse whenever the parameter types
change, then Bind (+ Describe) + Execute per parameter set.

With the compiled accelerator, runs of parameter sets shaped like the one
before (same types, same dumpers) are encoded in C; the bytes are the same
as the Python code's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ._speedups_select import plan_params, speedups
from .protocol import messages as m
from .sql import PreparedQuery, convert_query
from .types import Transformer

__all__ = ["encode_batches"]


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
    if convert is None:

        def convert(query: Any, params: Any) -> PreparedQuery:
            return convert_query(query, params, encoding)

    # A copy: dumpers run user code, which must not change the list under us.
    rows = list(params_seq)
    bind_many = speedups.bind_many if speedups is not None else None
    if type(query) is not str and type(query) is not bytes:
        bind_many = None  # a Composable is rendered per row: keep to the Python path
    after = (m.DESCRIBE_UNNAMED_PORTAL if describe else b"") + m.EXECUTE_UNNAMED
    tail = m.bind_tail(result_formats)
    batches: list[bytes] = []
    last_oids: list[int] | None = None
    sql = b""
    i, n = 0, len(rows)
    while i < n:
        params = rows[i]
        i += 1
        pq = convert(query, params)
        values_in = pq.params or []
        oids, formats, values = tx.dump_params(values_in, pq.formats)
        if oids != last_oids or pq.query != sql:
            sql = pq.query
            batches.append(m.parse(b"", sql, oids))
            last_oids = oids
        batches.append(m.bind(b"", b"", formats, values, result_formats) + after)
        if bind_many is None or i >= n or (type(params) is not tuple and type(params) is not list):
            continue
        plan = plan_params(values_in, tx.param_dumpers(values_in, pq.formats))
        if plan is None:
            continue
        head = m.bind_head(b"", b"", formats, len(values))
        data, i = bind_many(rows, i, plan, head, tail, after)
        if data:
            batches.append(data)
    return sql, batches
