"""The usage page's bar chart: calls per day against the daily cap, as inline SVG.

A pure function of plain data, so it is table-tested without a browser. The page's Content
Security Policy forbids inline `style` attributes, so colours are SVG presentation attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Small enough that its text stays legible when the chart shrinks to a phone's width.
WIDTH = 400
HEIGHT = 220
# Room for the y-axis figures on the left and the dates below the bars.
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 18, 30
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
BAR_COLOUR = "#0b57d0"
CAP_COLOUR = "#b00020"
INK = "#111"
# Enough date labels to read the axis, few enough not to overlap on a phone.
MAX_DATE_LABELS = 6


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def _summary(days: Sequence[tuple[str, int]], cap: int) -> str:
    if not days:
        return f"Calls per day: no days to show; daily cap {cap}."
    total = sum(calls for _, calls in days)
    busiest_day, busiest = max(days, key=lambda day: day[1])
    over = sum(1 for _, calls in days if calls >= cap > 0)
    text = (
        f"Calls per day from {days[0][0]} to {days[-1][0]}: {_calls(total)} in total, "
        f"at most {busiest} on {busiest_day}; daily cap {cap}"
    )
    if over:
        text += f", reached on {over} day" + ("" if over == 1 else "s")
    return text + "."


def _y(value: int, top: int) -> float:
    return TOP + PLOT_HEIGHT - PLOT_HEIGHT * value / top


def _label_every(count: int) -> int:
    return max(1, -(-count // MAX_DATE_LABELS))


def calls_chart(days: Sequence[tuple[str, int]], *, cap: int) -> str:
    """An SVG bar chart of `days` ((ISO date, calls) pairs, oldest first), with a line at
    `cap` calls. Each bar has a <title> (a tooltip, and what a screen reader reads); the
    whole chart is one image whose aria-label sums it up."""
    top = max([cap, 1, *(calls for _, calls in days)])
    summary = escape(_summary(days, cap))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-label="{summary}">',
        f"<title>{summary}</title>",
        # The axes, with the scale's two ends written beside the y axis.
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_HEIGHT}" '
        f'stroke="{INK}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + PLOT_HEIGHT}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + PLOT_HEIGHT}" stroke="{INK}"/>',
        f'<text class="y-label" x="{LEFT - 4}" y="{TOP + PLOT_HEIGHT}" text-anchor="end" '
        f'font-size="13" fill="{INK}">0</text>',
        f'<text class="y-label" x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" '
        f'font-size="13" fill="{INK}">{top}</text>',
    ]
    if not days:
        parts.append(
            f'<text x="{LEFT + PLOT_WIDTH / 2}" y="{TOP + PLOT_HEIGHT / 2}" '
            f'text-anchor="middle" font-size="15" fill="{INK}">No calls to show</text>'
        )
    slot = PLOT_WIDTH / max(len(days), 1)
    every = _label_every(len(days))
    for index, (day, calls) in enumerate(days):
        x = LEFT + index * slot
        y = _y(calls, top)
        parts.append(
            f'<rect class="bar" x="{x + slot * 0.1:.1f}" y="{y:.1f}" '
            f'width="{slot * 0.8:.1f}" height="{TOP + PLOT_HEIGHT - y:.1f}" '
            f'fill="{BAR_COLOUR}"><title>{escape(day)}: {_calls(calls)}</title></rect>'
        )
        # The last day is always labelled, flush with the right edge: it is today, the one
        # people look for. A regular label too close to it would overlap it.
        last = index == len(days) - 1
        if last or (index % every == 0 and len(days) - 1 - index >= every):
            anchor, at = ("end", WIDTH - RIGHT) if last else ("middle", x + slot / 2)
            parts.append(
                f'<text class="x-label" x="{at:.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}" '
                f'font-size="13" fill="{INK}">{escape(day[5:])}</text>'
            )
    if cap > 0:
        y = _y(cap, top)
        parts.append(
            f'<line class="cap" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{CAP_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text class="cap-label" x="{WIDTH - RIGHT}" y="{y - 4:.1f}" text-anchor="end" '
            f'font-size="13" fill="{CAP_COLOUR}" stroke="#fff" stroke-width="3" '
            f'paint-order="stroke">Daily cap {cap}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
