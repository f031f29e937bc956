"""Request and response bodies of the billing and usage API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.audit.trail import Notice
from tocsin.billing.chargebacks import ChargebackSummary
from tocsin.billing.plans import Plan
from tocsin.http.api.schemas.common import CreatedAt, OwnId, shown
from tocsin.http.api.schemas.fields import Id
from tocsin.organizations.notice_mail import mail_state
from tocsin.paging.usage_report import Usage


class PlanOut(BaseModel):
    model_config = shown(
        {
            "code": "team",
            "name": "Team",
            "monthly_calls": 500,
            "daily_calls": 100,
            "monthly_spend_cents": 5000,
            "endpoints": 20,
            "contacts": 50,
            "members": 10,
            "audit_retention_days": 365,
            "international_calling": True,
            "paid": True,
            "trial_days": 14,
        }
    )

    code: str = Field(description="The plan's code")
    name: str = Field(description="Its name")
    monthly_calls: int = Field(description="Calls a month")
    daily_calls: int = Field(description="Calls a day (the organization's midnight)")
    monthly_spend_cents: int = Field(description="The most its calls may cost a month, in cents")
    endpoints: int = Field(description="Endpoints at most")
    contacts: int = Field(description="Contacts at most")
    members: int = Field(description="Members at most")
    audit_retention_days: int = Field(description="Days the audit trail is kept")
    international_calling: bool = Field(description="Whether calls abroad are possible")
    paid: bool = Field(description="Whether it is paid for")
    trial_days: int = Field(description="Days of its free trial; 0: none")

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(**plan.describe())


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    status: str = Field(description="Paddle's status: active, past_due, paused, canceled...")
    plan: str | None = Field(description="The plan it pays for")
    price_id: str | None = Field(description="Paddle's price")
    period_starts_at: datetime | None = Field(description="The paid period's start")
    period_ends_at: datetime | None = Field(description="Its end: the next renewal")
    cancel_at: datetime | None = Field(description="When it is set to end")
    canceled_at: datetime | None = Field(description="When it ended")
    cancel_url: str | None = Field(
        description="Paddle's customer portal page to cancel (at the end of the period)"
    )
    update_payment_url: str | None = Field(description="Paddle's page to change the card")


class TrialOut(BaseModel):
    model_config = shown(
        {
            "id": "trl_01m8ycrxap78197genycv3nvhg",
            "source": "api",
            "started_at": "2025-01-01T12:00:00Z",
            "ends_at": "2025-01-15T12:00:00Z",
            "ended_at": None,
            "end_reason": None,
        },
        from_attributes=True,
    )

    id: OwnId
    source: str = Field(description="How it began: api, dashboard...")
    started_at: datetime = Field(description="When it began")
    ends_at: datetime = Field(description="When it ends")
    ended_at: datetime | None = Field(
        None, description="Set when the trial was ended early: a claim of it had had a trial"
    )
    end_reason: str | None = Field(None, description="e.g. claim_used:phone")


class ViolationOut(BaseModel):
    rule: str = Field(description="bad_faith or repeated_unsubstantiated")
    key: str = Field(description="What it counts by: the billing entity")
    chargeback_ids: list[str] = Field(description="The chargebacks that make it")
    summary: str = Field(description="It in words")


class ChargebacksOut(BaseModel):
    """Chargebacks filed in the window, by the verdict of the terms' chargeback rule."""

    filed: int = Field(description="Chargebacks filed")
    standing: int = Field(description="not reversed: the dispute holds or is undecided")
    unsubstantiated: int = Field(description="withdrawn or decided in our favour")
    bad_faith: int = Field(description="filed after a refund of the payment was issued")
    excused: int = Field(description="filed after a refund request went unanswered 14 days")
    reversed: int = Field(description="Reversed in our favour")
    warnings: int = Field(description="Warnings given under the rule")
    violations: list[ViolationOut] = Field(description="Breaches of the chargeback rule")
    window_days: int = Field(description="The days counted")

    @classmethod
    def of(cls, summary: ChargebackSummary) -> ChargebacksOut:
        return cls(
            filed=summary.filed,
            standing=summary.standing,
            unsubstantiated=summary.unsubstantiated,
            bad_faith=summary.bad_faith,
            excused=summary.excused,
            reversed=summary.reversed,
            warnings=summary.warnings,
            violations=[
                ViolationOut(
                    rule=violation.rule.value,
                    key=violation.key,
                    chargeback_ids=list(violation.chargeback_ids),
                    summary=violation.summary,
                )
                for violation in summary.violations
            ],
            window_days=summary.window_days,
        )


