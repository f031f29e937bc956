"""The trust and safety case queue for platform administrators: the list with its filters,
and one case with its history and what can be done about it (note, close, reopen, decide an
appeal, unless this administrator took the action or filed the appeal). The rules are the case
services'; these pages only show and submit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.db.session import Session
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.organizations.queries import organization, organization_names
from tocsin.paging.names import names_on_the_platform
from tocsin.trust import appeals, cases, queries
from tocsin.trust.appeals import Decision
from tocsin.trust.deciders import decider_refusal
from tocsin.trust.models import CaseKind, CaseStatus
from tocsin.trust.queries import is_overdue

router = APIRouter(include_in_schema=False)

NOTE_LIMIT = 5000

E = TypeVar("E", CaseKind, CaseStatus)
Change = Callable[[Session, datetime], None]


def _choice(kind: type[E], value: str | None) -> E | None:
    # A filter with a value we do not know is no filter, rather than an error page.
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def next_page_url(request: Request, cursor: str | None) -> str | None:
    """This page's address with its filters, one page further on."""
    if cursor is None:
        return None
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "cursor"]
    return f"{request.url.path}?{urlencode([*kept, ('cursor', cursor)])}"


@router.get("/admin")
def queue(
    request: Request,
    kind: str | None = None,
    status: str | None = None,
    overdue: str | None = None,
    org_id: str | None = None,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
) -> Response:
    now = viewer.runtime.clock.now()
    chosen_kind, chosen_status = _choice(CaseKind, kind), _choice(CaseStatus, status)
    only_overdue, only_org = bool(overdue), org_id or None
    with viewer.admin(write=False) as db:
        page = queries.list_cases(
            db,
            now=now,
            status=chosen_status,
            kind=chosen_kind,
            org_id=only_org,
            overdue=only_overdue,
            limit=DEFAULT_LIMIT,
            cursor=cursor,
        )
        rows = [(case, is_overdue(case, now)) for case in page.items]
        names = organization_names(db, (case.org_id for case in page.items))
    return render(
        request,
        "admin_queue.html",
        {
            "section": "admin",
            "tab": "cases",
            "rows": rows,
            "names": names,
            "filters": {
                "kind": chosen_kind,
                "status": chosen_status,
                "overdue": only_overdue,
                "org_id": only_org,
            },
            "kinds": list(CaseKind),
            "statuses": list(CaseStatus),
            "next_url": next_page_url(request, page.next_cursor),
        },
    )


def _case_page(
    request: Request,
    viewer: Viewer,
    case_id: str,
    *,
    error: TocsinError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    now = viewer.runtime.clock.now()
    with viewer.admin(write=False) as db:
        case = queries.get_case(db, case_id)
        trail = queries.case_history(db, case.id)
        org = organization(db, case.org_id) if case.org_id else None
        context: dict[str, Any] = {
            "section": "admin",
            "tab": "cases",
            "case": case,
            "overdue": is_overdue(case, now),
            "trail": trail,
            "case_org": org,
            "names": names_on_the_platform(
                db,
                [
                    found
                    for found in (case.opened_by_id, *(event.actor_id for event in trail))
                    if found is not None
                ],
            ),
            "is_appeal": case.kind == CaseKind.APPEAL.value,
            "is_open": case.status == CaseStatus.OPEN.value,
            # Why this administrator may not answer the appeal (they took the action, or filed
            # the appeal), shown instead of the decision form.
            "not_yours": decider_refusal(db, case, viewer.actor),
            "values": values or {},
            "error": error,
        }
    return render(
        request,
        "admin_case.html",
        context,
        status_code=error.status_code if error is not None else 200,
    )


@router.get("/admin/cases/{case_id}")
def case_page(case_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return _case_page(request, viewer, case_id)


def _note(form: FormData, name: str = "note") -> str:
    value = text(form, name)
    if len(value) > NOTE_LIMIT:
        raise InvalidInput(f"keep it under {NOTE_LIMIT} characters", code="note_too_long")
    return value


def _after(
    request: Request, viewer: Viewer, case_id: str, form: FormData, change: Change
) -> Response:
    """Apply `change(db, now)` to the case, then back to it; a refusal re-shows the form."""
    now = viewer.runtime.clock.now()
    try:
        with viewer.admin(write=True) as db:
            change(db, now)
    except TocsinError as error:
        values = {key: text(form, key) for key in ("note", "resolution", "decision_note")}
        return _case_page(request, viewer, case_id, error=error, values=values)
    return RedirectResponse(f"/admin/cases/{case_id}", status_code=303)


@router.post("/admin/cases/{case_id}/note")
def add_note(
    case_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def change(db: Session, now: datetime) -> None:
        note = _note(form)
        if not note:
            raise InvalidInput("write a note first", code="note_required")
        cases.update_case(db, case_id=case_id, actor=viewer.actor, now=now, note=note)

    return _after(request, viewer, case_id, form, change)


@router.post("/admin/cases/{case_id}/status")
def change_status(
    case_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def change(db: Session, now: datetime) -> None:
        status = _choice(CaseStatus, text(form, "status"))
        if status is None:
            raise InvalidInput("choose resolve, dismiss or reopen", code="invalid_status")
        cases.update_case(
            db,
            case_id=case_id,
            actor=viewer.actor,
            now=now,
            status=status,
            note=_note(form) or None,
            resolution=_note(form, "resolution") or None,
        )

    return _after(request, viewer, case_id, form, change)


@router.post("/admin/cases/{case_id}/decision")
def decide(
    case_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def change(db: Session, now: datetime) -> None:
        try:
            decision = Decision(text(form, "decision"))
        except ValueError as error:
            raise InvalidInput("grant or uphold", code="invalid_decision") from error
        note = _note(form, "decision_note")
        if not note:
            raise InvalidInput("say why (note)", code="resolution_required")
        appeals.decide(
            db, case_id=case_id, decision=decision, note=note, actor=viewer.actor, now=now
        )

    return _after(request, viewer, case_id, form, change)
