"""Account operations. Every function runs inside the caller's transaction and never commits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.accounts import passwords, revocations
from tocsin.accounts.models import (
    SELF_HOSTED,
    ApiKey,
    Invite,
    Membership,
    Organization,
    RefreshToken,
    Role,
    Scope,
    User,
)
from tocsin.accounts.tokens import ACCESS, REFRESH, TokenCodec
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from tocsin.core.ids import new_id
from tocsin.core.secrets import digest, digests_match, generate_api_key, parse_api_key, random_token
from tocsin.policy.numbers import CallingPolicy
from tocsin.policy.quota import check_timezone
from tocsin.telephony.tts import available_voices

# No spaces and no control characters: a NUL reached PostgreSQL's query (500) and was stored
# by SQLite, so one backend refused what the other kept.
EMAIL_SHAPE = r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+"
_EMAIL = re.compile(f"^{EMAIL_SHAPE}$")
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def normalise_email(email: str) -> str:
    value = unicodedata.normalize("NFKC", email).strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise InvalidInput("email address is not valid", code="invalid_email")
    return value


def clean_name(value: str, what: str) -> str:
    """A person's or organization's name with its spaces tidied, or InvalidInput."""
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > 200:
        raise InvalidInput(f"{what} must be 1 to 200 characters", code=f"invalid_{what}")
    return cleaned


# Users ------------------------------------------------------------------------------------------


def create_user(
    session: Session, *, email: str, password: str, display_name: str, now: datetime
) -> User:
    email = normalise_email(email)
    passwords.check_strength(password, email=email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("a user with this email already exists", code="email_taken")
    user = User(
        id=new_id("usr"),
        email=email,
        display_name=clean_name(display_name or email.split("@")[0], "name"),
        password_hash=passwords.hash_password(password),
        created_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won
        raise Conflict("a user with this email already exists", code="email_taken") from exc
    return user


def authenticate(session: Session, *, email: str, password: str, now: datetime) -> User:
    try:
        email = normalise_email(email)
    except InvalidInput:
        email = ""
    user = session.scalar(select(User).where(User.email == email)) if email else None
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        raise Unauthorized("email or password is wrong", code="invalid_credentials")
    if not passwords.verify_password(user.password_hash, password):
        raise Unauthorized("email or password is wrong", code="invalid_credentials")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    return user


def find_user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    return user


def find_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound("no user with this email", code="user_not_found")
    return user


# Organizations and memberships ------------------------------------------------------------------


def _unique_slug(session: Session, name: str) -> str:
    base = _SLUG_STRIP.sub("-", unicodedata.normalize("NFKD", name).lower()).strip("-")[:60]
    base = base or "org"
    slug = base
    while session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        slug = f"{base}-{random_token(6, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


def check_region(region: str) -> str:
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(
            f"unknown country code {region!r}; use ISO 3166 alpha-2, e.g. GB", code="invalid_region"
        )
    return code


def create_organization(
    session: Session,
    *,
    name: str,
    owner_id: str | None,
    now: datetime,
    home_region: str,
    plan: str = SELF_HOSTED,
    timezone: str = "UTC",
    for_first_sign_up: bool = False,
) -> Organization:
    name = clean_name(name, "name")
    org = Organization(
        for_first_sign_up=for_first_sign_up,
        plan=plan,
        timezone=check_timezone(timezone),
        id=new_id("org"),
        name=name,
        slug=_unique_slug(session, name),
        created_at=now,
        home_region=check_region(home_region),
        home_region_changed_at=now,
        international_enabled=False,
        allowed_regions=[],
    )
    session.add(org)
    # Without relationship() the unit of work does not order these inserts; the org goes first.
    session.flush()
    if owner_id is not None:
        session.add(Membership(org_id=org.id, user_id=owner_id, role=Role.OWNER, created_at=now))
    session.flush()
    return org


def hand_over_waiting_organization(
    session: Session, *, user_id: str, now: datetime
) -> Organization | None:
    """The organization made for the server's first sign-up (the quickstart's demo), now
    owned by `user_id`; None when there is none, or it has members already (someone was
    added to it by hand). Only for the sign-up that took the first place
    (accounts/first_user.py), which is what keeps two sign-ups from both getting it."""
    has_members = exists().where(Membership.org_id == Organization.id)
    org = session.scalars(
        select(Organization)
        .where(Organization.for_first_sign_up, ~has_members)
        .order_by(Organization.created_at, Organization.id)
        .limit(1)
    ).first()
    if org is None:
        return None
    org.for_first_sign_up = False
    session.add(Membership(org_id=org.id, user_id=user_id, role=Role.OWNER, created_at=now))
    session.flush()
    return org


def rename_organization(org: Organization, name: str) -> None:
    org.name = clean_name(name, "name")


def set_timezone(org: Organization, timezone: str) -> None:
    """Daily caps reset at this zone's midnight from the next call on."""
    org.timezone = check_timezone(timezone)


