"""texts and e-mail: each attempt says its channel, and an e-mail's attempt names the member

Revision ID: 0022_texts
Revises: 0021_calendars
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_texts"
down_revision: str | None = "0021_calendars"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=10), server_default="voice", nullable=False)
        )
        # An e-mail's attempt names the member (a user id), as its job does.
        batch_op.alter_column(
            "to_number",
            existing_type=sa.VARCHAR(length=20),
            type_=sa.String(length=40),
            existing_nullable=False,
        )


def downgrade() -> None:
    op.execute("DELETE FROM call_attempts WHERE channel = 'email'")
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.alter_column(
            "to_number",
            existing_type=sa.String(length=40),
            type_=sa.VARCHAR(length=20),
            existing_nullable=False,
        )
        batch_op.drop_column("channel")
