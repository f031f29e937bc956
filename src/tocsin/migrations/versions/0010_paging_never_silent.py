"""paging never silent: simulated calls, platform providers, hang-ups on acknowledgement,
job failures, calls that carry several alerts, escalations that start again

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_provider", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("simulated", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("hangup_requested_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_call_attempts_hangup_requested_at"),
            ["hangup_requested_at"],
            unique=False,
        )

    with op.batch_alter_table("call_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("riding_attempt_id", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("carried_calls", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_call_jobs_riding_attempt_id"), ["riding_attempt_id"], unique=False
        )
        batch_op.create_index("ix_call_jobs_number", ["to_number", "status"], unique=False)

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_round", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("first_round")

    with op.batch_alter_table("call_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_call_jobs_number")
        batch_op.drop_index(batch_op.f("ix_call_jobs_riding_attempt_id"))
        batch_op.drop_column("carried_calls")
        batch_op.drop_column("riding_attempt_id")
        batch_op.drop_column("failures")

    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_attempts_hangup_requested_at"))
        batch_op.drop_column("hangup_requested_at")
        batch_op.drop_column("simulated")
        batch_op.drop_column("platform_provider")