class RefundRequestIn(BaseModel):
    model_config = shown(
        {
            "org_id": "org_01m8ycrxap78197genyejsdfa4",
            "transaction_id": "txn_01hv8y",
            "requested_at": "2025-01-01T12:00:00Z",
            "note": "Asked by mail to support",
        }
    )

    org_id: Id = Field(description="The organization that asked")
    transaction_id: str = Field(
        max_length=64, description="The Paddle transaction (txn_...) to be refunded"
    )
    requested_at: datetime | None = Field(
        None, description="When the customer asked (UTC); now when omitted; never in the future"
    )
    note: str = Field("", max_length=2000, description="What was asked, and how")


class RefundAnswerIn(BaseModel):
    model_config = shown({"answer": "refunded", "note": "Refunded in Paddle"})

    answer: Literal["refunded", "refused"] = Field(description="refunded or refused")
    note: str = Field("", max_length=2000, description="Why, for the record")


class RefundRequestOut(BaseModel):
    model_config = shown(
        {
            "id": "rfr_01m8ycrxap78197genycv3nvhg",
            "org_id": "org_01m8ycrxap78197genyejsdfa4",
            "transaction_id": "txn_01hv8y",
            "requested_at": "2025-01-01T12:00:00Z",
            "note": "Asked by mail to support",
            "recorded_by": "usr_01m8ycrxap78197genycv3nvhg",
            "answer": None,
            "answered_at": None,
            "answered_by": None,
            "answer_note": None,
        },
        from_attributes=True,
    )

    id: OwnId
    org_id: str = Field(description="The organization that asked")
    transaction_id: str = Field(description="The Paddle transaction")
    requested_at: datetime = Field(description="When the customer asked")
    note: str = Field(description="What was asked")
    recorded_by: str | None = Field(description="The administrator who recorded it")
    answer: str | None = Field(description="refunded or refused; null: unanswered")
    answered_at: datetime | None = Field(description="When it was answered")
    answered_by: str | None = Field(description="Who answered it")
    answer_note: str | None = Field(description="Why")


class BillingOut(BaseModel):
    model_config = shown(
        {
            "plan": {
                "code": "team",
                "name": "Team",
                "monthly_calls": 500,
                "daily_calls": 100,
                "monthly_spend_cents": 5000,
                "endpoints": 20,
                "contacts": 50,
                "members": 10,
                "audit_retention_days": 365,
                "international_calling": True,
                "paid": True,
                "trial_days": 14,
            },
            "plan_held": "team",
            "plan_ends_at": "2025-01-15T12:00:00Z",
            "default_plan": "free",
            "subscription": None,
            "trial": None,
            "trial_available": False,
            "chargebacks": {
                "filed": 0,
                "standing": 0,
                "unsubstantiated": 0,
                "bad_faith": 0,
                "excused": 0,
                "reversed": 0,
                "warnings": 0,
                "violations": [],
                "window_days": 365,
            },
        }
    )

    plan: PlanOut = Field(description="The plan in force")
    plan_held: str = Field(description="The plan the organization holds, paid or not")
    plan_ends_at: datetime | None = Field(description="When the plan in force ends, if it does")
    default_plan: str = Field(description="The plan an organization has without paying")
    subscription: SubscriptionOut | None = Field(description="Its Paddle subscription, if any")
    trial: TrialOut | None = Field(description="Its trial, if it had one")
    trial_available: bool = Field(description="Whether it may start a trial")
    chargebacks: ChargebacksOut = Field(description="Its chargebacks, by the terms' rule")


class DayOut(BaseModel):
    date: str = Field(description="The day, YYYY-MM-DD (the organization's time zone)")
    calls: int = Field(description="Calls placed")
    spend_cents: int = Field(description="What they cost, in cents")


class EndpointUsageOut(BaseModel):
    endpoint_id: str = Field(description="The endpoint")
    name: str | None = Field(description="Its name; null once deleted")
    calls: int = Field(description="Calls for its alerts")


class PeriodOut(BaseModel):
    period: str = Field(description="day or month")
    calls: int = Field(description="Calls used")
    limit: int = Field(description="Calls allowed")
    left: int = Field(description="Calls left")
    resets_at: datetime = Field(description="When it starts again")


