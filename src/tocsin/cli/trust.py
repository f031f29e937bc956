"""Trust and safety from the shell: platform administrators and enforcement actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.common import CLI_ACTOR, JsonOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust import enforcement
from tocsin.trust.queries import actions_about
from tocsin.trust.staff import set_platform_admin

admin_app = group("admin")
enforcement_app = group("enforcement")


@admin_app.command("grant")
@friendly_errors
def admin_grant(
    email: str,
    revoke: bool = typer.Option(False, "--revoke", help="Take the role away instead."),
    as_json: bool = JsonOption,
) -> None:
    """Make a user a platform administrator: they can act on any organization."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        user = set_platform_admin(
            session, email=email, admin=not revoke, actor=CLI_ACTOR, now=runtime.clock.now()
        )
        data = {"user_id": user.id, "platform_role": user.platform_role}
    verb = "is no longer" if revoke else "is now"
    emit(as_json, data, f"{email} {verb} a platform administrator")


def _describe(action: EnforcementAction) -> dict[str, Any]:
    return {
        "id": action.id,
        "kind": action.kind,
        "scope": action.scope,
        "target_id": action.target_id,
        "org_id": action.org_id,
        "reason": action.reason,
        "starts_at": action.starts_at,
        "ends_at": action.ends_at,
        "lifted_at": action.lifted_at,
    }


def _line(action: dict[str, Any]) -> str:
    state = "lifted" if action["lifted_at"] else "active"
    until = f" until {action['ends_at']:%Y-%m-%d %H:%M}" if action["ends_at"] else ""
    return (
        f"{action['id']}  {action['kind']:<11} {action['scope']:<12} {action['target_id']}  "
        f"{state}{until}  {action['reason']}"
    )


@enforcement_app.command("take")
@friendly_errors
def enforcement_take(
    kind: ActionKind,
    scope: ActionScope,
    target: str,
    reason: str = typer.Option(..., help="Why; the organization sees it."),
    until: datetime | None = typer.Option(None, help="When a suspension ends (UTC)."),
    as_json: bool = JsonOption,
) -> None:
    """Warn, suspend or terminate a user, organization, endpoint or number, at once."""
    runtime = open_runtime()
    now = runtime.clock.now()
    ends_at = until.replace(tzinfo=until.tzinfo or now.tzinfo) if until else None
    with runtime.database.write() as session:
        action, cancelled = enforcement.take_action(
            session,
            kind=kind,
            scope=scope,
            target=target,
            reason=reason,
            actor=CLI_ACTOR,
            now=now,
            ends_at=ends_at,
            digest_key=runtime.billing_digest_key,
        )
        data = {**_describe(action), "calls_cancelled": cancelled}
    emit(as_json, data, f"{_line(data)}\n{cancelled} queued calls cancelled")


@enforcement_app.command("list")
@friendly_errors
def enforcement_list(
    org: str | None = typer.Option(None, help="Organization id or slug."),
    target: str | None = typer.Option(None, help="A user, endpoint or organization id."),
    as_json: bool = JsonOption,
) -> None:
    """Actions, newest first."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id if org else None
        page = actions_about(session, org_id=org_id, target_id=target, limit=200)
        data = [_describe(action) for action in page.items]
    columns = ["id", "kind", "scope", "target_id", "starts_at", "ends_at", "lifted_at", "reason"]
    emit(as_json, data, table(data, columns, empty="no actions"))


@enforcement_app.command("lift")
@friendly_errors
def enforcement_lift(action_id: str, as_json: bool = JsonOption) -> None:
    """End an action now."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        action = enforcement.lift(
            session, action_id=action_id, actor=CLI_ACTOR, now=runtime.clock.now()
        )
        data = _describe(action)
    emit(as_json, data, f"lifted {action_id}")
