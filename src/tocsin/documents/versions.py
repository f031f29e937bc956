"""Versioned policy documents, the acceptable-use policy and the terms, and who accepted which.

The version in force is the published one with the latest `effective_at` at or before now;
when none is, the version shipped with Tocsin (`texts/`) is. A material change must be
published at least `MATERIAL_NOTICE` before it takes effect, and the owners of every
organization are told; until then it is the upcoming version and the previous one stays in
force. Signing up accepts the versions in force; a user accepts later ones explicitly.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.documents.models import PolicyAcceptance, PolicyDocument


class PolicyKind(StrEnum):
    AUP = "aup"
    TERMS = "terms"

    @property
    def label(self) -> str:
        return "acceptable-use policy" if self == PolicyKind.AUP else "terms of service"


SHIPPED_VERSION = "2026-12-01"
MATERIAL_NOTICE = timedelta(days=30)

# A shipped version is in force from installation until a published one replaces it. It is
# stored only when someone accepts it (an acceptance needs a row to point at), dated before any
# publication can be, so the in-force rule treats stored and unstored alike.
SHIPPED_AT = datetime(1970, 1, 1, tzinfo=UTC)

# Versions appear in URLs and CLI arguments, so they stay plain.
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")

_DOCUMENTS = table_of(PolicyDocument)
_ACCEPTANCES = table_of(PolicyAcceptance)


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


def _document(row: PolicyDocument) -> Document:
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


def in_force(session: Session, kind: PolicyKind, now: datetime) -> Document:
    row = session.scalar(
        select(PolicyDocument)
        .where(PolicyDocument.kind == kind.value, PolicyDocument.effective_at <= now)
        # Of two versions effective at the same instant, the later publication wins.
        .order_by(PolicyDocument.effective_at.desc(), PolicyDocument.published_at.desc())
        .limit(1)
    )
    return _document(row) if row is not None else shipped(kind)


def upcoming(session: Session, kind: PolicyKind, now: datetime) -> Document | None:
    """The next version to take effect after `now`, if one is published."""
    row = session.scalar(
        select(PolicyDocument)
        .where(PolicyDocument.kind == kind.value, PolicyDocument.effective_at > now)
        .order_by(PolicyDocument.effective_at, PolicyDocument.published_at.desc())
        .limit(1)
    )
    return _document(row) if row is not None else None


def aup_version_in_force(session: Session, now: datetime) -> str:
    """The version of the acceptable-use policy a consent given at `now` agrees to."""
    return in_force(session, PolicyKind.AUP, now).version


def current(session: Session, now: datetime) -> list[tuple[Document, Document | None]]:
    """For each kind, the version in force and the upcoming one."""
    return [(in_force(session, kind, now), upcoming(session, kind, now)) for kind in PolicyKind]


def find(session: Session, kind: str, version: str) -> Document:
    """A version of a kind, published or shipped; NotFound for anything else."""
    missing = NotFound(f"no {kind} policy version {version!r}", code="policy_not_found")
    try:
        policy_kind = PolicyKind(kind)
    except ValueError:
        raise missing from None
    row = session.scalar(
        select(PolicyDocument).where(
            PolicyDocument.kind == policy_kind.value, PolicyDocument.version == version
        )
    )
    if row is not None:
        return _document(row)
    if version == SHIPPED_VERSION:
        return shipped(policy_kind)
    raise missing


def history(session: Session, now: datetime) -> list[tuple[Document, str]]:
    """Every version of every kind, oldest first, with `in_force`, `upcoming` or
    `superseded`."""
    listed: list[tuple[Document, str]] = []
    for kind in PolicyKind:
        rows = session.scalars(
            select(PolicyDocument)
            .where(PolicyDocument.kind == kind.value)
            .order_by(PolicyDocument.effective_at, PolicyDocument.published_at)
        ).all()
        documents = [_document(row) for row in rows]
        if shipped(kind) not in documents:
            documents.insert(0, shipped(kind))
        listed.extend((document, _standing(session, document, now)) for document in documents)
    return listed


def _standing(session: Session, document: Document, now: datetime) -> str:
    if document.effective_at is not None and document.effective_at > now:
        return "upcoming"
    if in_force(session, document.kind, now).version == document.version:
        return "in_force"
    return "superseded"


def _aware(moment: datetime) -> datetime:
    """Read a datetime with no zone as UTC, as every time in the API and CLI is."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def publish(
    session: Session,
    *,
    kind: PolicyKind,
    version: str,
    title: str,
    body: str,
    summary_of_changes: str | None,
    material: bool,
    effective_at: datetime | None,
    actor: Actor,
    now: datetime,
) -> Document:
    """Publish a version. A material change needs a summary and at least `MATERIAL_NOTICE`;
    any other change takes effect at `effective_at`, by default at once."""
    version = version.strip()
    title = " ".join(title.split())
    summary = (summary_of_changes or "").strip() or None
    effective = _aware(effective_at) if effective_at is not None else now
    if not _VERSION.fullmatch(version):
        raise InvalidInput(
            "a version is 1 to 40 letters, digits, '.', '_' or '-', starting with a letter or "
            "digit",
            code="invalid_version",
        )
    if not title or len(title) > 200:
        raise InvalidInput("a policy needs a title of at most 200 characters", code="invalid_title")
    if not body.strip():
        raise InvalidInput("a policy needs a body", code="body_required")
    if effective < now:
        raise InvalidInput("effective_at cannot be in the past", code="effective_in_past")
    if material and effective < now + MATERIAL_NOTICE:
        earliest = now + MATERIAL_NOTICE
        raise InvalidInput(
            f"a material change needs {MATERIAL_NOTICE.days} days' notice: effective_at must be "
            f"{earliest:%Y-%m-%d %H:%M} UTC or later",
            code="notice_too_short",
            details={"earliest_effective_at": earliest.isoformat()},
        )
    if material and summary is None:
        raise InvalidInput(
            "a material change needs a summary of changes to tell the owners",
            code="summary_required",
        )
    taken = Conflict(f"{kind.value} version {version} is already published", code="version_exists")
    # The shipped version counts as published even before a row holds it.
    if version == SHIPPED_VERSION:
        raise taken
    document_id = new_id("pol")
    inserted = session.execute(
        insert_ignoring_conflicts(session, _DOCUMENTS, on=["kind", "version"])
        .values(
            id=document_id,
            kind=kind.value,
            version=version,
            title=title,
            body=body,
            summary_of_changes=summary,
            material=material,
            published_at=now,
            effective_at=effective,
        )
        .returning(_DOCUMENTS.c.id)
    ).first()
    if inserted is None:
        raise taken
    audit.record(
        session,
        actor=actor,
        action=AuditAction.POLICY_PUBLISHED,
        at=now,
        target_type="policy_document",
        target_id=document_id,
        details={
            "kind": kind.value,
            "version": version,
            "material": material,
            "effective_at": effective.isoformat(),
        },
    )
    if material:
        _tell_every_organization(session, kind, version, effective, summary, actor, now)
    return Document(kind, version, title, body, summary, material, now, effective)


