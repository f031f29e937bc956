"""Paging configuration from the shell: escalation policies, an endpoint's rules and template,
the do-not-call list, and the escalation auditor."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.admin import endpoint_app
from tocsin.cli.common import (
    CLI_ACTOR,
    CliError,
    JsonOption,
    OrgOption,
    emit,
    emit_table,
    every,
    fail,
    friendly_errors,
)
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.endpoints import commands, queries
from tocsin.endpoints.checks import checked_template
from tocsin.engine.auditor import audit_and_report
from tocsin.http.api.schemas.policies import EscalationOut
from tocsin.http.api.schemas.trust import DoNotCallAdded, DoNotCallOut
from tocsin.intake.preview import preview
from tocsin.numbers import do_not_call
from tocsin.paging.opt_out import stop_calling
from tocsin.trust.retention import purge_audit_log

escalation_app = group("escalation")
number_app = group("number")
engine_app = group("engine")


def _read(path: Path) -> str:
    return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")


def _rules_file(path: Path) -> list[dict[str, Any]]:
    try:
        rules = json.loads(_read(path))
    except ValueError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(rules, list):
        raise CliError(f"{path} must hold a JSON list of rules")
    return rules


def _step(text: str) -> dict[str, Any]:
    """call:ID[,ID...], notify:ID[,ID...] (a text, never a call), wait:MINUTES or
    repeat:TIMES."""
    kind, _, value = text.partition(":")
    if kind in ("call", "notify") and value:
        step: dict[str, Any] = {"type": "call"}
        if kind == "notify":
            step["notify_only"] = True
        return {**step, "contact_ids": [part.strip() for part in value.split(",")]}
    try:
        if kind == "wait":
            return {"type": "wait", "minutes": float(value)}
        if kind == "repeat":
            return {"type": "repeat", "times": int(value)}
    except ValueError:
        pass
    raise CliError(
        "--step must be call:ID[,ID...], notify:ID[,ID...], wait:MINUTES or repeat:TIMES, "
        f"got {text!r}"
    )


def steps_of(items: list[str]) -> list[dict[str, Any]]:
    """--step options, in order, as an escalation policy's steps."""
    return [_step(item) for item in items]


