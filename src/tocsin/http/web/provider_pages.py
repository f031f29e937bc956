"""The providers page: the organization's own telephony accounts (administrators only, as in
the API), in the order they are tried, with Test (a call to one of its verified contacts
through that account alone), Enable/Disable and Remove, and the form that adds one.

Credentials are write-only: typed once, sealed by the command, never shown again, not even to
the administrator who typed them. Settings and credentials are typed one `key=value` a line
(a line without `=` continues the value above, for a PEM key), or as a JSON object.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.contacts.queries import all_contacts
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.db.session import Session
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.numbers import consent
from tocsin.numbers.consent import NumberState
from tocsin.organizations.provider_tests import prepare_account_test
from tocsin.providers import commands, queries
from tocsin.providers.caller_ids import caller_id_warning
from tocsin.providers.commands import MAX_PRIORITY
from tocsin.providers.test_calls import PreparedCall
from tocsin.telephony.base import ProviderError
from tocsin.telephony.hosts import HostPolicy, looked_up_first
from tocsin.telephony.rest import inbound_text_url

router = APIRouter(include_in_schema=False)

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)")

# What each kind needs, said on the form (telephony/rest/builders.py, docs/sip.md).
NEEDS = {
    "simulator": ("outcome=press:1", ""),
    "twilio": ("voice=alice (optional)", "account_sid=AC…\nauth_token=…"),
    "plivo": ("voice, language (optional)", "auth_id=…\nauth_token=…"),
    "telnyx": ("connection_id=…\npublic_key=… (base64, from the portal)", "api_key=…"),
    "vonage": (
        "language (optional)",
        "application_id=…\nprivate_key=-----BEGIN … (PEM)\nsignature_secret=…",
    ),
    "sip": ("see docs/sip.md", "username=…\npassword=…"),
}


def parse_pairs(raw: str, what: str, *, typed: bool) -> dict[str, Any]:
    """`key=value` lines (or a JSON object) as a dict; with `typed`, a value that reads as JSON
    (a number, true, a table) is taken as such, as `tocsin provider add --setting` does."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise InvalidInput(
                f"{what}: not valid JSON ({exc})", code="invalid_provider_config"
            ) from exc
        if not isinstance(value, dict):
            raise InvalidInput(f"{what}: a JSON object, please", code="invalid_provider_config")
        return value
    pairs: dict[str, str] = {}
    last: str | None = None
    for line in raw.splitlines():
        found = _KEY.fullmatch(line.strip())
        if found is not None and not line.startswith((" ", "\t", "-")):
            last = found.group(1)
            pairs[last] = found.group(2).strip()
        elif last is not None:
            pairs[last] += "\n" + line.strip()
        else:
            raise InvalidInput(f"{what}: one key=value a line", code="invalid_provider_config")
    return {key: _typed(value) for key, value in pairs.items()} if typed else dict(pairs)


