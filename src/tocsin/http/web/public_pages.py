"""Pages for people without an account: stop every call to your number, report an unwanted
call. They do what the public API does (`tocsin.trust.public_forms`), against the same
per-address limit, behind the double-submit CSRF cookie."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.http.api.deps import client_ip
from tocsin.http.web.forms import anonymous_form, anonymous_page, text
from tocsin.http.web.render import render
from tocsin.numbers.verification import Channel, Requester
from tocsin.runtime import Runtime
from tocsin.trust import public_forms
from tocsin.trust.public_forms import AbuseReportForm, OptOutRequest, public_actor

router = APIRouter(include_in_schema=False)

# Case ids as `tocsin.core.ids.new_id` writes them; the thank-you page shows nothing else.
_REFERENCE = re.compile(r"case_[0-9A-Za-z]{1,40}")
_ID = re.compile(r"ver_[0-9A-Za-z]{1,40}")


def _field(form: FormData, name: str, label: str, *, limit: int, required: bool = True) -> str:
    """A typed value within the same bounds the API's schema sets."""
    value = text(form, name)
    if required and not value:
        raise InvalidInput(f"fill in “{label}”", code="field_required", details={"field": name})
    if len(value) > limit:
        raise InvalidInput(
            f"“{label}” is too long (at most {limit} characters)",
            code="field_too_long",
            details={"field": name},
        )
    return value


@router.get("/opt-out")
def opt_out_page(request: Request, sent: str | None = None) -> Response:
    # `sent` names the code just sent; the code itself is the secret, not its id.
    verification_id = sent if sent and _ID.fullmatch(sent) else None
    return anonymous_page(
        request, "opt_out.html", {"verification_id": verification_id, "values": {}}
    )


@router.post("/opt-out")
async def send_code(request: Request, form: FormData = Depends(anonymous_form)) -> Response:
    runtime: Runtime = request.app.state.runtime
    number = text(form, "number")
    try:
        number = _field(form, "number", "Your phone number", limit=64)
        actor = public_actor(runtime, client_ip(request), "requests from this address")
        requester = Requester(actor, request.headers.get("user-agent"))

        def issue() -> OptOutRequest:
            with runtime.database.write() as session:
                return public_forms.issue_opt_out_code(
                    session,
                    runtime,
                    number=number,
                    region=None,
                    channel=Channel.CALL,
                    requester=requester,
                    now=runtime.clock.now(),
                )

        asked = await asyncio.to_thread(issue)
        # Sent once the code is committed and outside any transaction: a call takes seconds.
        await public_forms.send_opt_out_code(runtime, asked)
    except TocsinError as error:
        return anonymous_page(
            request,
            "opt_out.html",
            {"verification_id": None, "values": {"number": number}, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/opt-out?sent={asked.verification_id}", status_code=303)


@router.post("/opt-out/confirm")
def stop_calls(request: Request, form: FormData = Depends(anonymous_form)) -> Response:
    runtime: Runtime = request.app.state.runtime
    verification_id = text(form, "verification_id")
    try:
        code = _field(form, "code", "Code", limit=20)
        if not _ID.fullmatch(verification_id):
            raise InvalidInput("send a code first", code="verification_not_found")
        actor = public_actor(runtime, client_ip(request), "requests from this address")
        with runtime.database.write() as session:
            answer = public_forms.confirm_opt_out(
                session,
                runtime,
                verification_id=verification_id,
                code=code,
                actor=actor,
                user_agent=request.headers.get("user-agent"),
                now=runtime.clock.now(),
            )
        # Raised only after the commit, so a wrong guess stays counted.
        answer.opted_out()
    except TocsinError as error:
        shown = verification_id if _ID.fullmatch(verification_id) else None
        return anonymous_page(
            request,
            "opt_out.html",
            {"verification_id": shown, "values": {}, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse("/opt-out/done", status_code=303)


@router.get("/opt-out/done")
def opted_out(request: Request) -> Response:
    return render(request, "opt_out_done.html", {})


_REPORT_FIELDS = (
    # name, label, most characters, required
    ("caller_id", "Caller ID you saw (optional)", 64, False),
    ("seen_at", "When (date and time)", 64, True),
    ("timezone", "Time zone", 64, False),
    ("description", "What happened", 5000, True),
    ("contact", "How to reach you (optional)", 200, False),
    ("your_number", "Your number (optional)", 64, False),
)


@router.get("/report")
def report_page(request: Request) -> Response:
    return anonymous_page(request, "report.html", {"values": {}})


@router.post("/report")
def send_report(request: Request, form: FormData = Depends(anonymous_form)) -> Response:
    runtime: Runtime = request.app.state.runtime
    values = {name: text(form, name) for name, *_ in _REPORT_FIELDS}
    try:
        typed = {
            name: _field(form, name, label, limit=limit, required=required)
            for name, label, limit, required in _REPORT_FIELDS
        }
        actor = public_actor(runtime, client_ip(request), "reports from this address")
        with runtime.database.write() as session:
            case = public_forms.report_abuse(
                session,
                runtime,
                form=AbuseReportForm(
                    caller_id=typed["caller_id"] or None,
                    seen_at=typed["seen_at"],
                    timezone=typed["timezone"] or None,
                    description=typed["description"],
                    contact=typed["contact"] or None,
                    your_number=typed["your_number"] or None,
                    region=None,
                ),
                actor=actor,
                user_agent=request.headers.get("user-agent"),
                now=runtime.clock.now(),
            )
    except TocsinError as error:
        return anonymous_page(
            request,
            "report.html",
            {"values": values, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/report/sent?reference={case.id}", status_code=303)


@router.get("/report/sent")
def report_sent(request: Request, reference: str = "") -> Response:
    shown = reference if _REFERENCE.fullmatch(reference) else None
    return render(request, "report_sent.html", {"reference": shown})
