"""sms: the keywords texted to Tocsin's numbers, the SMS stop list, opt-outs by STOP

Revision ID: 0014_sms
Revises: 0013_enforcement
Create Date: 2027-01-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_sms"
down_revision: str | None = "0013_enforcement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_keywords",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=True),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("keyword", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("reply", sa.String(length=10), nullable=False),
        sa.Column("reply_ref", sa.String(length=100), nullable=True),
        sa.Column("reply_detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_keywords")),
        sa.UniqueConstraint("provider", "message_id", name="uq_sms_keywords_provider_message"),
    )
    op.create_index("ix_sms_keywords_from_received", "sms_keywords", ["from_number", "received_at"])
    op.create_index(op.f("ix_sms_keywords_org_id"), "sms_keywords", ["org_id"])
    op.create_table(
        "sms_stops",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=False),
        sa.Column("stop_keyword_id", sa.String(length=40), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lift_keyword_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_stops")),
        sa.UniqueConstraint("scope", "phone_e164", name="uq_sms_stops_scope_phone"),
    )
    with op.batch_alter_table("platform_opt_outs", schema=None) as batch_op:
        batch_op.alter_column("verification_id", existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(sa.Column("keyword_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("platform_opt_outs", schema=None) as batch_op:
        batch_op.drop_column("keyword_id")
        # Opt-outs made by STOP have no verification: they cannot survive the older schema.
        batch_op.execute("DELETE FROM platform_opt_outs WHERE verification_id IS NULL")
        batch_op.alter_column("verification_id", existing_type=sa.String(length=40), nullable=False)
    op.drop_table("sms_stops")
    op.drop_index(op.f("ix_sms_keywords_org_id"), table_name="sms_keywords")
    op.drop_index("ix_sms_keywords_from_received", table_name="sms_keywords")
    op.drop_table("sms_keywords")
