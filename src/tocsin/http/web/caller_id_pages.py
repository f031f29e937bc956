"""The caller IDs page: the numbers the organization may show on its calls and texts, how each
was proven, and which one each provider account presents, with a warning for an account that
has none (its calls are passed over). Forms add a number, send it a code, type the code back,
ask a provider account whether it owns the number, choose one for an account, and remove one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.callerids import commands
from tocsin.callerids.ownership import check_with_provider
from tocsin.contacts.verify import Pending, deliver
from tocsin.core.errors import TocsinError
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.numbers.verification import Channel, Requester
from tocsin.providers import commands as provider_commands
from tocsin.providers.caller_ids import caller_id_warning, list_caller_ids
from tocsin.providers.queries import list_accounts

router = APIRouter(include_in_schema=False)


def _context(viewer: Viewer, org_id: str) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.ADMIN, write=False) as (db, _):
        caller_ids = list_caller_ids(db, org_id=org_id)
        numbers = {caller_id.id: caller_id.number for caller_id in caller_ids}
        accounts = [
            {
                "account": account,
                "caller_id": numbers.get(account.caller_id_id or ""),
                "warning": caller_id_warning(db, account) if account.enabled else None,
            }
            for account in list_accounts(db, org_id=org_id)
        ]
        return {
            "org": get_organization(db, org_id),
            "section": "caller-ids",
            "caller_ids": caller_ids,
            "accounts": accounts,
        }


def _page(org_id: str) -> RedirectResponse:
    return RedirectResponse(f"/o/{org_id}/caller-ids", status_code=303)


async def _error(request: Request, viewer: Viewer, org_id: str, error: TocsinError) -> Response:
    context = await asyncio.to_thread(_context, viewer, org_id)
    return render(
        request, "caller_ids.html", {**context, "error": error}, status_code=error.status_code
    )


async def _attempt(
    request: Request, viewer: Viewer, org_id: str, work: Callable[[], object]
) -> Response:
    """Run `work` in a thread; the page again on success, or with the error."""
    try:
        await asyncio.to_thread(work)
    except TocsinError as error:
        return await _error(request, viewer, org_id, error)
    return _page(org_id)


@router.get("/o/{org_id}/caller-ids")
def caller_ids_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return render(request, "caller_ids.html", _context(viewer, org_id))


@router.post("/o/{org_id}/caller-ids")
async def add_caller_id(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def work() -> None:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.add_caller_id(
                db,
                org_id=org_id,
                number=text(form, "number"),
                region=None,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )

    return await _attempt(request, viewer, org_id, work)


@router.post("/o/{org_id}/caller-ids/{caller_id_id}/code")
async def send_code(
    org_id: str,
    caller_id_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Issue the code in one transaction and send it after that commits, as the API does."""
    runtime = viewer.runtime
    try:
        channel = Channel(text(form, "channel", Channel.CALL.value))
    except ValueError:
        channel = Channel.CALL
    user_agent = request.headers.get("user-agent")

    def issue() -> Pending:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            return commands.issue_code(
                db,
                runtime,
                org_id=org_id,
                caller_id_id=caller_id_id,
                channel=channel,
                requester=Requester(viewer.actor, user_agent),
                now=runtime.clock.now(),
            )

    try:
        pending = await asyncio.to_thread(issue)
        await deliver(runtime, pending)
    except TocsinError as error:
        return await _error(request, viewer, org_id, error)
    return _page(org_id)


@router.post("/o/{org_id}/caller-ids/{caller_id_id}/confirm")
async def confirm_code(
    org_id: str,
    caller_id_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime

    def work() -> None:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            result = commands.confirm_code(
                db,
                runtime,
                org_id=org_id,
                caller_id_id=caller_id_id,
                code=text(form, "code"),
                actor=viewer.actor,
                now=runtime.clock.now(),
            )
        # Only now, after the commit, so the wrong guess it counted is kept.
        error = result.error()
        if error is not None:
            raise error

    return await _attempt(request, viewer, org_id, work)


@router.post("/o/{org_id}/caller-ids/{caller_id_id}/check")
async def check_with_account(
    org_id: str,
    caller_id_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def allowed() -> None:
        with viewer.org(org_id, min_role=Role.ADMIN, write=False):
            pass

    try:
        await asyncio.to_thread(allowed)
        result = await check_with_provider(
            viewer.runtime,
            org_id=org_id,
            caller_id_id=caller_id_id,
            account_id=text(form, "account_id"),
            actor=viewer.actor,
        )
        error = result.error()
        if error is not None:
            raise error
    except TocsinError as refused:
        return await _error(request, viewer, org_id, refused)
    return _page(org_id)


@router.post("/o/{org_id}/caller-ids/{caller_id_id}/remove")
async def remove_caller_id(
    org_id: str,
    caller_id_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def work() -> None:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.remove_caller_id(
                db,
                org_id=org_id,
                caller_id_id=caller_id_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )

    return await _attempt(request, viewer, org_id, work)


@router.post("/o/{org_id}/providers/{account_id}/caller-id")
async def choose_for_account(
    org_id: str,
    account_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Choose the caller ID an account presents (an empty choice clears it)."""
    runtime = viewer.runtime

    def work() -> None:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            provider_commands.update_account(
                db,
                org_id=org_id,
                account_id=account_id,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context,
                actor=viewer.actor,
                now=runtime.clock.now(),
                caller_id_id=text(form, "caller_id_id"),
            )

    return await _attempt(request, viewer, org_id, work)
