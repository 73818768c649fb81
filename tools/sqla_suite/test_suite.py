"""Every test of SQLAlchemy's dialect compliance suite (``sqlalchemy.testing.suite``)."""

from sqlalchemy.testing.suite import *  # noqa: F403
from sqlalchemy.testing.suite import ServerSideCursorsTest

_is_server_side = ServerSideCursorsTest._is_server_side


def _is_server_side_pgwire(self, cursor):
    # The suite tells server-side cursors apart by driver name and knows only
    # its own drivers; pgwire's, like psycopg's, are the cursors with a name.
    if self.engine.dialect.driver == "pgwire":
        return bool(getattr(cursor, "name", None))
    return _is_server_side(self, cursor)


ServerSideCursorsTest._is_server_side = _is_server_side_pgwire
