"""Billing API: Paddle's webhook, and each organization's plan, trial, usage and notices."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from tocsin.accounts.email_addresses import mail_is_on
from tocsin.accounts.models import Role, Scope
from tocsin.audit import trail
from tocsin.billing.commands import start_trial
from tocsin.billing.paddle.events import parse_event
from tocsin.billing.paddle.signature import verify
from tocsin.billing.paddle.subscriptions import PaddleContext
from tocsin.billing.queries import standing_of
from tocsin.billing.refund_requests import (
    RefundAnswer,
    answer_refund_request,
    record_refund_request,
    refund_requests_of,
)
from tocsin.core.errors import Unavailable
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller, get_runtime
from tocsin.http.api.hooks import read_capped_body
from tocsin.http.api.route import PUBLIC, ApiRoute
from tocsin.http.api.schemas.billing import (
    BillingOut,
    ChargebacksOut,
    NoticeOut,
    NoticesRead,
    PaddleReceived,
    PlanOut,
    RefundAnswerIn,
    RefundRequestIn,
    RefundRequestOut,
    SubscriptionOut,
    TrialOut,
    UsageOut,
)
from tocsin.http.api.schemas.common import Limit, PageOut, errors
from tocsin.paging.usage_report import MAX_DAYS, usage_report
from tocsin.runtime import Runtime
from tocsin.trust.chargebacks import receive_paddle_event

router = APIRouter(route_class=ApiRoute)

# Paddle's notifications are a few kilobytes; a transaction with many items stays well under.
PADDLE_BODY_LIMIT = 1024 * 1024


@router.post(
    "/v1/billing/paddle",
    response_model=PaddleReceived,
    tags=["billing"],
    summary="Receive a Paddle notification",
    responses=errors(
        (503, "billing_not_configured", "Paddle billing is not configured on this server"),
        (401, "invalid_signature", "Paddle-Signature does not verify"),
        (422, "invalid_event", "not a Paddle event"),
        413,
    ),
    openapi_extra=PUBLIC,
)
async def paddle_webhook(request: Request) -> PaddleReceived:
    """Paddle Billing notifications. Verified by Paddle-Signature before anything is read. Called by
    Paddle, with its signature (`Paddle-Signature`) as the credential."""
    runtime: Runtime = request.app.state.runtime
    secrets = runtime.settings.paddle_secrets()
    if not secrets:
        # 503 rather than 404: Paddle retries, so nothing is lost while the secret is set up.
        raise Unavailable(
            "Paddle billing is not configured on this server (TOCSIN_PADDLE_WEBHOOK_SECRETS)",
            code="billing_not_configured",
        )
    body = await read_capped_body(request, PADDLE_BODY_LIMIT)
    now = runtime.clock.now()
    verify(
        request.headers.get("paddle-signature"),
        body,
        secrets=secrets,
        now=now,
        tolerance_seconds=runtime.settings.paddle_signature_tolerance_seconds,
    )
    event = parse_event(body)
    context = PaddleContext(
        billing=runtime.billing,
        price_plans=runtime.settings.paddle_price_map(),
        digest_key=runtime.billing_digest_key,
        now=now,
    )

    def receive() -> PaddleReceived:
        with runtime.database.write() as session:
            received = receive_paddle_event(session, event, context=context)
        return PaddleReceived(event_id=received.event_id, result=received.result)

    return await runtime.database.off_loop(receive)


@router.get(
    "/v1/plans",
    response_model=list[PlanOut],
    tags=["billing"],
    summary="List the plans",
    openapi_extra=PUBLIC,
)
def list_plans(runtime: Runtime = Depends(get_runtime)) -> list[PlanOut]:
    """The plans this server offers and what each allows. Anyone."""
    return [PlanOut.of(plan) for plan in runtime.billing.catalog.values()]


@router.get(
    "/v1/orgs/{org_id}/billing",
    response_model=BillingOut,
    tags=["billing"],
    summary="Get the organization's billing",
)
def get_billing(org_id: str, caller: Caller = Depends(get_caller)) -> BillingOut:
    """Its plan, subscription, trial and chargebacks. Any member, or a key with `read`."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        standing = standing_of(
            s,
            org_id=org_id,
            billing=runtime.billing,
            digest_key=runtime.billing_digest_key,
            now=runtime.clock.now(),
        )
        return BillingOut(
            plan=PlanOut.of(standing.plan),
            plan_held=standing.plan_held,
            plan_ends_at=standing.plan_ends_at,
            default_plan=standing.default_plan,
            subscription=(
                SubscriptionOut.model_validate(standing.subscription)
                if standing.subscription
                else None
            ),
            trial=TrialOut.model_validate(standing.trial) if standing.trial else None,
            trial_available=standing.trial_available,
            chargebacks=ChargebacksOut.of(standing.chargebacks),
        )


