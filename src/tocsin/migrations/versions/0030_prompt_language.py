"""prompt language: the language a call's fixed prompts are spoken in, per organization, and
overridden per contact and per member

Revision ID: 0030_prompt_language
Revises: 0029_request_ids
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_prompt_language"
down_revision: str | None = "0029_request_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=16), nullable=False, server_default="en")
        )
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop these tables, and
    # dropping `organizations` cascades to every row that belongs to an organization.
    for table in ("memberships", "contacts", "organizations"):
        op.drop_column(table, "language")
