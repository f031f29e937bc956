"""`tocsin alert ...`: list alerts, read one's timeline, acknowledge and resolve from the shell."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.common import CLI_ACTOR, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.core.actors import Actor
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.db.session import Session
from tocsin.http.api.alerts import alert_detail
from tocsin.http.api.schemas.alerts import AlertDetailOut, AlertOut
from tocsin.paging import lifecycle, queries
from tocsin.paging.models import Alert

alert_app = group("alert")


class AlertAction(Protocol):
    def __call__(
        self, session: Session, *, org_id: str, alert_id: str, actor: Actor, now: datetime
    ) -> Alert: ...


# How each job tells: the word `alert show` puts before its number (or member).
_HOW = {"voice": "call", "sms": "text", "email": "e-mail to"}


@alert_app.command("list")
@friendly_errors
def alert_list(
    org: str = OrgOption,
    status: str | None = typer.Option(None, help="open, acknowledged or resolved."),
    limit: int = typer.Option(DEFAULT_LIMIT, help="How many, newest first."),
    as_json: bool = JsonOption,
) -> None:
    """The organization's alerts, newest first."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        page = queries.list_alerts(
            session, org_id=organization.id, limit=limit, cursor=None, status=status
        )
        items = [AlertOut.model_validate(alert).model_dump(mode="json") for alert in page.items]
    columns = ["id", "status", "severity", "title", "created_at"]
    emit(as_json, items, table(items, columns, empty="no alerts"))


def _timeline_line(entry: dict[str, Any]) -> str:
    details = entry["details"] or {}
    shown = ", ".join(
        f"{key}={value}" for key, value in details.items() if key not in ("escalation_id",)
    )
    who = entry["actor_type"] + (f":{entry['actor_id']}" if entry["actor_id"] else "")
    return f"{entry['at'][:19].replace('T', ' ')}  {entry['action']:<26} {who}  {shown}".rstrip()


def _describe(detail: AlertDetailOut) -> str:
    data = detail.model_dump(mode="json")
    lines = [
        f"{data['id']}: {data['title']}",
        f"  status {data['status']}, severity {data['severity']}, from {data['source']}",
    ]
    if (data["acknowledged_by"] or "").startswith("simulator:"):
        lines.append(
            "  acknowledged by the simulator's made-up callee: SIMULATED, nobody was called"
        )
    simulated = sum(1 for call in data["calls"] if call["simulated"])
    if simulated:
        lines.append(f"  {simulated} of {len(data['calls'])} call(s) SIMULATED: nobody was called")
    escalation = data["escalation"]
    if escalation and escalation["status"] == "exhausted" and data["status"] == "open":
        lines.append(
            "  NOBODY ANSWERED: every step of the escalation ran; the owners were told, and a "
            "new notification for this alert starts it again"
        )
    if escalation:
        lines.append(
            f"  escalation {escalation['status']}: step {escalation['step']} of "
            f"{escalation['steps']}, round {escalation['round']}"
            + (f", next at {escalation['next_at'][:19]}" if escalation["next_at"] else "")
        )
    for job in data["jobs"]:
        how = _HOW.get(job.get("channel", "voice"), job.get("channel", "voice"))
        line = f"  {how} {job['to_number']}: {job['outcome'] or job['status']}, "
        line += f"{job['attempts']} attempt(s)"
        if job["held_until"]:
            line += f", held until {job['held_until'][:19]} ({job['hold_reason']})"
        lines.append(line)
    lines.append("timeline:")
    lines += [f"  {_timeline_line(entry)}" for entry in data["timeline"]]
    return "\n".join(lines)


@alert_app.command("show")
@friendly_errors
def alert_show(alert_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One alert: its escalation, calls and every step of its timeline."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        detail = alert_detail(
            session, queries.get_alert(session, org_id=organization.id, alert_id=alert_id)
        )
    emit(as_json, detail.model_dump(mode="json"), _describe(detail))


def _act(action: AlertAction, alert_id: str, org: str, as_json: bool, done: str) -> None:
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        alert = action(session, org_id=organization.id, alert_id=alert_id, actor=CLI_ACTOR, now=now)
        data = AlertOut.model_validate(alert).model_dump(mode="json")
    emit(as_json, data, f"{done} {alert_id}")


@alert_app.command("ack")
@friendly_errors
def alert_ack(alert_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Acknowledge an alert: its calls stop."""
    _act(lifecycle.acknowledge, alert_id, org, as_json, "acknowledged")


@alert_app.command("resolve")
@friendly_errors
def alert_resolve(alert_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Resolve an alert: its calls stop."""
    _act(lifecycle.resolve, alert_id, org, as_json, "resolved")
