"""heartbeats: monitors that expect a ping, and their pings

Revision ID: 0024_heartbeats
Revises: 0023_member_texts
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "0024_heartbeats"
down_revision: str | None = "0023_member_texts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
