"""The trust and safety queue from the shell: list and work cases, answer appeals, act on a
case, and search the platform's audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.audit import trail
from tocsin.audit.trail import AuditEvent
from tocsin.cli.common import CLI_ACTOR, JsonOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.core.actors import Actor
from tocsin.db.session import Session
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.trust import appeals, cases, queries
from tocsin.trust.appeals import Decision
from tocsin.trust.models import CaseKind, CaseStatus, TrustCase
from tocsin.trust.queries import is_overdue
from tocsin.trust.staff import named_administrator

case_app = group("case")
audit_app = group("audit")


def _case(case: TrustCase, now: datetime) -> dict[str, Any]:
    return {
        "id": case.id,
        "kind": case.kind,
        "status": case.status,
        "org_id": case.org_id,
        "summary": case.summary,
        "details": case.details,
        "action_id": case.action_id,
        "assignee_id": case.assignee_id,
        "due_at": case.due_at,
        "overdue": is_overdue(case, now),
        "resolution": case.resolution,
        "created_at": case.created_at,
    }


def _case_line(case: dict[str, Any]) -> str:
    flag = " OVERDUE" if case["overdue"] else ""
    return f"{case['id']}  {case['kind']:<12} {case['status']:<9}{flag}  {case['summary']}"


def _event(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.created_at,
        "org_id": event.org_id,
        "actor": f"{event.actor_type}:{event.actor_id or ''}",
        "action": event.action,
        "target": f"{event.target_type or ''}:{event.target_id or ''}",
        "details": event.details,
    }


def _event_line(event: dict[str, Any]) -> str:
    when = f"{event['at']:%Y-%m-%d %H:%M:%S}"
    return f"{when}  {event['action']:<28} {event['actor']}  {event['target']}"


AS_HELP = "The platform administrator at the shell (email)."


def _actor(session: Session, admin_email: str | None) -> Actor:
    return named_administrator(session, email=admin_email) if admin_email else CLI_ACTOR


@case_app.command("list")
@friendly_errors
def case_list(
    status: CaseStatus | None = typer.Option(CaseStatus.OPEN, help="Only cases in this state."),
    kind: CaseKind | None = typer.Option(None, help="Only this kind of case."),
    org: str | None = typer.Option(None, help="Only this organization's (id or slug)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open cases past their due date."),
    limit: int = typer.Option(100, min=1, max=500),
    as_json: bool = JsonOption,
) -> None:
    """The queue, newest first."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id if org else None
        page = queries.list_cases(
            session,
            now=now,
            status=status,
            kind=kind,
            org_id=org_id,
            overdue=overdue,
            limit=limit,
            cursor=None,
        )
        data = [_case(case, now) for case in page.items]
    columns = ["id", "kind", "status", "overdue", "org_id", "summary"]
    emit(as_json, data, table(data, columns, empty="no cases"))


@case_app.command("show")
@friendly_errors
def case_show(case_id: str, as_json: bool = JsonOption) -> None:
    """A case, its details and everything done about it."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.read() as session:
        case = queries.get_case(session, case_id)
        data = {
            **_case(case, now),
            "history": [_event(event) for event in queries.case_history(session, case.id)],
        }
    lines = [_case_line(data), *(f"  {_event_line(event)}" for event in data["history"])]
    emit(as_json, data, "\n".join(lines))


@case_app.command("update")
@friendly_errors
def case_update(
    case_id: str,
    status: CaseStatus | None = typer.Option(None, help="resolved or dismissed closes it."),
    assign: str | None = typer.Option(None, help="A user's email; empty unassigns."),
    note: str | None = typer.Option(None, help="A note for the trail."),
    resolution: str | None = typer.Option(None, help="Why it is closed."),
    admin_email: str | None = typer.Option(
        None, "--as", help=f"{AS_HELP} Needed to close an appeal."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Assign, annotate, resolve, dismiss or reopen a case."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        assignee = (
            accounts.find_user_by_email(session, assign).id if assign else assign
        )  # "" unassigns
        case = cases.update_case(
            session,
            case_id=case_id,
            actor=_actor(session, admin_email),
            now=now,
            status=status,
            assignee_id=assignee,
            note=note,
            resolution=resolution,
        )
        data = _case(case, now)
    emit(as_json, data, _case_line(data))


@case_app.command("decide")
@friendly_errors
def case_decide(
    case_id: str,
    decision: Decision,
    note: str = typer.Option(..., help="The answer; the organization's owners see it."),
    admin_email: str = typer.Option(
        ..., "--as", help=f"{AS_HELP} Not the one who took the action or filed the appeal."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Answer an appeal: grant lifts its action, uphold keeps it."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        case = appeals.decide(
            session,
            case_id=case_id,
            decision=decision,
            note=note,
            actor=_actor(session, admin_email),
            now=now,
        )
        data = _case(case, now)
    emit(as_json, data, _case_line(data))


@case_app.command("appeal")
@friendly_errors
def case_appeal(
    action_id: str,
    statement: str = typer.Option(..., help="What the person asking said, and how they asked."),
    admin_email: str = typer.Option(..., "--as", help=f"{AS_HELP} They do not decide it."),
    as_json: bool = JsonOption,
) -> None:
    """File an appeal for someone who asked another way (by mail, say), against an action of
    any scope."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        case = appeals.file_appeal(
            session,
            org_id=None,
            action_id=action_id,
            statement=statement,
            actor=_actor(session, admin_email),
            now=now,
        )
        data = _case(case, now)
    emit(as_json, data, _case_line(data))


@case_app.command("act")
@friendly_errors
def case_act(
    case_id: str,
    kind: ActionKind,
    scope: ActionScope,
    target: str,
    reason: str = typer.Option(..., help="Why; the organization sees it."),
    admin_email: str | None = typer.Option(None, "--as", help=AS_HELP),
    as_json: bool = JsonOption,
) -> None:
    """Take an enforcement action because of a case; the case records it."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        action, cancelled = cases.act_on_case(
            session,
            case_id=case_id,
            kind=kind,
            scope=scope,
            target=target,
            reason=reason,
            actor=_actor(session, admin_email),
            now=now,
            digest_key=runtime.billing_digest_key,
        )
        data = {"case_id": case_id, "action_id": action.id, "calls_cancelled": cancelled}
    emit(as_json, data, f"{kind.value} {action.id} taken; {cancelled} queued calls cancelled")


@audit_app.command("search")
@friendly_errors
def audit_search(
    org: str | None = typer.Option(None, help="Organization id or slug."),
    action: str | None = typer.Option(None, help="An action, or a prefix ending in '.'."),
    target: str | None = typer.Option(None, help="A target id."),
    actor: str | None = typer.Option(None, help="An actor id."),
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Audit events, newest first."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id if org else None
        page = trail.search(
            session, org_id=org_id, action=action, target_id=target, actor_id=actor, limit=limit
        )
        data = [_event(event) for event in page.items]
    columns = ["at", "action", "actor", "target", "org_id"]
    emit(as_json, data, table(data, columns, empty="no events"))
