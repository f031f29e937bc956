"""Number screening throughput, measured against `phonenumbers` in the same run.

    python benchmarks/screening.py [--passes 20] [--results PATH]

The inputs are the rows of tests/safety/corpus.tsv (every format, region and kind of number the
screen is tested on), each read with its row's region. Four sides:

- parse: bare `phonenumbers.parse`.
- valid: `phonenumbers.parse` and `is_valid_number`, the least a caller that checks a number
  does: the reference the goal is read against.
- screen: `tocsin.safety.screen`, as a worker calls it; warm, every verdict comes from the
  verdict cache (the same numbers are screened again at every dial).
- first: `screen` with the verdict cache emptied before each pass, so every verdict is worked out
  (normalising, parsing, types, short-number and emergency metadata, the curated tables).

Two figures for each side:

- cold: the first pass over the inputs in a fresh interpreter, after the imports, so it pays for
  the lazy loading of `phonenumbers` metadata (each region's tables load on first use). Each cold
  pass runs in its own child process, so no side inherits another's loaded metadata;
  --cold-runs children per side, the median counts.
- warm: --passes further passes in this process once everything is loaded, the sides taking
  turns; the best pass of each side counts.
  Importing `tocsin.safety` turns on `phonenumbers.enable_pattern_cache()`, so the warm
  `phonenumbers` sides run with it too.

The goal (issue 21) is 60,000 numbers/s warm. The machine's load moves every figure, so each row
also gives the ratio to `valid` measured in the same run: on a quiet machine `valid` runs at
about 63,000/s (57-69k measured), so a ratio of 0.95 is 60,000/s there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from results import Result, add_results_option, emit

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "safety" / "corpus.tsv"

Inputs = list[tuple[str, str | None]]


def load_inputs() -> Inputs:
    inputs: Inputs = []
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    for line in lines:
        if not line or line.startswith("#") or line.startswith("region\t"):
            continue
        region, raw = line.split("\t")[:2]
        inputs.append((raw, region or None))
    return inputs


# Both sides import on first use, not at the top: a cold child must load only its own side
# (tocsin.safety also turns on phonenumbers' pattern cache), and its import time is reported.


def bare_parse(inputs: Inputs) -> None:
    import phonenumbers

    for raw, region in inputs:
        try:  # noqa: SIM105 - contextlib.suppress would cost more than the baseline it measures
            phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            pass


def parse_and_validate(inputs: Inputs) -> None:
    import phonenumbers

    for raw, region in inputs:
        try:  # noqa: SIM105 - as in bare_parse
            phonenumbers.is_valid_number(phonenumbers.parse(raw, region))
        except phonenumbers.NumberParseException:
            pass


def screen_all(inputs: Inputs) -> None:
    from tocsin.safety import screen

    for raw, region in inputs:
        screen(raw, region)


def screen_first_sight(inputs: Inputs) -> None:
    from tocsin.safety.screen import forget_verdicts

    # The corpus holds no input twice, so one emptying makes every verdict of the pass new.
    forget_verdicts()
    screen_all(inputs)


SIDES: dict[str, Callable[[Inputs], None]] = {
    "parse": bare_parse,
    "valid": parse_and_validate,
    "screen": screen_all,
    "first": screen_first_sight,
}
SCREENING_SIDES = ("screen", "first")
GOAL_PER_SECOND = 60_000
# What `valid` runs at on a quiet machine (57-69k/s measured): the goal as a ratio to it.
QUIET_REFERENCE_PER_SECOND = 63_000


def imports(side: str) -> None:
    importlib.import_module("tocsin.safety" if side in SCREENING_SIDES else "phonenumbers")


def one_pass_seconds(side: str, inputs: Inputs) -> float:
    started = time.perf_counter()
    SIDES[side](inputs)
    return time.perf_counter() - started


def cold_child(side: str) -> None:
    """Runs in a fresh interpreter: import, then time the first pass only."""
    inputs = load_inputs()
    started = time.perf_counter()
    imports(side)
    import_seconds = time.perf_counter() - started
    print(json.dumps({"import": import_seconds, "pass": one_pass_seconds(side, inputs)}))


def cold(side: str, runs: int) -> dict[str, float]:
    """Median figures of `runs` fresh interpreters."""
    samples = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, __file__, "--cold-child", side],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        samples.append(json.loads(result.stdout))
    return {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s"


def results(count: int, warm: dict[str, float]) -> list[Result]:
    reference = count / warm["valid"]
    notes = {
        "screen": "verdict cache warm: numbers screened before, as at every dial",
        "first": "first sight: verdict cache emptied before each pass",
    }
    rows = []
    for side in SCREENING_SIDES:
        figure = count / warm[side]
        rows.append(
            Result(
                benchmark="screening",
                metric="screening warm numbers/s",
                goal=f"≥ {GOAL_PER_SECOND // 1000}k/s",
                tocsin=figure,
                unit="numbers/s",
                reference=reference,
                reference_name="phonenumbers parse+is_valid_number",
                ratio=figure / reference,
                met=figure >= GOAL_PER_SECOND,
                note=notes[side],
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=20, help="warm passes (best one counts)")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per side")
    parser.add_argument("--cold-child", choices=sorted(SIDES), help=argparse.SUPPRESS)
    add_results_option(parser)
    args = parser.parse_args()
    if args.cold_child:
        cold_child(args.cold_child)
        return

    inputs = load_inputs()
    count = len(inputs)
    cold_figures = {side: cold(side, max(1, args.cold_runs)) for side in SIDES}

    for side in SIDES:
        imports(side)
        SIDES[side](inputs)
    # Passes take turns, so a burst of load from other processes falls on every side alike.
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    for _ in range(max(1, args.passes)):
        for side in SIDES:
            samples[side].append(one_pass_seconds(side, inputs))
    warm = {side: min(seconds) for side, seconds in samples.items()}

    print(f"{count} inputs from {CORPUS.name}")
    cold_title = f"cold (median of {args.cold_runs})"
    warm_title = f"warm (best of {args.passes})"
    print(f"{'':8}{cold_title:>20}{warm_title:>22}")
    for side in SIDES:
        print(f"{side:8}{rate(count, cold_figures[side]['pass']):>20}{rate(count, warm[side]):>22}")
    for side in SCREENING_SIDES:
        cold_ratio = cold_figures[side]["pass"] / cold_figures["parse"]["pass"]
        warm_ratio = warm[side] / warm["parse"]
        print(f"{'ratio':8}{cold_ratio:>19.1f}x{warm_ratio:>21.2f}x   ({side} time / parse time)")
    print(
        f"imports: phonenumbers {cold_figures['parse']['import'] * 1000:.0f} ms, "
        f"tocsin.safety {cold_figures['screen']['import'] * 1000:.0f} ms"
    )
    quiet_ratio = GOAL_PER_SECOND / QUIET_REFERENCE_PER_SECOND
    print(
        f"goal as a ratio: {GOAL_PER_SECOND:,}/s is {quiet_ratio:.2f}x parse+is_valid_number on a"
        f" quiet machine (about {QUIET_REFERENCE_PER_SECOND:,}/s there)"
    )
    emit(results(count, warm), args.results)


if __name__ == "__main__":
    main()