class UsageOut(BaseModel):
    model_config = shown(
        {
            "plan": {
                "code": "team",
                "name": "Team",
                "monthly_calls": 500,
                "daily_calls": 100,
                "monthly_spend_cents": 5000,
                "endpoints": 20,
                "contacts": 50,
                "members": 10,
                "audit_retention_days": 365,
                "international_calling": True,
                "paid": True,
                "trial_days": 14,
            },
            "timezone": "Europe/London",
            "calls_left": 95,
            "today": {
                "period": "day",
                "calls": 5,
                "limit": 100,
                "left": 95,
                "resets_at": "2025-01-02T00:00:00Z",
            },
            "month": {
                "period": "month",
                "calls": 40,
                "limit": 500,
                "left": 460,
                "resets_at": "2025-02-01T00:00:00Z",
            },
            "spend_cents_this_month": 320,
            "monthly_spend_cents": 5000,
            "per_day": [{"date": "2025-01-01", "calls": 5, "spend_cents": 40}],
            "per_endpoint": [
                {"endpoint_id": "ep_01m8ycrxap78197genycv3nvhg", "name": "Production", "calls": 5}
            ],
        }
    )

    plan: PlanOut = Field(description="The plan in force")
    timezone: str = Field(description="The time zone days are counted in")
    calls_left: int = Field(description="Calls left now: the smaller of today's and this month's")
    today: PeriodOut = Field(description="Today's calls")
    month: PeriodOut = Field(description="This month's calls")
    spend_cents_this_month: int = Field(description="What this month's calls cost, in cents")
    monthly_spend_cents: int = Field(description="The most they may cost, in cents")
    per_day: list[DayOut] = Field(description="Calls per day")
    per_endpoint: list[EndpointUsageOut] = Field(description="Calls per endpoint")

    @classmethod
    def of(cls, usage: Usage) -> UsageOut:
        return cls(
            plan=PlanOut.of(usage.plan),
            timezone=usage.timezone,
            calls_left=usage.calls_left,
            today=PeriodOut(
                period=usage.today,
                calls=usage.calls_today,
                limit=usage.daily_calls,
                left=max(0, usage.daily_calls - usage.calls_today),
                resets_at=usage.day_resets_at,
            ),
            month=PeriodOut(
                period=usage.month,
                calls=usage.calls_this_month,
                limit=usage.monthly_calls,
                left=max(0, usage.monthly_calls - usage.calls_this_month),
                resets_at=usage.month_resets_at,
            ),
            spend_cents_this_month=usage.spend_cents_this_month,
            monthly_spend_cents=usage.monthly_spend_cents,
            per_day=[DayOut(**day.__dict__) for day in usage.per_day],
            per_endpoint=[EndpointUsageOut(**row.__dict__) for row in usage.per_endpoint],
        )


class NoticeEmailOut(BaseModel):
    status: str = Field(
        description=(
            "pending, sending, retrying, sent, failed, no_recipient (no owner has a verified "
            "address), skipped (a week old before mail could be sent), or off (no SMTP server)"
        )
    )
    detail: str = Field(description="To whom it went, or why not, in words")


class NoticeOut(BaseModel):
    model_config = shown(
        {
            "id": "ntc_01m8ycrxap78197genycv3nvhg",
            "kind": "quota_warning",
            "period": "2025-01",
            "message": "80% of this month's calls are used",
            "details": {"used": 400, "limit": 500},
            "created_at": "2025-01-20T12:00:00Z",
            "read_at": None,
            "email": {"status": "sent", "detail": "to ada@example.com"},
        },
        from_attributes=True,
    )

    id: OwnId
    kind: str = Field(description="What it is about, e.g. quota_warning, payment_failed")
    period: str = Field(description="The day or month it concerns")
    message: str = Field(description="The notice in words")
    details: dict[str, Any] | None = Field(description="More about it, by kind")
    created_at: CreatedAt
    read_at: datetime | None = Field(description="When a member marked it read")
    email: NoticeEmailOut = Field(description="Whether and to whom it was mailed")

    @classmethod
    def of(cls, notice: Notice, *, mail_on: bool) -> NoticeOut:
        state = mail_state(notice, mail_on=mail_on)
        return cls(
            id=notice.id,
            kind=notice.kind,
            period=notice.period,
            message=notice.message,
            details=notice.details,
            created_at=notice.created_at,
            read_at=notice.read_at,
            email=NoticeEmailOut(status=state.status, detail=state.detail),
        )


class NoticesRead(BaseModel):
    model_config = shown({"marked": 3})

    marked: int = Field(description="Notices marked read")


class PaddleReceived(BaseModel):
    model_config = shown({"event_id": "evt_01hv8y", "result": "subscription_updated"})

    event_id: str = Field(description="Paddle's event id")
    result: str = Field(description="What Tocsin did with it")
