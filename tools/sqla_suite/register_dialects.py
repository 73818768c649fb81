"""A pytest plugin (``-p register_dialects``) naming pgwire's dialects to SQLAlchemy.

For running SQLAlchemy's own test tree from a pgwire checkout whose entry
points are not installed.
"""

from sqlalchemy.dialects import registry

registry.register("postgresql.pgwire", "pgwire.sqlalchemy", "PGDialect_pgwire")
registry.register("postgresql.pgwire_async", "pgwire.sqlalchemy", "PGDialectAsync_pgwire")
