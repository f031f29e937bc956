"""Every audit action is one member of AuditAction and is written in one place.

"In one place" is read off the source: outside the adapters (http, cli), which may name actions
only to filter what they show, and outside reads of the log (`trail.<read>(..., action=...)`),
each member appears in one module, the command that writes it.
Where one action came from two places, their records drifted apart (issue 15), so a second
writer fails here rather than in a reviewer's memory.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

import tocsin
from tocsin.audit.actions import AuditAction, of_family
from tocsin.restrictions.kinds import ActionKind
from tocsin.trust.cases import CaseKind

SOURCE = Path(tocsin.__file__).parent
ADAPTERS = ("http", "cli")


def _members_named(tree: ast.Module) -> list[str]:
    """AuditAction members a module names, except as the action a read of the log filters by."""
    reads: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "trail"
        ):
            reads.update(id(keyword.value) for keyword in node.keywords)
    return [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "AuditAction"
        and id(node) not in reads
    ]


@functools.cache
def _writers() -> dict[str, set[str]]:
    writers: dict[str, set[str]] = defaultdict(set)
    for path in SOURCE.rglob("*.py"):
        relative = path.relative_to(SOURCE)
        if relative.parts[0] in ADAPTERS or relative == Path("audit/actions.py"):
            continue
        for name in _members_named(ast.parse(path.read_text(encoding="utf-8"))):
            writers[name].add(str(relative))
    return writers


def test_every_value_is_one_member() -> None:
    values = [member.value for member in AuditAction]
    assert len(values) == len(set(values)) == len(AuditAction.__members__)


@pytest.mark.parametrize("member", sorted(_writers()))
def test_an_action_is_written_by_one_module(member: str) -> None:
    assert member in AuditAction.__members__, f"AuditAction.{member} does not exist"
    assert len(_writers()[member]) == 1, f"{member} is written in {sorted(_writers()[member])}"


def test_the_families_written_by_kind_have_a_member_for_each_kind() -> None:
    for kind in ActionKind:
        assert of_family("enforcement", kind.value).value == f"enforcement.{kind.value}"
    for case_kind in CaseKind:
        assert of_family("case.opened", case_kind.value)


def test_a_kind_the_enum_lacks_is_refused_rather_than_logged_unnamed() -> None:
    with pytest.raises(ValueError, match=r"notice\.made_up"):
        of_family("notice", "made_up")
