"""People pages: every member with their numbers and rules; my profile, where a member adds a
number, verifies it with the code it receives and orders their notification rules; projects."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.contacts.verify import Pending, deliver
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.numbers.verification import Requester
from tocsin.oncall import languages, methods, people, projects, rules, who
from tocsin.oncall.models import Method
from tocsin.oncall.people import Rule

router = APIRouter(include_in_schema=False)

# Rows of the rules form: enough for the usual call, text, call-the-desk ladder and more.
RULE_ROWS = 6


@router.get("/o/{org_id}/people")
def people_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        context = {
            "org": get_organization(db, org_id),
            "section": "people",
            "people": people.list_people(db, org_id=org_id),
        }
    return render(request, "people.html", context)


def _me_context(viewer: Viewer, org_id: str, sent: str | None) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        person = people.get_person(db, org_id=org_id, user_id=viewer.user_id)
        return {
            "org": get_organization(db, org_id),
            "section": "me",
            "person": person,
            "sent": sent,
            "rows": [*person.rules, *[None] * max(0, RULE_ROWS - len(person.rules))],
            "methods": list(Method),
        }


def _me(request: Request, viewer: Viewer, org_id: str, **extra: Any) -> Response:
    error = extra.get("error")
    return render(
        request,
        "me.html",
        {**_me_context(viewer, org_id, extra.pop("sent", None)), **extra},
        status_code=error.status_code if isinstance(error, TocsinError) else 200,
    )


@router.get("/o/{org_id}/me")
def me_page(
    org_id: str, request: Request, sent: str | None = None, viewer: Viewer = Depends(signed_in)
) -> Response:
    return _me(request, viewer, org_id, sent=sent)


@router.post("/o/{org_id}/me/language")
def change_my_language(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """The language of the calls that page me; the empty choice is the organization's."""
    try:
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            languages.set_member_language(
                db,
                org_id=org_id,
                user_id=viewer.user_id,
                language=text(form, "language"),
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _me(request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/me", status_code=303)


@router.post("/o/{org_id}/me/numbers")
def add_number(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    try:
        method = Method(text(form, "method", "voice"))
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            methods.add_member_number(
                db,
                org_id=org_id,
                user_id=viewer.user_id,
                name=text(form, "name") or method.value,
                phone=text(form, "phone"),
                region=None,
                method=method,
                actor=viewer.actor,
                now=runtime.clock.now(),
                billing=runtime.billing,
                sanctioned_regions=runtime.settings.sanctioned_region_set(),
            )
    except ValueError:
        return _me(request, viewer, org_id, error=InvalidInput("choose voice or sms"))
    except TocsinError as error:
        return _me(request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/me", status_code=303)


@router.post("/o/{org_id}/me/numbers/{number_id}/code")
async def send_code(
    org_id: str,
    number_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Issued in one transaction, sent after it commits, as the API does."""
    runtime = viewer.runtime
    user_agent = request.headers.get("user-agent")

    def issue() -> Pending:
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            return methods.send_member_code(
                db,
                runtime,
                org_id=org_id,
                user_id=viewer.user_id,
                contact_id=number_id,
                channel=None,
                requester=Requester(viewer.actor, user_agent),
                now=runtime.clock.now(),
            )

    try:
        pending = await asyncio.to_thread(issue)
        await deliver(runtime, pending)
    except TocsinError as error:
        return await asyncio.to_thread(_me, request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/me?sent={number_id}", status_code=303)


@router.post("/o/{org_id}/me/numbers/{number_id}/verify")
def verify_code(
    org_id: str,
    number_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            result, record = methods.confirm_member_code(
                db,
                runtime,
                org_id=org_id,
                user_id=viewer.user_id,
                contact_id=number_id,
                code=text(form, "code"),
                verification_id=None,
                actor=viewer.actor,
                user_agent=request.headers.get("user-agent"),
                now=runtime.clock.now(),
            )
        # Only now, after the commit, so the wrong guess it counted is kept.
        error = result.error() if record is None else None
        if error is not None:
            raise error
    except TocsinError as refused:
        return _me(request, viewer, org_id, error=refused, sent=number_id)
    return RedirectResponse(f"/o/{org_id}/me", status_code=303)


@router.post("/o/{org_id}/me/numbers/{number_id}/remove")
def remove_number(
    org_id: str,
    number_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            methods.remove_member_number(
                db,
                org_id=org_id,
                user_id=viewer.user_id,
                contact_id=number_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _me(request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/me", status_code=303)


def _rules_of(form: FormData) -> list[Rule]:
    """Rows with a way chosen, in order: `way` is METHOD or METHOD:NUMBER_ID."""
    wanted: list[Rule] = []
    for index in range(RULE_ROWS):
        way = text(form, f"way_{index}")
        if not way:
            continue
        method, _, number = way.partition(":")
        try:
            delay = int(text(form, f"delay_{index}", "0") or "0")
            wanted.append(Rule(Method(method), number or None, delay))
        except ValueError:
            raise InvalidInput(
                f"row {index + 1}: a delay is whole minutes", code="invalid_delay"
            ) from None
    return wanted


@router.post("/o/{org_id}/me/rules")
def save_rules(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        wanted = _rules_of(form)
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            rules.set_rules(
                db,
                org_id=org_id,
                user_id=viewer.user_id,
                rules=wanted,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _me(request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/me", status_code=303)


@router.get("/o/{org_id}/projects")
def projects_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        context = {
            "org": get_organization(db, org_id),
            "section": "projects",
            "projects": projects.list_projects(db, org_id=org_id),
        }
    return render(request, "projects.html", context)


@router.get("/o/{org_id}/projects/{project_id}")
def project_page(
    org_id: str, project_id: str, request: Request, viewer: Viewer = Depends(signed_in)
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        context = {
            "org": get_organization(db, org_id),
            "section": "projects",
            "view": projects.project_view(db, org_id=org_id, project_id=project_id),
            "on_call": who.project_on_call(
                db, org_id=org_id, project_id=project_id, at=viewer.runtime.clock.now()
            ),
            "next_shifts": who.project_shifts(
                db,
                org_id=org_id,
                project_id=project_id,
                window=None,
                now=viewer.runtime.clock.now(),
                count=10,
            ),
        }
    return render(request, "project.html", context)
