"""Tables of an organization's paging configuration: endpoints and contacts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class RoutingMode(StrEnum):
    """Who an endpoint calls when none of its rules matches. `primary` is the first contact;
    `all` calls every contact."""

    PRIMARY = "primary"
    ALL = "all"


class Endpoint(Base):
    __tablename__ = "endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # When true, every webhook must carry an X-Alert-Key of this organization.
    require_key: Mapped[bool] = mapped_column(default=True)
    routing: Mapped[str] = mapped_column(String(20), default=RoutingMode.PRIMARY.value)
    # The endpoint's scenario: ordered rules (tocsin.routing.rules.Rule), first match wins.
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONText(), server_default="[]")
    # A Jinja2 template of what the call says; NULL: the default for the alert's source.
    template: Mapped[str | None] = mapped_column(Text, default=None)
    # The proven caller ID its calls present through every provider account it is usable
    # through (providers.caller_ids); NULL: each account's own choice.
    caller_id_id: Mapped[str | None] = mapped_column(
        ForeignKey("caller_ids.id", ondelete="SET NULL"), default=None
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EndpointContact(Base):
    """The ordered list of contacts an endpoint calls; position 0 is the primary."""

    __tablename__ = "endpoint_contacts"

    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Validated tocsin.routing.steps.Step documents, in order.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONText())
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
