"""A schedule's layers as stored (`schedules.layers`, JSON): what one may say, parsed and checked,
and the same documents as tocsin.rota values.

A layer takes its people from exactly one source: a rotation (`rotation_id`), fixed members
(`user_ids`) or an external calendar (`calendar_id`); `restrictions` limit it to windows of the
week in the schedule's time zone. Layers are stored lowest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tocsin import rota
from tocsin.core.errors import InvalidInput
from tocsin.core.names import MAX_NAME

MAX_LAYERS = 10
MAX_RESTRICTIONS = 14
MAX_LAYER_USERS = 20
# "HH:MM", 00:00 to 23:59.
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class RestrictionDoc(BaseModel):
    """On each of `days` (0 Monday .. 6 Sunday), from `start` to `end` local time; an `end` at or
    before `start` runs past midnight into the next day."""

    model_config = ConfigDict(extra="forbid")

    days: list[int] = Field(min_length=1, max_length=7)
    start: str = Field(pattern=CLOCK)
    end: str = Field(pattern=CLOCK)

    @field_validator("days")
    @classmethod
    def _weekdays(cls, days: list[int]) -> list[int]:
        if any(not 0 <= day <= 6 for day in days):
            raise ValueError("days are 0 (Monday) to 6 (Sunday)")
        return sorted(set(days))


class LayerDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME)
    rotation_id: str | None = Field(default=None, max_length=40)
    user_ids: list[str] | None = Field(default=None, min_length=1, max_length=MAX_LAYER_USERS)
    calendar_id: str | None = Field(default=None, max_length=40)
    restrictions: list[RestrictionDoc] = Field(default_factory=list, max_length=MAX_RESTRICTIONS)

    @field_validator("name")
    @classmethod
    def _one_line(cls, name: str) -> str:
        cleaned = " ".join(name.split())
        if not cleaned:
            raise ValueError("a layer needs a name")
        return cleaned

    @model_validator(mode="after")
    def _one_source(self) -> LayerDoc:
        sources = [self.rotation_id, self.user_ids, self.calendar_id]
        if sum(source is not None for source in sources) != 1:
            raise ValueError("a layer names exactly one of rotation_id, user_ids, calendar_id")
        return self


def parse_layers(documents: Sequence[dict[str, Any]]) -> list[LayerDoc]:
    """The layers, parsed; InvalidInput (`invalid_layers`) naming the first thing wrong."""
    if len(documents) > MAX_LAYERS:
        raise InvalidInput(f"a schedule has at most {MAX_LAYERS} layers", code="invalid_layers")
    parsed: list[LayerDoc] = []
    for index, document in enumerate(documents):
        try:
            parsed.append(LayerDoc.model_validate(document))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in (index, *first["loc"]))
            message = str(first["msg"]).removeprefix("Value error, ")
            raise InvalidInput(f"layers.{where}: {message}", code="invalid_layers") from exc
    names = [layer.name for layer in parsed]
    if len(set(names)) != len(names):
        raise InvalidInput("each layer needs a name of its own", code="invalid_layers")
    return parsed


def dump_layers(layers: Sequence[LayerDoc]) -> list[dict[str, Any]]:
    return [layer.model_dump(exclude_none=True) for layer in layers]


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def restrictions_of(document: dict[str, Any]) -> tuple[rota.Restriction, ...]:
    return tuple(
        rota.Restriction(
            days=frozenset(int(day) for day in item["days"]),
            start=_clock(item["start"]),
            end=_clock(item["end"]),
        )
        for item in document.get("restrictions", [])
    )


def handoff_time(value: str) -> time:
    """A rotation's stored handoff ("HH:MM") as a time."""
    return _clock(value)
