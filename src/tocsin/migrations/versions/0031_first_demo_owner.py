"""first demo owner: the organization `tocsin quickstart` makes waits for the server's first
sign-up to become its owner

Revision ID: 0031_first_demo_owner
Revises: 0030_prompt_language
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_first_demo_owner"
down_revision: str | None = "0030_prompt_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(
            sa.Column("for_first_sign_up", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the table, and
    # dropping `organizations` cascades to every row that belongs to an organization.
    op.drop_column("organizations", "for_first_sign_up")
