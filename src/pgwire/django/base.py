"""The module Django loads for ``ENGINE = "pgwire.django"``: its ``DatabaseWrapper``."""

from __future__ import annotations

from . import binding

binding.install()

from django.db.backends.postgresql.base import (  # noqa: E402  (the finder must come first)
    DatabaseWrapper as PostgreSQLDatabaseWrapper,
)

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(PostgreSQLDatabaseWrapper):  # type: ignore[misc]
    """Django's PostgreSQL DatabaseWrapper, on pgwire."""

    display_name = "PostgreSQL (pgwire)"
