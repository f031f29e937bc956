"""Row factories: people, organizations, members, contacts, endpoints, escalation policies and
keys written straight into the test database, for tests whose subject is not the HTTP API.

Building a tenant over HTTP (sign-up, a contact, a simulated verification call, an endpoint, a
key) costs about twice what writing the same rows does, and a sign-up form or sign-in page more
requests again. These call the domain functions and commands the API's routes call, so the
rows keep the API's invariants:

- a person signs up as `registration.register` has it (policies accepted, audit entry; into
  an invite's organization with `invite_code`) and gets tokens as sign-in issues them; their
  e-mail address is then verified, as the operator's `tocsin user verify-email` does it (the
  mailed link is tests/mail's subject), unless `email_verified=False`;
- organizations and invites are made by `organizations.commands`, plan limits included;
- a contact is screened, counted against the plan and audited (`contacts.commands`);
- a verified contact's number has a confirmed code, a consent record and a trial claim, as
  typing back the code leaves them; only the verification call itself is never placed, so the
  simulator has no record of it;
- keys are stored as digests, the plaintext returned once; policies and endpoints are
  validated as the API validates them;
- a platform administrator is granted the role as `tocsin admin grant` grants it.

What the API would do as a key or a person, these do as the organization's owner. Tests of the
routes themselves (sign-up, contacts, verification, keys, isolation, error shapes) build over
HTTP with tests/factories.py; tests/rows.py adds browsers signed in by a session row.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, Tenant
from tocsin.accounts import email_addresses, service
from tocsin.accounts.models import Membership, Role
from tocsin.cli.common import CLI_ACTOR
from tocsin.contacts import commands as contacts
from tocsin.contacts.queries import get_number
from tocsin.contacts.verify import confirm_for_number, issue_for_number
from tocsin.core.actors import Actor
from tocsin.endpoints import commands as endpoints
from tocsin.numbers.verification import Channel, Requester
from tocsin.organizations import api_keys, commands, registration
from tocsin.runtime import Runtime
from tocsin.trust.staff import set_platform_admin

_people = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """Someone signed up, the organization they made (or joined by invite), and the tokens
    sign-up gave them."""

    email: str
    user_id: str
    org_id: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def person(
    runtime: Runtime,
    *,
    org_name: str | None = None,
    email: str | None = None,
    invite_code: str | None = None,
    email_verified: bool = True,
) -> Person:
    """A sign-up with the password tests/factories.py uses, so the person can also sign in;
    with `invite_code`, into the inviting organization instead of one of their own. The address
    is verified unless `email_verified` is False."""
    email = email or f"row-user{next(_people)}@example.com"
    now = runtime.clock.now()
    with runtime.database.write() as session:
        registered = registration.register(
            session,
            runtime,
            email=email,
            password=PASSWORD,
            display_name="",
            organization_name=org_name,
            country=None,
            invite_code=invite_code,
            ip_address=None,
            user_agent=None,
            now=now,
        )
        assert registered is not None, f"{email} has an account already"
        tokens = _tokens(session, runtime, registered.user.id)
        if email_verified:
            email_addresses.verify_by_operator(
                session, email=registered.user.email, actor=CLI_ACTOR, now=now
            )
        return Person(
            email=registered.user.email,
            user_id=registered.user.id,
            org_id=registered.organization.id,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
        )


def verify_email(runtime: Runtime, user_id: str) -> None:
    """The person's address becomes verified, as the operator's `tocsin user verify-email`
    makes it."""
    with runtime.database.write() as session:
        email = service.get_user(session, user_id).email
        email_addresses.verify_by_operator(
            session, email=email, actor=CLI_ACTOR, now=runtime.clock.now()
        )


def signed_in(runtime: Runtime, user_id: str) -> dict[str, str]:
    """A bearer header with tokens issued now, as signing in issues them: for a person whose
    sign-up token expired while the test moved the clock (access tokens live 15 minutes)."""
    with runtime.database.write() as session:
        return {"Authorization": f"Bearer {_tokens(session, runtime, user_id).access_token}"}


def platform_admin(runtime: Runtime, *, email: str | None = None) -> Person:
    """Someone signed up, then made a platform administrator as `tocsin admin grant` makes one."""
    admin = person(runtime, email=email)
    with runtime.database.write() as session:
        set_platform_admin(
            session, email=admin.email, admin=True, actor=CLI_ACTOR, now=runtime.clock.now()
        )
    return admin


def organization(runtime: Runtime, owner_id: str, *, name: str) -> str:
    """Another organization of an existing person, who owns it; its id."""
    with runtime.database.write() as session:
        org = commands.create_organization(
            session,
            runtime,
            name=name,
            owner_id=owner_id,
            country=None,
            actor=Actor("user", owner_id),
            now=runtime.clock.now(),
        )
        org_id: str = org.id
        return org_id


def invite(runtime: Runtime, org_id: str, *, role: Role = Role.MEMBER) -> str:
    """An invite from the organization's owner, within the plan's room for members; its code."""
    with runtime.database.write() as session:
        owner = _owner(session, org_id)
        _, code = commands.create_invite(
            session,
            runtime,
            org_id=org_id,
            role=role,
            email=None,
            created_by=owner.id,
            actor=owner,
            now=runtime.clock.now(),
        )
        return code


def member(
    runtime: Runtime,
    org_id: str,
    *,
    role: Role = Role.MEMBER,
    email: str | None = None,
    email_verified: bool = True,
) -> Person:
    """Someone who signed up with an invite into the organization, as `role`."""
    code = invite(runtime, org_id, role=role)
    return person(runtime, email=email, invite_code=code, email_verified=email_verified)


def api_key(
    runtime: Runtime,
    org_id: str,
    *,
    name: str = "alertmanager",
    scopes: Sequence[str] = ("ingest",),
    endpoint_id: str | None = None,
) -> str:
    """A key created by the organization's owner; returns the plaintext."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        owner = _owner(session, org_id)
        created = api_keys.create_api_key(
            session,
            org_id=org_id,
            name=name,
            scopes=scopes,
            created_by=owner.id,
            actor=owner,
            now=now,
            digest_key=runtime.api_key_digest_key,
            endpoint_id=endpoint_id,
        )
        return created.plaintext


