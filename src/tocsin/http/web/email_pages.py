"""The page a verification link opens, and asking for a new link from the account page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts import email_addresses
from tocsin.core.errors import TocsinError
from tocsin.http.api.deps import client_ip
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form
from tocsin.http.web.render import render
from tocsin.runtime import Runtime

router = APIRouter(include_in_schema=False)


@router.get("/verify-email")
def verify_email(request: Request, token: str = "") -> Response:
    """Following the link confirms the address: the token is the proof, sign-in is not needed.
    A mail scanner that opens it first confirms it as well, which proves the same mailbox."""
    runtime: Runtime = request.app.state.runtime
    try:
        with runtime.database.write() as db:
            user = email_addresses.confirm(
                db,
                runtime,
                token=token[:200],
                ip_address=client_ip(request),
                now=runtime.clock.now(),
            )
            email = user.email
    except TocsinError as error:
        return render(
            request, "email_verified.html", {"error": error}, status_code=error.status_code
        )
    return render(request, "email_verified.html", {"email": email})


@router.post("/account/email/verification")
def send_link(
    request: Request, viewer: Viewer = Depends(signed_in), _form: FormData = Depends(checked_form)
) -> Response:
    runtime = viewer.runtime
    try:
        with runtime.database.write() as db:
            email_addresses.request_link(
                db, runtime, user_id=viewer.user_id, actor=viewer.actor, now=runtime.clock.now()
            )
    except TocsinError as error:
        return render(
            request, "email_verified.html", {"error": error}, status_code=error.status_code
        )
    return RedirectResponse("/account?sent=1", status_code=303)
