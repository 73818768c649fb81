"""Throwaway PostgreSQL servers for tests, and the pytest plugin using them.

``TestCluster`` runs a private server in a temporary folder; ``ExternalServer``
wraps one given by a DSN (``PGWIRE_TEST_DSN``). The fixtures live in
``pgwire.testing.pytest_plugin``.
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

__all__ = [
    "ClusterError",
    "ExternalServer",
    "PostgresNotFound",
    "PsqlError",
    "TestCluster",
    "find_bindir",
    "server_version",
]
