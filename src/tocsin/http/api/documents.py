"""The policy documents API: anyone may read the policies, a signed-in user accepts them, and
platform administrators publish new versions."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from tocsin.documents import commands, queries
from tocsin.documents.commands import VERSION_PATTERN
from tocsin.documents.versions import Document, PolicyKind, Standing
from tocsin.http.api.deps import Caller, get_caller, get_runtime
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.fields import SOMETHING, Flag, Name
from tocsin.runtime import Runtime

router = APIRouter(route_class=ApiRoute, tags=["policies"])


class PolicySummaryOut(BaseModel):
    kind: PolicyKind
    version: str
    title: str
    summary_of_changes: str | None
    material: bool
    published_at: datetime | None = Field(description="None for the version shipped with Tocsin")
    effective_at: datetime | None = Field(
        description="None for the version shipped with Tocsin: in force until one replaces it"
    )
    shipped: bool

    @classmethod
    def of(cls, document: Document) -> PolicySummaryOut:
        return cls(
            kind=document.kind,
            version=document.version,
            title=document.title,
            summary_of_changes=document.summary_of_changes,
            material=document.material,
            published_at=document.published_at,
            effective_at=document.effective_at,
            shipped=document.shipped,
        )


class PolicyOut(PolicySummaryOut):
    body: str = Field(description="Markdown")

    @classmethod
    def of(cls, document: Document) -> PolicyOut:
        return cls(**PolicySummaryOut.of(document).model_dump(), body=document.body)


class PoliciesOut(BaseModel):
    kind: PolicyKind
    in_force: PolicySummaryOut
    upcoming: PolicySummaryOut | None


class AcceptanceOut(PolicySummaryOut):
    accepted: bool
    accepted_at: datetime | None

    @classmethod
    def of_standing(cls, standing: Standing) -> AcceptanceOut:
        return cls(
            **PolicySummaryOut.of(standing.document).model_dump(),
            accepted=standing.accepted_at is not None,
            accepted_at=standing.accepted_at,
        )


class MyPoliciesOut(BaseModel):
    kind: PolicyKind
    in_force: AcceptanceOut
    upcoming: AcceptanceOut | None


class AcceptIn(BaseModel):
    kind: PolicyKind
    version: str = Field(min_length=1, max_length=40)


class AcceptedOut(BaseModel):
    kind: PolicyKind
    version: str
    accepted_at: datetime


class PublishIn(BaseModel):
    kind: PolicyKind
    # Checked as the version is published (`invalid_version`, `body_required`).
    version: str = Field(
        min_length=1,
        max_length=40,
        json_schema_extra={"pattern": rf"^\s*{VERSION_PATTERN}\s*$"},
    )
    title: Name
    body: str = Field(
        min_length=1,
        max_length=200_000,
        description="Markdown",
        json_schema_extra={"pattern": SOMETHING},
    )
    summary_of_changes: str | None = Field(
        default=None, max_length=5000, description="Needed for a material change"
    )
    material: Flag = False
    effective_at: datetime | None = Field(
        default=None,
        description="When it takes effect (UTC when no zone is given); by default at once. A "
        "material change needs 30 days' notice.",
    )


@router.get("/v1/policies", response_model=list[PoliciesOut])
def list_policies(runtime: Runtime = Depends(get_runtime)) -> list[PoliciesOut]:
    """For each kind, the version in force and the upcoming one, announced with notice."""
    now = runtime.clock.now()
    with runtime.database.read() as session:
        return [
            PoliciesOut(
                kind=force.kind,
                in_force=PolicySummaryOut.of(force),
                upcoming=PolicySummaryOut.of(next_version) if next_version else None,
            )
            for force, next_version in queries.current(session, now)
        ]


@router.get("/v1/policies/{kind}/{version}", response_model=PolicyOut)
def get_policy(kind: str, version: str, runtime: Runtime = Depends(get_runtime)) -> PolicyOut:
    """One version in full, whether in force, upcoming or replaced."""
    with runtime.database.read() as session:
        return PolicyOut.of(queries.find(session, kind, version))


@router.get("/v1/me/policies", response_model=list[MyPoliciesOut])
def my_policies(caller: Caller = Depends(get_caller)) -> list[MyPoliciesOut]:
    """Which versions in force and upcoming the signed-in user accepted."""
    now = caller.runtime.clock.now()
    with caller.user(write=False) as (session, principal, _):
        return [
            MyPoliciesOut(
                kind=status.kind,
                in_force=AcceptanceOut.of_standing(status.in_force),
                upcoming=AcceptanceOut.of_standing(status.upcoming) if status.upcoming else None,
            )
            for status in queries.status_of(session, principal.id, now)
        ]


@router.post("/v1/me/policies/accept", response_model=AcceptedOut)
def accept_policy(
    body: AcceptIn,
    user_agent: str | None = Header(default=None),
    caller: Caller = Depends(get_caller),
) -> AcceptedOut:
    """Accept a version in force or upcoming; accepting it again changes nothing."""
    now = caller.runtime.clock.now()
    with caller.user(write=True) as (session, principal, actor):
        accepted_at = commands.accept(
            session,
            user_id=principal.id,
            kind=body.kind.value,
            version=body.version,
            user_agent=user_agent,
            actor=actor,
            now=now,
        )
    return AcceptedOut(kind=body.kind, version=body.version, accepted_at=accepted_at)


@router.post("/v1/admin/policies", status_code=201, response_model=PolicyOut)
def publish_policy(body: PublishIn, caller: Caller = Depends(get_caller)) -> PolicyOut:
    """Publish a version. A material change must take effect 30 days or more from now, and
    the owners of every organization are told."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        document = commands.publish(
            session,
            kind=body.kind,
            version=body.version,
            title=body.title,
            body=body.body,
            summary_of_changes=body.summary_of_changes,
            material=body.material,
            effective_at=body.effective_at,
            actor=actor,
            now=now,
        )
    return PolicyOut.of(document)
