"""Endpoints pages: the list with its create form, and each endpoint's page with its webhook
URL, its keys, its settings (name, key required, whom it calls, in order) and Delete, its
scenario, and a test alert sent through the webhook's own ingest path."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role, Scope
from tocsin.accounts.service import get_organization
from tocsin.contacts.models import Contact
from tocsin.contacts.queries import all_contacts
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.core.pagination import MAX_LIMIT
from tocsin.db.session import Session
from tocsin.endpoints import commands, queries
from tocsin.endpoints.checks import checked_template
from tocsin.http.api.auth import OrgAccess
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.intake import test_alert
from tocsin.numbers import consent
from tocsin.numbers.consent import REASONS, NumberState
from tocsin.organizations import api_keys
from tocsin.routing.rules import ActionType

router = APIRouter(include_in_schema=False)


def _is_admin(access: OrgAccess) -> bool:
    return access.role is not None and access.role.rank >= Role.ADMIN.rank


# The list --------------------------------------------------------------------------------------


def _choices(db: Session, org_id: str) -> list[tuple[Contact, str | None]]:
    """Every contact, with why it cannot be chosen (None when it can: its number verified)."""
    contacts = all_contacts(db, org_id=org_id)
    states = consent.states_of(db, org_id=org_id, numbers=[c.phone_e164 for c in contacts])
    choices = []
    for contact in contacts:
        state = states[contact.phone_e164]
        why = None if state == NumberState.VERIFIED else REASONS[state]
        choices.append((contact, why))
    return choices


def _list_context(db: Session, org_id: str) -> dict[str, Any]:
    endpoints = queries.list_endpoints(db, org_id=org_id, limit=MAX_LIMIT, cursor=None).items
    return {
        "org": get_organization(db, org_id),
        "section": "endpoints",
        "endpoints": [(e, queries.endpoint_contacts(db, e.id)) for e in endpoints],
        "choices": _choices(db, org_id),
    }


@router.get("/o/{org_id}/endpoints")
def endpoints_page(
    org_id: str, request: Request, deleted: str = "", viewer: Viewer = Depends(signed_in)
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        context = {**_list_context(db, org_id), "values": {}}
        if deleted:
            context["flash"] = "Endpoint deleted; its keys were revoked."
        return render(request, "endpoints.html", context)


@router.post("/o/{org_id}/endpoints")
def create_endpoint(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    now = runtime.clock.now()
    contact_ids = [value for value in form.getlist("contact_ids") if isinstance(value, str)]
    name = text(form, "name")
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            endpoint = commands.create_endpoint(
                db,
                org_id=org_id,
                name=name,
                actor=viewer.actor,
                now=now,
                billing=runtime.billing,
                contact_ids=contact_ids,
            )
            endpoint_id = endpoint.id
    except TocsinError as error:
        with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
            context = _list_context(db, org_id)
        return render(
            request,
            "endpoints.html",
            {**context, "values": {"name": name, "contact_ids": contact_ids}, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/o/{org_id}/endpoints/{endpoint_id}", status_code=303)


# One endpoint ----------------------------------------------------------------------------------


def split_rules(rules: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """The rules typed in the textarea, and the escalation policy chosen in the select: the
    select is stored as a last rule with no conditions, the endpoint's catch-all."""
    if rules:
        last = rules[-1]
        action = last.get("action", {})
        if not last.get("conditions") and action.get("type") == ActionType.CALL_ESCALATION:
            return rules[:-1], action.get("escalation_id")
    return rules, None


def join_rules(rules: list[dict[str, Any]], escalation_id: str | None) -> list[dict[str, Any]]:
    if not escalation_id:
        return rules
    catch_all = {
        "name": "Escalation policy",
        "conditions": [],
        "action": {"type": ActionType.CALL_ESCALATION.value, "escalation_id": escalation_id},
    }
    return [*rules, catch_all]


