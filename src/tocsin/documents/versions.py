"""Versioned policy documents, the acceptable-use policy and the terms, and who accepted which.

The version in force is the published one with the latest `effective_at` at or before now;
when none is, the version shipped with Tocsin (`texts/`) is. A material change must be
published at least `MATERIAL_NOTICE` before it takes effect, and the owners of every
organization are told; until then it is the upcoming version and the previous one stays in
force. Signing up accepts the versions in force; a user accepts later ones explicitly.

This module names the kinds and versions; reading them is `documents.queries`, publishing and
accepting them `documents.commands`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from importlib import resources

from tocsin.core.errors import InvalidInput
from tocsin.documents.models import PolicyDocument


class PolicyKind(StrEnum):
    AUP = "aup"
    TERMS = "terms"

    @property
    def label(self) -> str:
        return "acceptable-use policy" if self == PolicyKind.AUP else "terms of service"


SHIPPED_VERSION = "2026-12-02"
MATERIAL_NOTICE = timedelta(days=30)

# A shipped version is in force from installation until a published one replaces it. It is
# stored only when someone accepts it (an acceptance needs a row to point at), dated before any
# publication can be, so the in-force rule treats stored and unstored alike.
SHIPPED_AT = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Document:
    """One version of a policy. `published_at` and `effective_at` are None for the version
    shipped with Tocsin, which is in force from installation until replaced."""

    kind: PolicyKind
    version: str
    title: str
    body: str
    summary_of_changes: str | None
    material: bool
    published_at: datetime | None
    effective_at: datetime | None

    @property
    def shipped(self) -> bool:
        return self.published_at is None


@dataclass(frozen=True)
class Standing:
    """A version as one user sees it: accepted or not."""

    document: Document
    accepted_at: datetime | None


@dataclass(frozen=True)
class KindStatus:
    kind: PolicyKind
    in_force: Standing
    # The next version to take effect, published with notice; None when there is none.
    upcoming: Standing | None


def parse_kind(value: str) -> PolicyKind:
    try:
        return PolicyKind(value)
    except ValueError:
        kinds = ", ".join(kind.value for kind in PolicyKind)
        raise InvalidInput(
            f"unknown policy kind {value!r}; kinds are {kinds}", code="unknown_policy_kind"
        ) from None


@functools.cache
def shipped(kind: PolicyKind) -> Document:
    """The version of `kind` that ships inside the package."""
    body = resources.files("tocsin.documents").joinpath(f"texts/{kind.value}.md").read_text("utf-8")
    title = body.splitlines()[0].removeprefix("#").strip()
    return Document(kind, SHIPPED_VERSION, title, body, None, False, None, None)


def document_of(row: PolicyDocument) -> Document:
    """A stored version as a Document; a stored shipped version reads from the package."""
    if row.published_at == SHIPPED_AT:
        return shipped(PolicyKind(row.kind))
    return Document(
        PolicyKind(row.kind),
        row.version,
        row.title,
        row.body,
        row.summary_of_changes,
        row.material,
        row.published_at,
        row.effective_at,
    )
