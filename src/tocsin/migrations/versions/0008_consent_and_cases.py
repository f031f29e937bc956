"""consent, opt-outs, the trust case queue and policy documents

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_action_created_at", ["action", "created_at"], unique=False
        )
    op.create_table(
        "number_verifications",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("contact_id", sa.String(length=40), nullable=True),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("requested_by_type", sa.String(length=20), nullable=False),
        sa.Column("requested_by_id", sa.String(length=100), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("wrong_attempts", sa.Integer(), nullable=False),
        sa.Column("provider_ref", sa.String(length=100), nullable=True),
        sa.Column("send_error", sa.Text(), nullable=True),
        sa.Column("sealed_code", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_verifications")),
    )
    with op.batch_alter_table("number_verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_number_verifications_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(
            "ix_number_verifications_phone_created", ["phone_e164", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_number_verifications_requested_by_id"), ["requested_by_id"], unique=False
        )

    op.create_table(
        "platform_opt_outs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("verification_id", sa.String(length=40), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_opt_outs")),
        sa.UniqueConstraint("phone_e164", name=op.f("uq_platform_opt_outs_phone_e164")),
    )
    op.create_table(
        "policy_documents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary_of_changes", sa.Text(), nullable=True),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("effective_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_documents")),
        sa.UniqueConstraint("kind", "version", name="uq_policy_documents_kind_version"),
    )
    op.create_table(
        "trust_cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=200), nullable=True),
        sa.Column("action_id", sa.String(length=40), nullable=True),
        sa.Column("opened_by_type", sa.String(length=20), nullable=False),
        sa.Column("opened_by_id", sa.String(length=100), nullable=True),
        sa.Column("assignee_id", sa.String(length=40), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_cases")),
        sa.UniqueConstraint("fingerprint", name="uq_trust_cases_fingerprint"),
    )
    with op.batch_alter_table("trust_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trust_cases_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trust_cases_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_trust_cases_status_id", ["status", "id"], unique=False)

    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=True),
        sa.Column("verification_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("actor_type", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_consent_records_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_records_org_phone", ["org_id", "phone_e164"], unique=False
        )

    op.create_table(
        "policy_acceptances",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("document_id", sa.String(length=40), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["policy_documents.id"],
            name=op.f("fk_policy_acceptances_document_id_policy_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_policy_acceptances_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_acceptances")),
        sa.UniqueConstraint("user_id", "document_id", name="uq_policy_acceptances_user_document"),
    )
    with op.batch_alter_table("policy_acceptances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_acceptances_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("do_not_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lifted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_action_created_at")
    with op.batch_alter_table("do_not_call", schema=None) as batch_op:
        batch_op.drop_column("lifted_at")

    with op.batch_alter_table("policy_acceptances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_acceptances_user_id"))

    op.drop_table("policy_acceptances")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_records_org_phone")

    op.drop_table("consent_records")
    with op.batch_alter_table("trust_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_trust_cases_status_id")
        batch_op.drop_index(batch_op.f("ix_trust_cases_org_id"))
        batch_op.drop_index(batch_op.f("ix_trust_cases_action_id"))

    op.drop_table("trust_cases")
    op.drop_table("policy_documents")
    op.drop_table("platform_opt_outs")
    with op.batch_alter_table("number_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_number_verifications_requested_by_id"))
        batch_op.drop_index("ix_number_verifications_phone_created")
        batch_op.drop_index(batch_op.f("ix_number_verifications_org_id"))

    op.drop_table("number_verifications")
