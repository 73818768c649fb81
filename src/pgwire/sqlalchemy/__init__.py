"""SQLAlchemy dialects for pgwire: ``postgresql+pgwire`` and ``postgresql+pgwire_async``.

Installed with the ``pgwire[sqlalchemy]`` extra, they are found by
SQLAlchemy through the ``sqlalchemy.dialects`` entry points, so nothing needs
importing first::

    from sqlalchemy import create_engine
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_engine("postgresql+pgwire://user:secret@localhost/test")
    aengine = create_async_engine("postgresql+pgwire_async://user:secret@localhost/test")

Both build on SQLAlchemy's PostgreSQL dialect and hand values to pgwire's own
types (ranges, multiranges, json/jsonb, hstore, enums). Importing ``pgwire``
never imports this package (nor SQLAlchemy).
"""

from __future__ import annotations

from .async_dialect import PGDialectAsync_pgwire
from .dialect import PGDialect_pgwire

#: The names SQLAlchemy looks for in a dialect module.
dialect = PGDialect_pgwire
dialect_async = PGDialectAsync_pgwire

__all__ = ["PGDialectAsync_pgwire", "PGDialect_pgwire", "dialect", "dialect_async"]
