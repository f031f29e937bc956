"""Request and response bodies of the endpoints and contacts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tocsin.endpoints.models import RoutingMode


class ContactIn(BaseModel):
    name: str = Field(max_length=200)
    phone: str = Field(max_length=64, description="E.164 (+CC...), or national with `region`")
    region: str | None = Field(default=None, min_length=2, max_length=2)


class ContactPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    region: str | None = Field(default=None, min_length=2, max_length=2)


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    phone_e164: str
    created_at: datetime
    updated_at: datetime


class EndpointIn(BaseModel):
    name: str = Field(max_length=200)
    require_key: bool = True
    routing: RoutingMode = RoutingMode.PRIMARY
    contact_ids: list[str] = Field(default_factory=list, max_length=50)


class EndpointPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    require_key: bool | None = None
    routing: RoutingMode | None = None
    contact_ids: list[str] | None = Field(default=None, max_length=50)


class EndpointOut(BaseModel):
    id: str
    name: str
    require_key: bool
    routing: RoutingMode
    contact_ids: list[str]
    webhook_url: str
    created_at: datetime
    updated_at: datetime
