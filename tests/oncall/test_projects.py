"""Projects: who may change a restricted one and what belongs to it, members in several
projects, and endpoints and escalation policies moved in and out."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import seeded
from tocsin.accounts.models import Role
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden, NotFound
from tocsin.endpoints import commands as endpoints
from tocsin.endpoints.models import Endpoint
from tocsin.oncall import projects
from tocsin.runtime import Runtime


@dataclass
class Team:
    runtime: Runtime
    org_id: str
    owner: Actor
    admin: Actor
    editor: Actor
    member: Actor
    project_id: str


def _team(runtime: Runtime, *, restricted: bool) -> Team:
    owner = seeded.person(runtime, org_name="Projects")
    admin = seeded.member(runtime, owner.org_id, role=Role.ADMIN).user_id
    editor = seeded.member(runtime, owner.org_id).user_id
    member = seeded.member(runtime, owner.org_id).user_id
    now = runtime.clock.now()
    with runtime.database.write() as session:
        project = projects.create_project(
            session,
            org_id=owner.org_id,
            name="Platform",
            restricted=restricted,
            actor=Actor("user", owner.user_id),
            now=now,
        )
        for user_id, can_edit in ((editor, True), (member, False)):
            projects.add_project_member(
                session,
                org_id=owner.org_id,
                project_id=project.id,
                user_id=user_id,
                can_edit=can_edit,
                actor=Actor("user", owner.user_id),
                now=now,
            )
        project_id = project.id
    return Team(
        runtime,
        owner.org_id,
        Actor("user", owner.user_id),
        Actor("user", admin),
        Actor("user", editor),
        Actor("user", member),
        project_id,
    )


def _rename(team: Team, actor: Actor, name: str) -> None:
    with team.runtime.database.write() as session:
        projects.update_project(
            session,
            org_id=team.org_id,
            project_id=team.project_id,
            actor=actor,
            now=team.runtime.clock.now(),
            name=name,
        )


@pytest.mark.parametrize(
    ("restricted", "allowed", "refused"),
    [
        (True, ("owner", "editor"), ("admin", "member")),
        (False, ("owner", "admin"), ("editor", "member")),
    ],
)
def test_who_may_change_a_project(
    runtime: Runtime, restricted: bool, allowed: tuple[str, ...], refused: tuple[str, ...]
) -> None:
    team = _team(runtime, restricted=restricted)
    for who in allowed:
        _rename(team, getattr(team, who), f"Platform by {who}")
    for who in refused:
        with pytest.raises(Forbidden) as error:
            _rename(team, getattr(team, who), "Hijacked")
        expected = "project_restricted" if restricted else "insufficient_role"
        assert error.value.code == expected
    with runtime.database.read() as session:
        view = projects.project_view(session, org_id=team.org_id, project_id=team.project_id)
    assert view.project.name == f"Platform by {allowed[-1]}"
    assert [(m.user_id, m.can_edit) for m in view.members] == [
        (team.editor.id, True),
        (team.member.id, False),
    ]


def test_what_belongs_to_a_restricted_project_is_changed_only_by_its_editors(
    runtime: Runtime,
) -> None:
    team = _team(runtime, restricted=True)
    endpoint_id = seeded.endpoint(runtime, team.org_id)
    desk = seeded.contact(runtime, team.org_id, phone="+447400100200", name="NOC desk")
    policy_id = seeded.escalation(runtime, team.org_id, {"type": "call", "contact_ids": [desk]})
    now = runtime.clock.now()
    with runtime.database.write() as session, pytest.raises(Forbidden):
        endpoints.move_endpoint(
            session,
            org_id=team.org_id,
            endpoint_id=endpoint_id,
            project_id=team.project_id,
            actor=team.admin,
            now=now,
        )
    with runtime.database.write() as session:
        endpoints.move_endpoint(
            session,
            org_id=team.org_id,
            endpoint_id=endpoint_id,
            project_id=team.project_id,
            actor=team.editor,
            now=now,
        )
        endpoints.move_policy(
            session,
            org_id=team.org_id,
            policy_id=policy_id,
            project_id=team.project_id,
            actor=team.owner,
            now=now,
        )
    # Now inside: an admin who is not an editor may neither change it nor take it out.
    with runtime.database.write() as session, pytest.raises(Forbidden) as changed:
        endpoints.update_endpoint(
            session,
            org_id=team.org_id,
            endpoint_id=endpoint_id,
            actor=team.admin,
            now=now,
            name="x",
        )
    assert changed.value.code == "project_restricted"
    with runtime.database.write() as session, pytest.raises(Forbidden):
        endpoints.delete_policy(
            session, org_id=team.org_id, policy_id=policy_id, actor=team.admin, now=now
        )
    with runtime.database.write() as session, pytest.raises(Forbidden):
        endpoints.move_endpoint(
            session,
            org_id=team.org_id,
            endpoint_id=endpoint_id,
            project_id=None,
            actor=team.admin,
            now=now,
        )
    with runtime.database.read() as session:
        view = projects.project_view(session, org_id=team.org_id, project_id=team.project_id)
    assert [e.id for e in view.endpoints] == [endpoint_id]
    assert [p.id for p in view.policies] == [policy_id]


def test_deleting_a_project_leaves_its_endpoints_in_none(runtime: Runtime) -> None:
    team = _team(runtime, restricted=False)
    endpoint_id = seeded.endpoint(runtime, team.org_id)
    now = runtime.clock.now()
    with runtime.database.write() as session:
        endpoints.move_endpoint(
            session,
            org_id=team.org_id,
            endpoint_id=endpoint_id,
            project_id=team.project_id,
            actor=team.admin,
            now=now,
        )
        projects.delete_project(
            session, org_id=team.org_id, project_id=team.project_id, actor=team.admin, now=now
        )
    with runtime.database.read() as session:
        endpoint = session.get(Endpoint, endpoint_id)
        assert endpoint is not None
        assert endpoint.project_id is None
        assert projects.list_projects(session, org_id=team.org_id) == []


def test_a_member_may_belong_to_several_projects(runtime: Runtime) -> None:
    team = _team(runtime, restricted=False)
    now = runtime.clock.now()
    with runtime.database.write() as session:
        payments = projects.create_project(
            session, org_id=team.org_id, name="Payments", actor=team.admin, now=now
        )
        projects.add_project_member(
            session,
            org_id=team.org_id,
            project_id=payments.id,
            user_id=str(team.member.id),
            can_edit=False,
            actor=team.admin,
            now=now,
        )
    with runtime.database.read() as session:
        names = [
            p.name
            for p in projects.projects_of(session, org_id=team.org_id, user_id=str(team.member.id))
        ]
    assert names == ["Payments", "Platform"]


def test_projects_and_members_of_another_organization_are_not_found(runtime: Runtime) -> None:
    team = _team(runtime, restricted=False)
    other = seeded.person(runtime, org_name="Other")
    now = runtime.clock.now()
    with runtime.database.write() as session, pytest.raises(NotFound) as project:
        projects.require_project_editor(
            session, org_id=other.org_id, project_id=team.project_id, actor=team.owner
        )
    assert project.value.code == "project_not_found"
    with runtime.database.write() as session, pytest.raises(NotFound) as member:
        projects.add_project_member(
            session,
            org_id=team.org_id,
            project_id=team.project_id,
            user_id=other.user_id,
            can_edit=True,
            actor=team.owner,
            now=now,
        )
    assert member.value.code == "member_not_found"
