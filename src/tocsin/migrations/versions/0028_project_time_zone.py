"""project time zone: the zone its endpoints' business-hours rules read the clock in

Revision ID: 0028_project_time_zone
Revises: 0027_sms_replies
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_project_time_zone"
down_revision: str | None = "0027_sms_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("timezone")
