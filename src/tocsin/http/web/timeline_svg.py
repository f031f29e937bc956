"""A schedule's two-week timeline as blocks placed by time: one row per layer, the overrides and
the final row. Pure geometry over plain data, drawn as inline SVG by the template (the page's
Content Security Policy forbids inline styles, so colours are presentation attributes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin import rota

WIDTH = 1000
LABEL = 130
ROW = 34
GAP_COLOUR = "#f3f5f7"
# Distinct enough side by side, dark enough for white text.
PALETTE = ("#0b57d0", "#0a6b2c", "#8a4b00", "#6a1b9a", "#00695c", "#ad1457", "#37474f", "#5d4037")


@dataclass(frozen=True)
class Block:
    x: float
    width: float
    label: str
    title: str
    colour: str
    starts_at: datetime
    ends_at: datetime
    user_id: str | None = None


@dataclass(frozen=True)
class DrawnRow:
    name: str
    y: float
    blocks: list[Block]
    final: bool = False


def _x(at: datetime, starts_at: datetime, span: timedelta) -> float:
    return LABEL + (WIDTH - LABEL) * ((at - starts_at) / span)


def _colours(user_ids: Sequence[str]) -> dict[str, str]:
    return {user_id: PALETTE[i % len(PALETTE)] for i, user_id in enumerate(user_ids)}


def _when(at: datetime) -> str:
    return at.strftime("%a %d %b %H:%M")


def rows(
    layers: Sequence[tuple[str, Sequence[rota.Segment]]],
    overrides: Sequence[rota.Override],
    final: Sequence[rota.Segment],
    names: dict[str, str],
    starts_at: datetime,
    ends_at: datetime,
) -> list[DrawnRow]:
    span = ends_at - starts_at
    colours = _colours(list(names))

    def blocks(segments: Sequence[rota.Segment]) -> list[Block]:
        drawn = []
        for segment in segments:
            who = [names.get(h.user_id, h.user_id) for h in segment.on_call.holders]
            first = segment.on_call.holders[0].user_id if segment.on_call.holders else None
            x = _x(segment.starts_at, starts_at, span)
            drawn.append(
                Block(
                    x=x,
                    width=max(_x(segment.ends_at, starts_at, span) - x, 0.5),
                    label=", ".join(who) or "nobody",
                    title=f"{', '.join(who) or 'Nobody'}: {_when(segment.starts_at)} to "
                    f"{_when(segment.ends_at)} UTC",
                    colour=colours.get(first, GAP_COLOUR) if first else GAP_COLOUR,
                    starts_at=segment.starts_at,
                    ends_at=segment.ends_at,
                    user_id=first,
                )
            )
        return drawn

    drawn_rows = [
        DrawnRow(name, ROW * index, blocks(segments))
        for index, (name, segments) in enumerate(layers)
    ]
    override_blocks = []
    for item in overrides:
        begins, ends = max(item.starts_at, starts_at), min(item.ends_at, ends_at)
        if ends <= begins:
            continue
        x = _x(begins, starts_at, span)
        who = names.get(item.user_id, item.user_id)
        override_blocks.append(
            Block(
                x=x,
                width=max(_x(ends, starts_at, span) - x, 0.5),
                label=f"{item.kind.value}: {who}",
                title=f"Override ({item.kind.value} {who}): {_when(begins)} to {_when(ends)} UTC",
                colour="#b00020",
                starts_at=begins,
                ends_at=ends,
                user_id=item.user_id,
            )
        )
    drawn_rows.append(DrawnRow("Overrides", ROW * len(drawn_rows), override_blocks))
    drawn_rows.append(DrawnRow("On call", ROW * len(drawn_rows), blocks(final), final=True))
    return drawn_rows


def day_marks(starts_at: datetime, ends_at: datetime) -> list[tuple[float, str]]:
    """An x and a label at each UTC midnight of the window."""
    span = ends_at - starts_at
    day = starts_at.replace(hour=0, minute=0, second=0, microsecond=0)
    if day < starts_at:
        day += timedelta(days=1)
    marks = []
    while day < ends_at:
        marks.append((_x(day, starts_at, span), day.strftime("%a %d")))
        day += timedelta(days=1)
    return marks
