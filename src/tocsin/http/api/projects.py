"""Projects API: teams that group endpoints, escalation policies, schedules and members; and
moving an endpoint or a policy into or out of one."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tocsin.accounts.models import Role, Scope
from tocsin.endpoints import commands as endpoints
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import errors
from tocsin.http.api.schemas.people import (
    ProjectChoice,
    ProjectDetailOut,
    ProjectIn,
    ProjectMemberIn,
    ProjectOut,
    ProjectPatch,
    ProjectsOut,
)
from tocsin.oncall import projects

router = APIRouter(prefix="/v1/orgs/{org_id}", tags=["projects"], route_class=ApiRoute)


@router.post(
    "/projects", status_code=201, response_model=ProjectDetailOut, summary="Create a project"
)
def create_project(
    org_id: str, body: ProjectIn, caller: Caller = Depends(get_caller)
) -> ProjectDetailOut:
    """A team that groups endpoints, escalation policies, schedules and members. Admins and owners,
    or a key with `write`."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        project = projects.create_project(
            s,
            org_id=org_id,
            name=body.name,
            description=body.description,
            restricted=body.restricted,
            timezone=body.timezone,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )
        return ProjectDetailOut.of(projects.project_view(s, org_id=org_id, project_id=project.id))


@router.get("/projects", response_model=ProjectsOut, summary="List projects")
def list_projects(org_id: str, caller: Caller = Depends(get_caller)) -> ProjectsOut:
    """Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        items = projects.list_projects(s, org_id=org_id)
        return ProjectsOut(items=[ProjectOut.model_validate(project) for project in items])


@router.get(
    "/projects/{project_id}",
    response_model=ProjectDetailOut,
    summary="Get a project",
    responses=errors((404, "project_not_found", "project not found")),
)
def get_project(
    org_id: str, project_id: str, caller: Caller = Depends(get_caller)
) -> ProjectDetailOut:
    """The project with its members, endpoints and escalation policies. Any member, or a key with
    `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        return ProjectDetailOut.of(projects.project_view(s, org_id=org_id, project_id=project_id))


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectDetailOut,
    summary="Update a project",
    responses=errors((404, "project_not_found", "project not found")),
)
def update_project(
    org_id: str, project_id: str, body: ProjectPatch, caller: Caller = Depends(get_caller)
) -> ProjectDetailOut:
    """Admins and owners, or a key with `write`; a restricted project only its owners and
    editors (403 `project_restricted`)."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        projects.update_project(
            s,
            org_id=org_id,
            project_id=project_id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
            name=body.name,
            description=body.description,
            restricted=body.restricted,
            timezone=body.timezone,
        )
        return ProjectDetailOut.of(projects.project_view(s, org_id=org_id, project_id=project_id))


@router.delete(
    "/projects/{project_id}",
    status_code=204,
    summary="Delete a project",
    responses=errors((404, "project_not_found", "project not found")),
)
def delete_project(org_id: str, project_id: str, caller: Caller = Depends(get_caller)) -> None:
    """What belonged to it stays, in no project. Admins and owners, or a key with `write`; a
    restricted project only its owners and editors (403 `project_restricted`)."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        projects.delete_project(
            s,
            org_id=org_id,
            project_id=project_id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )


@router.post(
    "/projects/{project_id}/members",
    response_model=ProjectDetailOut,
    summary="Add a project member",
    responses=errors(
        (404, "project_not_found", "project not found"),
        (404, "member_not_found", "member not found"),
    ),
)
def add_member(
    org_id: str, project_id: str, body: ProjectMemberIn, caller: Caller = Depends(get_caller)
) -> ProjectDetailOut:
    """Add a member of the organization, or change whether they may edit the project. Admins and
    owners, or a key with `write`; a restricted project only its owners and editors (403
    `project_restricted`)."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        projects.add_project_member(
            s,
            org_id=org_id,
            project_id=project_id,
            user_id=body.user_id,
            can_edit=body.can_edit,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )
        return ProjectDetailOut.of(projects.project_view(s, org_id=org_id, project_id=project_id))


@router.delete(
    "/projects/{project_id}/members/{user_id}",
    status_code=204,
    summary="Remove a project member",
    responses=errors(
        (404, "project_not_found", "project not found"),
        (404, "member_not_found", "member not found"),
    ),
)
def remove_member(
    org_id: str, project_id: str, user_id: str, caller: Caller = Depends(get_caller)
) -> None:
    """Take a member out of the project. Admins and owners, or a key with `write`; a restricted
    project only its owners and editors (403 `project_restricted`)."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        projects.remove_project_member(
            s,
            org_id=org_id,
            project_id=project_id,
            user_id=user_id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )


@router.put(
    "/endpoints/{endpoint_id}/project",
    response_model=ProjectChoice,
    summary="Move an endpoint to a project",
    responses=errors(
        (404, "project_not_found", "project not found"),
        (404, "endpoint_not_found", "endpoint not found"),
    ),
)
def move_endpoint(
    org_id: str, endpoint_id: str, body: ProjectChoice, caller: Caller = Depends(get_caller)
) -> ProjectChoice:
    """Put the endpoint in a project, or in none (`null`). Admins and owners, or a key with
    `write`."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        endpoint = endpoints.move_endpoint(
            s,
            org_id=org_id,
            endpoint_id=endpoint_id,
            project_id=body.project_id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )
        return ProjectChoice(project_id=endpoint.project_id)


@router.put(
    "/escalations/{escalation_id}/project",
    response_model=ProjectChoice,
    summary="Move an escalation policy to a project",
    responses=errors(
        (404, "project_not_found", "project not found"),
        (404, "escalation_not_found", "escalation policy not found"),
    ),
)
def move_escalation(
    org_id: str, escalation_id: str, body: ProjectChoice, caller: Caller = Depends(get_caller)
) -> ProjectChoice:
    """Put the escalation policy in a project, or in none (`null`). Admins and owners, or a key with
    `write`."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        policy = endpoints.move_policy(
            s,
            org_id=org_id,
            policy_id=escalation_id,
            project_id=body.project_id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )
        return ProjectChoice(project_id=policy.project_id)
