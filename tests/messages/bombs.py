"""Templates that try to stall or bloat whatever renders them (issue 17, finding 1)."""

from __future__ import annotations

import itertools
import uuid

# The issue's own: str() of twenty thousand copies of a 20,000-item list, one C call that took
# 36.6 s and 1.17 GB in the server's process. The sandbox now refuses to build it.
ISSUES_BOMB = "{% set l = [1] * 20000 %}{{ [l] * 20000 }}"


def _nested(names: list[str], seed: str) -> str:
    """`seed` in `names[0]`, then each next name a list of ten of the one before."""
    out = "{% set " + names[0] + " = " + seed + " %}"
    for inner, outer in itertools.pairwise(names):
        out += "{% set " + outer + " = [" + ", ".join([inner] * 10) + "] %}"
    return out


def deep_comparison(levels: int = 10) -> str:
    """Two equal structures, ten to the `levels` strings each, compared with `==`: one C call
    the sandbox cannot see into, about a minute of CPU and no memory (on the machine that
    wrote this, 6 s in-process at 9 levels). It stands for whatever the sandbox's checks do not
    know: the cage has to stop it."""
    left = [f"l{i}" for i in range(levels)]
    right = [f"r{i}" for i in range(levels)]
    return (
        _nested(left, "'x' * 1000")
        + _nested(right, "'x' * 1000")
        + "{{ " + left[-1] + " == " + right[-1] + " }}"
    )  # fmt: skip


def behind_an_if(bomb: str) -> str:
    """Harmless for the sample alert a template is checked against when it is saved; goes off
    for a payload with `boom`. Each is a template of its own (a comment makes it so), which
    the stop of another test's does not rest (messages/caged.py)."""
    return fresh("{{ title }}{% if payload.boom %}" + bomb + "{% endif %}")


def fresh(template: str) -> str:
    return "{# " + uuid.uuid4().hex + " #}" + template
