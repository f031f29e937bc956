"""outgoing webhooks on alert state changes, and their delivery log

Revision ID: 0026_outgoing_webhooks
Revises: 0025_maintenance
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "0026_outgoing_webhooks"
down_revision: str | None = "0025_maintenance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