def _typed(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _page_context(viewer: Viewer, db: Session, org_id: str) -> dict[str, Any]:
    base_url = viewer.runtime.settings.public_base_url
    accounts = queries.list_accounts(db, org_id=org_id)
    contacts = all_contacts(db, org_id=org_id)
    states = consent.states_of(db, org_id=org_id, numbers=[c.phone_e164 for c in contacts])
    return {
        "org": get_organization(db, org_id),
        "section": "providers",
        "accounts": [
            {
                "account": account,
                "warning": caller_id_warning(db, account) if account.enabled else None,
                "inbound_sms_url": inbound_text_url(base_url, account.kind, account.id),
            }
            for account in accounts
        ],
        "callable": [c for c in contacts if states[c.phone_e164] == NumberState.VERIFIED],
        "kinds": viewer.runtime.provider_factory.kinds,
        "needs": NEEDS,
        "max_priority": MAX_PRIORITY,
        "free_priority": next(
            (p for p in range(1, MAX_PRIORITY + 1) if p not in {a.priority for a in accounts}),
            MAX_PRIORITY,
        ),
        "values": {},
    }


def _show(
    request: Request,
    viewer: Viewer,
    org_id: str,
    *,
    error: TocsinError | None = None,
    **extra: Any,
) -> Response:
    with viewer.org(org_id, min_role=Role.ADMIN, write=False) as (db, _):
        context = {**_page_context(viewer, db, org_id), "error": error, **extra}
    return render(
        request, "providers.html", context, status_code=error.status_code if error else 200
    )


@router.get("/o/{org_id}/providers")
def providers_page(
    org_id: str, request: Request, done: str = "", viewer: Viewer = Depends(signed_in)
) -> Response:
    flash = {"added": "Provider account added.", "removed": "Provider account removed.",
             "saved": "Provider account saved."}.get(done)  # fmt: skip
    return _show(request, viewer, org_id, flash=flash)


@router.post("/o/{org_id}/providers")
def add_provider(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    # Credentials are never put back in the form, even after a refusal.
    values = {key: text(form, key) for key in ("kind", "name", "priority", "settings")}
    try:
        priority = int(values["priority"] or "1")
        settings = parse_pairs(values["settings"], "settings", typed=True)
        credentials = parse_pairs(text(form, "credentials"), "credentials", typed=False)

        def add(hosts: HostPolicy) -> None:
            with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
                commands.create_account(
                    db,
                    org_id=org_id,
                    kind=values["kind"],
                    name=values["name"],
                    priority=priority,
                    settings=settings,
                    credentials=credentials,
                    factory=runtime.provider_factory,
                    box=runtime.credentials_box,
                    context=runtime.build_context.reaching(hosts),
                    actor=viewer.actor,
                    now=runtime.clock.now(),
                )

        looked_up_first(runtime.provider_hosts, add)
    except ValueError:
        error = InvalidInput("priority must be a whole number", code="invalid_priority")
        return _show(request, viewer, org_id, error=error, values=values)
    except TocsinError as error:
        return _show(request, viewer, org_id, error=error, values=values)
    return RedirectResponse(f"/o/{org_id}/providers?done=added", status_code=303)


@router.post("/o/{org_id}/providers/{account_id}/enabled")
def enable_provider(
    org_id: str,
    account_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.update_account(
                db,
                org_id=org_id,
                account_id=account_id,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context,
                actor=viewer.actor,
                now=runtime.clock.now(),
                enabled=text(form, "enabled") == "true",
            )
    except TocsinError as error:
        return _show(request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/providers?done=saved", status_code=303)


@router.post("/o/{org_id}/providers/{account_id}/delete")
def remove_provider(
    org_id: str,
    account_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.delete_account(
                db,
                org_id=org_id,
                account_id=account_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _show(request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/providers?done=removed", status_code=303)


@router.post("/o/{org_id}/providers/{account_id}/test")
async def place_test_call(
    org_id: str,
    account_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Screened, checked and audited in one transaction; dialled after it commits. The page
    says whether the provider took the call; the phone ringing is the rest of the test."""
    runtime = viewer.runtime

    def prepare() -> PreparedCall:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            return prepare_account_test(
                db,
                org_id=org_id,
                account_id=account_id,
                contact_id=text(form, "contact_id"),
                providers=runtime.provider_directory(),
                settings=runtime.settings,
                actor=viewer.actor,
                now=runtime.clock.now(),
            )

    try:
        prepared = await asyncio.to_thread(prepare)
        choice = prepared.choices[0]
        try:
            handle = await choice.provider.dial(prepared.request_through(choice))
        except ProviderError as refused:
            raise InvalidInput(
                f"{choice.provider.name} refused the call: {refused.user_message}",
                code="provider_refused",
            ) from refused
    except TocsinError as error:
        return await asyncio.to_thread(_show, request, viewer, org_id, error=error)
    said = (
        f"{choice.provider.name} took the test call to {prepared.request.to_number} "
        f"(its id {handle.provider_call_id}), from {choice.caller_id or 'its own caller ID'}."
    )
    return await asyncio.to_thread(_show, request, viewer, org_id, flash=said)
