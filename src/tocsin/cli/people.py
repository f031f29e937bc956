"""People and projects from the shell: members' numbers, verifying them, notification rules;
projects, their members, and moving endpoints and escalation policies into them.

The shell is the server's operator, trusted with its database: `people verify --code` records
the consent as the member's, since the code could only come from the member's phone."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.common import CLI_ACTOR, CliError, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.contacts.verify import deliver
from tocsin.db.session import Session
from tocsin.endpoints import commands as endpoints
from tocsin.numbers.verification import Channel, Requester
from tocsin.oncall import languages, methods, people, projects, rules, schedules, who
from tocsin.oncall.models import Method, Project
from tocsin.oncall.people import Person, Rule
from tocsin.telephony.prompts import LANGUAGES

people_app = group("people")
project_app = group("project")


def _person(person: Person) -> dict[str, Any]:
    return {
        "user_id": person.user_id,
        "display_name": person.display_name,
        "email": person.email,
        "email_verified": person.email_verified,
        "role": person.role,
        "language": person.language,
        "numbers": [
            {
                "id": n.id,
                "name": n.name,
                "phone_e164": n.phone_e164,
                "method": n.channel,
                "verified": n.verified,
            }
            for n in person.numbers
        ],
        "rules": [_rule(rule) for rule in person.rules],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "method": rule.method.value,
        "contact_id": rule.contact_id,
        "delay_minutes": rule.delay_minutes,
    }


def _person_text(p: dict[str, Any]) -> str:
    lines = [f"{p['user_id']}  {p['role']:<6} {p['display_name'] or p['email']}"]
    for n in p["numbers"]:
        state = "verified" if n["verified"] else "unverified"
        lines.append(f"  {n['id']}  {n['method']:<5} {n['phone_e164']}  {state}  {n['name']}")
    lines += [f"  rule: {_rule_text(r)}" for r in p["rules"]]
    return "\n".join(lines)


def _rule_text(r: dict[str, Any]) -> str:
    return f"{r['method']} {r['contact_id'] or ''} at {r['delay_minutes']} min".replace("  ", " ")


@people_app.command("list")
@friendly_errors
def people_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Every member with their numbers and rules."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [_person(p) for p in people.list_people(session, org_id=organization.id)]
    emit(as_json, rows, "\n".join(_person_text(r) for r in rows) or "no members")


@people_app.command("show")
@friendly_errors
def people_show(user_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One member's numbers and rules."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        data = _person(people.get_person(session, org_id=organization.id, user_id=user_id))
    emit(as_json, data, _person_text(data))


@people_app.command("add-number")
@friendly_errors
def people_add_number(
    user_id: str,
    phone: str,
    org: str = OrgOption,
    name: str = typer.Option("mobile", help="What the member calls it."),
    method: Method = typer.Option(Method.VOICE, help="voice or sms."),
    region: str | None = typer.Option(None, help="Two-letter country for national numbers."),
    as_json: bool = JsonOption,
) -> None:
    """Add a voice or SMS number of the member; it is used once the member verifies it."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        contact = methods.add_member_number(
            session,
            org_id=organization.id,
            user_id=user_id,
            name=name,
            phone=phone,
            region=region,
            method=method,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            billing=runtime.billing,
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
        )
        data = {"id": contact.id, "phone_e164": contact.phone_e164, "method": contact.channel}
    emit(as_json, data, f"added {data['method']} number {data['id']} {data['phone_e164']}")