def set_voice(org: Organization, voice: str) -> None:
    """An espeak-ng voice for the organization's calls; an empty name restores the server's."""
    name = voice.strip().lower()
    if name and name not in available_voices():
        raise InvalidInput(
            f"unknown voice {voice!r}; use an espeak-ng voice such as en, en-us, de, es",
            code="invalid_voice",
        )
    org.voice = name or None


def calling_policy(org: Organization, *, plan_allows_international: bool = True) -> CallingPolicy:
    """The organization's calling settings; a plan without international calling keeps calls
    abroad off whatever the organization's own switch says."""
    return CallingPolicy(
        home_region=org.home_region,
        international_enabled=org.international_enabled and plan_allows_international,
        allowed_regions=tuple(org.allowed_regions),
    )


def set_calling_policy(
    org: Organization,
    *,
    home_region: str | None = None,
    international_enabled: bool | None = None,
    allowed_regions: list[str] | None = None,
) -> CallingPolicy:
    if home_region is not None:
        org.home_region = check_region(home_region)
    if international_enabled is not None:
        org.international_enabled = international_enabled
    if allowed_regions is not None:
        org.allowed_regions = sorted({check_region(region) for region in allowed_regions})
    return calling_policy(org)


def get_organization(session: Session, ref: str) -> Organization:
    """Find an organization by id or slug (the CLI accepts either)."""
    org = session.scalar(
        select(Organization).where((Organization.id == ref) | (Organization.slug == ref))
    )
    if org is None:
        raise NotFound("organization not found", code="org_not_found")
    return org


def membership_role(session: Session, org_id: str, user_id: str) -> Role | None:
    role = session.scalar(
        select(Membership.role).where(Membership.org_id == org_id, Membership.user_id == user_id)
    )
    return Role(role) if role is not None else None


def add_member(session: Session, *, org_id: str, user_id: str, role: Role, now: datetime) -> None:
    if membership_role(session, org_id, user_id) is not None:
        raise Conflict("user is already a member of this organization", code="already_member")
    session.add(Membership(org_id=org_id, user_id=user_id, role=role, created_at=now))
    session.flush()


def list_user_memberships(session: Session, user_id: str) -> list[tuple[Organization, Role]]:
    rows = session.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.org_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.id)
    ).all()
    return [(org, Role(role)) for org, role in rows]


def organizations_by_name(session: Session, user_id: str) -> list[tuple[str, str, Role]]:
    """(id, name, role) of each organization the user belongs to, by name: the dashboard's
    organization switcher, read on every page, so without loading whole rows."""
    rows = session.execute(
        select(Organization.id, Organization.name, Membership.role)
        .join(Membership, Membership.org_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    ).all()
    return [(org_id, name, Role(role)) for org_id, name, role in rows]


def owned_organizations(session: Session, user_id: str) -> list[Organization]:
    """The organizations this user is an owner of."""
    return list(
        session.scalars(
            select(Organization)
            .join(Membership, Membership.org_id == Organization.id)
            .where(Membership.user_id == user_id, Membership.role == Role.OWNER)
            .order_by(Organization.id)
        )
    )


def _owner_count(session: Session, org_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.org_id == org_id, Membership.role == Role.OWNER)
        )
        or 0
    )


def _lock_memberships(session: Session, org_id: str) -> None:
    """Serialise membership changes of one organization by locking its row.

    Without it, two owners demoting each other at once on PostgreSQL would each count two owners
    and leave none. SQLite needs no lock: its write transactions already run one at a time.
    """
    session.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())


def change_role(session: Session, *, org_id: str, user_id: str, role: Role) -> None:
    _lock_memberships(session, org_id)
    membership = session.get(Membership, (org_id, user_id))
    if membership is None:
        raise NotFound("member not found", code="member_not_found")
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(session, org_id) <= 1:
        raise Conflict("an organization must keep at least one owner", code="last_owner")
    membership.role = role


def remove_member(session: Session, *, org_id: str, user_id: str) -> None:
    _lock_memberships(session, org_id)
    membership = session.get(Membership, (org_id, user_id))
    if membership is None:
        raise NotFound("member not found", code="member_not_found")
    if membership.role == Role.OWNER and _owner_count(session, org_id) <= 1:
        raise Conflict("an organization must keep at least one owner", code="last_owner")
    session.delete(membership)


# Invites ----------------------------------------------------------------------------------------


