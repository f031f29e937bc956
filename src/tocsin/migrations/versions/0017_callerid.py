"""caller IDs an organization controls: proven numbers, chosen per provider account and
endpoint

Revision ID: 0017_callerid
Revises: 0016_verifychannel
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_callerid"
down_revision: str | None = "0016_verifychannel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caller_ids",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("proof", sa.String(length=20), nullable=True),
        sa.Column("proven_account_id", sa.String(length=40), nullable=True),
        sa.Column("proven_how", sa.String(length=200), nullable=True),
        sa.Column("proven_at", sa.DateTime(), nullable=True),
        sa.Column("verification_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_caller_ids_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_ids")),
        sa.UniqueConstraint("org_id", "number", name="uq_caller_ids_org_number"),
    )
    op.create_index(op.f("ix_caller_ids_org_id"), "caller_ids", ["org_id"], unique=False)
    for table in ("provider_accounts", "endpoints"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("caller_id_id", sa.String(length=40), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_caller_id_id_caller_ids"),
                "caller_ids",
                ["caller_id_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade() -> None:
    for table in ("endpoints", "provider_accounts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_caller_id_id_caller_ids"), type_="foreignkey"
            )
            batch_op.drop_column("caller_id_id")
    op.drop_index(op.f("ix_caller_ids_org_id"), table_name="caller_ids")
    op.drop_table("caller_ids")
