"""Sign-up, sign-in (with the authenticator code step), sign-out, and two-step settings."""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts import service as accounts
from tocsin.accounts import totp, web_sessions
from tocsin.accounts.email_addresses import mail_is_on
from tocsin.accounts.models import User
from tocsin.core.actors import Actor
from tocsin.core.errors import TocsinError, Unauthorized
from tocsin.core.ratelimit import Limits
from tocsin.http.api.deps import client_ip
from tocsin.http.web import sessions
from tocsin.http.web.context import Viewer, current_session, signed_in, viewer_of
from tocsin.http.web.forms import anonymous_form, anonymous_page, checked_form, secure_cookies, text
from tocsin.http.web.render import render
from tocsin.organizations import registration
from tocsin.organizations.commands import CreationRefused, record_refusal
from tocsin.runtime import Runtime

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    # Only paths on this site: an open redirect would hand sign-ins to another.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


def _start_session(
    request: Request, runtime: Runtime, user: User, *, mfa_passed: bool, to: str
) -> Response:
    with runtime.database.write() as db:
        opened = web_sessions.open_session(
            db,
            user=user,
            key=runtime.web_session_key,
            now=runtime.clock.now(),
            mfa_passed=mfa_passed,
            ip_address=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        opened.token,
        max_age=int(web_sessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(runtime),
        path="/",
    )
    return response


@router.get("/")
def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer.organizations:
        return RedirectResponse(f"/o/{viewer.organizations[0].id}", status_code=303)
    return RedirectResponse("/account", status_code=303)


@router.get("/signup")
def signup_page(request: Request) -> Response:
    return anonymous_page(request, "signup.html", {"values": {}})


@router.post("/signup")
def signup(request: Request, form: FormData = Depends(anonymous_form)) -> Response:
    runtime: Runtime = request.app.state.runtime
    values = {name: text(form, name) for name in ("email", "display_name", "organization_name")}
    ip = client_ip(request)
    try:
        runtime.rate_limiter.hit(Limits.SIGNUP, ip or "-", what="sign-ups from this address")
        with runtime.database.write() as db:
            registration.register(
                db,
                runtime,
                email=values["email"],
                password=text(form, "password"),
                display_name=values["display_name"],
                organization_name=values["organization_name"] or None,
                country=text(form, "country").upper() or None,
                invite_code=text(form, "invite_code") or None,
                ip_address=ip,
                user_agent=request.headers.get("user-agent"),
                now=runtime.clock.now(),
            )
    except TocsinError as error:
        if isinstance(error, CreationRefused):
            # Kept although the sign-up was rolled back: staff look for these.
            with runtime.database.write() as db:
                record_refusal(
                    db, refused=error, actor=Actor("public", None, ip), now=runtime.clock.now()
                )
        return anonymous_page(
            request,
            "signup.html",
            {"values": values, "error": error},
            status_code=error.status_code,
        )
    # Signs nobody in, and reads the same for an address that has an account (whose owner is
    # mailed instead): the page must not tell who has one.
    return anonymous_page(
        request,
        "signup_sent.html",
        {
            "email": accounts.normalise_email(values["email"]),
            "mail_on": mail_is_on(runtime.settings),
        },
    )


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return anonymous_page(request, "login.html", {"next": _safe_next(next), "values": {}})


@router.post("/login")
def login(request: Request, form: FormData = Depends(anonymous_form)) -> Response:
    runtime: Runtime = request.app.state.runtime
    email, next_url = text(form, "email"), _safe_next(text(form, "next"))
    ip = client_ip(request)
    try:
        with runtime.database.write() as db:
            user = registration.sign_in(
                db,
                runtime,
                email=email,
                password=text(form, "password"),
                totp_code=None,
                ip_address=ip,
                now=runtime.clock.now(),
                defer_second_step=True,
            )
            needs_code = totp.secret_of(user, runtime.totp_box) is not None
    except TocsinError as error:
        return anonymous_page(
            request,
            "login.html",
            {"next": next_url, "values": {"email": email}, "error": error},
            status_code=error.status_code,
        )
    if needs_code:
        return _start_session(
            request, runtime, user, mfa_passed=False, to=f"/login/code?next={next_url}"
        )
    return _start_session(request, runtime, user, mfa_passed=True, to=next_url)


@router.get("/login/code")
def code_page(request: Request, next: str | None = None) -> Response:
    viewer_of(request, allow_mfa_pending=True)
    return render(request, "login_code.html", {"next": _safe_next(next)})


@router.post("/login/code")
async def enter_code(request: Request) -> Response:
    viewer = viewer_of(request, allow_mfa_pending=True)
    form = await checked_form(request, viewer)
    runtime = viewer.runtime
    next_url = _safe_next(text(form, "next"))
    try:
        with runtime.database.write() as db:
            row = current_session(request, runtime, db)
            if row is None:
                raise Unauthorized("sign in again", code="session_expired")
            registration.pass_second_step(
                db,
                runtime,
                web_session=row,
                code=text(form, "code"),
                actor=viewer.actor,
                now=runtime.clock.now(),
            )
    except TocsinError as error:
        return render(
            request,
            "login_code.html",
            {"next": next_url, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse(next_url, status_code=303)


@router.post("/logout")
def logout(
    request: Request, viewer: Viewer = Depends(signed_in), _form: FormData = Depends(checked_form)
) -> Response:
    runtime = viewer.runtime
    with runtime.database.write() as db:
        web_sessions.close(db, session_id=viewer.session_id, now=runtime.clock.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@router.get("/account")
def account(request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    runtime = viewer.runtime
    with runtime.database.read() as db:
        user = accounts.get_user(db, viewer.user_id)
        enabled = user.totp_enabled_at is not None
        email_verified = user.email_verified_at is not None
    context: dict[str, Any] = {
        "mfa_enabled": enabled,
        "email_verified": email_verified,
        "mail_on": mail_is_on(runtime.settings),
        "link_sent": request.query_params.get("sent") == "1",
    }
    if not enabled:
        secret = totp.new_secret()
        uri = totp.provisioning_uri(secret, viewer.email)
        context.update(secret=secret, qr=_qr_svg(uri), uri=uri)
    return render(request, "account.html", context)


@router.post("/account/mfa")
def change_mfa(
    request: Request, viewer: Viewer = Depends(signed_in), form: FormData = Depends(checked_form)
) -> Response:
    runtime = viewer.runtime
    now = runtime.clock.now()
    try:
        with runtime.database.write() as db:
            if text(form, "action") == "disable":
                registration.disable_second_step(
                    db,
                    runtime,
                    user_id=viewer.user_id,
                    code=text(form, "code"),
                    actor=viewer.actor,
                    now=now,
                )
            else:
                registration.enable_second_step(
                    db,
                    runtime,
                    user_id=viewer.user_id,
                    secret=text(form, "secret"),
                    code=text(form, "code"),
                    current_code=text(form, "current_code") or None,
                    actor=viewer.actor,
                    now=now,
                )
    except TocsinError as error:
        with runtime.database.read() as db:
            enabled = accounts.get_user(db, viewer.user_id).totp_enabled_at is not None
        secret = text(form, "secret") or totp.new_secret()
        uri = totp.provisioning_uri(secret, viewer.email)
        return render(
            request,
            "account.html",
            {
                "mfa_enabled": enabled,
                "secret": secret,
                "qr": _qr_svg(uri),
                "uri": uri,
                "error": error,
            },
            status_code=error.status_code,
        )
    return RedirectResponse("/account", status_code=303)
