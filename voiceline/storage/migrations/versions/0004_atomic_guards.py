"""Guards counted in one row per number, replays remembered, a write probe; the stored
hash key is gone.

The hourly reply allowance moves into ``text_guard`` (one statement per text counts it
and the loop guard together). ``handled_messages`` remembers STOP, START and HELP by a
keyed hash of their MessageSid. ``health_probe`` is written by /healthz. ``line_secrets``
held a generated hash key next to the hashes it keyed, so a dump alone could recover the
numbers: it is dropped (before upgrading, copy its value into VOICELINE_HASH_SECRET; see
the README).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("text_guard") as batch:
        batch.add_column(sa.Column("window_start", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("used", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "handled_messages",
        sa.Column("message_key", sa.String(64), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "health_probe",
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("DELETE FROM allowances WHERE kind = 'sms_reply'")
    op.drop_table("line_secrets")


def downgrade() -> None:
    op.create_table(
        "line_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    op.drop_table("health_probe")
    op.drop_table("handled_messages")
    with op.batch_alter_table("text_guard") as batch:
        batch.drop_column("used")
        batch.drop_column("window_start")
