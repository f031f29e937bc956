"""Errors on pages are pages: the same codes as the API, shown as HTML to a browser."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.core.errors import TocsinError
from tocsin.http.web.context import LoginRequired, login_url
from tocsin.http.web.render import render

_HEADINGS = {403: "Not allowed", 404: "Not found", 429: "Slow down"}


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the JSON API, not a provider callback)."""
    path = request.url.path
    return not path.startswith(
        (
            "/v1/",
            "/.well-known/",
            "/openapi.json",
            "/docs",
            "/redoc",
            "/apidocs/",
            "/healthz",
            "/livez",
            "/readyz",
        )
    )


def error_page(request: Request, error: TocsinError) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {
            "error": error,
            "status": error.status_code,
            "heading": _HEADINGS.get(error.status_code, "Something went wrong"),
        },
        status_code=error.status_code,
    )


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    if request.headers.get("hx-request"):
        # htmx follows a redirect inside the fragment; tell it to load the whole page instead.
        return Response(status_code=204, headers={"HX-Redirect": login_url(exc.next_url)})
    return RedirectResponse(login_url(exc.next_url), status_code=303)
