"""Code blocks from the documentation, so tests run exactly what the guides show."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
_FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```", flags=re.DOTALL | re.MULTILINE)


def blocks(page: str) -> list[tuple[str, str]]:
    """(info string, code) of every fenced block on a page under docs/, in order."""
    text = (DOCS / page).read_text("utf-8")
    return [(match["info"].strip(), match["code"]) for match in _FENCE.finditer(text)]


def block(page: str, name: str) -> str:
    """The one block whose info string names it, such as ```json grafana-firing."""
    [code] = [code for info, code in blocks(page) if info.split()[1:] == [name]]
    return code


def block_and_answer(page: str, name: str) -> tuple[str, str]:
    """A named block and the block right after it, which shows what it answers."""
    found = blocks(page)
    [position] = [i for i, (info, _) in enumerate(found) if info.split()[1:] == [name]]
    return found[position][1], found[position + 1][1]
