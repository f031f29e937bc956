"""Escalation policies: the list, and each policy's steps in words with an editor for them.

The editor writes what most policies are: rows of "page these people, then wait so many
minutes", and "then start again so many times". A row becomes a `call` step and, when it waits,
a `wait` step; the repeat becomes the last step. Whom a row pages is chosen among the
organization's contacts, members, schedules and projects by name. A policy the rows cannot say
exactly (a wait that grows on each pass, a wait first) is shown in words, and saving it from the
form says what it changes. Every save is the API's own command (`endpoints.commands`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.contacts.queries import all_contacts
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.core.pagination import MAX_LIMIT
from tocsin.db.session import Session
from tocsin.endpoints import commands, queries
from tocsin.http.api.auth import OrgAccess
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.oncall.projects import list_projects
from tocsin.oncall.schedules import all_schedules
from tocsin.organizations.queries import all_members
from tocsin.routing.steps import MAX_REPEATS, MAX_STEPS, MAX_WAIT_MINUTES

router = APIRouter(include_in_schema=False)

# Whom a step names, as the form's values say it ("user:usr_..."), and the step's field for it.
KINDS = {
    "contact": "contact_ids",
    "user": "user_ids",
    "schedule": "schedule_ids",
    "project": "project_ids",
}
# Rows the form offers: those the policy has, and this many empty ones to add a step.
SPARE_ROWS = 2


@dataclass
class Row:
    """One row of the editor: page `who` at once (values "kind:id"), then wait `wait` minutes."""

    who: list[str] = field(default_factory=list)
    wait: float = 0
    notify_only: bool = False


@dataclass(frozen=True)
class Rows:
    rows: list[Row]
    repeat: int
    # False when the policy has steps the rows cannot say (backoff, a leading or second wait).
    exact: bool


def rows_of(steps: list[dict[str, Any]]) -> Rows:
    """The editor's rows for a policy's stored steps."""
    rows: list[Row] = []
    repeat, exact = 0, True
    for step in steps:
        kind = step.get("type")
        if kind == "call":
            who = [f"{name}:{i}" for name, key in KINDS.items() for i in step.get(key, [])]
            rows.append(Row(who=who, notify_only=bool(step.get("notify_only"))))
        elif kind == "wait" and rows and not rows[-1].wait:
            rows[-1].wait = float(step["minutes"])
            exact = exact and step.get("backoff", 1) == 1 and step.get("max_minutes") is None
        elif kind == "repeat":
            repeat = int(step["times"])
        else:
            exact = False
    return Rows(rows, repeat, exact)


def _minutes(value: str, row: int) -> float:
    if not value:
        return 0
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1
    if not 0 <= minutes <= MAX_WAIT_MINUTES:
        raise InvalidInput(
            f"step {row}: wait 0 to {MAX_WAIT_MINUTES} minutes", code="invalid_steps"
        )
    return minutes


def steps_of(form: FormData) -> tuple[list[dict[str, Any]], Rows]:
    """The steps the form says, and its rows as typed (shown again if the save is refused)."""
    rows: list[Row] = []
    steps: list[dict[str, Any]] = []
    for index in range(MAX_STEPS):
        who = [v for v in form.getlist(f"who-{index}") if isinstance(v, str) and v]
        wait_text = text(form, f"wait-{index}")
        if not who and not wait_text:
            continue
        row = Row(who, _minutes(wait_text, index + 1), form.get(f"notify-{index}") == "on")
        rows.append(row)
        if not who:
            continue
        call: dict[str, Any] = {"type": "call"}
        for value in who:
            kind, _, target = value.partition(":")
            if kind not in KINDS or not target:
                raise InvalidInput(
                    f"step {index + 1}: unknown choice {value}", code="invalid_steps"
                )
            call.setdefault(KINDS[kind], []).append(target)
        if row.notify_only:
            call["notify_only"] = True
        steps.append(call)
        if row.wait:
            steps.append({"type": "wait", "minutes": row.wait})
    repeat_text = text(form, "repeat", "0") or "0"
    if not repeat_text.isdigit() or int(repeat_text) > MAX_REPEATS:
        raise InvalidInput(f"start again 0 to {MAX_REPEATS} times", code="invalid_steps")
    repeat = int(repeat_text)
    if repeat:
        steps.append({"type": "repeat", "times": repeat})
    return steps, Rows(rows, repeat, True)


def _choices(db: Session, org_id: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Whom a step can page, in groups, as (value, label)."""
    return [
        (
            "Contacts",
            [
                (f"contact:{c.id}", f"{c.name} ({c.phone_e164})")
                for c in all_contacts(db, org_id=org_id)
            ],
        ),
        (
            "Members",
            [
                (f"user:{m.user.id}", m.user.display_name or m.user.email)
                for m in all_members(db, org_id=org_id)
            ],
        ),
        (
            "Schedules (whoever is on call)",
            [(f"schedule:{s.id}", s.name) for s in all_schedules(db, org_id=org_id)],
        ),
        (
            "Projects (every member)",
            [(f"project:{p.id}", p.name) for p in list_projects(db, org_id=org_id)],
        ),
    ]


