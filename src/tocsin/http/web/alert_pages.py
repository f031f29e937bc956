"""An alert's page: its state, the calls it made (with what each said, as audio), its timeline,
and the Acknowledge and Resolve buttons, which follow the same rules as the API."""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Organization, Role
from tocsin.audit.trail import AuditEvent
from tocsin.core.errors import TocsinError, Unavailable
from tocsin.db.session import Session
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form
from tocsin.http.web.render import render
from tocsin.maintenance import queries as maintenance
from tocsin.organizations.queries import organization
from tocsin.paging import lifecycle, queries
from tocsin.paging.models import Alert, AlertStatus, CallAttempt, CallJob
from tocsin.paging.names import names_in_organization
from tocsin.telephony import audio, tts
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, voice_for
from tocsin.telephony.script import spoken_prompt

router = APIRouter(include_in_schema=False)

# The audio of a call never changes, and synthesizing it costs a few hundred milliseconds.
AUDIO_CACHE = "private, max-age=3600"


@dataclass(frozen=True)
class JobRow:
    job: CallJob
    next_attempt_at: datetime | None
    # Whom the job pages, by name: a member, or a contact with its number.
    who: str


@dataclass(frozen=True)
class TimelineRow:
    event: AuditEvent
    actor: str
    details: str


def call_status(call: CallAttempt) -> str:
    """An attempt's status as a person reads it: a call a machine took was answered, but not by
    anyone who could acknowledge, so it says voicemail."""
    if call.error_code == "voicemail":
        return "voicemail"
    return call.status


def _whom(job: CallJob, names: dict[str, str]) -> str:
    if job.user_id is not None:
        name = names.get(job.user_id, job.user_id)
        return name if job.channel == "email" else f"{name} ({job.to_number})"
    if job.contact_id is not None and job.contact_id in names:
        return f"{names[job.contact_id]} ({job.to_number})"
    return job.to_number


def _actor(event: AuditEvent, names: dict[str, str]) -> str:
    if event.actor_id is not None and event.actor_id in names:
        return names[event.actor_id]
    return f"{event.actor_type}: {event.actor_id}" if event.actor_id else event.actor_type


def _people(
    session: Session, alert: Alert, jobs: list[CallJob], events: list[AuditEvent]
) -> dict[str, str]:
    """Names for every member and contact the page would otherwise show by id."""
    user_ids = {job.user_id for job in jobs if job.user_id is not None}
    user_ids |= {e.actor_id for e in events if e.actor_type == "user" and e.actor_id}
    for by in (alert.acknowledged_by, alert.resolved_by):
        if by is not None and by.startswith("user:"):
            user_ids.add(by.removeprefix("user:"))
    names = queries.people_named(
        session,
        org_id=alert.org_id,
        user_ids=user_ids,
        contact_ids={job.contact_id for job in jobs if job.contact_id is not None},
    )
    # "user:<id>" is how a member's acknowledgement is written on the alert.
    names.update({f"user:{user_id}": names[user_id] for user_id in user_ids if user_id in names})
    return names


# An id as core.ids.new_id makes them: a prefix naming the kind, then 26 characters.
_ID = re.compile(r"[a-z]+_[0-9a-z]{26}")


def _ids_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if _ID.fullmatch(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)