def create_invite(
    session: Session,
    *,
    org_id: str,
    role: Role,
    created_by: str | None,
    now: datetime,
    lifetime: timedelta,
    digest_key: bytes,
    email: str | None = None,
) -> tuple[Invite, str]:
    """Returns the invite and its code; only a digest of the code is stored."""
    if role == Role.OWNER:
        raise InvalidInput("invites can grant admin or member, not owner", code="invalid_role")
    code = f"inv_{random_token(24)}"
    invite = Invite(
        id=new_id("inv"),
        org_id=org_id,
        code_digest=digest(digest_key, code),
        role=role,
        email=normalise_email(email) if email else None,
        created_by=created_by,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(invite)
    session.flush()
    return invite, code


def usable_invite(
    session: Session, *, code: str, email: str, now: datetime, digest_key: bytes
) -> Invite:
    """The invite this code names, if the holder of `email` may still use it; changes nothing."""
    invite = session.scalar(select(Invite).where(Invite.code_digest == digest(digest_key, code)))
    if invite is None or invite.revoked_at is not None:
        raise NotFound("invite code is not valid", code="invite_invalid")
    if invite.used_at is not None:
        raise Conflict("invite code was already used", code="invite_used")
    if invite.expires_at <= now:
        raise Conflict("invite code has expired", code="invite_expired")
    if invite.email is not None and invite.email != email:
        raise Forbidden("this invite is for another email address", code="invite_wrong_email")
    return invite


def claim_invite(
    session: Session, *, code: str, user: User, now: datetime, digest_key: bytes
) -> Invite:
    """Use the invite up, once: the caller adds the member (organizations.commands)."""
    invite = usable_invite(session, code=code, email=user.email, now=now, digest_key=digest_key)
    # The conditional update is what makes the code single-use when two people race for it.
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now, used_by=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("invite code was already used", code="invite_used")
    return invite


def revoke_invite(session: Session, *, org_id: str, invite_id: str, now: datetime) -> None:
    invite = session.scalar(select(Invite).where(Invite.id == invite_id, Invite.org_id == org_id))
    if invite is None:
        raise NotFound("invite not found", code="invite_not_found")
    invite.revoked_at = invite.revoked_at or now


# API keys ---------------------------------------------------------------------------------------


def parse_scopes(values: list[str]) -> list[str]:
    try:
        scopes = sorted({Scope(value.strip().lower()).value for value in values})
    except ValueError as exc:
        allowed = ", ".join(scope.value for scope in Scope)
        raise InvalidInput(f"unknown scope; allowed: {allowed}", code="invalid_scope") from exc
    if not scopes:
        raise InvalidInput("an API key needs at least one scope", code="invalid_scope")
    return scopes


def create_api_key(
    session: Session,
    *,
    org_id: str,
    name: str,
    scopes: list[str],
    created_by: str | None,
    now: datetime,
    digest_key: bytes,
    endpoint_id: str | None = None,
) -> tuple[ApiKey, str]:
    """Returns the key row and the plaintext key, which is never stored or shown again."""
    parts = generate_api_key()
    key = ApiKey(
        id=new_id("key"),
        public_id=parts.public_id,
        digest=digest(digest_key, parts.secret),
        org_id=org_id,
        endpoint_id=endpoint_id,
        name=clean_name(name, "name"),
        scopes=parse_scopes(scopes),
        created_by=created_by,
        created_at=now,
    )
    session.add(key)
    session.flush()
    return key, parts.plaintext


# Runs on every webhook: built once, executed with parameters.
_KEY_BY_PUBLIC_ID = select(ApiKey).where(ApiKey.public_id == bindparam("public_id"))


def person_of(session: Session, actor: Actor) -> str | None:
    """The person behind an actor: a user, or the user who created an API key."""
    if actor.type == "user":
        return actor.id
    if actor.type == "api_key" and actor.id is not None:
        return session.scalar(select(ApiKey.created_by).where(ApiKey.id == actor.id))
    return None


def find_api_key(session: Session, plaintext: str, *, digest_key: bytes) -> ApiKey | None:
    """The live key this plaintext proves, or None; comparison is constant-time."""
    parts = parse_api_key(plaintext)
    if parts is None:
        return None
    key = session.scalar(_KEY_BY_PUBLIC_ID, {"public_id": parts.public_id})
    expected = key.digest if key is not None else "0" * 64
    matches = digests_match(expected, digest(digest_key, parts.secret))
    if key is None or not matches or key.revoked_at is not None:
        return None
    return key


def note_api_key_used(session: Session, *, key_id: str, now: datetime) -> None:
    """When a key was last used, to the minute or so: a Core update, so a busy key costs one
    statement per stale interval and no row load."""
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def revoke_api_key(session: Session, *, org_id: str, key_id: str, now: datetime) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.org_id == org_id))
    if key is None:
        raise NotFound("API key not found", code="api_key_not_found")
    key.revoked_at = key.revoked_at or now
    return key


