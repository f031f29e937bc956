"""Plans, usage and billing from the shell."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.audit import trail
from tocsin.billing.commands import set_plan, start_trial
from tocsin.billing.plans import Plan
from tocsin.billing.queries import Standing, standing_of
from tocsin.billing.refund_requests import (
    RefundAnswer,
    answer_refund_request,
    record_refund_request,
)
from tocsin.cli.common import CLI_ACTOR, CliError, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import app, group
from tocsin.core.pagination import MAX_LIMIT
from tocsin.paging.usage_report import MAX_DAYS, Usage, usage_report

plan_app = group("plan")
billing_app = group("billing")


def _plan_line(plan: Plan) -> str:
    international = "international" if plan.international_calling else "national only"
    return (
        f"{plan.code:<12} {plan.name:<12} {plan.monthly_calls:>6}/month {plan.daily_calls:>5}/day "
        f"spend {plan.monthly_spend_cents / 100:>8.2f}  endpoints {plan.endpoints}, contacts "
        f"{plan.contacts}, members {plan.members}, audit {plan.audit_retention_days} d, "
        f"{international}"
    )


@plan_app.command("list")
@friendly_errors
def plan_list(as_json: bool = JsonOption) -> None:
    """The plans this server offers, with every cap."""
    runtime = open_runtime()
    plans = list(runtime.billing.catalog.values())
    emit(
        as_json,
        [plan.describe() for plan in plans],
        "\n".join(_plan_line(plan) for plan in plans),
    )


@plan_app.command("set")
@friendly_errors
def plan_set(
    plan: str,
    org: str = OrgOption,
    until: datetime | None = typer.Option(
        None, help="When the plan ends (UTC, ISO 8601); then the default plan applies."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Put an organization on a plan, e.g. one billed outside Paddle."""
    runtime = open_runtime()
    now = runtime.clock.now()
    ends_at = until.replace(tzinfo=until.tzinfo or now.tzinfo) if until else None
    if ends_at is not None and ends_at <= now:
        raise CliError("--until must be in the future")
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        chosen = set_plan(
            session,
            org_id=organization.id,
            plan=plan,
            ends_at=ends_at,
            billing=runtime.billing,
            actor=CLI_ACTOR,
            now=now,
        )
        data = {"org_id": organization.id, "plan": chosen.code, "ends_at": ends_at}
    until_text = f" until {ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else ""
    emit(as_json, data, f"{org} is on the {chosen.name} plan{until_text}")


def _usage_data(usage: Usage) -> dict[str, Any]:
    return {
        "plan": usage.plan.code,
        "timezone": usage.timezone,
        "calls_left": usage.calls_left,
        "today": {
            "date": usage.today,
            "calls": usage.calls_today,
            "limit": usage.daily_calls,
            "resets_at": usage.day_resets_at,
        },
        "month": {
            "month": usage.month,
            "calls": usage.calls_this_month,
            "limit": usage.monthly_calls,
            "spend_cents": usage.spend_cents_this_month,
            "spend_limit_cents": usage.monthly_spend_cents,
            "resets_at": usage.month_resets_at,
        },
        "per_day": [day.__dict__ for day in usage.per_day],
        "per_endpoint": [row.__dict__ for row in usage.per_endpoint],
    }


def _usage_text(usage: Usage) -> str:
    lines = [
        f"plan {usage.plan.name} ({usage.timezone})",
        f"today {usage.today}: {usage.calls_today} of {usage.daily_calls} calls",
        f"month {usage.month}: {usage.calls_this_month} of {usage.monthly_calls} calls, "
        f"spend {usage.spend_cents_this_month / 100:.2f} of {usage.monthly_spend_cents / 100:.2f}",
        f"calls left: {usage.calls_left}",
        "per day:",
        *(f"  {day.date}  {day.calls}" for day in usage.per_day if day.calls),
        "per endpoint this month:",
        *(
            f"  {row.endpoint_id}  {row.name or '(deleted)'}  {row.calls}"
            for row in usage.per_endpoint
        ),
    ]
    return "\n".join(lines)


