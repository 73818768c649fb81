"""Tasks dropped and made again: other column types, an enum of the same name with other labels."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"

OLD_STATUS = pg.ENUM("new", "done", name="task_status")
NEW_STATUS = pg.ENUM("open", "closed", "archived", name="task_status")


def _recreate(status: pg.ENUM, title_type: sa.types.TypeEngine, rows: list[dict]) -> None:
    bind = op.get_bind()
    op.drop_table("task")
    sa.Enum(name="task_status").drop(bind)
    task = op.create_table(
        "task",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("title", title_type, nullable=False),
        sa.Column("status", status, nullable=False),
    )
    op.bulk_insert(task, rows)
    got = bind.execute(sa.text("SELECT title, status FROM task ORDER BY id")).all()
    assert [tuple(r) for r in got] == [(r["title"], r["status"]) for r in rows], got


def upgrade() -> None:
    _recreate(NEW_STATUS, sa.Text(), [{"title": "plan", "status": "open"}])


def downgrade() -> None:
    _recreate(
        OLD_STATUS,
        sa.String(50),
        [{"title": "write", "status": "new"}, {"title": "test", "status": "done"}],
    )
