"""pgwire: a PostgreSQL driver speaking the frontend/backend protocol itself."""
