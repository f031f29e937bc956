"""Rows as the values tocsin.rota computes with."""

from __future__ import annotations

from datetime import datetime

from tocsin import rota
from tocsin.oncall.layers import handoff_time
from tocsin.oncall.models import Rotation, ScheduleOverride, ScheduleTemporary


def rotation_value(row: Rotation) -> rota.Rotation:
    return rota.Rotation(
        participants=tuple(row.participants),
        unit=rota.Unit(row.unit),
        count=row.count,
        handoff=handoff_time(row.handoff_time),
        timezone=row.timezone,
        start=row.start_at,
        anchor_at=row.anchor_at,
        anchor_index=row.anchor_index,
    )


def rotation_source(row: Rotation | None) -> rota.Source:
    """A rotation's people as a layer's source. One whose last participant left the organization
    (or that is gone) has nobody: the layers below show through, and a schedule left with
    nobody is said when it is paged."""
    if row is None or not row.participants:
        return rota.FixedUsers(())
    return rotation_value(row)


def override_value(row: ScheduleOverride) -> rota.Override:
    return rota.Override(
        kind=rota.OverrideKind(row.kind),
        user_id=row.user_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        replaces_user_id=row.replaces_user_id,
        id=row.id,
    )


def temporary_value(row: ScheduleTemporary) -> rota.Temporary:
    return rota.Temporary(
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        shifts=tuple(
            rota.Shift(
                user_id=shift["user_id"],
                starts_at=_instant(shift["starts_at"]),
                ends_at=_instant(shift["ends_at"]),
            )
            for shift in row.shifts
        ),
        id=row.id,
    )


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)
