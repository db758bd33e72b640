"""Reports and the operator area: events name their place in the call (``node``), daily
counts for the dashboard (filled from the events already kept), requests not understood
(when kept), operator accounts.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("node", sa.String(64), nullable=True))
    op.create_table(
        "event_counts",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("channel", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(16), primary_key=True),
        sa.Column("topic", sa.String(64), primary_key=True),
        sa.Column("outcome", sa.String(32), primary_key=True),
        sa.Column("node", sa.String(64), primary_key=True),
        sa.Column("seconds", sa.Integer, primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    day = ("to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
           if op.get_bind().dialect.name == "postgresql" else "substr(at, 1, 10)")
    op.execute(
        "INSERT INTO event_counts (day, channel, kind, language, topic, outcome, node, seconds,"
        " count) SELECT " + day + ", channel, kind, coalesce(language, ''),"
        " coalesce(topic, ''), coalesce(outcome, ''), '',"
        " CASE WHEN kind = 'call_status' THEN coalesce(seconds, -1) ELSE -1 END, count(*)"
        " FROM events GROUP BY 1, 2, 3, 4, 5, 6, 7, 8")
    op.create_table(
        "unanswered",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("words", sa.String(80), nullable=False),
    )
    op.create_index("unanswered_at", "unanswered", ["at"])
    op.create_table(
        "operators",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("operators")
    op.drop_index("unanswered_at", table_name="unanswered")
    op.drop_table("unanswered")
    op.drop_table("event_counts")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("node")
