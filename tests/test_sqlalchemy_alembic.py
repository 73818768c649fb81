"""Alembic through the ``postgresql+pgwire`` engine: migrations up and down, many times over.

The migrations (tests/data/alembic) drop and create again a table and an enum
type of the same names with other column types and labels, and read the rows
back each time. Run up and down more often than ``prepare_threshold`` on one
connection, the same queries meet a schema that changed under them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqla_fixtures import require

sa = require("sqlalchemy")

alembic_command = require("alembic.command")
alembic_config = require("alembic.config")

SCRIPTS = Path(__file__).resolve().parent / "data" / "alembic"


def config(connection: Any) -> Any:
    cfg = alembic_config.Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def schema(connection: Any) -> tuple[dict[str, str], list[str]]:
    """The task table's column types and the labels of its status enum."""
    insp = sa.inspect(connection)
    columns = {
        c["name"]: c["type"].compile(dialect=connection.dialect) for c in insp.get_columns("task")
    }
    labels = next(e["labels"] for e in insp.get_enums() if e["name"] == "task_status")
    return columns, labels


def version(connection: Any) -> str | None:
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


@pytest.mark.parametrize("cycles", [8])
def test_upgrade_and_downgrade_in_one_process(engine: Any, cycles: int) -> None:
    with engine.connect() as conn:
        cfg = config(conn)
        try:
            for _ in range(cycles):
                alembic_command.upgrade(cfg, "0001")
                conn.commit()
                assert schema(conn) == (
                    {"id": "INTEGER", "title": "VARCHAR(50)", "status": "task_status"},
                    ["new", "done"],
                )
                alembic_command.upgrade(cfg, "head")
                conn.commit()
                assert version(conn) == "0003"
                assert schema(conn) == (
                    {
                        "id": "BIGINT",
                        "title": "TEXT",
                        "status": "task_status",
                        "priority": "SMALLINT",
                    },
                    ["open", "closed", "archived", "blocked"],
                )
                alembic_command.downgrade(cfg, "base")
                conn.commit()
                assert version(conn) is None
                assert not sa.inspect(conn).has_table("task")
                assert sa.inspect(conn).get_enums() == []
        finally:
            conn.rollback()
            conn.exec_driver_sql("DROP TABLE IF EXISTS task, alembic_version")
            conn.exec_driver_sql("DROP TYPE IF EXISTS task_status")
            conn.commit()