def _tell_every_organization(
    session: Session,
    kind: PolicyKind,
    version: str,
    effective: datetime,
    summary: str | None,
    actor: Actor,
    now: datetime,
) -> None:
    message = (
        f"The {kind.label} changes on {effective:%Y-%m-%d %H:%M} UTC (version {version}): {summary}"
    )
    details = {"kind": kind.value, "version": version, "effective_at": effective.isoformat()}
    for org_id in session.scalars(select(Organization.id)):
        tell_owners(
            session,
            org_id=org_id,
            kind="policy_change",
            period=f"{kind.value}:{version}",
            message=message,
            now=now,
            actor=actor,
            details=details,
        )


def _stored_id(session: Session, document: Document) -> str:
    """The row id of a version, storing the shipped one first if nobody accepted it yet."""
    if document.shipped:
        session.execute(
            insert_ignoring_conflicts(session, _DOCUMENTS, on=["kind", "version"]).values(
                id=new_id("pol"),
                kind=document.kind.value,
                version=document.version,
                title=document.title,
                body=document.body,
                summary_of_changes=None,
                material=False,
                published_at=SHIPPED_AT,
                effective_at=SHIPPED_AT,
            )
        )
    return session.scalars(
        select(PolicyDocument.id).where(
            PolicyDocument.kind == document.kind.value, PolicyDocument.version == document.version
        )
    ).one()


def accept(
    session: Session,
    *,
    user_id: str,
    kind: str,
    version: str,
    user_agent: str | None,
    actor: Actor,
    now: datetime,
) -> datetime:
    """Record that the user accepts a version in force or upcoming; accepting again changes
    nothing. Returns when the user first accepted it."""
    document = find(session, kind, version)
    if _standing(session, document, now) == "superseded":
        newer = in_force(session, document.kind, now).version
        raise Conflict(
            f"{kind} version {version} was replaced by version {newer}; accept that one",
            code="policy_superseded",
        )
    document_id = _stored_id(session, document)
    inserted = session.execute(
        insert_ignoring_conflicts(session, _ACCEPTANCES, on=["user_id", "document_id"])
        .values(
            id=new_id("pac"),
            user_id=user_id,
            document_id=document_id,
            ip_address=actor.ip_address,
            user_agent=user_agent[:300] if user_agent else None,
            accepted_at=now,
        )
        .returning(_ACCEPTANCES.c.id)
    ).first()
    if inserted is not None:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.POLICY_ACCEPTED,
            at=now,
            target_type="policy_document",
            target_id=document_id,
            details={"kind": document.kind.value, "version": document.version},
        )
        return now
    return session.scalars(
        select(PolicyAcceptance.accepted_at).where(
            PolicyAcceptance.user_id == user_id, PolicyAcceptance.document_id == document_id
        )
    ).one()


def accept_in_force(
    session: Session, *, user_id: str, user_agent: str | None, actor: Actor, now: datetime
) -> None:
    """Signing up is agreeing to every policy in force."""
    for kind in PolicyKind:
        document = in_force(session, kind, now)
        accept(
            session,
            user_id=user_id,
            kind=kind.value,
            version=document.version,
            user_agent=user_agent,
            actor=actor,
            now=now,
        )


def _accepted_at(session: Session, user_id: str, document: Document) -> datetime | None:
    return session.scalar(
        select(PolicyAcceptance.accepted_at)
        .join(PolicyDocument, PolicyDocument.id == PolicyAcceptance.document_id)
        .where(
            PolicyAcceptance.user_id == user_id,
            PolicyDocument.kind == document.kind.value,
            PolicyDocument.version == document.version,
        )
    )


def status_of(session: Session, user_id: str, now: datetime) -> list[KindStatus]:
    """For each kind, the version in force and the upcoming one, and whether the user
    accepted each."""
    statuses = []
    for force, next_version in current(session, now):
        statuses.append(
            KindStatus(
                force.kind,
                Standing(force, _accepted_at(session, user_id, force)),
                Standing(next_version, _accepted_at(session, user_id, next_version))
                if next_version is not None
                else None,
            )
        )
    return statuses
