"""DB-API 2.0 exception hierarchy (placeholder: the SQLSTATE table is generated later)."""


class Warning(Exception):  # noqa: A001 - the DB-API name
    """Important warnings, e.g. data truncation."""


class Error(Exception):
    """Base class of every error the driver raises."""

    sqlstate: str | None = None


class InterfaceError(Error):
    """An error related to the driver rather than the database."""


class DatabaseError(Error):
    """An error related to the database."""


class DataError(DatabaseError):
    """A problem with the processed data (division by zero, value out of range...)."""


class OperationalError(DatabaseError):
    """An error related to the database's operation, not under the programmer's control."""


class IntegrityError(DatabaseError):
    """The relational integrity of the database is affected."""


class InternalError(DatabaseError):
    """The database encountered an internal error."""


class ProgrammingError(DatabaseError):
    """A programming error: wrong SQL, wrong number of parameters..."""


class NotSupportedError(DatabaseError):
    """A method or database API was used which the database does not support."""
