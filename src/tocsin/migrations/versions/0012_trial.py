"""trial-once and the chargeback rule: trials ended early, Paddle customers as claims, refund
requests recorded by staff, a verdict per chargeback

Revision ID: 0012_trial
Revises: 0011_email
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_trial"
down_revision: str | None = "0011_email"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.String(length=80), nullable=True))

    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_payment_transactions_customer_id"), ["customer_id"], unique=False
        )

    # The verdict is the rule's, run again on the next adjustment; the old flag is not kept.
    with op.batch_alter_table("adjustments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict", sa.String(length=20), nullable=True))
        batch_op.drop_column("counts_as_abuse")

    op.create_table(
        "paddle_customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paddle_customers")),
    )

    op.create_table(
        "refund_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=True),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_refund_requests_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_requests")),
    )
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_requests_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_refund_requests_transaction_id"), ["transaction_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refund_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_requests_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_refund_requests_org_id"))
    op.drop_table("refund_requests")
    op.drop_table("paddle_customers")

    with op.batch_alter_table("adjustments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counts_as_abuse", sa.Boolean(), nullable=True))
        batch_op.drop_column("verdict")

    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_transactions_customer_id"))
        batch_op.drop_column("customer_id")

    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
        batch_op.drop_column("ended_at")
