"""enforcement that holds: termination marks, subscription cancellations through Paddle's API,
contacts blocked by a calling-policy change, when the home country last changed

Revision ID: 0013_enforcement
Revises: 0012_trial
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_enforcement"
down_revision: str | None = "0012_trial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "termination_marks",
        sa.Column("action_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("action_id", "kind", "digest", name=op.f("pk_termination_marks")),
    )
    with op.batch_alter_table("termination_marks", schema=None) as batch_op:
        batch_op.create_index("ix_termination_marks_kind_digest", ["kind", "digest"], unique=False)

    op.create_table(
        "subscription_cancellations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("action_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_cancellations")),
    )
    with op.batch_alter_table("subscription_cancellations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_cancellations_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_cancellations_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_cancellations_subscription_id"),
            ["subscription_id"],
            unique=False,
        )

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blocked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("blocked_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_region_changed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("home_region_changed_at")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("blocked_reason")
        batch_op.drop_column("blocked_at")

    with op.batch_alter_table("subscription_cancellations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_cancellations_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_cancellations_org_id"))
        batch_op.drop_index("ix_subscription_cancellations_due")
    op.drop_table("subscription_cancellations")

    with op.batch_alter_table("termination_marks", schema=None) as batch_op:
        batch_op.drop_index("ix_termination_marks_kind_digest")
    op.drop_table("termination_marks")
