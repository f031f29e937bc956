"""The tables of organizations' own telephony provider accounts and of the caller IDs they
may present."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class ProviderAccount(Base):
    """A telephony provider an organization calls through; lower priority is tried first, the
    next one only when the first certainly placed no call. Credentials are sealed at rest."""

    __tablename__ = "provider_accounts"
    __table_args__ = (
        UniqueConstraint("org_id", "priority", name="uq_provider_accounts_org_priority"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONText())
    sealed_credentials: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    # The proven caller ID its calls present, unless an endpoint chooses one usable here.
    caller_id_id: Mapped[str | None] = mapped_column(
        ForeignKey("caller_ids.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallerIdProof(StrEnum):
    """How an organization proved it may present a number as its caller ID."""

    # A code sent to the number by call or SMS was typed back: usable through any of the
    # organization's provider accounts.
    CODE = "code"
    # The provider account owns the number, or has it as a verified caller ID: usable only
    # through that account.
    PROVIDER = "provider"
    # The server's operator vouched for it from the shell, with a reason: for an install whose
    # only carrier is the organization's own trunk, which a code cannot reach. Usable through
    # any of the organization's accounts, like a code.
    OPERATOR = "operator"


# Proofs that hold whichever of the organization's accounts places the call; a provider's
# records vouch only for calls through that provider account.
PROVEN_FOR_EVERY_ACCOUNT = frozenset({CallerIdProof.CODE, CallerIdProof.OPERATOR})


class CallerId(Base):
    """A number an organization may show as the caller ID of its calls and the sender of its
    texts, once proven (`proof`). Chosen per provider account and per endpoint (their
    `caller_id_id`); `providers.caller_ids` says which one a call through an account presents.
    """

    __tablename__ = "caller_ids"
    __table_args__ = (UniqueConstraint("org_id", "number", name="uq_caller_ids_org_number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(20))
    # NULL until proven.
    proof: Mapped[str | None] = mapped_column(String(20), default=None)
    # For a provider proof, the one account it is usable through. Not a foreign key (accounts
    # name their caller ID too); deleting the account clears the proof.
    proven_account_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # What proved it, in words ("a code by SMS", "a Twilio incoming number").
    proven_how: Mapped[str | None] = mapped_column(String(200), default=None)
    proven_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The latest code sent to prove it (number_verifications, purpose `caller_id`).
    verification_id: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def proven(self) -> bool:
        return self.proof is not None

    def usable_through(self, account_id: str) -> bool:
        """Whether a call through this provider account may present the number."""
        if self.proof in PROVEN_FOR_EVERY_ACCOUNT:
            return True
        return self.proof == CallerIdProof.PROVIDER and self.proven_account_id == account_id


class ProviderTestCall(Base):
    """A test call (`providers.test_calls`), kept for a day so that a REST provider's callbacks
    about it (key `test/<id>`) can be answered with what it says: another process than the one
    that placed it answers them. Nothing in it is secret (the words are the catalogue's), so it
    is kept as written, as an attempt's text is. Not `TestCall`: pytest would take it for a
    class of tests."""

    __tablename__ = "test_calls"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # NULL for a test through the platform's providers (the shell, without --org).
    org_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # The one provider account it goes through (the dashboard's test of an account); NULL when
    # any of the organization's (or platform's) providers may carry it.
    account_id: Mapped[str | None] = mapped_column(String(40), default=None)
    spoken_text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
