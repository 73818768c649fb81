"""Tasks with a status enum."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None

STATUS = pg.ENUM("new", "done", name="task_status")


def upgrade() -> None:
    task = op.create_table(
        "task",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(50), nullable=False),
        sa.Column("status", STATUS, nullable=False),
    )
    op.bulk_insert(task, [{"title": "write", "status": "new"}, {"title": "test", "status": "done"}])
    # Read what was written, as data migrations do: the same query on every run.
    rows = op.get_bind().execute(sa.text("SELECT title, status FROM task ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("write", "new"), ("test", "done")], rows


def downgrade() -> None:
    op.drop_table("task")
    STATUS.drop(op.get_bind())
