"""The usage chart: a bar per day, scaled to the busiest day or the cap, and a line at the cap."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from tocsin.http.web.chart import HEIGHT, PLOT_HEIGHT, TOP, calls_chart

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ElementTree.Element:
    # Our own output, not untrusted input: the plain parser is fine.
    return ElementTree.fromstring(svg)  # noqa: S314


def bars(svg: str) -> list[ElementTree.Element]:
    return [rect for rect in parsed(svg).iter(f"{SVG}rect") if rect.get("class") == "bar"]


def cap_line(svg: str) -> ElementTree.Element:
    (line,) = [line for line in parsed(svg).iter(f"{SVG}line") if line.get("class") == "cap"]
    return line


def labels(svg: str, kind: str) -> list[str]:
    return [text.text or "" for text in parsed(svg).iter(f"{SVG}text") if text.get("class") == kind]


def days(*calls: int) -> list[tuple[str, int]]:
    return [(f"2026-03-{day:02d}", count) for day, count in enumerate(calls, start=1)]


def test_an_image_with_a_summary_and_no_inline_style() -> None:
    svg = calls_chart(days(0, 3, 1), cap=10)
    root = parsed(svg)
    assert root.get("role") == "img"
    assert root.get("class") == "chart"
    assert root.get("aria-label") == (
        "Calls per day from 2026-03-01 to 2026-03-03: 4 calls in total, "
        "at most 3 on 2026-03-02; daily cap 10."
    )
    assert "style=" not in svg


def test_one_bar_per_day_with_its_height_in_proportion_and_a_title() -> None:
    svg = calls_chart(days(0, 5, 10), cap=10)
    shown = bars(svg)
    assert len(shown) == 3
    heights = [float(bar.get("height", "")) for bar in shown]
    assert heights == [0.0, PLOT_HEIGHT / 2, float(PLOT_HEIGHT)]
    titles = [bar.find(f"{SVG}title") for bar in shown]
    assert [title.text for title in titles if title is not None] == [
        "2026-03-01: 0 calls",
        "2026-03-02: 5 calls",
        "2026-03-03: 10 calls",
    ]


def test_the_cap_line_sits_at_the_cap_and_the_scale_reaches_the_busiest_day() -> None:
    under = cap_line(calls_chart(days(1, 2), cap=10))
    # The cap is the top of the scale when no day reached it.
    assert float(under.get("y1", "")) == TOP
    over = cap_line(calls_chart(days(20, 5), cap=10))
    assert float(over.get("y1", "")) == TOP + PLOT_HEIGHT / 2
    assert labels(calls_chart(days(20, 5), cap=10), "y-label") == ["0", "20"]
    assert labels(calls_chart(days(20, 5), cap=10), "cap-label") == ["Daily cap 10"]
    assert "reached on 1 day" in parsed(calls_chart(days(20, 5), cap=10)).get("aria-label", "")


def test_dates_label_the_axis_sparsely_and_always_today() -> None:
    month = calls_chart(days(*range(30)), cap=50)
    shown = labels(month, "x-label")
    assert shown[0] == "03-01"
    assert shown[-1] == "03-30"
    assert 2 < len(shown) <= 7


def test_no_days_is_an_empty_chart_that_says_so() -> None:
    svg = calls_chart([], cap=10)
    assert bars(svg) == []
    assert "No calls to show" in svg
    assert "no days to show" in parsed(svg).get("aria-label", "")
    assert float(cap_line(svg).get("y1", "")) == TOP
    assert re.search(rf'viewBox="0 0 \d+ {HEIGHT}"', svg)


def test_no_cap_draws_no_cap_line() -> None:
    svg = calls_chart(days(0, 0), cap=0)
    assert [line for line in parsed(svg).iter(f"{SVG}line") if line.get("class") == "cap"] == []
    assert [float(bar.get("height", "")) for bar in bars(svg)] == [0.0, 0.0]
