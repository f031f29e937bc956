"""passwords: the one first sign-up of a server, and password reset links

Revision ID: 0019_passwords
Revises: 0018_signin
Create Date: 2027-01-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_passwords"
down_revision: str | None = "0018_signin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "first_sign_up",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_first_sign_up_one_row")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_first_sign_up_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_sign_up")),
    )
    # A server that has users has had its first: the oldest of them took the place.
    op.execute(
        "INSERT INTO first_sign_up (id, user_id, claimed_at) "
        "SELECT 1, id, created_at FROM users ORDER BY created_at, id LIMIT 1"
    )


def downgrade() -> None:
    op.drop_table("first_sign_up")
