"""maintenance windows and silences, and the alerts they muted

Revision ID: 0025_maintenance
Revises: 0024_heartbeats
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "0025_maintenance"
down_revision: str | None = "0024_heartbeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