@router.post(
    "/v1/orgs/{org_id}/billing/trial",
    status_code=201,
    response_model=TrialOut,
    tags=["billing"],
    summary="Start the free trial",
    responses=errors(
        (409, "trial_used", "a trial was had already"),
        (403, "trial_not_eligible", "this organization cannot start a trial"),
    ),
)
def begin_trial(org_id: str, caller: Caller = Depends(get_caller)) -> TrialOut:
    """Start the free trial: once per billing entity (owner, email, card, number). Owners only,
    signed in."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.OWNER, scope=None, write=True) as (s, access):
        answer = start_trial(
            s,
            org_id=org_id,
            billing=runtime.billing,
            digest_key=runtime.billing_digest_key,
            actor=access.actor,
            now=runtime.clock.now(),
        )
    # Raised once committed: a refusal stays recorded although the request failed.
    return TrialOut.model_validate(answer.started())


@router.get(
    "/v1/orgs/{org_id}/usage",
    response_model=UsageOut,
    tags=["billing"],
    summary="Get the organization's usage",
)
def get_usage(
    org_id: str,
    days: int = Query(30, ge=1, le=MAX_DAYS),
    caller: Caller = Depends(get_caller),
) -> UsageOut:
    """Calls used and left today and this month, per day and per endpoint. Any member, or a key with
    `read`."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        usage = usage_report(
            s, org_id=org_id, billing=runtime.billing, now=runtime.clock.now(), days=days
        )
        return UsageOut.of(usage)


@router.get(
    "/v1/orgs/{org_id}/notices",
    response_model=PageOut[NoticeOut],
    tags=["billing"],
    summary="List the owners' notices",
)
def list_notices(
    org_id: str,
    unread: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[NoticeOut]:
    """What the organization's owners were told, newest first: quota nearly or wholly used,
    failed payments, trial refusals. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = trail.list_notices(s, org_id, unread_only=unread, limit=limit, cursor=cursor)
        mail_on = mail_is_on(caller.runtime.settings)
        return PageOut[NoticeOut](
            items=[NoticeOut.of(notice, mail_on=mail_on) for notice in page.items],
            next_cursor=page.next_cursor,
        )


@router.post(
    "/v1/orgs/{org_id}/notices/read",
    response_model=NoticesRead,
    tags=["billing"],
    summary="Mark the notices read",
)
def mark_notices_read(org_id: str, caller: Caller = Depends(get_caller)) -> NoticesRead:
    """Mark every notice of the organization read. Any member, signed in."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=None, write=True) as (s, _):
        return NoticesRead(marked=trail.mark_read(s, org_id, now=now))


@router.post(
    "/v1/admin/refund-requests",
    status_code=201,
    response_model=RefundRequestOut,
    tags=["trust and safety"],
    summary="Record a refund request",
    responses=errors(
        (404, "org_not_found", "organization not found"),
        (422, "requested_in_future", "requested_at is in the future"),
    ),
)
def create_refund_request(
    body: RefundRequestIn, caller: Caller = Depends(get_caller)
) -> RefundRequestOut:
    """Record a refund request the customer made outside Paddle (to support): a chargeback
    after one unanswered for 14 days is excused. Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        request = record_refund_request(
            session,
            org_id=body.org_id,
            transaction_id=body.transaction_id,
            requested_at=body.requested_at,
            note=body.note,
            actor=actor,
            now=now,
        )
        return RefundRequestOut.model_validate(request)


@router.get(
    "/v1/admin/refund-requests",
    response_model=list[RefundRequestOut],
    tags=["trust and safety"],
    summary="List an organization's refund requests",
)
def list_refund_requests(
    org_id: str = Query(...), caller: Caller = Depends(get_caller)
) -> list[RefundRequestOut]:
    """An organization's refund requests, oldest first. Platform administrators only."""
    with caller.platform_admin(write=False) as (session, _):
        return [RefundRequestOut.model_validate(r) for r in refund_requests_of(session, org_id)]


@router.post(
    "/v1/admin/refund-requests/{request_id}/answer",
    response_model=RefundRequestOut,
    tags=["trust and safety"],
    summary="Answer a refund request",
    responses=errors(
        (404, "refund_request_not_found", "refund request not found"),
        (409, "already_answered", "this request is answered already"),
    ),
)
def answer_request(
    request_id: str, body: RefundAnswerIn, caller: Caller = Depends(get_caller)
) -> RefundRequestOut:
    """Answer a refund request, now: refunded or refused. Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        request = answer_refund_request(
            session,
            request_id=request_id,
            answer=RefundAnswer(body.answer),
            note=body.note,
            actor=actor,
            now=now,
        )
        return RefundRequestOut.model_validate(request)
