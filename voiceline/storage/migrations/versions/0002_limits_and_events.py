"""Opt-out change numbers, per-number allowances, the reply-loop guard, usage events.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("texters") as batch:
        batch.add_column(sa.Column("opt_version", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_table(
        "allowances",
        sa.Column("number_key", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used", sa.Integer, nullable=False),
    )
    op.create_table(
        "text_guard",
        sa.Column("number_key", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(16), nullable=False),
        sa.Column("repeats", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("seconds", sa.Integer, nullable=True),
        sa.Column("code", sa.String(8), nullable=True),
    )
    op.create_index("events_at", "events", ["at"])


def downgrade() -> None:
    op.drop_index("events_at", table_name="events")
    op.drop_table("events")
    op.drop_table("text_guard")
    op.drop_table("allowances")
    with op.batch_alter_table("texters") as batch:
        batch.drop_column("opt_version")
