"""Number screening throughput, measured against bare `phonenumbers.parse` in the same run.

    python benchmarks/screening.py [--passes 20]

The inputs are the rows of tests/safety/corpus.tsv (every format, region and kind of number the
screen is tested on), each read with its row's region. Two figures for each side:

- cold: the first pass over the inputs in a fresh interpreter, after the imports, so it pays for
  the lazy loading of `phonenumbers` metadata (each region's tables load on first use). Each cold
  pass runs in its own child process, so neither side inherits the other's loaded metadata;
  --cold-runs children per side, the median counts.
- warm: --passes further passes in this process once everything is loaded; the best pass counts.
  Importing `tocsin.safety` turns on `phonenumbers.enable_pattern_cache()`, so the warm bare
  parse runs with it too.

The ratio says how many bare parses fit in the time of one screen: `screen` parses every reading
of an input and looks at types, short-number and emergency metadata and the curated tables, so
it is expected to cost several parses.
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


def screen_all(inputs: Inputs) -> None:
    from tocsin.safety import screen

    for raw, region in inputs:
        screen(raw, region)


SIDES: dict[str, Callable[[Inputs], None]] = {"parse": bare_parse, "screen": screen_all}


def imports(side: str) -> None:
    importlib.import_module("tocsin.safety" if side == "screen" else "phonenumbers")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=20, help="warm passes (best one counts)")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per side")
    parser.add_argument("--cold-child", choices=sorted(SIDES), help=argparse.SUPPRESS)
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
    warm = {
        side: min(one_pass_seconds(side, inputs) for _ in range(max(1, args.passes)))
        for side in SIDES
    }

    print(f"{count} inputs from {CORPUS.name}")
    cold_title = f"cold (median of {args.cold_runs})"
    warm_title = f"warm (best of {args.passes})"
    print(f"{'':8}{cold_title:>20}{warm_title:>22}")
    for side in SIDES:
        print(f"{side:8}{rate(count, cold_figures[side]['pass']):>20}{rate(count, warm[side]):>22}")
    cold_ratio = cold_figures["screen"]["pass"] / cold_figures["parse"]["pass"]
    warm_ratio = warm["screen"] / warm["parse"]
    print(f"{'ratio':8}{cold_ratio:>19.1f}x{warm_ratio:>21.1f}x   (screen time / parse time)")
    print(
        f"imports: phonenumbers {cold_figures['parse']['import'] * 1000:.0f} ms, "
        f"tocsin.safety {cold_figures['screen']['import'] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