def _endpoint_context(
    viewer: Viewer, org_id: str, endpoint_id: str, **extra: Any
) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        endpoint = queries.get_endpoint(db, org_id=org_id, endpoint_id=endpoint_id)
        rules, escalation_id = split_rules(endpoint.rules)
        admin = _is_admin(access)
        escalations = queries.list_policies(db, org_id=org_id, limit=MAX_LIMIT, cursor=None)
        contacts = queries.endpoint_contacts(db, endpoint.id)
        context: dict[str, Any] = {
            "org": get_organization(db, org_id),
            "section": "endpoints",
            "endpoint": endpoint,
            "contacts": contacts,
            "choices": _choices(db, org_id) if admin else [],
            "settings": {
                "name": endpoint.name,
                "require_key": endpoint.require_key,
                "contact_ids": [contact.id for contact in contacts],
            },
            "webhook_url": queries.webhook_url(
                viewer.runtime.settings.public_base_url, endpoint.id
            ),
            "is_admin": admin,
            # Keys are listed to admins only, as in the API.
            "keys": queries.endpoint_keys(db, endpoint) if admin else [],
            "escalations": escalations.items,
            "scenario": {
                "rules": json.dumps(rules, indent=2),
                "template": endpoint.template or "",
                "escalation_id": escalation_id or "",
            },
        }
    return {**context, **extra}


@router.get("/o/{org_id}/endpoints/{endpoint_id}")
def endpoint_page(
    org_id: str,
    endpoint_id: str,
    request: Request,
    saved: str = "",
    viewer: Viewer = Depends(signed_in),
) -> Response:
    context = _endpoint_context(viewer, org_id, endpoint_id)
    if saved:
        context["flash"] = "Settings saved." if saved == "settings" else "Scenario saved."
    return render(request, "endpoint.html", context)


def _endpoint_error(
    request: Request,
    viewer: Viewer,
    org_id: str,
    endpoint_id: str,
    error: TocsinError,
    **extra: Any,
) -> Response:
    context = _endpoint_context(viewer, org_id, endpoint_id, error=error, **extra)
    return render(request, "endpoint.html", context, status_code=error.status_code)


