"""An organization's API keys: creating, rotating and revoking them, the one way the API, the
dashboard and the shell all use, and listing them. Each command checks, changes and audits
inside the caller's transaction and never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts import service as accounts
from tocsin.accounts.models import ApiKey, Scope
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.pagination import Page, paginate
from tocsin.endpoints.queries import get_endpoint
from tocsin.restrictions.blocks import org_block, require_writable
from tocsin.restrictions.kinds import ActionKind


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    # Shown to whoever made the key this once; only its digest is stored.
    plaintext: str


def create_api_key(
    session: Session,
    *,
    org_id: str,
    name: str,
    scopes: Sequence[str],
    created_by: str | None,
    actor: Actor,
    now: datetime,
    digest_key: bytes,
    endpoint_id: str | None = None,
) -> NewKey:
    """A key of the organization; bound to one of its endpoints when `endpoint_id` is given.
    `created_by` is the user who asked, None from the shell."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    if endpoint_id is not None:
        # Also the tenant check: another organization's endpoint is simply not found.
        get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    return _create(
        session,
        org_id=org_id,
        name=name,
        scopes=scopes,
        created_by=created_by,
        actor=actor,
        now=now,
        digest_key=digest_key,
        endpoint_id=endpoint_id,
        rotated_from=None,
    )


def rotate_api_key(
    session: Session,
    *,
    org_id: str,
    endpoint_id: str,
    key_id: str,
    created_by: str | None,
    actor: Actor,
    now: datetime,
    digest_key: bytes,
) -> NewKey:
    """A new key for the same endpoint with the old one's name and scopes, and the old one
    revoked, in one transaction: never a moment with neither working, nor both by mistake."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    old = _endpoint_key(session, org_id=org_id, endpoint_id=endpoint_id, key_id=key_id)
    if old.revoked_at is not None:
        raise InvalidInput("this key is already revoked; create a new one", code="key_revoked")
    new = _create(
        session,
        org_id=org_id,
        name=old.name,
        scopes=old.scopes,
        created_by=created_by,
        actor=actor,
        now=now,
        digest_key=digest_key,
        endpoint_id=endpoint_id,
        rotated_from=old.id,
    )
    _revoke(session, org_id=org_id, key_id=old.id, actor=actor, now=now)
    return new


def revoke_api_key(
    session: Session,
    *,
    org_id: str,
    key_id: str,
    actor: Actor,
    now: datetime,
    endpoint_id: str | None = None,
) -> ApiKey:
    """Revoke a key of the organization; with `endpoint_id`, only a key bound to that
    endpoint. Revoking a revoked key changes nothing but is still recorded as asked."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    if endpoint_id is not None:
        _endpoint_key(session, org_id=org_id, endpoint_id=endpoint_id, key_id=key_id)
    return _revoke(session, org_id=org_id, key_id=key_id, actor=actor, now=now)


def _create(
    session: Session,
    *,
    org_id: str,
    name: str,
    scopes: Sequence[str],
    created_by: str | None,
    actor: Actor,
    now: datetime,
    digest_key: bytes,
    endpoint_id: str | None,
    rotated_from: str | None,
) -> NewKey:
    key, plaintext = accounts.create_api_key(
        session,
        org_id=org_id,
        name=name,
        scopes=list(scopes),
        created_by=created_by,
        now=now,
        digest_key=digest_key,
        endpoint_id=endpoint_id,
    )
    details: dict[str, Any] = {"scopes": key.scopes, "endpoint_id": endpoint_id}
    if rotated_from is not None:
        details["rotated_from"] = rotated_from
    audit.record(
        session,
        actor=actor,
        action=AuditAction.API_KEY_CREATED,
        at=now,
        org_id=org_id,
        target_type="api_key",
        target_id=key.id,
        details=details,
    )
    return NewKey(key, plaintext)