@people_app.command("language")
@friendly_errors
def people_language(
    user_id: str,
    org: str = OrgOption,
    language: str = typer.Option(
        ...,
        help=f"Language of the calls paging the member: {', '.join(LANGUAGES)}; an empty one "
        "goes back to the organization's.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Set the language the member's calls speak (their number's own language, if it has one,
    comes first)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        chosen = languages.set_member_language(
            session,
            org_id=organization.id,
            user_id=user_id,
            language=language,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = {"user_id": user_id, "language": chosen}
    emit(as_json, data, f"{user_id}: {chosen or 'the organization language'}")


@people_app.command("remove-number")
@friendly_errors
def people_remove_number(
    user_id: str, number_id: str, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    """Remove the member's number and the rules that name it."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        methods.remove_member_number(
            session,
            org_id=organization.id,
            user_id=user_id,
            contact_id=number_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"removed": number_id}, f"removed {number_id}")


@people_app.command("verify")
@friendly_errors
def people_verify(
    user_id: str,
    number_id: str,
    org: str = OrgOption,
    code: str | None = typer.Option(None, help="The code the member received; none sends one."),
    channel: Channel | None = typer.Option(None, help="call or sms; by the number's method."),
    as_json: bool = JsonOption,
) -> None:
    """Send a code to the member's number, or (with --code) record the member's consent."""
    runtime = open_runtime()
    if code is None:
        with runtime.database.write() as session:
            organization = accounts.get_organization(session, org)
            pending = methods.send_member_code(
                session,
                runtime,
                org_id=organization.id,
                user_id=user_id,
                contact_id=number_id,
                channel=channel,
                requester=Requester(CLI_ACTOR, "tocsin-cli"),
                now=runtime.clock.now(),
            )
        asyncio.run(deliver(runtime, pending))
        row = pending.issued.verification
        sent = {"verification_id": row.id, "phone_e164": row.phone_e164, "channel": row.channel}
        emit(as_json, sent, f"sent a code to {row.phone_e164} by {row.channel}")
        return
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        result, record = methods.confirm_member_code(
            session,
            runtime,
            org_id=organization.id,
            user_id=user_id,
            contact_id=number_id,
            code=code,
            verification_id=None,
            actor=CLI_ACTOR,
            user_agent="tocsin-cli",
            now=runtime.clock.now(),
        )
        data = {"consent_id": record.id, "phone_e164": record.phone_e164} if record else {}
    error = result.error()
    if error is not None:
        raise error
    emit(as_json, data, f"{data['phone_e164']} verified by its member")


@people_app.command("rules")
@friendly_errors
def people_rules(user_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """The member's notification rules, in order."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [
            _rule(r) for r in people.member_rules(session, org_id=organization.id, user_id=user_id)
        ]
    emit(
        as_json,
        rows,
        "\n".join(_rule_text(r) for r in rows) or "no rules: the first verified voice number",
    )


def _parse_rule(text: str) -> Rule:
    """METHOD:NUMBER_ID:DELAY for voice and sms, email:DELAY for e-mail."""
    parts = text.split(":")
    try:
        if len(parts) == 2 and parts[0] == Method.EMAIL.value:
            return Rule(Method.EMAIL, None, int(parts[1]))
        if len(parts) == 3:
            return Rule(Method(parts[0]), parts[1], int(parts[2]))
    except ValueError:
        pass
    raise CliError(
        f"a rule is voice:NUMBER_ID:MINUTES, sms:NUMBER_ID:MINUTES or email:MINUTES, got {text!r}"
    )


@people_app.command("set-rules")
@friendly_errors
def people_set_rules(
    user_id: str,
    org: str = OrgOption,
    rule: list[str] = typer.Option(
        [], help="voice:NUMBER_ID:MINUTES, sms:NUMBER_ID:MINUTES or email:MINUTES; in order."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Replace the member's rules; none goes back to the default."""
    wanted = [_parse_rule(text) for text in rule]
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        saved = rules.set_rules(
            session,
            org_id=organization.id,
            user_id=user_id,
            rules=wanted,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        rows = [_rule(r) for r in saved]
    emit(as_json, rows, "\n".join(_rule_text(r) for r in rows) or "rules cleared")


# Projects -------------------------------------------------------------------------------------


def _project(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "restricted": project.restricted,
        "timezone": project.timezone,
    }


def _project_detail(session: Any, org_id: str, project_id: str) -> dict[str, Any]:
    view = projects.project_view(session, org_id=org_id, project_id=project_id)
    return {
        **_project(view.project),
        "members": [
            {"user_id": m.user_id, "display_name": m.display_name, "can_edit": m.can_edit}
            for m in view.members
        ],
        "endpoints": [{"id": e.id, "name": e.name} for e in view.endpoints],
        "escalations": [{"id": p.id, "name": p.name} for p in view.policies],
    }


def _detail_text(d: dict[str, Any]) -> str:
    lines = [f"{d['id']}  {d['name']}{'  (restricted)' if d['restricted'] else ''}"]
    lines += [
        f"  member {m['user_id']} {m['display_name']}{' (editor)' if m['can_edit'] else ''}"
        for m in d["members"]
    ]
    lines += [f"  endpoint {e['id']} {e['name']}" for e in d["endpoints"]]
    lines += [f"  escalation {p['id']} {p['name']}" for p in d["escalations"]]
    return "\n".join(lines)


@project_app.command("create")
@friendly_errors
def project_create(
    name: str,
    org: str = OrgOption,
    description: str = typer.Option("", help="What the team looks after."),
    restricted: bool = typer.Option(False, help="Only owners and the project's editors change it."),
    timezone: str | None = typer.Option(
        None, help="IANA zone its business-hours rules read (default: the organization's)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a project."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        project = projects.create_project(
            session,
            org_id=organization.id,
            name=name,
            description=description,
            restricted=restricted,
            timezone=timezone,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _project(project)
    emit(as_json, data, f"created project {data['id']} {data['name']}")


@project_app.command("list")
@friendly_errors
def project_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Every project."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [_project(p) for p in projects.list_projects(session, org_id=organization.id)]
    columns = ["id", "name", "restricted", "timezone"]
    emit(as_json, rows, table(rows, columns, empty="no projects"))


@project_app.command("show")
@friendly_errors
def project_show(project_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """A project with its members, endpoints and escalation policies."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        data = _project_detail(session, organization.id, project_id)
    emit(as_json, data, _detail_text(data))


@project_app.command("update")
@friendly_errors
def project_update(
    project_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None),
    description: str | None = typer.Option(None),
    restricted: bool | None = typer.Option(None, "--restricted/--unrestricted"),
    timezone: str | None = typer.Option(
        None, help='IANA zone its business-hours rules read; "" for the organization\'s.'
    ),
    as_json: bool = JsonOption,
) -> None:
    """Change a project's name, description, restriction or time zone."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        project = projects.update_project(
            session,
            org_id=organization.id,
            project_id=project_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            name=name,
            description=description,
            restricted=restricted,
            timezone=timezone,
        )
        data = _project(project)
    emit(as_json, data, f"updated project {data['id']} {data['name']}")


@project_app.command("delete")
@friendly_errors
def project_delete(project_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete a project; what belonged to it stays, in no project."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        projects.delete_project(
            session,
            org_id=organization.id,
            project_id=project_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"deleted": project_id}, f"deleted project {project_id}")


@project_app.command("add-member")
@friendly_errors
def project_add_member(
    project_id: str,
    user_id: str,
    org: str = OrgOption,
    can_edit: bool = typer.Option(False, help="May change the project when it is restricted."),
    as_json: bool = JsonOption,
) -> None:
    """Add a member to the project (or change whether they may edit it)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        projects.add_project_member(
            session,
            org_id=organization.id,
            project_id=project_id,
            user_id=user_id,
            can_edit=can_edit,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _project_detail(session, organization.id, project_id)
    emit(as_json, data, _detail_text(data))


@project_app.command("remove-member")
@friendly_errors
def project_remove_member(
    project_id: str, user_id: str, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    """Take a member out of the project."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        projects.remove_project_member(
            session,
            org_id=organization.id,
            project_id=project_id,
            user_id=user_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _project_detail(session, organization.id, project_id)
    emit(as_json, data, _detail_text(data))


@project_app.command("move-endpoint")
@friendly_errors
def project_move_endpoint(
    endpoint_id: str,
    org: str = OrgOption,
    project: str | None = typer.Option(None, help="The project; none takes it out of any."),
    as_json: bool = JsonOption,
) -> None:
    """Put an endpoint in a project, or in none."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        endpoint = endpoints.move_endpoint(
            session,
            org_id=organization.id,
            endpoint_id=endpoint_id,
            project_id=project,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = {"endpoint_id": endpoint.id, "project_id": endpoint.project_id}
    emit(as_json, data, f"{endpoint_id} is in {data['project_id'] or 'no project'}")


@project_app.command("move-escalation")
@friendly_errors
def project_move_escalation(
    escalation_id: str,
    org: str = OrgOption,
    project: str | None = typer.Option(None, help="The project; none takes it out of any."),
    as_json: bool = JsonOption,
) -> None:
    """Put an escalation policy in a project, or in none."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        policy = endpoints.move_policy(
            session,
            org_id=organization.id,
            policy_id=escalation_id,
            project_id=project,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = {"escalation_id": policy.id, "project_id": policy.project_id}
    emit(as_json, data, f"{escalation_id} is in {data['project_id'] or 'no project'}")


# Who is on call, per person and per project ------------------------------------------------------


@people_app.command("shifts")
@friendly_errors
def people_shifts(
    user_id: str,
    org: str = OrgOption,
    next_count: int = typer.Option(10, "--next", help="How many shifts, from the one in progress."),
    as_json: bool = JsonOption,
) -> None:
    """The member's shift in progress and their next ones, in every schedule."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        found = who.member_shifts(
            session,
            org_id=organization.id,
            user_id=user_id,
            window=None,
            now=runtime.clock.now(),
            count=next_count,
        )
        rows = _shift_rows(session, organization.id, found)
    lines = [f"{r['starts_at']} .. {r['ends_at']}  {r['schedule_name']}" for r in rows]
    emit(as_json, rows, "\n".join(lines) or f"no shifts in the next {who.LOOKAHEAD.days} days")


@project_app.command("shifts")
@friendly_errors
def project_shifts(
    project_id: str,
    org: str = OrgOption,
    next_count: int = typer.Option(10, "--next", help="How many shifts, from those in progress."),
    as_json: bool = JsonOption,
) -> None:
    """The next shifts of every schedule of the project, by start."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        found = who.project_shifts(
            session,
            org_id=organization.id,
            project_id=project_id,
            window=None,
            now=runtime.clock.now(),
            count=next_count,
        )
        rows = _shift_rows(session, organization.id, found)
    lines = [
        f"{r['starts_at']} .. {r['ends_at']}  {r['name']}  ({r['schedule_name']})" for r in rows
    ]
    emit(as_json, rows, "\n".join(lines) or f"no shifts in the next {who.LOOKAHEAD.days} days")


def _shift_rows(session: Session, org_id: str, found: who.Shifts) -> list[dict[str, str]]:
    names = {row.id: row.name for row in schedules.all_schedules(session, org_id=org_id)}
    return [
        {
            "schedule_id": schedule_id,
            "schedule_name": names.get(schedule_id, schedule_id),
            "user_id": shift.user_id,
            "name": found.names.get(shift.user_id, shift.user_id),
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
        }
        for schedule_id, shift in found.items
    ]


@project_app.command("oncall")
@friendly_errors
def project_oncall(
    project_id: str,
    org: str = OrgOption,
    at: str | None = typer.Option(None, help="ISO 8601 instant with an offset; now if left out."),
    as_json: bool = JsonOption,
) -> None:
    """Who each schedule of the project has on call, and why."""
    runtime = open_runtime()
    instant = _instant(at) if at else runtime.clock.now()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        found = who.project_on_call(
            session, org_id=organization.id, project_id=project_id, at=instant
        )
    data: dict[str, Any] = {
        "project_id": project_id,
        "at": instant.isoformat(),
        "schedules": [
            {
                "schedule_id": now.schedule_id,
                "schedule_name": now.schedule_name,
                "user_ids": now.user_ids,
                "names": [now.names.get(user_id, user_id) for user_id in now.user_ids],
                "description": now.describe(),
            }
            for now in found
        ],
    }
    lines = [item["description"] for item in data["schedules"]]
    emit(as_json, data, "\n".join(lines) or "the project has no schedules")


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"--at: {text!r} is not an ISO 8601 date and time") from exc
    if value.tzinfo is None:
        raise CliError(f"--at: {text!r} needs an offset, e.g. 2026-01-05T09:00+00:00")
    return value
