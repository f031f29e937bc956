"""Reading a posted form, after checking it came from one of our own pages.

Signed-in forms carry the session's synchronizer token (a hidden field, or the `X-CSRF-Token`
header htmx sends). Forms before sign-in (sign-in, sign-up, the public ones) use a double-submit
cookie: a random value in a cookie that a page on another site can neither read nor set.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from tocsin.core.errors import Forbidden
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.render import render
from tocsin.runtime import Runtime

ANONYMOUS_COOKIE = "tocsin_form"


def _refusal() -> Forbidden:
    return Forbidden(
        "this form has expired or did not come from this site; reload the page and try again",
        code="csrf_failed",
    )


def _same(expected: str, sent: str | None) -> bool:
    return bool(expected) and sent is not None and hmac.compare_digest(expected, sent)


async def checked_form(request: Request, viewer: Viewer = Depends(signed_in)) -> FormData:
    """FastAPI dependency for every signed-in POST."""
    form = await request.form()
    sent = request.headers.get("x-csrf-token") or form.get("csrf_token")
    if not _same(viewer.csrf_token, sent if isinstance(sent, str) else None):
        raise _refusal()
    return form


def anonymous_token(request: Request) -> str:
    """The double-submit value for a page shown before sign-in (set it with `keep_anonymous`)."""
    return request.cookies.get(ANONYMOUS_COOKIE) or secrets.token_urlsafe(24)


def keep_anonymous(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        ANONYMOUS_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
    )


async def anonymous_form(request: Request) -> FormData:
    """FastAPI dependency for POSTs before sign-in."""
    form = await request.form()
    sent = form.get("csrf_token")
    if not _same(
        request.cookies.get(ANONYMOUS_COOKIE, ""), sent if isinstance(sent, str) else None
    ):
        raise _refusal()
    return form


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name, default)
    return value.strip() if isinstance(value, str) else default


def secure_cookies(runtime: Runtime) -> bool:
    return runtime.settings.public_base_url.startswith("https://")


def anonymous_page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """A page with a form shown before sign-in, with its double-submit cookie."""
    runtime: Runtime = request.app.state.runtime
    token = anonymous_token(request)
    response = render(request, template, {**context, "form_token": token}, status_code=status_code)
    keep_anonymous(response, token, secure=secure_cookies(runtime))
    return response
