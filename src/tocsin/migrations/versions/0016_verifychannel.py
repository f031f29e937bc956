"""verification channel: opt-out requests the public form keeps for review

Revision ID: 0016_verifychannel
Revises: 0015_evidence
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_verifychannel"
down_revision: str | None = "0015_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_opt_outs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("wrong_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("held_opt_outs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_held_opt_outs_phone_created", ["phone_e164", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("held_opt_outs", schema=None) as batch_op:
        batch_op.drop_index("ix_held_opt_outs_phone_created")
    op.drop_table("held_opt_outs")
