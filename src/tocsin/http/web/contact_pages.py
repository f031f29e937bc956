"""Contacts pages: the list with its add form and live number screen, and each contact's page,
where its owner's code is sent and typed back, the consent evidence is shown, and
administrators change its name or number or delete it (the API's own commands)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.contacts import commands, queries
from tocsin.contacts.checks import screened_number
from tocsin.contacts.verify import Pending, confirm_for_contact, deliver, issue_for_contact
from tocsin.core.errors import TocsinError
from tocsin.db.session import Session
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.numbers import consent
from tocsin.numbers.consent import NumberState
from tocsin.numbers.verification import Channel, Requester
from tocsin.oncall.evaluation import names_of
from tocsin.policy.numbers import NumberBlocked

router = APIRouter(include_in_schema=False)

# Enough for any organization's page of evidence; older records stay reachable through the API.
CONSENT_ROWS = 50


def _reasons(error: TocsinError) -> list[str]:
    """Each reason a number is blocked, so the page can list them one by one."""
    if isinstance(error, NumberBlocked):
        return [reason.message for reason in error.verdict.reasons]
    return []


def _list_context(db: Session, org_id: str) -> dict[str, Any]:
    contacts = queries.all_contacts(db, org_id=org_id)
    states = consent.states_of(db, org_id=org_id, numbers=[c.phone_e164 for c in contacts])
    return {
        "org": get_organization(db, org_id),
        "section": "contacts",
        "rows": [(contact, states[contact.phone_e164]) for contact in contacts],
    }


@router.get("/o/{org_id}/contacts")
def contacts_page(
    org_id: str, request: Request, deleted: str = "", viewer: Viewer = Depends(signed_in)
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        context = {**_list_context(db, org_id), "values": {}}
        if deleted:
            context["flash"] = "Contact deleted; its consent was withdrawn."
        return render(request, "contacts.html", context)


@router.get("/o/{org_id}/contacts/screen")
def screen_fragment(
    org_id: str, request: Request, phone: str = "", viewer: Viewer = Depends(signed_in)
) -> Response:
    """The live verdict under the number field: the organization's own policy, as adding it
    would apply."""
    verdict: dict[str, Any] = {"phone": phone.strip()}
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        if verdict["phone"]:
            try:
                verdict["e164"] = screened_number(
                    db,
                    org_id=org_id,
                    phone=verdict["phone"],
                    region=None,
                    sanctioned_regions=viewer.runtime.settings.sanctioned_region_set(),
                )
            except NumberBlocked as blocked:
                verdict["reasons"] = _reasons(blocked)
    return render(request, "contacts_screen.html", {"screen": verdict})


@router.post("/o/{org_id}/contacts")
def add_contact(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    values = {
        "name": text(form, "name"),
        "phone": text(form, "phone"),
        "language": text(form, "language"),
    }
    now = runtime.clock.now()
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            contact = commands.create_contact(
                db,
                org_id=org_id,
                name=values["name"],
                phone=values["phone"],
                region=None,
                actor=viewer.actor,
                now=now,
                billing=runtime.billing,
                sanctioned_regions=runtime.settings.sanctioned_region_set(),
                language=values["language"],
            )
            contact_id = contact.id
    except TocsinError as error:
        with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
            context = _list_context(db, org_id)
        return render(
            request,
            "contacts.html",
            {**context, "values": values, "error": error, "reasons": _reasons(error)},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/o/{org_id}/contacts/{contact_id}", status_code=303)


def _contact_context(
    viewer: Viewer, org_id: str, contact_id: str, verification_id: str | None
) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        contact = queries.get_contact(db, org_id=org_id, contact_id=contact_id)
        records = consent.records_for(
            db, org_id=org_id, number=contact.phone_e164, limit=CONSENT_ROWS, cursor=None
        )
        return {
            "org": get_organization(db, org_id),
            "section": "contacts",
            "is_admin": access.role is not None and access.role.rank >= Role.ADMIN.rank,
            "names": names_of(
                db, {r.actor_id for r in records.items if r.actor_type == "user" and r.actor_id}
            ),
            "values": {"name": contact.name, "phone": contact.phone_e164},
            "contact": contact,
            "state": consent.state_of(db, org_id=org_id, number=contact.phone_e164),
            "states": NumberState,
            "records": records.items,
            # The code just sent, if the id names one still waiting to be typed back.
            "verification_id": (
                queries.pending_code_id(db, contact, verification_id) if verification_id else None
            ),
        }


@router.get("/o/{org_id}/contacts/{contact_id}")
def contact_page(
    org_id: str,
    contact_id: str,
    request: Request,
    sent: str | None = None,
    viewer: Viewer = Depends(signed_in),
) -> Response:
    return render(
        request, "contacts_detail.html", _contact_context(viewer, org_id, contact_id, sent)
    )


def _contact_refused(
    request: Request,
    viewer: Viewer,
    org_id: str,
    contact_id: str,
    verification_id: str | None,
    error: TocsinError,
) -> Response:
    """The contact's page again, saying why the action was refused."""
    context = _contact_context(viewer, org_id, contact_id, verification_id)
    return render(
        request,
        "contacts_detail.html",
        {**context, "error": error},
        status_code=error.status_code,
    )


