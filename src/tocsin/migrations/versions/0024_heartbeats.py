"""heartbeats: monitors that expect a ping, and their pings

Revision ID: 0024_heartbeats
Revises: 0023_member_texts
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_heartbeats"
down_revision: str | None = "0023_member_texts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("max_runtime_seconds", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("down_reason", sa.String(length=20), nullable=True),
        sa.Column("last_ping_at", sa.DateTime(), nullable=True),
        sa.Column("last_ping_kind", sa.String(length=10), nullable=True),
        sa.Column("run_started_at", sa.DateTime(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(), nullable=True),
        sa.Column("alert_at", sa.DateTime(), nullable=True),
        sa.Column("alert_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_heartbeats_alert_id_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_heartbeats_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_heartbeats_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeats")),
    )
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.create_index("ix_heartbeats_alert_at", ["alert_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_heartbeats_endpoint_id"), ["endpoint_id"])
        batch_op.create_index(batch_op.f("ix_heartbeats_org_id"), ["org_id"], unique=False)
    op.create_table(
        "heartbeat_pings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("heartbeat_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["heartbeat_id"],
            ["heartbeats.id"],
            name=op.f("fk_heartbeat_pings_heartbeat_id_heartbeats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeat_pings")),
    )
    with op.batch_alter_table("heartbeat_pings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_heartbeat_pings_heartbeat_id", ["heartbeat_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("heartbeat_pings", schema=None) as batch_op:
        batch_op.drop_index("ix_heartbeat_pings_heartbeat_id")
    op.drop_table("heartbeat_pings")
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heartbeats_org_id"))
        batch_op.drop_index(batch_op.f("ix_heartbeats_endpoint_id"))
        batch_op.drop_index("ix_heartbeats_alert_at")
    op.drop_table("heartbeats")
