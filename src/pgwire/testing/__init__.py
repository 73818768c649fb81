"""Throwaway PostgreSQL servers for tests, and the pytest plugin using them.

``TestCluster`` runs a private server in a temporary folder; ``ExternalServer``
wraps one given by a DSN (``PGWIRE_TEST_DSN``). ``ReplicaPair`` is a primary
with a streaming standby (``StandbyCluster``), ``PgBouncer`` a pooler in front
of a server. The fixtures live in ``pgwire.testing.pytest_plugin``.
"""

from pgwire.testing.cluster import (
    ClusterError,
    ExternalServer,
    PostgresNotFound,
    PsqlError,
    TestCluster,
    find_bindir,
    server_version,
)
from pgwire.testing.pgbouncer import PgBouncer, PgBouncerNotFound, find_pgbouncer
from pgwire.testing.replica import ReplicaPair, StandbyCluster

__all__ = [
    "ClusterError",
    "ExternalServer",
    "PgBouncer",
    "PgBouncerNotFound",
    "PostgresNotFound",
    "PsqlError",
    "ReplicaPair",
    "StandbyCluster",
    "TestCluster",
    "find_bindir",
    "find_pgbouncer",
    "server_version",
]
