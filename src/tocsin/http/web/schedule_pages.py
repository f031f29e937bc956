"""Schedules and rotations in the dashboard: the list of schedules, a schedule's page with its
two-week timeline (a row per layer, the overrides, and who is on call), where a block of the
final row opens a form to override that period, and the rotations' pages and forms."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.db.session import Session
from tocsin.http.api.auth import OrgAccess
from tocsin.http.web import timeline_svg
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.oncall import calendar_tokens, overrides, rotations, schedules
from tocsin.oncall.checks import MAX_PARTICIPANTS
from tocsin.oncall.models import CalendarTokenKind
from tocsin.oncall.picture import schedule_picture
from tocsin.oncall.rotations import Shape
from tocsin.oncall.who import TWO_WEEKS, Window
from tocsin.organizations.queries import Member, all_members

router = APIRouter(include_in_schema=False)

UNITS = ("hours", "days", "weeks")
# What the form that makes a rotation shows again when it is refused, besides the turns.
_SHAPE_FIELDS = ("name", "unit", "count", "handoff_time", "timezone", "start_at")


def _local(value: str, what: str) -> datetime:
    """A form's date and time, read as UTC when it has no offset (the forms say UTC)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{what} must be a date and time", code="invalid_period") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _field(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _members(db: Session, org_id: str) -> list[tuple[str, str]]:
    return [(member.user.id, _name(member)) for member in all_members(db, org_id=org_id)]


def _name(member: Member) -> str:
    return member.user.display_name or member.user.email


async def _attempt(work: Callable[[], str], failed: Callable[[TocsinError], Response]) -> Response:
    """Run `work` in a thread and go where it says; the page again with the error if refused."""
    try:
        where = await asyncio.to_thread(work)
    except TocsinError as error:
        return await asyncio.to_thread(failed, error)
    return RedirectResponse(where, status_code=303)


# Schedules ---------------------------------------------------------------------------------------


def _schedules_context(viewer: Viewer, org_id: str) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        return {
            "org": get_organization(db, org_id),
            "section": "schedules",
            "schedules": schedules.all_schedules(db, org_id=org_id),
            "rotations": rotations.list_rotations(db, org_id=org_id, limit=200, cursor=None).items,
            "members": _members(db, org_id),
        }


@router.get("/o/{org_id}/schedules")
def schedules_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return render(request, "schedules.html", _schedules_context(viewer, org_id))


