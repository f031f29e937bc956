"""attempt language: the language a call's fixed prompts were chosen in when its attempt was
written, so the provider callbacks that ask what to say next answer in the same one

Revision ID: 0032_attempt_language
Revises: 0031_first_demo_owner
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_attempt_language"
down_revision: str | None = "0031_first_demo_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for the attempts written before: they were spoken in English.
    with op.batch_alter_table("call_attempts") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would copy the table.
    op.drop_column("call_attempts", "language")
