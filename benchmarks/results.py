"""One row per figure a benchmark reports against a goal, so `make bench` can print every
benchmark's figures as one table and keep them as JSON.

A benchmark script builds `Result`s and calls `emit(results, args.results)`: it prints them and,
when `--results PATH` was given, appends them to that JSON file (a list of rows), which
`benchmarks/run_all.py` reads back to print the combined table.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    """`tocsin` and `reference` were measured in the same run; `ratio` is how the goal reads
    them (tocsin/reference for throughput, reference/tocsin for cost), `met` whether the goal is
    reached (None when the goal is only a figure to report)."""

    benchmark: str
    metric: str
    goal: str
    tocsin: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    ratio: float | None = None
    met: bool | None = None
    note: str = ""


def add_results_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results",
        type=Path,
        help="append this run's figures as JSON rows to this file (make bench uses it)",
    )


def _figure(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def _verdict(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]


def table(results: Iterable[Result]) -> str:
    """The markdown table (metric | goal | Tocsin | reference | ratio | met)."""
    lines = [
        "| metric | goal | Tocsin | reference | ratio | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        reference = _figure(result.reference, result.unit)
        if result.reference_name and result.reference is not None:
            reference += f" ({result.reference_name})"
        ratio = "-" if result.ratio is None else f"{result.ratio:.3g}x"
        metric = result.metric + (f" ({result.note})" if result.note else "")
        cells = [
            metric,
            result.goal,
            _figure(result.tocsin, result.unit),
            reference,
            ratio,
            _verdict(result.met),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def emit(results: list[Result], path: Path | None) -> None:
    print()
    print(table(results))
    if path is None:
        return
    rows = json.loads(path.read_text()) if path.exists() else []
    rows.extend(asdict(result) for result in results)
    path.write_text(json.dumps(rows, indent=2) + "\n")


def load(path: Path) -> list[Result]:
    return [Result(**row) for row in json.loads(path.read_text())]