def _choosing(db: Session, org_id: str) -> dict[str, Any]:
    choices = _choices(db, org_id)
    labels = {value: label for _, options in choices for value, label in options}
    return {"choices": choices, "labels": labels}


def _is_admin(access: OrgAccess) -> bool:
    return access.role is not None and access.role.rank >= Role.ADMIN.rank


def _list_context(db: Session, org_id: str, access: OrgAccess) -> dict[str, Any]:
    policies = queries.list_policies(db, org_id=org_id, limit=MAX_LIMIT, cursor=None).items
    return {
        "org": get_organization(db, org_id),
        "section": "escalations",
        "policies": [(policy, rows_of(policy.steps)) for policy in policies],
        "is_admin": _is_admin(access),
        **_choosing(db, org_id),
        "form": Rows([], 0, True),
        "spare": SPARE_ROWS + 1,
        "values": {},
    }


@router.get("/o/{org_id}/escalations")
def escalations_page(
    org_id: str, request: Request, deleted: str = "", viewer: Viewer = Depends(signed_in)
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        context = _list_context(db, org_id, access)
    if deleted:
        context["flash"] = "Escalation policy deleted."
    return render(request, "escalations.html", context)


@router.post("/o/{org_id}/escalations")
def create_escalation(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    name = text(form, "name")
    typed = Rows([], 0, True)
    try:
        steps, typed = steps_of(form)
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            policy = commands.create_policy(
                db,
                org_id=org_id,
                name=name,
                steps=steps,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
            policy_id = policy.id
    except TocsinError as error:
        with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
            context = _list_context(db, org_id, access)
        context.update(form=typed, values={"name": name}, error=error)
        return render(request, "escalations.html", context, status_code=error.status_code)
    return RedirectResponse(f"/o/{org_id}/escalations/{policy_id}", status_code=303)


def _policy_context(viewer: Viewer, org_id: str, escalation_id: str) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        policy = queries.get_policy(db, org_id=org_id, policy_id=escalation_id)
        rows = rows_of(policy.steps)
        return {
            "org": get_organization(db, org_id),
            "section": "escalations",
            "policy": policy,
            "rows": rows,
            "form": rows,
            "spare": SPARE_ROWS,
            "values": {"name": policy.name},
            "is_admin": _is_admin(access),
            **_choosing(db, org_id),
        }


@router.get("/o/{org_id}/escalations/{escalation_id}")
def escalation_page(
    org_id: str,
    escalation_id: str,
    request: Request,
    saved: str = "",
    viewer: Viewer = Depends(signed_in),
) -> Response:
    context = _policy_context(viewer, org_id, escalation_id)
    if saved:
        context["flash"] = "Escalation policy saved."
    return render(request, "escalation.html", context)


@router.post("/o/{org_id}/escalations/{escalation_id}")
def save_escalation(
    org_id: str,
    escalation_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Alerts already escalating keep the steps they started with."""
    name = text(form, "name")
    typed = Rows([], 0, True)
    try:
        steps, typed = steps_of(form)
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.update_policy(
                db,
                org_id=org_id,
                policy_id=escalation_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                name=name,
                steps=steps,
            )
    except TocsinError as error:
        context = _policy_context(viewer, org_id, escalation_id)
        context.update(form=typed, values={"name": name}, error=error)
        return render(request, "escalation.html", context, status_code=error.status_code)
    return RedirectResponse(f"/o/{org_id}/escalations/{escalation_id}?saved=1", status_code=303)


@router.post("/o/{org_id}/escalations/{escalation_id}/delete")
def delete_escalation(
    org_id: str,
    escalation_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    """Refused while an endpoint's rules still call it (the command says which)."""
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.delete_policy(
                db,
                org_id=org_id,
                policy_id=escalation_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        context = {**_policy_context(viewer, org_id, escalation_id), "error": error}
        return render(request, "escalation.html", context, status_code=error.status_code)
    return RedirectResponse(f"/o/{org_id}/escalations?deleted=1", status_code=303)