@router.post("/o/{org_id}/schedules")
async def create_schedule(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    rotation_id = text(form, "rotation_id")
    user_ids = [value for value in form.getlist("user_ids") if isinstance(value, str) and value]
    layers: list[dict[str, Any]] = []
    if rotation_id:
        layers.append({"name": text(form, "layer_name", "Primary"), "rotation_id": rotation_id})
    if user_ids:
        layers.append({"name": "Fixed", "user_ids": user_ids})

    def work() -> str:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            row = schedules.create_schedule(
                db,
                org_id=org_id,
                name=text(form, "name"),
                timezone=text(form, "timezone", "UTC"),
                layers=layers,
                project_id=None,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
            return f"/o/{org_id}/schedules/{row.id}"

    def failed(error: TocsinError) -> Response:
        context = {**_schedules_context(viewer, org_id), "error": error}
        return render(request, "schedules.html", context, status_code=error.status_code)

    return await _attempt(work, failed)


def schedule_context(
    viewer: Viewer, org_id: str, schedule_id: str, prefill: dict[str, str]
) -> dict[str, Any]:
    now = viewer.runtime.clock.now()
    starts_at = now.replace(minute=0, second=0, microsecond=0)
    window = Window(starts_at, starts_at + TWO_WEEKS)
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        picture = schedule_picture(db, org_id=org_id, schedule_id=schedule_id, window=window)
        listed = overrides.list_overrides(
            db, org_id=org_id, schedule_id=schedule_id, ending_after=now
        )
        members = _members(db, org_id)
        names = dict(members)
        links = [
            token
            for token in calendar_tokens.visible_tokens(db, org_id=org_id, actor=access.actor)
            if token.kind == CalendarTokenKind.SCHEDULE.value and token.subject_id == schedule_id
        ]
        return {
            "org": get_organization(db, org_id),
            "section": "schedules",
            "schedule": picture.schedule,
            "links": links,
            "rows": timeline_svg.rows(
                [(row.name, row.segments) for row in picture.layers],
                picture.overrides,
                picture.final,
                picture.names,
                window.starts_at,
                window.ends_at,
            ),
            "marks": timeline_svg.day_marks(window.starts_at, window.ends_at),
            "svg": {
                "width": timeline_svg.WIDTH,
                "label": timeline_svg.LABEL,
                "row": timeline_svg.ROW,
            },
            "window": window,
            "overrides": [(item, names.get(item.user_id, item.user_id)) for item in listed],
            "names": names,
            "members": members,
            "can_edit": access.role is not None and access.role.rank >= Role.ADMIN.rank,
            "prefill": {
                "starts_at": prefill.get("override_from") or _field(now),
                "ends_at": prefill.get("override_until") or _field(now + timedelta(hours=8)),
                "replaces": prefill.get("replace", ""),
                "chosen": bool(prefill.get("override_from")),
            },
        }


@router.get("/o/{org_id}/schedules/{schedule_id}")
def schedule_page(
    org_id: str,
    schedule_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
) -> Response:
    prefill = {
        key: request.query_params.get(key, "")
        for key in ("override_from", "override_until", "replace")
    }
    return render(request, "schedule.html", schedule_context(viewer, org_id, schedule_id, prefill))


@router.post("/o/{org_id}/schedules/{schedule_id}/overrides")
async def add_override(
    org_id: str,
    schedule_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def work() -> str:
        kind = text(form, "kind", "replace")
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            overrides.add_override(
                db,
                org_id=org_id,
                schedule_id=schedule_id,
                kind=kind,
                user_id=text(form, "user_id"),
                replaces_user_id=(text(form, "replaces_user_id") or None)
                if kind == "replace"
                else None,
                starts_at=_local(text(form, "starts_at"), "the start"),
                ends_at=_local(text(form, "ends_at"), "the end"),
                note=text(form, "note"),
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
        return f"/o/{org_id}/schedules/{schedule_id}"

    def failed(error: TocsinError) -> Response:
        prefill = {
            "override_from": text(form, "starts_at"),
            "override_until": text(form, "ends_at"),
            "replace": text(form, "replaces_user_id"),
        }
        context = {**schedule_context(viewer, org_id, schedule_id, prefill), "error": error}
        return render(request, "schedule.html", context, status_code=error.status_code)

    return await _attempt(work, failed)


@router.post("/o/{org_id}/schedules/{schedule_id}/overrides/{override_id}/remove")
async def remove_override(
    org_id: str,
    schedule_id: str,
    override_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def work() -> str:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            overrides.remove_override(
                db,
                org_id=org_id,
                schedule_id=schedule_id,
                override_id=override_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
        return f"/o/{org_id}/schedules/{schedule_id}"

    def failed(error: TocsinError) -> Response:
        context = {**schedule_context(viewer, org_id, schedule_id, {}), "error": error}
        return render(request, "schedule.html", context, status_code=error.status_code)

    return await _attempt(work, failed)


# Rotations ---------------------------------------------------------------------------------------


def _turns(members: list[Member], chosen: list[str]) -> dict[str, Any]:
    """What the rotation pages need of the members: names for the shifts, and for the selects
    of the turns each member by name and e-mail address (two people may share a name, never an
    address), with who takes each turn."""
    choices = [
        (member.user.id, f"{member.user.display_name} ({member.user.email})")
        if member.user.display_name
        else (member.user.id, member.user.email)
        for member in members
    ]
    return {
        "names": {member.user.id: _name(member) for member in members},
        "turn_choices": choices,
        "turn_labels": dict(choices),
        "chosen": chosen,
        "max_participants": MAX_PARTICIPANTS,
    }


def _may_change(access: OrgAccess) -> bool:
    return access.role is not None and access.role.rank >= Role.ADMIN.rank


def _rotation_context(
    viewer: Viewer, org_id: str, rotation_id: str, chosen: list[str] | None = None
) -> dict[str, Any]:
    """A rotation's page; `chosen`: the turns a refused form asked for, shown again."""
    now = viewer.runtime.clock.now()
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        rotation = rotations.get_rotation(db, org_id=org_id, rotation_id=rotation_id)
        turns = list(rotation.participants) if chosen is None else chosen
        return {
            "org": get_organization(db, org_id),
            "section": "schedules",
            "rotation": rotation,
            "shifts": rotations.upcoming_shifts(
                db, org_id=org_id, rotation_id=rotation_id, now=now
            ),
            "can_edit": _may_change(access),
            **_turns(all_members(db, org_id=org_id), turns),
        }


def _rotations_context(
    viewer: Viewer, org_id: str, typed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The rotations and the form that makes one, holding what a refused form was sent."""
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        return {
            "org": get_organization(db, org_id),
            "section": "schedules",
            "rotations": rotations.list_rotations(db, org_id=org_id, limit=200, cursor=None).items,
            "units": UNITS,
            "now": _field(viewer.runtime.clock.now()),
            "typed": typed or {},
            "can_edit": _may_change(access),
            **_turns(all_members(db, org_id=org_id), typed["participants"] if typed else []),
        }


@router.get("/o/{org_id}/rotations")
def rotations_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return render(request, "rotations.html", _rotations_context(viewer, org_id))


@router.post("/o/{org_id}/rotations")
async def create_rotation(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def work() -> str:
        shape = Shape(
            unit=text(form, "unit", "weeks"),
            count=_count(text(form, "count", "1")),
            handoff_time=text(form, "handoff_time", "09:00"),
            timezone=text(form, "timezone", "UTC"),
            start_at=_local(text(form, "start_at"), "the start"),
        )
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            row = rotations.create_rotation(
                db,
                org_id=org_id,
                name=text(form, "name"),
                shape=shape,
                participants=_participants(form),
                project_id=None,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
            return f"/o/{org_id}/rotations/{row.id}"

    def failed(error: TocsinError) -> Response:
        typed: dict[str, Any] = {name: text(form, name) for name in _SHAPE_FIELDS}
        typed["participants"] = _participants(form)
        context = {**_rotations_context(viewer, org_id, typed), "error": error}
        return render(request, "rotations.html", context, status_code=error.status_code)

    return await _attempt(work, failed)


def _count(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput("the shift length is a whole number", code="invalid_count") from exc


def _participants(form: FormData) -> list[str]:
    """The chosen members in turn order: the form's selects come in the order of the turns,
    and the empty ones are turns not wanted."""
    return [
        value.strip()
        for value in form.getlist("participant")
        if isinstance(value, str) and value.strip()
    ]


@router.get("/o/{org_id}/rotations/{rotation_id}")
def rotation_page(
    org_id: str, rotation_id: str, request: Request, viewer: Viewer = Depends(signed_in)
) -> Response:
    return render(request, "rotation.html", _rotation_context(viewer, org_id, rotation_id))


@router.post("/o/{org_id}/rotations/{rotation_id}")
async def update_rotation(
    org_id: str,
    rotation_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    def work() -> str:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            rotations.update_rotation(
                db,
                org_id=org_id,
                rotation_id=rotation_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                name=text(form, "name") or None,
                # Every turn left empty is refused by the command, not read as "no change".
                participants=_participants(form),
            )
        return f"/o/{org_id}/rotations/{rotation_id}"

    def failed(error: TocsinError) -> Response:
        chosen = _participants(form)
        context = {**_rotation_context(viewer, org_id, rotation_id, chosen), "error": error}
        return render(request, "rotation.html", context, status_code=error.status_code)

    return await _attempt(work, failed)
