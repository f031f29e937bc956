"""Tables of people, organizations and their credentials."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime

# A user's platform_role that makes them trust and safety staff, across every organization.
PLATFORM_ADMIN = "admin"

# The plan of an organization nobody bills, which every self-hosted install's are; billing's plan
# catalogue names the others.
SELF_HOSTED = "self_hosted"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def rank(self) -> int:
        return {"member": 1, "admin": 2, "owner": 3}[self.value]


class Scope(StrEnum):
    """What an API key may do. `ingest` alone is what a monitoring system needs."""

    INGEST = "ingest"
    READ = "read"
    WRITE = "write"


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # "admin" for the platform's trust and safety staff; organization roles are separate.
    platform_role: Mapped[str | None] = mapped_column(String(20), default=None)
    # Two-step sign-in: the TOTP secret, sealed with the instance secret; set once confirmed.
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The 30-second step of the last code accepted: codes of that step and earlier ones are
    # refused, so a code works once (accounts/totp.py).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    # When the owner of `email` proved it by following a link mailed to it; cleared when the
    # address changes (accounts/email_addresses.py).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Calling policy: national numbers are read in the home country, and calls abroad stay off
    # until an admin turns international calling on and enables each country.
    home_region: Mapped[str] = mapped_column(String(2), server_default="US")
    international_enabled: Mapped[bool] = mapped_column(server_default=false())
    allowed_regions: Mapped[list[str]] = mapped_column(JSONText(), server_default="[]")
    # When the home country was declared or last changed: members may change it once in 30
    # days (organizations/commands.py), since it decides which calls count as international.
    home_region_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Text-to-speech voice (an espeak-ng voice name, e.g. "en-us", "de"); NULL: the server's.
    voice: Mapped[str | None] = mapped_column(String(40), default=None)
    # The language of a call's fixed prompts (menu, confirmations), as a code of
    # telephony/prompts' catalogue; contacts and members may choose another.
    language: Mapped[str] = mapped_column(String(16), server_default="en", default="en")
    # The plan it holds (a code of the plan catalogue) and when that plan ends: a trial's end or
    # a cancelled subscription's period end. After it the organization is on the fallback plan.
    plan: Mapped[str] = mapped_column(String(40), server_default="self_hosted")
    plan_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # IANA time zone: daily caps reset at its midnight and months begin on its first day.
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # When the time zone last changed: changes are limited (organizations/commands.py).
    timezone_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Made by `tocsin quickstart` without an owner: the server's first sign-up becomes its owner
    # instead of getting an empty organization (organizations/registration.py).
    for_first_sign_up: Mapped[bool] = mapped_column(server_default=false(), default=False)


class Membership(Base):
    __tablename__ = "memberships"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The language this member's calls speak; NULL: the organization's.
    language: Mapped[str | None] = mapped_column(String(16), default=None)


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    created_by: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_by: Mapped[str | None] = mapped_column(String(40), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ApiKey(Base):
    """An API key `tk_<public_id>_<secret>`: only the public id and an HMAC digest are kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # A key bound to an endpoint reaches only that endpoint and its alerts, whatever its
    # scopes: it sends alerts there, and reads and changes nothing else (http/api/auth.py).
    endpoint_id: Mapped[str | None] = mapped_column(String(40), default=None)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSONText())
    created_by: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RefreshToken(Base):
    """One row per issued refresh token, so tokens can be rotated, revoked, and reuse detected."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family", "family_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The access token issued with this refresh token, so revoking the family can end it too
    # (accounts/revocations.py).
    access_token_id: Mapped[str | None] = mapped_column(String(40), default=None)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RevokedAccessToken(Base):
    """An access token ended before its expiry (logout, a stolen refresh token, a
    termination); kept until that expiry, then swept (accounts/revocations.py)."""

    __tablename__ = "revoked_access_tokens"

    token_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SignInAddress(Base):
    """Where an account signed in from, all the way (password and, when on, a code): the
    known addresses that the account-wide sign-in limit spares (accounts/sign_in_addresses.py).
    An IPv6 address is kept as its /64 network."""

    __tablename__ = "sign_in_addresses"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EmailVerification(Base):
    """One link mailed to prove an address: the link's token is signed over this row's id, user
    and address, and works once, before `expires_at`, while the user still has that address."""

    __tablename__ = "email_verifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


__all__ = [
    "ApiKey",
    "EmailVerification",
    "FirstSignUp",
    "Invite",
    "Membership",
    "Organization",
    "PasswordReset",
    "RefreshToken",
    "RevokedAccessToken",
    "Role",
    "Scope",
    "SignInAddress",
    "User",
]


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its HMAC digest is stored, so
    a copy of the table signs nobody in. `mfa_passed` is False between the password and the
    TOTP code of a user who turned two-step sign-in on."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The synchronizer token every form and htmx request of this session must carry.
    csrf_token: Mapped[str] = mapped_column(String(64))
    mfa_passed: Mapped[bool] = mapped_column(default=True)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class FirstSignUp(Base):
    """The server's first sign-up, which needs no invite while sign-up is closed. One row at
    most (its key is always 1), so of several first sign-ups at once one inserts it and the
    others find it taken, on either backend (accounts/first_user.py). It stays when its user
    is deleted: the first place is taken once."""

    __tablename__ = "first_sign_up"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PasswordReset(Base):
    """One link to set a new password without the old one (accounts/password_resets.py): the
    link's random token is kept only as its HMAC digest, and works once, before `expires_at`,
    while the user still has the address it was made for."""

    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    # Who asked for it: "request" (the form), "sign_up" (a sign-up with the address), or
    # "operator" (`tocsin user reset-password`, which prints it rather than mailing it).
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
