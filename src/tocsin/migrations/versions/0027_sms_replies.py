"""replies to alert texts: acknowledge or resolve by SMS

Revision ID: 0027_sms_replies
Revises: 0026_outgoing_webhooks
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_sms_replies"
down_revision: str | None = "0026_outgoing_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_code", sa.String(length=4), nullable=True))
    op.create_table(
        "sms_replies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=True),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=4), nullable=True),
        sa.Column("alert_id", sa.String(length=40), nullable=True),
        sa.Column("attempt_id", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("reply", sa.String(length=10), nullable=False),
        sa.Column("reply_ref", sa.String(length=100), nullable=True),
        sa.Column("reply_detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_replies")),
        sa.UniqueConstraint("provider", "message_id", name="uq_sms_replies_provider_message"),
    )
    op.create_index("ix_sms_replies_from_received", "sms_replies", ["from_number", "received_at"])
    op.create_index(op.f("ix_sms_replies_org_id"), "sms_replies", ["org_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sms_replies_org_id"), table_name="sms_replies")
    op.drop_index("ix_sms_replies_from_received", table_name="sms_replies")
    op.drop_table("sms_replies")
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_column("reply_code")
