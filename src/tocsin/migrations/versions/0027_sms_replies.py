"""replies to alert texts: acknowledge or resolve by SMS

Revision ID: 0027_sms_replies
Revises: 0026_outgoing_webhooks
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "0027_sms_replies"
down_revision: str | None = "0026_outgoing_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
