"""Mounting the dashboard on the API's application: static files, page routers, HTML errors."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tocsin.http.routers import add_routes
from tocsin.http.web.admin_cases import router as admin_cases_router
from tocsin.http.web.admin_orgs import router as admin_orgs_router
from tocsin.http.web.admin_pages import router as admin_router
from tocsin.http.web.alert_pages import router as alert_router
from tocsin.http.web.auth_pages import router as auth_router
from tocsin.http.web.calendar_pages import router as calendar_router
from tocsin.http.web.caller_id_pages import router as caller_id_router
from tocsin.http.web.contact_pages import router as contact_router
from tocsin.http.web.context import LoginRequired, viewer_of
from tocsin.http.web.email_pages import router as email_router
from tocsin.http.web.endpoint_pages import router as endpoint_router
from tocsin.http.web.errors import login_redirect
from tocsin.http.web.escalation_pages import router as escalation_router
from tocsin.http.web.heartbeat_pages import router as heartbeat_router
from tocsin.http.web.maintenance_pages import router as maintenance_router
from tocsin.http.web.member_pages import router as member_router
from tocsin.http.web.notice_pages import router as notice_router
from tocsin.http.web.org_pages import router as org_router
from tocsin.http.web.password_pages import router as password_router
from tocsin.http.web.people_pages import router as people_router
from tocsin.http.web.policy_pages import router as policy_router
from tocsin.http.web.provider_pages import router as provider_router
from tocsin.http.web.public_pages import router as public_router
from tocsin.http.web.schedule_pages import router as schedule_router
from tocsin.http.web.settings_pages import router as settings_router
from tocsin.http.web.shift_pages import router as shift_router
from tocsin.http.web.usage_pages import router as usage_router
from tocsin.http.web.webhook_pages import router as webhook_router

STATIC = Path(__file__).with_name("static")

ROUTERS = (
    admin_cases_router,
    admin_orgs_router,
    admin_router,
    public_router,
    contact_router,
    caller_id_router,
    endpoint_router,
    member_router,
    auth_router,
    org_router,
    alert_router,
    usage_router,
    notice_router,
    email_router,
    password_router,
    people_router,
    schedule_router,
    shift_router,
    calendar_router,
    heartbeat_router,
    maintenance_router,
    webhook_router,
    policy_router,
    escalation_router,
    provider_router,
    settings_router,
)


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        add_routes(app, router)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(request, exc)

    @app.get("/switch", include_in_schema=False)
    def switch(request: Request, org: str = "") -> Response:
        viewer = viewer_of(request)
        if any(choice.id == org for choice in viewer.organizations):
            return RedirectResponse(f"/o/{org}", status_code=303)
        return RedirectResponse("/", status_code=303)
