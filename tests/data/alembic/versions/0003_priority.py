"""A priority column and a wider status enum."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("task", sa.Column("priority", sa.SmallInteger, server_default="3"))
    op.execute("ALTER TYPE task_status ADD VALUE 'blocked'")
    rows = op.get_bind().execute(sa.text("SELECT title, status, priority FROM task")).all()
    assert [tuple(r) for r in rows] == [("plan", "open", 3)], rows


def downgrade() -> None:
    op.drop_column("task", "priority")
