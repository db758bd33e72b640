"""Texters (opt-out, language by number key) and the line's generated hash secret.

The schema of the first release. Databases made then by ``create_all`` have these tables
but no alembic_version: they are adopted, not recreated.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "texters" not in existing:
        op.create_table(
            "texters",
            sa.Column("number_key", sa.String(64), primary_key=True),
            sa.Column("opted_out", sa.Boolean, nullable=False),
            sa.Column("language", sa.String(16), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        )
    if "line_secrets" not in existing:
        op.create_table(
            "line_secrets",
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(128), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("line_secrets")
    op.drop_table("texters")