def _revoke(
    session: Session,
    *,
    org_id: str,
    key_id: str,
    actor: Actor,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> ApiKey:
    key = accounts.revoke_api_key(session, org_id=org_id, key_id=key_id, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.API_KEY_REVOKED,
        at=now,
        org_id=org_id,
        target_type="api_key",
        target_id=key_id,
        details=details,
    )
    return key


def _ingest_only(key: ApiKey) -> bool:
    return set(key.scopes) == {Scope.INGEST.value}


def _named(keys: Sequence[ApiKey]) -> str:
    return ", ".join(f"'{key.name}' ({key.id})" for key in keys)


def take_keys_of_terminated_user(
    session: Session, *, user_id: str, action_id: str, actor: Actor, now: datetime
) -> list[str]:
    """Revoke what a terminated user's API keys could do; returns the ids revoked.

    In an organization that is itself terminated, or that the user owns alone, every key they
    made goes. In any other, the organization did nothing wrong: the keys that could change it
    (any scope beyond `ingest`) go, but its ingest-only keys keep sending alerts, since they can
    only page that organization's own contacts and revoking them would silence its monitoring.
    Each revocation is audited in the organization that had the key, and the owners of an
    organization that was not the user's alone are told once what went and what stayed."""
    revoked: list[str] = []
    by_org: dict[str, list[ApiKey]] = defaultdict(list)
    for key in accounts.live_keys_made_by(session, user_id):
        by_org[key.org_id].append(key)
    details = {"reason": "user_terminated", "user_id": user_id, "action_id": action_id}
    for org_id, keys in by_org.items():
        wholesale = _terminated(session, org_id, now) or accounts.owns_alone(
            session, org_id=org_id, user_id=user_id
        )
        going = keys if wholesale else [key for key in keys if not _ingest_only(key)]
        for key in going:
            _revoke(session, org_id=org_id, key_id=key.id, actor=actor, now=now, details=details)
        revoked += [key.id for key in going]
        if not wholesale:
            kept = [key for key in keys if key not in going]
            _tell_owners_of_taken_keys(
                session, org_id=org_id, user_id=user_id, action_id=action_id,
                revoked=going, kept=kept, actor=actor, now=now,
            )  # fmt: skip
    return revoked


def _terminated(session: Session, org_id: str, now: datetime) -> bool:
    block = org_block(session, org_id=org_id, now=now)
    return block is not None and block.kind == ActionKind.TERMINATION


def _tell_owners_of_taken_keys(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    action_id: str,
    revoked: Sequence[ApiKey],
    kept: Sequence[ApiKey],
    actor: Actor,
    now: datetime,
) -> None:
    email = accounts.get_user(session, user_id).email
    said = [f"The account of {email}, a member here, was terminated by the platform."]
    if revoked:
        said.append(
            f"Its API keys that could change this organization are revoked: {_named(revoked)}."
        )
    if kept:
        said.append(
            f"Its ingest-only keys still send your alerts: {_named(kept)}. Rotate them: make "
            "new keys as a member who remains, move your senders to them, then revoke these."
        )
    tell_owners(
        session,
        org_id=org_id,
        kind="member_keys_revoked",
        period=action_id,
        message=" ".join(said),
        now=now,
        actor=actor,
        details={
            "user_id": user_id,
            "action_id": action_id,
            "revoked_key_ids": [key.id for key in revoked],
            "kept_key_ids": [key.id for key in kept],
        },
    )


def _endpoint_key(session: Session, *, org_id: str, endpoint_id: str, key_id: str) -> ApiKey:
    """The key, if it is bound to this endpoint of the organization; NotFound otherwise."""
    endpoint = get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    key = session.scalar(
        select(ApiKey).where(
            ApiKey.id == key_id, ApiKey.org_id == org_id, ApiKey.endpoint_id == endpoint.id
        )
    )
    if key is None:
        raise NotFound("API key not found", code="api_key_not_found")
    return key


def keys_page(session: Session, *, org_id: str, limit: int, cursor: str | None) -> Page[ApiKey]:
    """The organization's keys, revoked ones too; never their plaintext, which is not kept."""
    query = select(ApiKey).where(ApiKey.org_id == org_id)
    return paginate(session, query, ApiKey.id, limit=limit, cursor=cursor)