async def _contact_error(
    request: Request,
    viewer: Viewer,
    org_id: str,
    contact_id: str,
    verification_id: str | None,
    error: TocsinError,
) -> Response:
    return await asyncio.to_thread(
        _contact_refused, request, viewer, org_id, contact_id, verification_id, error
    )


@router.post("/o/{org_id}/contacts/{contact_id}/code")
async def send_code(
    org_id: str,
    contact_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Issue the code in one transaction and dial or text it after that commits, as the API
    does: a provider may ask for the words before a still-open transaction would be visible."""
    runtime = viewer.runtime
    user_agent = request.headers.get("user-agent")
    try:
        channel = Channel(text(form, "channel", Channel.CALL.value))
    except ValueError:
        channel = Channel.CALL

    def issue() -> Pending:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            return issue_for_contact(
                db,
                runtime,
                org_id=org_id,
                contact_id=contact_id,
                channel=channel,
                requester=Requester(viewer.actor, user_agent),
                now=runtime.clock.now(),
            )

    try:
        pending = await asyncio.to_thread(issue)
    except TocsinError as error:
        return await _contact_error(request, viewer, org_id, contact_id, None, error)
    verification_id = pending.issued.verification.id
    try:
        await deliver(runtime, pending)
    except TocsinError as error:
        return await _contact_error(request, viewer, org_id, contact_id, verification_id, error)
    return RedirectResponse(
        f"/o/{org_id}/contacts/{contact_id}?sent={verification_id}", status_code=303
    )


@router.post("/o/{org_id}/contacts/{contact_id}/language")
def change_language(
    org_id: str,
    contact_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """The language of calls to the contact; the empty choice is the organization's."""
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.update_contact(
                db,
                org_id=org_id,
                contact_id=contact_id,
                actor=viewer.actor,
                now=runtime.clock.now(),
                sanctioned_regions=runtime.settings.sanctioned_region_set(),
                language=text(form, "language"),
            )
    except TocsinError as error:
        return _contact_refused(request, viewer, org_id, contact_id, None, error)
    return RedirectResponse(f"/o/{org_id}/contacts/{contact_id}", status_code=303)


@router.post("/o/{org_id}/contacts/{contact_id}/verify")
def verify_code(
    org_id: str,
    contact_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    verification_id = text(form, "verification_id") or None
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            result, record = confirm_for_contact(
                db,
                runtime,
                org_id=org_id,
                contact_id=contact_id,
                code=text(form, "code"),
                verification_id=verification_id,
                actor=viewer.actor,
                user_agent=request.headers.get("user-agent"),
                now=runtime.clock.now(),
            )
        # Only now, after the commit, so the wrong guess it counted is kept.
        error = result.error() if record is None else None
        if error is not None:
            raise error
    except TocsinError as refused:
        return _contact_refused(request, viewer, org_id, contact_id, verification_id, refused)
    return RedirectResponse(f"/o/{org_id}/contacts/{contact_id}", status_code=303)


@router.post("/o/{org_id}/contacts/{contact_id}/edit")
def edit_contact(
    org_id: str,
    contact_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """A new number is screened as a new contact's is, and needs its owner's code again."""
    runtime = viewer.runtime
    values = {"name": text(form, "name"), "phone": text(form, "phone")}
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            current = queries.get_contact(db, org_id=org_id, contact_id=contact_id)
            commands.update_contact(
                db,
                org_id=org_id,
                contact_id=contact_id,
                actor=viewer.actor,
                now=runtime.clock.now(),
                sanctioned_regions=runtime.settings.sanctioned_region_set(),
                name=values["name"],
                # The same number typed again is no change: its consent stays.
                phone=None if values["phone"] == current.phone_e164 else values["phone"],
            )
    except TocsinError as error:
        context = _contact_context(viewer, org_id, contact_id, None)
        return render(
            request,
            "contacts_detail.html",
            {**context, "values": values, "edit_error": error, "reasons": _reasons(error)},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/o/{org_id}/contacts/{contact_id}", status_code=303)


@router.post("/o/{org_id}/contacts/{contact_id}/delete")
def delete_contact(
    org_id: str,
    contact_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.delete_contact(
                db,
                org_id=org_id,
                contact_id=contact_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _contact_refused(request, viewer, org_id, contact_id, None, error)
    return RedirectResponse(f"/o/{org_id}/contacts?deleted=1", status_code=303)
