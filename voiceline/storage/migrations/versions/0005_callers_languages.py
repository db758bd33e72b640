"""Returning callers' languages: the language a caller chose on the phone (``callers``, by
keyed hash), and an index on ``texters.updated_at``, so that each process's language memory
reads only the choices made since it last looked.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callers",
        sa.Column("number_key", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("callers_updated_at", "callers", ["updated_at"])
    op.create_index("texters_updated_at", "texters", ["updated_at"])


def downgrade() -> None:
    op.drop_index("texters_updated_at", "texters")
    op.drop_table("callers")
