"""test calls: what a test call says, kept for a day so that a REST provider's callbacks, which
ask what to say once the callee answers, can be answered

Revision ID: 0033_test_calls
Revises: 0032_attempt_language
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_test_calls"
down_revision: str | None = "0032_attempt_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "test_calls",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("account_id", sa.String(length=40), nullable=True),
        sa.Column("spoken_text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_test_calls_created_at", "test_calls", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_test_calls_created_at", table_name="test_calls")
    op.drop_table("test_calls")
