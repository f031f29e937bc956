"""The usage page: calls per day against the daily cap, what is left today and this month, and
the plan and billing state behind those caps (the same figures as the API's usage and
billing)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tocsin.accounts.models import Role
from tocsin.billing.queries import standing_of
from tocsin.http.web.chart import calls_chart
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.render import render
from tocsin.organizations.queries import organization
from tocsin.paging.usage_report import usage_report

router = APIRouter(include_in_schema=False)

CHART_DAYS = 30


@router.get("/o/{org_id}/usage")
def usage_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    runtime = viewer.runtime
    now = runtime.clock.now()
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        usage = usage_report(db, org_id=org_id, billing=runtime.billing, now=now, days=CHART_DAYS)
        standing = standing_of(
            db,
            org_id=org_id,
            billing=runtime.billing,
            digest_key=runtime.billing_digest_key,
            now=now,
        )
        org = organization(db, org_id)
        chart = calls_chart([(day.date, day.calls) for day in usage.per_day], cap=usage.daily_calls)
        return render(
            request,
            "usage.html",
            {
                "org": org,
                "section": "usage",
                "usage": usage,
                "standing": standing,
                "chart": chart,
                "left_today": max(0, usage.daily_calls - usage.calls_today),
                "left_this_month": max(0, usage.monthly_calls - usage.calls_this_month),
                "call_cost_cents": runtime.billing.call_cost_cents,
            },
        )