@app.command("usage")
@friendly_errors
def usage(
    org: str = OrgOption,
    days: int = typer.Option(30, min=1, max=MAX_DAYS, help="Days of per-day figures."),
    as_json: bool = JsonOption,
) -> None:
    """Calls used and left today and this month, per day and per endpoint."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        report = usage_report(
            session,
            org_id=organization.id,
            billing=runtime.billing,
            now=runtime.clock.now(),
            days=days,
        )
        data, text = _usage_data(report), _usage_text(report)
    emit(as_json, data, text)


def _trial_line(standing: Standing) -> str:
    trial = standing.trial
    if trial is None:
        return "available" if standing.trial_available else "not available"
    if trial.ended_at is not None:
        return f"{trial.started_at:%Y-%m-%d}, ended {trial.ended_at:%Y-%m-%d} ({trial.end_reason})"
    return f"{trial.started_at:%Y-%m-%d} to {trial.ends_at:%Y-%m-%d}"


@billing_app.command("show")
@friendly_errors
def billing_show(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Plan in force, subscription, trial and the chargebacks of the last 12 months."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        standing = standing_of(
            session,
            org_id=organization.id,
            billing=runtime.billing,
            digest_key=runtime.billing_digest_key,
            now=runtime.clock.now(),
        )
        subscription = standing.subscription
        data = {
            "plan": standing.plan.code,
            "plan_held": standing.plan_held,
            "plan_ends_at": standing.plan_ends_at,
            "subscription": (
                {
                    "id": subscription.id,
                    "status": subscription.status,
                    "plan": subscription.plan,
                    "cancel_at": subscription.cancel_at,
                }
                if subscription
                else None
            ),
            "trial": (
                {
                    "started_at": standing.trial.started_at,
                    "ends_at": standing.trial.ends_at,
                    "ended_at": standing.trial.ended_at,
                    "end_reason": standing.trial.end_reason,
                }
                if standing.trial
                else None
            ),
            "trial_available": standing.trial_available,
            "chargebacks": {
                **standing.chargebacks.__dict__,
                "violations": [
                    {
                        "rule": violation.rule.value,
                        "key": violation.key,
                        "chargeback_ids": list(violation.chargeback_ids),
                        "summary": violation.summary,
                    }
                    for violation in standing.chargebacks.violations
                ],
            },
        }
    chargebacks = standing.chargebacks
    text = "\n".join(
        [
            f"plan: {standing.plan.name}"
            + (
                f" until {standing.plan_ends_at:%Y-%m-%d %H:%M} UTC"
                if standing.plan_ends_at
                else ""
            ),
            "subscription: "
            + (f"{subscription.id} {subscription.status}" if subscription else "none"),
            "trial: " + _trial_line(standing),
            f"chargebacks (12 months): {chargebacks.filed} filed: {chargebacks.unsubstantiated} "
            f"unsubstantiated, {chargebacks.bad_faith} bad faith, {chargebacks.excused} excused, "
            f"{chargebacks.standing} standing; {chargebacks.warnings} warnings; "
            f"{len(chargebacks.violations)} violations",
        ]
    )
    emit(as_json, data, text)


@billing_app.command("trial")
@friendly_errors
def billing_trial(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Start an organization's free trial (refused if its owner, email, card or numbers
    already had one)."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        answer = start_trial(
            session,
            org_id=organization.id,
            billing=runtime.billing,
            digest_key=runtime.billing_digest_key,
            actor=CLI_ACTOR,
            now=now,
            source="cli",
        )
    # Raised once committed: a refusal stays recorded, as when the API refuses one.
    trial = answer.started()
    data = {"org_id": organization.id, "ends_at": trial.ends_at}
    emit(as_json, data, f"trial started; it ends {trial.ends_at:%Y-%m-%d %H:%M} UTC")


@billing_app.command("notices")
@friendly_errors
def billing_notices(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """What the organization's owners were told (quota, payments, trials)."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        found = trail.list_notices(session, organization.id, limit=MAX_LIMIT).items
        data = [
            {
                "kind": n.kind,
                "message": n.message,
                "created_at": n.created_at,
                "read": bool(n.read_at),
            }
            for n in found
        ]
    emit(
        as_json,
        data,
        "\n".join(f"{n['created_at']:%Y-%m-%d %H:%M}  {n['kind']:<18} {n['message']}" for n in data)
        or "no notices",
    )


@billing_app.command("refund-request")
@friendly_errors
def billing_refund_request(
    org: str = OrgOption,
    transaction: str = typer.Option(..., "--transaction", help="Paddle transaction id (txn_...)"),
    requested_at: datetime | None = typer.Option(
        None, help="When the customer asked (UTC, ISO 8601); now when omitted."
    ),
    note: str = typer.Option("", help="How and what they asked."),
    as_json: bool = JsonOption,
) -> None:
    """Record a refund request the customer made outside Paddle (to support). A chargeback
    after one went unanswered for 14 days is excused by the terms."""
    runtime = open_runtime()
    now = runtime.clock.now()
    asked_at = (
        requested_at.replace(tzinfo=requested_at.tzinfo or now.tzinfo) if requested_at else None
    )
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        request = record_refund_request(
            session,
            org_id=organization.id,
            transaction_id=transaction,
            requested_at=asked_at,
            note=note,
            actor=CLI_ACTOR,
            now=now,
        )
        data = {
            "id": request.id,
            "org_id": request.org_id,
            "transaction_id": request.transaction_id,
            "requested_at": request.requested_at,
        }
    emit(as_json, data, f"refund request {data['id']} recorded")


@billing_app.command("refund-answer")
@friendly_errors
def billing_refund_answer(
    request_id: str,
    answer: RefundAnswer = typer.Option(..., help="refunded or refused"),
    note: str = typer.Option("", help="What the customer was told."),
    as_json: bool = JsonOption,
) -> None:
    """Answer a recorded refund request, now."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        request = answer_refund_request(
            session,
            request_id=request_id,
            answer=answer,
            note=note,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = {"id": request.id, "answer": request.answer, "answered_at": request.answered_at}
    emit(as_json, data, f"refund request {data['id']} answered: {data['answer']}")
