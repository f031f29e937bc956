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
from tocsin.http.api.route import PUBLIC, ApiRoute
from tocsin.http.api.schemas.common import errors, shown
from tocsin.http.api.schemas.fields import SOMETHING, Flag, Name
from tocsin.runtime import Runtime

router = APIRouter(route_class=ApiRoute, tags=["policies"])


_POLICY = {
    "kind": "aup",
    "version": "2025-02-01",
    "title": "Acceptable use policy",
    "summary_of_changes": "Calls to numbers abroad need their owner's consent too",
    "material": True,
    "published_at": "2025-01-01T12:00:00Z",
    "effective_at": "2025-02-01T00:00:00Z",
    "shipped": False,
}


class PolicySummaryOut(BaseModel):
    model_config = shown(_POLICY)

    kind: PolicyKind = Field(
        description="Which policy: `aup` (acceptable use) or `terms` (of service)"
    )
    version: str = Field(description="The version, e.g. a date")
    title: str = Field(description="Its title")
    summary_of_changes: str | None = Field(description="What changed from the version before")
    material: bool = Field(description="Whether it changes what people agreed to; needs notice")
    published_at: datetime | None = Field(description="None for the version shipped with Tocsin")
    effective_at: datetime | None = Field(
        description="None for the version shipped with Tocsin: in force until one replaces it"
    )
    shipped: bool = Field(description="Whether it is the version shipped with Tocsin")

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
    model_config = shown(
        {**_POLICY, "body": "# Acceptable use\n\nCall only numbers whose owners agreed."}
    )

    body: str = Field(description="The text, Markdown")

    @classmethod
    def of(cls, document: Document) -> PolicyOut:
        return cls(**PolicySummaryOut.of(document).model_dump(), body=document.body)


class PoliciesOut(BaseModel):
    model_config = shown({"kind": "aup", "in_force": _POLICY, "upcoming": None})

    kind: PolicyKind = Field(description="Which policy")
    in_force: PolicySummaryOut = Field(description="The version in force now")
    upcoming: PolicySummaryOut | None = Field(description="The one announced to replace it")


class AcceptanceOut(PolicySummaryOut):
    accepted: bool = Field(description="Whether the signed-in person accepted this version")
    accepted_at: datetime | None = Field(description="When")

    @classmethod
    def of_standing(cls, standing: Standing) -> AcceptanceOut:
        return cls(
            **PolicySummaryOut.of(standing.document).model_dump(),
            accepted=standing.accepted_at is not None,
            accepted_at=standing.accepted_at,
        )


class MyPoliciesOut(BaseModel):
    model_config = shown(
        {
            "kind": "aup",
            "in_force": {**_POLICY, "accepted": True, "accepted_at": "2025-01-02T09:00:00Z"},
            "upcoming": None,
        }
    )

    kind: PolicyKind = Field(description="Which policy")
    in_force: AcceptanceOut = Field(description="The version in force, and whether accepted")
    upcoming: AcceptanceOut | None = Field(description="The announced one, and whether accepted")


class AcceptIn(BaseModel):
    model_config = shown({"kind": "aup", "version": "2025-02-01"})

    kind: PolicyKind = Field(description="Which policy")
    version: str = Field(min_length=1, max_length=40, description="The version accepted")


class AcceptedOut(BaseModel):
    model_config = shown(
        {"kind": "aup", "version": "2025-02-01", "accepted_at": "2025-01-02T09:00:00Z"}
    )

    kind: PolicyKind = Field(description="Which policy")
    version: str = Field(description="The version accepted")
    accepted_at: datetime = Field(description="When it was accepted (the first time)")


class PublishIn(BaseModel):
    model_config = shown(
        {
            "kind": "aup",
            "version": "2025-02-01",
            "title": "Acceptable use policy",
            "body": "# Acceptable use\n\nCall only numbers whose owners agreed.",
            "summary_of_changes": "Calls to numbers abroad need their owner's consent too",
            "material": True,
            "effective_at": "2025-02-01T00:00:00Z",
        }
    )

    kind: PolicyKind = Field(description="Which policy")
    # Checked as the version is published (`invalid_version`, `body_required`).
    version: str = Field(
        min_length=1,
        max_length=40,
        json_schema_extra={"pattern": rf"^\s*{VERSION_PATTERN}\s*$"},
        description="A new version name, e.g. a date",
    )
    title: Name = Field(description="Its title")
    body: str = Field(
        min_length=1,
        max_length=200_000,
        description="Markdown",
        json_schema_extra={"pattern": SOMETHING},
    )
    summary_of_changes: str | None = Field(
        default=None, max_length=5000, description="Needed for a material change"
    )
    material: Flag = Field(
        default=False, description="Whether it changes what people agreed to (30 days' notice)"
    )
    effective_at: datetime | None = Field(
        default=None,
        description="When it takes effect (UTC when no zone is given); by default at once. A "
        "material change needs 30 days' notice.",
    )


@router.get(
    "/v1/policies",
    response_model=list[PoliciesOut],
    summary="List the policies in force and upcoming",
    openapi_extra=PUBLIC,
)
def list_policies(runtime: Runtime = Depends(get_runtime)) -> list[PoliciesOut]:
    """For each kind, the version in force and the upcoming one, announced with notice. Anyone."""
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


@router.get(
    "/v1/policies/{kind}/{version}",
    response_model=PolicyOut,
    summary="Read a policy version",
    responses=errors((404, "policy_not_found", "no such policy version")),
    openapi_extra=PUBLIC,
)
def get_policy(kind: str, version: str, runtime: Runtime = Depends(get_runtime)) -> PolicyOut:
    """One version in full, whether in force, upcoming or replaced. Anyone."""
    with runtime.database.read() as session:
        return PolicyOut.of(queries.find(session, kind, version))


@router.get(
    "/v1/me/policies", response_model=list[MyPoliciesOut], summary="Which policies I accepted"
)
def my_policies(caller: Caller = Depends(get_caller)) -> list[MyPoliciesOut]:
    """Which versions in force and upcoming the signed-in user accepted. A signed-in person only."""
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


@router.post(
    "/v1/me/policies/accept",
    response_model=AcceptedOut,
    summary="Accept a policy version",
    responses=errors(
        (404, "policy_not_found", "no such policy version"),
        (409, "policy_superseded", "a newer version replaced this one"),
    ),
)
def accept_policy(
    body: AcceptIn,
    user_agent: str | None = Header(default=None),
    caller: Caller = Depends(get_caller),
) -> AcceptedOut:
    """Accept a version in force or upcoming; accepting it again changes nothing. A signed-in person
    only."""
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


@router.post(
    "/v1/admin/policies",
    status_code=201,
    response_model=PolicyOut,
    summary="Publish a policy version",
    responses=errors(
        (409, "version_exists", "this version exists"),
        (422, "notice_too_short", "a material change needs 30 days' notice"),
    ),
)
def publish_policy(body: PublishIn, caller: Caller = Depends(get_caller)) -> PolicyOut:
    """Publish a version. A material change must take effect 30 days or more from now, and
    the owners of every organization are told. Platform administrators only."""
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
