"""member texts: texts to members that are not about an alert (handoff notices), and the
instant up to which a schedule's handoff notices are compared again after a late change

Revision ID: 0023_member_texts
Revises: 0022_texts
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_member_texts"
down_revision: str | None = "0022_texts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_texts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(length=40), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("send_before", sa.DateTime(), nullable=False),
        sa.Column("sending_deadline", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_member_texts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_member_texts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_texts")),
        sa.UniqueConstraint("org_id", "key", name="uq_member_texts_org_key"),
    )
    with op.batch_alter_table("member_texts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_texts_status_created", ["status", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_member_texts_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handoffs_recheck_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_column("handoffs_recheck_until")
    with op.batch_alter_table("member_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_texts_user_id"))
        batch_op.drop_index("ix_member_texts_status_created")
    op.drop_table("member_texts")