def contact(
    runtime: Runtime,
    org_id: str,
    *,
    phone: str,
    name: str = "On call",
    verified: bool = True,
    region: str | None = None,
) -> str:
    """A contact, its number verified by the owner unless `verified` is False."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        added = contacts.create_contact(
            session,
            org_id=org_id,
            name=name,
            phone=phone,
            region=region,
            actor=_owner(session, org_id),
            now=now,
            billing=runtime.billing,
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
        )
        contact_id: str = added.id
    if verified:
        verify(runtime, org_id, contact_id)
    return contact_id


def verify(runtime: Runtime, org_id: str, contact_id: str, *, by: Actor | None = None) -> None:
    """The owner (or `by`) verifies the contact's number: a code is issued and typed back,
    leaving the confirmed code, the consent record and the trial claim. No call is placed."""
    with runtime.database.write() as session:
        owner = by or _owner(session, org_id)
        # Any number, a member's own too: this stands for whoever typed the code, even someone
        # the member commands would refuse (to test that such consent does not count).
        contact = get_number(session, org_id=org_id, contact_id=contact_id)
        pending = issue_for_number(
            session,
            runtime,
            contact=contact,
            channel=Channel.CALL,
            requester=Requester(owner),
            now=runtime.clock.now(),
        )
        confirmation, _ = confirm_for_number(
            session,
            runtime,
            contact=contact,
            code=pending.issued.code,
            verification_id=pending.issued.verification.id,
            actor=owner,
            user_agent=None,
            now=runtime.clock.now(),
        )
        assert confirmation.error() is None, confirmation.outcome


def endpoint(
    runtime: Runtime,
    org_id: str,
    *contact_ids: str,
    name: str = "Production",
    rules: list[dict[str, Any]] | None = None,
    routing: str = "primary",
    template: str | None = None,
    require_key: bool = True,
) -> str:
    now = runtime.clock.now()
    with runtime.database.write() as session:
        created = endpoints.create_endpoint(
            session,
            org_id=org_id,
            name=name,
            actor=_owner(session, org_id),
            now=now,
            billing=runtime.billing,
            require_key=require_key,
            routing=routing,
            contact_ids=list(contact_ids),
            rules=rules or [],
            template=template,
        )
        endpoint_id: str = created.id
        return endpoint_id


def escalation(runtime: Runtime, org_id: str, *steps: dict[str, Any], name: str = "On call") -> str:
    now = runtime.clock.now()
    with runtime.database.write() as session:
        policy = endpoints.create_policy(
            session,
            org_id=org_id,
            name=name,
            steps=steps,
            actor=_owner(session, org_id),
            now=now,
        )
        policy_id: str = policy.id
        return policy_id


def tenant(runtime: Runtime, *, phone: str = "+447400123456") -> Tenant:
    """What tests/factories.py's `make_tenant` builds over HTTP: a person with their own
    organization, one verified contact, an endpoint calling it and an ingest key."""
    owner = person(runtime, org_name=f"Org of {phone}")
    contact_id = contact(runtime, owner.org_id, phone=phone)
    return Tenant(
        email=owner.email,
        access_token=owner.access_token,
        refresh_token=owner.refresh_token,
        org_id=owner.org_id,
        contact_id=contact_id,
        endpoint_id=endpoint(runtime, owner.org_id, contact_id),
        ingest_key=api_key(runtime, owner.org_id),
    )


def _tokens(session: Session, runtime: Runtime, user_id: str) -> service.TokenPair:
    return service.issue_tokens(
        session,
        user_id=user_id,
        codec=runtime.tokens,
        now=runtime.clock.now(),
        access_lifetime=runtime.access_lifetime,
        refresh_lifetime=runtime.refresh_lifetime,
    )


def _owner(session: Session, org_id: str) -> Actor:
    """The organization's first owner, as the actor of what these factories do."""
    user_id = session.scalar(
        select(Membership.user_id)
        .where(Membership.org_id == org_id, Membership.role == Role.OWNER)
        .order_by(Membership.created_at)
        .limit(1)
    )
    assert user_id is not None, f"organization {org_id} has no owner"
    return Actor("user", user_id)
