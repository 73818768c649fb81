"""SQLAlchemy's own test requirements, opened for pgwire where they name drivers.

SQLAlchemy's ``test/requirements.py`` gates some PostgreSQL features by
driver name (``only_on(["+psycopg", "+asyncpg", ...])``); pgwire supports
them too. Used for every driver of a comparison run, so that the counts
compare like with like. Importable only from SQLAlchemy's source tree.
"""

from sqlalchemy.testing import exclusions
from test.requirements import DefaultRequirements


class PgwireRequirements(DefaultRequirements):
    """DefaultRequirements, with pgwire among the drivers that have these features."""

    @property
    def range_types(self):
        return exclusions.only_on(
            ["+psycopg2", "+psycopg", "+asyncpg", "+pg8000", "+pgwire", "+pgwire_async"]
        )

    @property
    def multirange_types(self):
        return exclusions.only_on(
            ["+psycopg", "+asyncpg", "+pg8000", "+pgwire", "+pgwire_async"]
        ) + (exclusions.only_on("postgresql >= 14"))

    @property
    def pyformat_paramstyle(self):
        return exclusions.only_on(
            ["postgresql+psycopg", "postgresql+psycopg2", "+pgwire", "+pgwire_async"]
        )

    @property
    def infinity_floats(self):
        return exclusions.only_on(
            ["postgresql+psycopg2", "postgresql+psycopg", "+pgwire", "+pgwire_async"]
        )

    @property
    def native_hstore(self):
        return exclusions.only_on(["+psycopg2", "+psycopg", "+pgwire", "+pgwire_async"])

    @property
    def any_psycopg_compatibility(self):
        # Gates the arrays of enums and hstore behaviour pgwire shares with
        # psycopg; also two tests importing psycopg's own error classes.
        return exclusions.only_on(
            [
                "postgresql+psycopg2",
                "postgresql+psycopg2cffi",
                "postgresql+psycopg",
                "+pgwire",
                "+pgwire_async",
            ]
        )
