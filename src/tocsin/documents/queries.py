"""Reading policy versions: which is in force or upcoming, every version, and which a user
accepted. Read-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.errors import NotFound
from tocsin.documents.models import PolicyAcceptance, PolicyDocument
from tocsin.documents.versions import (
    SHIPPED_VERSION,
    Document,
    KindStatus,
    PolicyKind,
    Standing,
    document_of,
    shipped,
)


def in_force(session: Session, kind: PolicyKind, now: datetime) -> Document:
    row = session.scalar(
        select(PolicyDocument)
        .where(PolicyDocument.kind == kind.value, PolicyDocument.effective_at <= now)
        # Of two versions effective at the same instant, the later publication wins.
        .order_by(PolicyDocument.effective_at.desc(), PolicyDocument.published_at.desc())
        .limit(1)
    )
    return document_of(row) if row is not None else shipped(kind)


def upcoming(session: Session, kind: PolicyKind, now: datetime) -> Document | None:
    """The next version to take effect after `now`, if one is published."""
    row = session.scalar(
        select(PolicyDocument)
        .where(PolicyDocument.kind == kind.value, PolicyDocument.effective_at > now)
        .order_by(PolicyDocument.effective_at, PolicyDocument.published_at.desc())
        .limit(1)
    )
    return document_of(row) if row is not None else None


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
        return document_of(row)
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
        documents = [document_of(row) for row in rows]
        if shipped(kind) not in documents:
            documents.insert(0, shipped(kind))
        listed.extend((document, standing_of(session, document, now)) for document in documents)
    return listed


def standing_of(session: Session, document: Document, now: datetime) -> str:
    """`in_force`, `upcoming` or `superseded`."""
    if document.effective_at is not None and document.effective_at > now:
        return "upcoming"
    if in_force(session, document.kind, now).version == document.version:
        return "in_force"
    return "superseded"


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
