"""Publishing policy versions and accepting them: each checked, stored and audited, and a
material change told to every organization's owners."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.documents.models import PolicyAcceptance, PolicyDocument
from tocsin.documents.queries import find, in_force, standing_of
from tocsin.documents.versions import (
    MATERIAL_NOTICE,
    SHIPPED_AT,
    SHIPPED_VERSION,
    Document,
    PolicyKind,
)

# Versions appear in URLs and CLI arguments, so they stay plain.
VERSION_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}"
_VERSION = re.compile(VERSION_PATTERN)

_DOCUMENTS = table_of(PolicyDocument)
_ACCEPTANCES = table_of(PolicyAcceptance)


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
    if standing_of(session, document, now) == "superseded":
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
