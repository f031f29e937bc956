"""quota periods are instants: usage counters keyed by each period's UTC start, the calls
counted in them, and when an organization's time zone last changed

Revision ID: 0015_evidence
Revises: 0014_sms
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

revision: str = "0015_evidence"
down_revision: str | None = "0014_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_COUNTERS = sa.table(
    "usage_counters",
    sa.column("org_id", sa.String),
    sa.column("period", sa.String),
    sa.column("calls", sa.Integer),
    sa.column("spend_cents", sa.Integer),
)
_NEW_COUNTERS = sa.table(
    "usage_counters",
    sa.column("org_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("starts_at", sa.DateTime),
    sa.column("ends_at", sa.DateTime),
    sa.column("label", sa.String),
    sa.column("calls", sa.Integer),
    sa.column("spend_cents", sa.Integer),
)
_ORGS = sa.table("organizations", sa.column("id", sa.String), sa.column("timezone", sa.String))
_ATTEMPTS = sa.table(
    "call_attempts",
    sa.column("id", sa.String),
    sa.column("org_id", sa.String),
    sa.column("billed_day", sa.String),
    sa.column("billed_day_starts_at", sa.DateTime),
    sa.column("billed_month_starts_at", sa.DateTime),
)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Naive UTC, as the columns store it.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _period(label: str, zone: ZoneInfo) -> dict[str, object]:
    """A counter's old key (`2026-01-31` or `2026-01`) as the period it named, in the zone the
    organization has now (the zone it was counted in is not known)."""
    if len(label) == 10:
        day = date.fromisoformat(label)
        return {
            "kind": "day",
            "starts_at": _midnight(day, zone),
            "ends_at": _midnight(day + timedelta(days=1), zone),
            "label": label,
        }
    first = date.fromisoformat(f"{label}-01")
    return {
        "kind": "month",
        "starts_at": _midnight(first, zone),
        "ends_at": _midnight(_next_month(first), zone),
        "label": label,
    }


def _zones(connection: sa.Connection) -> dict[str, ZoneInfo]:
    return {row.id: _zone(row.timezone) for row in connection.execute(sa.select(_ORGS))}


def upgrade() -> None:
    connection = op.get_bind()
    zones = _zones(connection)
    counters = [row._asdict() for row in connection.execute(sa.select(_OLD_COUNTERS))]
    op.drop_table("usage_counters")
    op.create_table(
        "usage_counters",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("spend_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_usage_counters_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "kind", "starts_at", name=op.f("pk_usage_counters")),
    )
    rows = [
        {
            "org_id": row["org_id"],
            "calls": row["calls"],
            "spend_cents": row["spend_cents"],
            **_period(row["period"], zones.get(row["org_id"], ZoneInfo("UTC"))),
        }
        for row in counters
    ]
    if rows:
        op.bulk_insert(_NEW_COUNTERS, rows)

    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("billed_day_starts_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("billed_month_starts_at", sa.DateTime(), nullable=True))
    billed = connection.execute(
        sa.select(_ATTEMPTS.c.id, _ATTEMPTS.c.org_id, _ATTEMPTS.c.billed_day).where(
            _ATTEMPTS.c.billed_day.is_not(None)
        )
    ).all()
    for attempt_id, org_id, day in billed:
        zone = zones.get(org_id, ZoneInfo("UTC"))
        connection.execute(
            sa.update(_ATTEMPTS)
            .where(_ATTEMPTS.c.id == attempt_id)
            .values(
                billed_day_starts_at=_period(day, zone)["starts_at"],
                billed_month_starts_at=_period(day[:7], zone)["starts_at"],
            )
        )
    # A plain DROP COLUMN (SQLite 3.35 and later): a batch would copy the whole table.
    op.drop_column("call_attempts", "billed_day")

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone_changed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMNs: on SQLite a batch would drop and copy the table, and dropping
    # organizations would cascade to every table that belongs to one.
    op.drop_column("organizations", "timezone_changed_at")

    connection = op.get_bind()
    zones = _zones(connection)
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("billed_day", sa.String(length=10), nullable=True))
    billed = connection.execute(
        sa.select(_ATTEMPTS.c.id, _ATTEMPTS.c.org_id, _ATTEMPTS.c.billed_day_starts_at).where(
            _ATTEMPTS.c.billed_day_starts_at.is_not(None)
        )
    ).all()
    for attempt_id, org_id, starts_at in billed:
        local = starts_at.replace(tzinfo=UTC).astimezone(zones.get(org_id, ZoneInfo("UTC")))
        connection.execute(
            sa.update(_ATTEMPTS)
            .where(_ATTEMPTS.c.id == attempt_id)
            .values(billed_day=local.date().isoformat())
        )
    op.drop_column("call_attempts", "billed_month_starts_at")
    op.drop_column("call_attempts", "billed_day_starts_at")

    # Periods that share a label (a time-zone change made two) add up under it.
    totals: dict[tuple[str, str], list[int]] = {}
    for row in connection.execute(sa.select(_NEW_COUNTERS)):
        total = totals.setdefault((row.org_id, row.label), [0, 0])
        total[0] += row.calls
        total[1] += row.spend_cents
    op.drop_table("usage_counters")
    op.create_table(
        "usage_counters",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("spend_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_usage_counters_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "period", name=op.f("pk_usage_counters")),
    )
    if totals:
        op.bulk_insert(
            _OLD_COUNTERS,
            [
                {"org_id": org_id, "period": label, "calls": calls, "spend_cents": spend}
                for (org_id, label), (calls, spend) in totals.items()
            ],
        )
