"""The drivers under comparison, one module each.

A driver module defines ``Driver``, a class with ``info()`` (version and
implementation, a dict) and one method per workload it supports, named after
the workload. Such a method takes a :class:`~bench.workloads.Params`, connects
and sets things up, and returns a :class:`~bench.workloads.Job` whose ``run``
is what gets timed. A method that is a coroutine function is run in an event
loop, and then the job's functions are coroutine functions too. A missing
method, or :class:`~bench.workloads.Skip` raised, means the driver does not
support the workload.

Each variant of the table below is one column of the results: the same module
run under a different environment (to pick a pure-Python implementation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ENV_KEYS", "VARIANTS", "Variant"]


@dataclass(frozen=True)
class Variant:
    """A driver as benchmarked: its module and the environment it runs under.

    ``ours`` marks pgwire's own variants, which are compared against the best
    of the others (the peers).
    """

    name: str
    module: str
    env: dict[str, str] = field(default_factory=dict)
    ours: bool = False
    package: str = ""


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("pgwire", "bench.drivers.pgwire_driver", ours=True, package="pgwire"),
        Variant(
            "pgwire-pure",
            "bench.drivers.pgwire_driver",
            env={"PGWIRE_NO_SPEEDUPS": "1"},
            ours=True,
            package="pgwire",
        ),
        Variant("psycopg2", "bench.drivers.psycopg2_driver", package="psycopg2-binary"),
        Variant("psycopg3", "bench.drivers.psycopg3_driver", package="psycopg[binary]"),
        Variant(
            "psycopg3-pure",
            "bench.drivers.psycopg3_driver",
            env={"PSYCOPG_IMPL": "python"},
            package="psycopg",
        ),
        Variant("asyncpg", "bench.drivers.asyncpg_driver", package="asyncpg"),
        Variant("pg8000", "bench.drivers.pg8000_driver", package="pg8000"),
    )
}

#: Environment variables some variant sets: removed for the others, so that a
#: value in the caller's environment cannot change what a column measures.
ENV_KEYS: frozenset[str] = frozenset(key for v in VARIANTS.values() for key in v.env)