def revoke_keys_where(session: Session, *, org_id: str, now: datetime) -> list[str]:
    """Revoke every live key of the organization; returns their ids."""
    return list(
        session.scalars(
            update(ApiKey)
            .where(ApiKey.org_id == org_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiKey.id)
            .execution_options(synchronize_session=False)
        )
    )


def live_keys_made_by(session: Session, user_id: str) -> list[ApiKey]:
    """The user's keys not yet revoked, in every organization, oldest first."""
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.created_by == user_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.org_id, ApiKey.created_at, ApiKey.id)
        )
    )


def owns_alone(session: Session, *, org_id: str, user_id: str) -> bool:
    """Whether the user is the organization's only owner."""
    return membership_role(session, org_id, user_id) == Role.OWNER and (
        _owner_count(session, org_id) == 1
    )


def member_ids(session: Session, org_id: str) -> list[str]:
    return list(session.scalars(select(Membership.user_id).where(Membership.org_id == org_id)))


# Tokens -----------------------------------------------------------------------------------------


class RefreshTokenReused(Unauthorized):
    """A refresh token came back after it was traded in: it leaked, so its family must go."""

    def __init__(self, *, user_id: str, family_id: str) -> None:
        super().__init__("refresh token was already used", code="token_reused")
        self.user_id = user_id
        self.family_id = family_id


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def issue_tokens(
    session: Session,
    *,
    user_id: str,
    codec: TokenCodec,
    now: datetime,
    access_lifetime: timedelta,
    refresh_lifetime: timedelta,
    family_id: str | None = None,
) -> TokenPair:
    access_id = new_id("at")
    refresh_row = RefreshToken(
        id=new_id("rt"),
        family_id=family_id or new_id("fam"),
        user_id=user_id,
        created_at=now,
        expires_at=now + refresh_lifetime,
        access_token_id=access_id,
        access_expires_at=now + access_lifetime,
    )
    session.add(refresh_row)
    access = codec.encode(
        subject=user_id,
        token_type=ACCESS,
        token_id=access_id,
        issued_at=now,
        lifetime=access_lifetime,
    )
    refresh = codec.encode(
        subject=user_id,
        token_type=REFRESH,
        token_id=refresh_row.id,
        family_id=refresh_row.family_id,
        issued_at=now,
        lifetime=refresh_lifetime,
    )
    return TokenPair(access, refresh, int(access_lifetime.total_seconds()))


def rotate_refresh_token(
    session: Session,
    *,
    token: str,
    codec: TokenCodec,
    now: datetime,
    access_lifetime: timedelta,
    refresh_lifetime: timedelta,
) -> TokenPair:
    """Trade a refresh token for a new pair.

    Presenting a used token again means it leaked, and raises RefreshTokenReused. The caller must
    then revoke the family (`revoke_token_family`) in a transaction of its own: this one is
    rolled back by the error, and the revocation must outlive it."""
    claims = codec.decode(token, expected_type=REFRESH, now=now)
    row = session.get(RefreshToken, claims.token_id)
    if row is None or row.revoked_at is not None:
        raise Unauthorized("refresh token was revoked", code="token_revoked")
    # The conditional update is what makes a token single-use when two requests race with it;
    # the loser is treated as a reuse.
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise RefreshTokenReused(user_id=row.user_id, family_id=row.family_id)
    return issue_tokens(
        session,
        user_id=row.user_id,
        codec=codec,
        now=now,
        access_lifetime=access_lifetime,
        refresh_lifetime=refresh_lifetime,
        family_id=row.family_id,
    )


def revoke_token_family(session: Session, *, family_id: str, now: datetime) -> None:
    """End the family's refresh tokens and the access tokens issued with them."""
    revocations.revoke_of_families(session, family_ids=[family_id], now=now)
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def logout(session: Session, *, token: str, codec: TokenCodec, now: datetime) -> None:
    claims = codec.decode(token, expected_type=REFRESH, now=now)
    row = session.get(RefreshToken, claims.token_id)
    if row is not None:
        revoke_token_family(session, family_id=row.family_id, now=now)


def revoke_refresh_tokens_of(session: Session, *, user_ids: list[str], now: datetime) -> int:
    """End every refresh token of these users, and their access tokens: they must sign in
    again."""
    if not user_ids:
        return 0
    revocations.revoke_of_users(session, user_ids=user_ids, now=now)
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id.in_(user_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
