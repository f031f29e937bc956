"""Mounting the dashboard on the API's application: static files, page routers, HTML errors."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tocsin.web.auth_pages import router as auth_router
from tocsin.web.context import LoginRequired, viewer_of
from tocsin.web.errors import login_redirect
from tocsin.web.org_pages import router as org_router

STATIC = Path(__file__).with_name("static")

ROUTERS = (auth_router, org_router)


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(request, exc)

    @app.get("/switch", include_in_schema=False)
    def switch(request: Request, org: str = "") -> Response:
        viewer = viewer_of(request)
        if any(choice.id == org for choice in viewer.organizations):
            return RedirectResponse(f"/o/{org}", status_code=303)
        return RedirectResponse("/", status_code=303)