def _named(value: Any, names: dict[str, str]) -> Any:
    """`value` with every id the page has a name for replaced by the name; a key that said it
    held an id (`endpoint_id`, `user_ids`) then says what it holds (`endpoint`, `users`)."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_named(item, names) for item in value]
    if isinstance(value, dict):
        return {_key(key, item, names): _named(item, names) for key, item in value.items()}
    return value


def _key(key: str, value: Any, names: dict[str, str]) -> str:
    if key.endswith("_id") and isinstance(value, str) and value in names:
        return key.removesuffix("_id")
    if (
        key.endswith("_ids")
        and isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and item in names for item in value)
    ):
        return key.removesuffix("_ids") + "s"
    return key


def _details(details: Any, names: dict[str, str]) -> str:
    if not details:
        return ""
    named = _named(details, names)
    if isinstance(named, dict):
        return "; ".join(
            f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
            for key, value in named.items()
        )
    return json.dumps(named, ensure_ascii=False)


def _alert_context(session: Session, org: Organization | None, alert: Alert) -> dict[str, Any]:
    jobs = queries.jobs_of(session, alert.id)
    events = queries.timeline_of(session, alert)
    names = _people(session, alert, jobs, events)
    in_details = {found for event in events for found in _ids_in(event.details)}
    named = names_in_organization(session, org_id=alert.org_id, ids=in_details)
    whom = {job.id: _whom(job, names) for job in jobs}
    return {
        "org": org,
        "section": "alerts",
        "alert": alert,
        "is_open": alert.status == AlertStatus.OPEN,
        "endpoint_name": queries.endpoint_name(session, alert),
        "closers": queries.closers(session, alert),
        "escalation": queries.escalation_of(session, alert.id),
        "muted_by": maintenance.muted_by(session, alert),
        "jobs": [JobRow(job, queries.next_attempt_at(job), whom[job.id]) for job in jobs],
        "calls": queries.attempts_of(session, alert.id),
        "timeline": [
            TimelineRow(event, _actor(event, names), _details(event.details, named))
            for event in events
        ],
        "people": names,
        "callee": lambda call: whom.get(call.job_id, call.to_number),
        "call_status": call_status,
    }


def _show(
    request: Request,
    viewer: Viewer,
    org_id: str,
    alert_id: str,
    template: str,
    *,
    error: TocsinError | None = None,
    status_code: int = 200,
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        alert = queries.get_alert(db, org_id=org_id, alert_id=alert_id)
        context = _alert_context(db, organization(db, org_id), alert)
        return render(request, template, {**context, "error": error}, status_code=status_code)


@router.get("/o/{org_id}/alerts/{alert_id}")
def alert_page(
    org_id: str, alert_id: str, request: Request, viewer: Viewer = Depends(signed_in)
) -> Response:
    return _show(request, viewer, org_id, alert_id, "alert.html")


@router.get("/o/{org_id}/alerts/{alert_id}/live")
def alert_live(
    org_id: str, alert_id: str, request: Request, viewer: Viewer = Depends(signed_in)
) -> Response:
    """The page's changing part (state, buttons, calls, timeline), which it polls for."""
    return _show(request, viewer, org_id, alert_id, "_alert_live.html")


def _act(
    request: Request, viewer: Viewer, org_id: str, alert_id: str, *, resolve: bool
) -> Response:
    now = viewer.runtime.clock.now()
    act = lifecycle.resolve if resolve else lifecycle.acknowledge
    htmx = bool(request.headers.get("hx-request"))
    try:
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            act(db, org_id=org_id, alert_id=alert_id, actor=viewer.actor, now=now)
    except TocsinError as error:
        # Most often someone (or a keypad) got there first: show the alert as it is now. htmx
        # swaps in only successful answers, so its fragment carries the error with a 200.
        if htmx:
            return _show(request, viewer, org_id, alert_id, "_alert_live.html", error=error)
        return _show(
            request,
            viewer,
            org_id,
            alert_id,
            "alert.html",
            error=error,
            status_code=error.status_code,
        )
    viewer.runtime.notify_new_jobs()  # calls in progress for it are hung up now
    if htmx:
        return _show(request, viewer, org_id, alert_id, "_alert_live.html")
    return RedirectResponse(f"/o/{org_id}/alerts/{alert_id}", status_code=303)


@router.post("/o/{org_id}/alerts/{alert_id}/acknowledge")
def acknowledge(
    org_id: str,
    alert_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    return _act(request, viewer, org_id, alert_id, resolve=False)


@router.post("/o/{org_id}/alerts/{alert_id}/resolve")
def resolve(
    org_id: str,
    alert_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    return _act(request, viewer, org_id, alert_id, resolve=True)


def _what_the_call_said(viewer: Viewer, org_id: str, attempt_id: str) -> tuple[str, str]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        attempt = queries.get_attempt(db, org_id=org_id, attempt_id=attempt_id)
        org = organization(db, org_id)
        preferred = (org.voice if org is not None else None) or viewer.runtime.settings.voice
        language = attempt.language or DEFAULT_LANGUAGE
        return spoken_prompt(attempt.spoken_text, language), voice_for(language, preferred)


def _wav(text: str, voice: str) -> bytes:
    try:
        pcm = tts.synthesize(text, voice=voice)
    except tts.SpeechError as error:
        raise Unavailable(str(error), code="speech_failed") from error
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "call.wav"
        audio.write_wav(path, pcm.samples, pcm.rate)
        return path.read_bytes()


@router.get("/o/{org_id}/calls/{attempt_id}/audio")
async def call_audio(org_id: str, attempt_id: str, viewer: Viewer = Depends(signed_in)) -> Response:
    """What a call said on answer (the alert, then the key menu), as the callee heard it."""
    text, voice = await asyncio.to_thread(_what_the_call_said, viewer, org_id, attempt_id)
    wav = await asyncio.to_thread(_wav, text, voice)
    return Response(
        wav,
        media_type="audio/wav",
        headers={"Cache-Control": AUDIO_CACHE, "X-Content-Type-Options": "nosniff"},
    )
