"""request ids: the id of the webhook request that received an alert, carried to its call jobs
so one id follows an alert from the API's log lines to the worker's

Revision ID: 0029_request_ids
Revises: 0028_project_time_zone
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_request_ids"
down_revision: str | None = "0028_project_time_zone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("call_jobs") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_jobs") as batch:
        batch.drop_column("request_id")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("request_id")
