"""Outgoing webhooks in the dashboard, for administrators: the list with a form that subscribes
a URL (its signing secret shown on the page that answers, once), and each webhook's page with
its delivery log (status codes and errors of every attempt) and what may be done with it: a
test event, a new secret, enabling, disabling, deleting, sending one event again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.core.errors import TocsinError
from tocsin.db.session import Session
from tocsin.endpoints.queries import get_endpoint, list_endpoints
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.oncall.projects import get_project, list_projects
from tocsin.outgoing import commands, queries
from tocsin.outgoing.models import AlertEvent, WebhookSubscription
from tocsin.outgoing.urls import VettedUrl, vet

router = APIRouter(include_in_schema=False)

LOG_LENGTH = 50


def _list_page(request: Request, viewer: Viewer, org_id: str, **extra: Any) -> Response:
    with viewer.org(org_id, min_role=Role.ADMIN, write=False) as (db, _):
        context = {
            "org": get_organization(db, org_id),
            "section": "webhooks",
            # The host alone: the rest of a webhook's URL is often a credential.
            "webhooks": [
                (hook, commands.host_of(hook.url))
                for hook in queries.list_subscriptions(db, org_id=org_id)
            ],
            "endpoints": list_endpoints(db, org_id=org_id, limit=200, cursor=None).items,
            "projects": list_projects(db, org_id=org_id),
            "events": [event.value for event in AlertEvent],
        }
    error = extra.get("error")
    status = error.status_code if isinstance(error, TocsinError) else 200
    return render(request, "webhooks.html", {**context, **extra}, status_code=status)


def _detail_page(
    request: Request, viewer: Viewer, org_id: str, webhook_id: str, **extra: Any
) -> Response:
    with viewer.org(org_id, min_role=Role.ADMIN, write=False) as (db, _):
        webhook = queries.get_subscription(db, org_id=org_id, webhook_id=webhook_id)
        context = {
            "org": get_organization(db, org_id),
            "section": "webhooks",
            "webhook": webhook,
            "only": _only(db, webhook),
            "deliveries": queries.deliveries_page(
                db, org_id=org_id, webhook_id=webhook_id, limit=LOG_LENGTH, cursor=None
            ).items,
        }
    error = extra.get("error")
    status = error.status_code if isinstance(error, TocsinError) else 200
    return render(request, "webhook.html", {**context, **extra}, status_code=status)


def _only(db: Session, webhook: WebhookSubscription) -> tuple[str, str, str] | None:
    """The endpoint or project whose alerts alone the webhook sends: its kind, page and name
    (a subscription goes with it, so it is always there)."""
    org_id = webhook.org_id
    if webhook.endpoint_id is not None:
        endpoint = get_endpoint(db, org_id=org_id, endpoint_id=webhook.endpoint_id)
        return "endpoint", f"/o/{org_id}/endpoints/{endpoint.id}", endpoint.name
    if webhook.project_id is not None:
        project = get_project(db, org_id=org_id, project_id=webhook.project_id)
        return "project", f"/o/{org_id}/projects/{project.id}", project.name
    return None


def _typed(form: FormData) -> dict[str, Any]:
    return {
        "name": text(form, "name"),
        "url": text(form, "url"),
        "events": [value for value in form.getlist("events") if isinstance(value, str)],
        "endpoint_id": text(form, "endpoint_id") or None,
        "project_id": text(form, "project_id") or None,
    }


def _vetted(viewer: Viewer, org_id: str, url: str) -> VettedUrl:
    """Who may ask is checked first, in a read; then the URL's host is looked up outside any
    transaction, so a slow DNS answer holds no writer (SQLite has one, ingest among them)."""
    with viewer.org(org_id, min_role=Role.ADMIN, write=False):
        pass
    return vet(viewer.runtime.webhook_hosts, url)


@router.get("/o/{org_id}/webhooks")
def webhooks_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return _list_page(request, viewer, org_id)


@router.post("/o/{org_id}/webhooks")
def create_webhook(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    typed = _typed(form)
    try:
        url = _vetted(viewer, org_id, typed["url"])
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            made = commands.create_subscription(
                db,
                org_id=org_id,
                **{**typed, "url": url},
                box=runtime.webhook_box,
                actor=viewer.actor,
                now=runtime.clock.now(),
            )
            webhook_id = made.subscription.id
    except TocsinError as error:
        return _list_page(request, viewer, org_id, error=error, typed=typed)
    # The secret is on this answer only: a redirect would lose it.
    return _detail_page(request, viewer, org_id, webhook_id, new_secret=made.secret)


@router.get("/o/{org_id}/webhooks/{webhook_id}")
def webhook_page(
    org_id: str, webhook_id: str, request: Request, viewer: Viewer = Depends(signed_in)
) -> Response:
    return _detail_page(request, viewer, org_id, webhook_id)


@router.post("/o/{org_id}/webhooks/{webhook_id}/test")
def queue_test_event(
    org_id: str,
    webhook_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.send_test(
                db,
                org_id=org_id,
                webhook_id=webhook_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _detail_page(request, viewer, org_id, webhook_id, error=error)
    flash = "A test event was queued; it is sent within seconds (reload to see how it went)."
    return _detail_page(request, viewer, org_id, webhook_id, flash=flash)


@router.post("/o/{org_id}/webhooks/{webhook_id}/rotate-secret")
def rotate_secret(
    org_id: str,
    webhook_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            made = commands.rotate_secret(
                db,
                org_id=org_id,
                webhook_id=webhook_id,
                box=runtime.webhook_box,
                actor=viewer.actor,
                now=runtime.clock.now(),
            )
    except TocsinError as error:
        return _detail_page(request, viewer, org_id, webhook_id, error=error)
    return _detail_page(request, viewer, org_id, webhook_id, new_secret=made.secret)


@router.post("/o/{org_id}/webhooks/{webhook_id}/enabled")
def set_enabled(
    org_id: str,
    webhook_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.update_subscription(
                db,
                org_id=org_id,
                webhook_id=webhook_id,
                actor=viewer.actor,
                now=runtime.clock.now(),
                enabled=text(form, "enabled") == "true",
            )
    except TocsinError as error:
        return _detail_page(request, viewer, org_id, webhook_id, error=error)
    return RedirectResponse(f"/o/{org_id}/webhooks/{webhook_id}", status_code=303)


@router.post("/o/{org_id}/webhooks/{webhook_id}/delete")
def delete_webhook(
    org_id: str,
    webhook_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.delete_subscription(
                db,
                org_id=org_id,
                webhook_id=webhook_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _detail_page(request, viewer, org_id, webhook_id, error=error)
    return RedirectResponse(f"/o/{org_id}/webhooks", status_code=303)


@router.post("/o/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
def redeliver(
    org_id: str,
    webhook_id: str,
    delivery_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.redeliver(
                db,
                org_id=org_id,
                webhook_id=webhook_id,
                delivery_id=delivery_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _detail_page(request, viewer, org_id, webhook_id, error=error)
    flash = "The event was queued again as a new delivery."
    return _detail_page(request, viewer, org_id, webhook_id, flash=flash)
