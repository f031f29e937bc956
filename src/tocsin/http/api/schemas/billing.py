"""Request and response bodies of the billing and usage API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.audit.trail import Notice
from tocsin.billing.chargebacks import ChargebackSummary
from tocsin.billing.plans import Plan
from tocsin.http.api.schemas.common import CreatedAt, OwnId
from tocsin.http.api.schemas.fields import Id
from tocsin.organizations.notice_mail import mail_state
from tocsin.paging.usage_report import Usage


class PlanOut(BaseModel):
    code: str
    name: str
    monthly_calls: int
    daily_calls: int
    monthly_spend_cents: int
    endpoints: int
    contacts: int
    members: int
    audit_retention_days: int
    international_calling: bool
    paid: bool
    trial_days: int

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(**plan.describe())


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    status: str
    plan: str | None
    price_id: str | None
    period_starts_at: datetime | None
    period_ends_at: datetime | None
    cancel_at: datetime | None
    canceled_at: datetime | None
    cancel_url: str | None = Field(
        description="Paddle's customer portal page to cancel (at the end of the period)"
    )
    update_payment_url: str | None


class TrialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    source: str
    started_at: datetime
    ends_at: datetime
    ended_at: datetime | None = Field(
        None, description="Set when the trial was ended early: a claim of it had had a trial"
    )
    end_reason: str | None = Field(None, description="e.g. claim_used:phone")


class ViolationOut(BaseModel):
    rule: str = Field(description="bad_faith or repeated_unsubstantiated")
    key: str
    chargeback_ids: list[str]
    summary: str


class ChargebacksOut(BaseModel):
    """Chargebacks filed in the window, by the verdict of the terms' chargeback rule."""

    filed: int
    standing: int = Field(description="not reversed: the dispute holds or is undecided")
    unsubstantiated: int = Field(description="withdrawn or decided in our favour")
    bad_faith: int = Field(description="filed after a refund of the payment was issued")
    excused: int = Field(description="filed after a refund request went unanswered 14 days")
    reversed: int
    warnings: int
    violations: list[ViolationOut]
    window_days: int

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
    org_id: Id
    transaction_id: str = Field(
        max_length=64, description="The Paddle transaction (txn_...) to be refunded"
    )
    requested_at: datetime | None = Field(
        None, description="When the customer asked (UTC); now when omitted; never in the future"
    )
    note: str = Field("", max_length=2000)


class RefundAnswerIn(BaseModel):
    answer: Literal["refunded", "refused"]
    note: str = Field("", max_length=2000)


class RefundRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    org_id: str
    transaction_id: str
    requested_at: datetime
    note: str
    recorded_by: str | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    answer_note: str | None


class BillingOut(BaseModel):
    plan: PlanOut
    plan_held: str
    plan_ends_at: datetime | None
    default_plan: str
    subscription: SubscriptionOut | None
    trial: TrialOut | None
    trial_available: bool
    chargebacks: ChargebacksOut


class DayOut(BaseModel):
    date: str
    calls: int
    spend_cents: int


class EndpointUsageOut(BaseModel):
    endpoint_id: str
    name: str | None
    calls: int


class PeriodOut(BaseModel):
    period: str
    calls: int
    limit: int
    left: int
    resets_at: datetime


class UsageOut(BaseModel):
    plan: PlanOut
    timezone: str
    calls_left: int
    today: PeriodOut
    month: PeriodOut
    spend_cents_this_month: int
    monthly_spend_cents: int
    per_day: list[DayOut]
    per_endpoint: list[EndpointUsageOut]

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
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    kind: str
    period: str
    message: str
    details: dict[str, Any] | None
    created_at: CreatedAt
    read_at: datetime | None
    email: NoticeEmailOut

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
    marked: int


class PaddleReceived(BaseModel):
    event_id: str
    result: str