@escalation_app.command("create")
@friendly_errors
def escalation_create(
    name: str,
    org: str = OrgOption,
    step: list[str] = typer.Option(
        ...,
        help="call:ID[,ID...], notify:ID[,ID...] (text only), wait:MINUTES or repeat:TIMES; "
        "repeat, in order.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create an escalation policy, e.g. --step call:ct_a --step wait:5 --step call:ct_b."""
    steps = steps_of(step)
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        policy = commands.create_policy(
            session, org_id=organization.id, name=name, steps=steps, actor=CLI_ACTOR, now=now
        )
        data = EscalationOut.model_validate(policy).model_dump(mode="json")
    emit(as_json, data, f"created escalation policy {data['id']}")


@escalation_app.command("list")
@friendly_errors
def escalation_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An organization's escalation policies."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        items = [
            EscalationOut.model_validate(policy).model_dump(mode="json")
            for policy in every(partial(queries.list_policies, session, org_id=org_id))
        ]
    rows = [{**item, "steps": len(item["steps"])} for item in items]
    human = table(rows, ["id", "name", "steps", "project_id", "updated_at"], empty="")
    emit(as_json, items, human or "no escalation policies")


@endpoint_app.command("configure")
@friendly_errors
def endpoint_configure(
    endpoint_id: str,
    org: str = OrgOption,
    rules: Path | None = typer.Option(None, help="JSON file of rules ('-' for stdin)."),
    template: Path | None = typer.Option(None, help="Template file ('-' for stdin)."),
    default_template: bool = typer.Option(False, help="Go back to the default template."),
    as_json: bool = JsonOption,
) -> None:
    """Set an endpoint's scenario (rules) and what its calls say (template)."""
    new_rules = _rules_file(rules) if rules is not None else None
    new_template = "" if default_template else (_read(template) if template else None)
    runtime = open_runtime()
    now = runtime.clock.now()
    # Rendering takes up to the cage's time limit: not inside the write transaction.
    checked_template(new_template)
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        endpoint = commands.update_endpoint(
            session,
            org_id=organization.id,
            endpoint_id=endpoint_id,
            actor=CLI_ACTOR,
            now=now,
            rules=new_rules,
            template=new_template,
        )
        count = len(endpoint.rules)
        data = {"id": endpoint.id, "rules": endpoint.rules, "template": endpoint.template}
    emit(as_json, data, f"configured endpoint {endpoint_id}: {count} rules")


@endpoint_app.command("preview")
@friendly_errors
def endpoint_preview(
    endpoint_id: str,
    org: str = OrgOption,
    file: Path = typer.Option(..., help="A sample webhook body ('-' for stdin)."),
    as_json: bool = JsonOption,
) -> None:
    """Show how the endpoint would read, route and word a webhook, calling no one."""
    body = _read(file).encode()
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        endpoint = queries.get_endpoint(session, org_id=organization.id, endpoint_id=endpoint_id)
        result = preview(
            session,
            endpoint=endpoint,
            body=body,
            content_type="application/json",
            now=runtime.clock.now(),
            max_characters=runtime.settings.max_spoken_characters,
            actor=CLI_ACTOR,
            limiter=runtime.rate_limiter,
            paging=runtime.paging,
        )
    first_calls = [target.phone_e164 for target in result.first_calls]
    data = {
        "source": result.source,
        "title": result.title,
        "severity": result.severity,
        "route": result.route.describe(),
        "first_calls": first_calls,
        "spoken_text": result.spoken_text,
        "template_problem": result.template_problem,
    }
    human = (
        f"read as {result.source}: {result.title} ({result.severity})\n"
        f"route: {result.route.describe()}\n"
        f"calls first: {', '.join(first_calls) or 'nobody'}\n"
        f"says: {result.spoken_text}"
        + (f"\ntemplate problem: {result.template_problem}" if result.template_problem else "")
    )
    emit(as_json, data, human)


@number_app.command("stop")
@friendly_errors
def number_stop(
    number: str,
    org: str = OrgOption,
    region: str | None = typer.Option(None, help="Country for a national number."),
    as_json: bool = JsonOption,
) -> None:
    """Stop calling a number for an organization, at once; its queued calls are cancelled."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        entry, cancelled = stop_calling(
            session,
            org_id=organization.id,
            number=do_not_call.e164_of(number, region or organization.home_region),
            source="cli",
            actor=CLI_ACTOR,
            now=now,
        )
        data = DoNotCallAdded(
            **DoNotCallOut.model_validate(entry).model_dump(), calls_cancelled=cancelled
        ).model_dump(mode="json")
    emit(
        as_json,
        data,
        f"{data['phone_e164']} will not be called; {cancelled} queued call(s) cancelled",
    )


@number_app.command("list")
@friendly_errors
def number_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Numbers the organization does not call."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        items = [
            DoNotCallOut.model_validate(entry).model_dump(mode="json")
            for entry in every(partial(do_not_call.list_entries, session, org_id=org_id))
        ]
    emit_table(
        as_json, items, ["phone_e164", "source", "created_at", "lifted_at"], empty="no numbers"
    )


@engine_app.command("audit")
@friendly_errors
def engine_audit(as_json: bool = JsonOption) -> None:
    """Look for escalations nothing is moving, mend what is safe, and list them all. Exits 1
    when anything was found, so it can run from a monitoring check."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        findings = audit_and_report(session, now=runtime.clock.now())
    data = [asdict(finding) for finding in findings]
    human = "\n".join(f"{f.kind}: alert {f.alert_id} of {f.org_id}: {f.detail}" for f in findings)
    emit(as_json, data, human or "no stuck escalations")
    if findings:
        fail(f"{len(findings)} stuck escalation(s) or call(s)")


@engine_app.command("purge")
@friendly_errors
def engine_purge(as_json: bool = JsonOption) -> None:
    """Delete audit events older than each organization's plan keeps them, and trust and
    safety evidence older than TOCSIN_EVIDENCE_RETENTION_DAYS (workers also do this every
    hour)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        removed = purge_audit_log(
            session,
            billing=runtime.billing,
            evidence_days=runtime.settings.evidence_retention_days,
            now=runtime.clock.now(),
        )
    emit(as_json, {"removed": removed}, f"{removed} audit events removed")
