"""A schedule drawn over a window, as its page shows it: one row per layer (who that layer alone
would have on call, within its restrictions), a row of overrides, and the final row (who is on
call once every layer, temporary schedule and override is applied)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.oncall.evaluation import holders_names, names_of, schedule_model
from tocsin.oncall.models import Schedule
from tocsin.oncall.schedules import get_schedule
from tocsin.oncall.who import Window


@dataclass(frozen=True)
class Row:
    name: str
    segments: list[rota.Segment]


@dataclass(frozen=True)
class Picture:
    schedule: Schedule
    window: Window
    layers: list[Row]
    overrides: list[rota.Override]
    final: list[rota.Segment]
    names: dict[str, str]


def schedule_picture(session: Session, *, org_id: str, schedule_id: str, window: Window) -> Picture:
    schedule = get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    model = schedule_model(session, schedule, starts_at=window.starts_at, ends_at=window.ends_at)
    rows = [
        Row(
            layer.name,
            rota.timeline(
                replace(model, layers=(layer,), overrides=(), temporaries=()),
                window.starts_at,
                window.ends_at,
            ),
        )
        for layer in reversed(model.layers)
    ]
    final = rota.timeline(model, window.starts_at, window.ends_at)
    holders = [
        h for row in [*rows, Row("", final)] for s in row.segments for h in s.on_call.holders
    ]
    names = holders_names(session, holders)
    names.update(names_of(session, {o.user_id for o in model.overrides}))
    return Picture(schedule, window, rows, list(model.overrides), final, names)
