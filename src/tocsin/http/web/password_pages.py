"""Passwords on the dashboard: the change form of the account settings, and the reset reached
from the sign-in page ("forgot your password?"), whose mailed link opens the last form here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts import password_changes, password_resets
from tocsin.accounts.email_addresses import mail_is_on
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.http.api.deps import client_ip
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import anonymous_form, anonymous_page, checked_form, text
from tocsin.http.web.render import render
from tocsin.runtime import Runtime

router = APIRouter(include_in_schema=False)

# Refusals of a reset the person mends on the same form; any other means the link is no good.
_FORM_MISTAKES = frozenset({"passwords_differ", "weak_password"})


def _new_password(form: FormData) -> str:
    """The new password, typed twice alike."""
    new = text(form, "new_password")
    if new != text(form, "confirm_password"):
        raise InvalidInput("the two new passwords differ; type it again", code="passwords_differ")
    return new


# Changing it -----------------------------------------------------------------------------------


@router.get("/account/password")
def change_page(request: Request, _viewer: Viewer = Depends(signed_in)) -> Response:
    return render(request, "password_change.html", {})


@router.post("/account/password")
def change(
    request: Request, viewer: Viewer = Depends(signed_in), form: FormData = Depends(checked_form)
) -> Response:
    runtime = viewer.runtime
    try:
        new_password = _new_password(form)
        with runtime.database.write() as db:
            password_changes.change(
                db,
                runtime,
                user_id=viewer.user_id,
                current_password=text(form, "current_password"),
                new_password=new_password,
                actor=viewer.actor,
                now=runtime.clock.now(),
                keep_web_session=viewer.session_id,
            )
    except TocsinError as error:
        return render(
            request, "password_change.html", {"error": error}, status_code=error.status_code
        )
    return RedirectResponse("/account?password=changed", status_code=303)


# Resetting it ----------------------------------------------------------------------------------


@router.get("/forgot-password")
def forgot_page(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    return anonymous_page(
        request, "password_forgot.html", {"mail_on": mail_is_on(runtime.settings), "values": {}}
    )


@router.post("/forgot-password")
def forgot(request: Request, form: FormData = Depends(anonymous_form)) -> Response:
    runtime: Runtime = request.app.state.runtime
    email, ip = text(form, "email"), client_ip(request)
    try:
        password_resets.limit_requests(runtime, email=email, ip_address=ip)
        with runtime.database.write() as db:
            password_resets.request(
                db, runtime, email=email, ip_address=ip, now=runtime.clock.now()
            )
    except TocsinError as error:
        return anonymous_page(
            request,
            "password_forgot.html",
            {"mail_on": mail_is_on(runtime.settings), "values": {"email": email}, "error": error},
            status_code=error.status_code,
        )
    # The same page for every address: it must not tell which ones have accounts.
    return render(request, "password_forgot_sent.html", {})


@router.get("/reset-password")
def reset_page(request: Request, token: str = "") -> Response:
    """What the mailed link opens. Only looks: a mail scanner that follows the link uses
    nothing up."""
    runtime: Runtime = request.app.state.runtime
    token = token[:200]
    try:
        with runtime.database.read() as db:
            password_resets.check(db, runtime, token=token, now=runtime.clock.now())
    except TocsinError as error:
        return render(
            request, "password_reset.html", {"error": error}, status_code=error.status_code
        )
    return anonymous_page(request, "password_reset.html", {"token": token, "usable": True})


@router.post("/reset-password")
def reset(request: Request, form: FormData = Depends(anonymous_form)) -> Response:
    runtime: Runtime = request.app.state.runtime
    token = text(form, "token")[:200]
    try:
        new_password = _new_password(form)
        with runtime.database.write() as db:
            password_resets.complete(
                db,
                runtime,
                token=token,
                new_password=new_password,
                ip_address=client_ip(request),
                now=runtime.clock.now(),
            )
    except TocsinError as error:
        return anonymous_page(
            request,
            "password_reset.html",
            {"token": token, "usable": error.code in _FORM_MISTAKES, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse("/login?reset=1", status_code=303)