@router.post("/o/{org_id}/endpoints/{endpoint_id}/keys")
def create_key(
    org_id: str,
    endpoint_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Answered with the page itself, not a redirect: the key is shown this once and kept
    nowhere it could be shown from again."""
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            endpoint = queries.get_endpoint(db, org_id=org_id, endpoint_id=endpoint_id)
            created = api_keys.create_api_key(
                db,
                org_id=org_id,
                name=text(form, "name") or f"{endpoint.name} webhook",
                scopes=[Scope.INGEST.value],
                created_by=viewer.user_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                digest_key=viewer.runtime.api_key_digest_key,
                endpoint_id=endpoint.id,
            )
    except TocsinError as error:
        return _endpoint_error(request, viewer, org_id, endpoint_id, error)
    context = _endpoint_context(viewer, org_id, endpoint_id, new_key=created.plaintext)
    return render(request, "endpoint.html", context)


@router.post("/o/{org_id}/endpoints/{endpoint_id}/keys/{key_id}/rotate")
def rotate_key(
    org_id: str,
    endpoint_id: str,
    key_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    """A new key for the same endpoint and the old one revoked, in one transaction, so there
    is never a moment with neither or with both left working by mistake."""
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            created = api_keys.rotate_api_key(
                db,
                org_id=org_id,
                endpoint_id=endpoint_id,
                key_id=key_id,
                created_by=viewer.user_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                digest_key=viewer.runtime.api_key_digest_key,
            )
    except TocsinError as error:
        return _endpoint_error(request, viewer, org_id, endpoint_id, error)
    context = _endpoint_context(viewer, org_id, endpoint_id, new_key=created.plaintext)
    return render(request, "endpoint.html", context)


@router.post("/o/{org_id}/endpoints/{endpoint_id}/keys/{key_id}/revoke")
def revoke_key(
    org_id: str,
    endpoint_id: str,
    key_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            api_keys.revoke_api_key(
                db,
                org_id=org_id,
                key_id=key_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                endpoint_id=endpoint_id,
            )
    except TocsinError as error:
        return _endpoint_error(request, viewer, org_id, endpoint_id, error)
    return RedirectResponse(f"/o/{org_id}/endpoints/{endpoint_id}", status_code=303)


def _typed_rules(raw: str) -> list[dict[str, Any]]:
    if not raw.strip():
        return []
    try:
        rules = json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"scenario rules are not valid JSON: {exc}", code="invalid_rules"
        ) from exc
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise InvalidInput(
            "scenario rules must be a JSON list of rules, e.g. []", code="invalid_rules"
        )
    return rules


@router.post("/o/{org_id}/endpoints/{endpoint_id}/scenario")
def save_scenario(
    org_id: str,
    endpoint_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    now = viewer.runtime.clock.now()
    typed = {
        "rules": text(form, "rules"),
        "template": text(form, "template"),
        "escalation_id": text(form, "escalation_id"),
    }
    try:
        rules = join_rules(_typed_rules(typed["rules"]), typed["escalation_id"] or None)
        # Rendering takes up to the cage's time limit: in a read transaction, since a write
        # one would hold every other writer of a SQLite database meanwhile.
        with viewer.org(org_id, min_role=Role.ADMIN, write=False):
            checked_template(typed["template"])
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.update_endpoint(
                db,
                org_id=org_id,
                endpoint_id=endpoint_id,
                actor=viewer.actor,
                now=now,
                rules=rules,
                # An empty template goes back to the default for the alert's sender.
                template=typed["template"],
            )
    except TocsinError as error:
        return _endpoint_error(request, viewer, org_id, endpoint_id, error, scenario=typed)
    return RedirectResponse(f"/o/{org_id}/endpoints/{endpoint_id}?saved=1", status_code=303)


@router.post("/o/{org_id}/endpoints/{endpoint_id}/test")
def send_test_alert(
    org_id: str,
    endpoint_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    """An alert through the webhook's own steps, so it is paged exactly as a real one
    would be; the browser is taken to it."""
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            result = test_alert.send_test_alert(
                db,
                org_id=org_id,
                endpoint_id=endpoint_id,
                requested_by=viewer.email,
                actor=viewer.actor,
                now=runtime.clock.now(),
                limiter=runtime.rate_limiter,
                paging=runtime.paging,
            )
    except TocsinError as error:
        return _endpoint_error(request, viewer, org_id, endpoint_id, error)
    runtime.notify_new_jobs()
    return RedirectResponse(f"/o/{org_id}/alerts/{result.alert_id}", status_code=303)


@router.post("/o/{org_id}/endpoints/{endpoint_id}/settings")
def save_settings(
    org_id: str,
    endpoint_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Name, whether a key is required, and whom it calls in order (the first is the primary);
    the empty choices of the ordered selects are skipped."""
    contact_ids = [v for v in form.getlist("contact_ids") if isinstance(v, str) and v]
    name, require_key = text(form, "name"), form.get("require_key") == "on"
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            current = [c.id for c in queries.endpoint_contacts(db, endpoint_id)]
            commands.update_endpoint(
                db,
                org_id=org_id,
                endpoint_id=endpoint_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                name=name,
                require_key=require_key,
                # Unchanged, the list is left alone: a contact whose number lapsed since does
                # not stop the name from being saved.
                contact_ids=None if contact_ids == current else contact_ids,
            )
    except TocsinError as error:
        typed = {"name": name, "require_key": require_key, "contact_ids": contact_ids}
        return _endpoint_error(request, viewer, org_id, endpoint_id, error, settings=typed)
    return RedirectResponse(f"/o/{org_id}/endpoints/{endpoint_id}?saved=settings", status_code=303)


@router.post("/o/{org_id}/endpoints/{endpoint_id}/delete")
def delete_endpoint(
    org_id: str,
    endpoint_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.delete_endpoint(
                db,
                org_id=org_id,
                endpoint_id=endpoint_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _endpoint_error(request, viewer, org_id, endpoint_id, error)
    return RedirectResponse(f"/o/{org_id}/endpoints?deleted=1", status_code=303)
