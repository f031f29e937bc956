"""The steps of an escalation, and the plan an alert's route turns into.

A plan is a list of steps: `call` (page these contacts, members, schedules and projects at
once), `wait` (give them time before the next step, longer on each pass when it has a
`backoff`) and, last, `repeat` (go back to the
first step, up to so many times). Every route becomes a plan: `call_escalation` is the policy's
own steps; the built-in actions keep paging until someone answers (`PagingDefaults`):

    call_primary      call the endpoint's first contact, then all of its contacts together
    call_all          call all of the endpoint's contacts together
    call_contact      call that contact
    call_member       tell that member, through their notification rules
    call_on_schedule  tell whoever the schedule has on call when the step runs
    call_project      tell every member of the project
    notify            text and e-mail (never call) whom it names, or the endpoint's contacts,
                      once: one step, no wait, no repeat; the escalation ends `notified`
    record            nobody: the alert is recorded and shown, and no escalation starts

each followed by a wait that doubles on every pass (5, 10, 20, 40, 60, 60 ... minutes by
default) and a repeat, for `rounds` passes in all (10 by default, about eight hours), after which
the escalation is exhausted, shown as such and its owners told; a new notification for the
still-open alert starts it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    field_validator,
    model_validator,
)

from tocsin.routing.rules import Action, ActionType

MAX_STEPS = 30
MAX_CONTACTS_PER_STEP = 20
MAX_REPEATS = 10
MAX_WAIT_MINUTES = 24 * 60


def _distinct_ids(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("one id is listed twice in one step")
    return value


def _ids() -> Any:
    return Field(
        default_factory=list,
        max_length=MAX_CONTACTS_PER_STEP,
        json_schema_extra={"uniqueItems": True},
    )


class CallStep(BaseModel):
    """Page these at once: contacts (numbers), members (through their notification rules),
    whoever each schedule has on call, and every member of each project. Who exactly is paged
    is worked out when the step runs."""

    model_config = ConfigDict(
        extra="forbid",
        # What `_pages_someone` holds, said in the JSON schema the API describes steps with.
        json_schema_extra={
            "anyOf": [
                {"required": [kind], "properties": {kind: {"minItems": 1}}}
                for kind in ("contact_ids", "user_ids", "schedule_ids", "project_ids")
            ]
        },
    )

    type: Literal["call"] = "call"
    # Tell by text and e-mail only, never a call: contacts get a text to their number, members
    # are told through their SMS and e-mail notification rules only.
    notify_only: StrictBool = False
    contact_ids: list[str] = _ids()
    user_ids: list[str] = _ids()
    schedule_ids: list[str] = _ids()
    project_ids: list[str] = _ids()

    _distinct = field_validator("contact_ids", "user_ids", "schedule_ids", "project_ids")(
        _distinct_ids
    )

    @model_validator(mode="after")
    def _pages_someone(self) -> CallStep:
        if not self.named():
            raise ValueError("a call step names at least one contact, member, schedule or project")
        return self

    def named(self) -> int:
        return (
            len(self.contact_ids)
            + len(self.user_ids)
            + len(self.schedule_ids)
            + len(self.project_ids)
        )


class WaitStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["wait"] = "wait"
    # Fractions are allowed: 0.5 is thirty seconds.
    minutes: float = Field(gt=0, le=MAX_WAIT_MINUTES)
    # Each pass through the plan waits `backoff` times longer than the one before, up to
    # `max_minutes`: unanswered pages come further apart rather than stop.
    backoff: float = Field(default=1.0, ge=1.0, le=10.0)
    max_minutes: float | None = Field(default=None, gt=0, le=MAX_WAIT_MINUTES)

    def seconds_in(self, passes: int) -> float:
        """How long this wait lasts after `passes` earlier passes through the plan."""
        minutes = self.minutes * self.backoff ** min(passes, 64)
        if self.max_minutes is not None:
            minutes = min(minutes, self.max_minutes)
        return min(minutes, MAX_WAIT_MINUTES) * 60


class RepeatStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["repeat"] = "repeat"
    times: int = Field(ge=1, le=MAX_REPEATS)


Step = Annotated[CallStep | WaitStep | RepeatStep, Field(discriminator="type")]
STEPS = TypeAdapter(list[Step])


def check_steps(steps: Sequence[CallStep | WaitStep | RepeatStep]) -> None:
    """Raise ValueError unless the steps make a sensible chain."""
    if not steps or len(steps) > MAX_STEPS:
        raise ValueError(f"an escalation has 1 to {MAX_STEPS} steps")
    if not any(isinstance(step, CallStep) for step in steps):
        raise ValueError("an escalation needs at least one call step")
    for position, step in enumerate(steps):
        if isinstance(step, RepeatStep) and position != len(steps) - 1:
            raise ValueError("repeat can only be the last step")


def parse_steps(documents: Sequence[dict[str, Any]]) -> list[CallStep | WaitStep | RepeatStep]:
    return STEPS.validate_python(documents)


def dump_steps(steps: Sequence[CallStep | WaitStep | RepeatStep]) -> list[dict[str, Any]]:
    # Written as they always were: a plain wait without its (unused) backoff fields, a call
    # step without the kinds of target it does not name.
    return [
        step.model_dump(exclude_none=True, exclude={"backoff"} if step.backoff == 1 else set())
        if isinstance(step, WaitStep)
        else _call_document(step)
        if isinstance(step, CallStep)
        else step.model_dump()
        for step in steps
    ]


def _call_document(step: CallStep) -> dict[str, Any]:
    document = step.model_dump()
    for kind in ("user_ids", "schedule_ids", "project_ids"):
        if not document[kind]:
            del document[kind]
    if not step.notify_only:
        del document["notify_only"]
    return document


def notify_only(steps: Sequence[CallStep | WaitStep | RepeatStep]) -> bool:
    """Whether a plan only tells (every call step is notify-only): when it has run, nobody was
    expected to answer, so it ends as `notified`, never as exhausted."""
    calls = [step for step in steps if isinstance(step, CallStep)]
    return bool(calls) and all(step.notify_only for step in calls)


@dataclass(frozen=True)
class PagingDefaults:
    """How the built-in actions keep paging until someone answers."""

    # Passes through the plan in all; 1 calls once round and stops.
    rounds: int = 10
    # The wait after the first pass, doubled after each pass up to `max_wait_minutes`.
    first_wait_minutes: float = 5.0
    max_wait_minutes: float = 60.0

    def __post_init__(self) -> None:
        if not 1 <= self.rounds <= MAX_REPEATS + 1:
            raise ValueError(f"paging rounds must be 1 to {MAX_REPEATS + 1}")
        if not 0 < self.first_wait_minutes <= self.max_wait_minutes <= MAX_WAIT_MINUTES:
            raise ValueError("paging waits must be positive, the first no longer than the most")


DEFAULT_PAGING = PagingDefaults()


def plan_for(
    action: Action,
    *,
    endpoint_contact_ids: Sequence[str],
    policy_steps: Sequence[dict[str, Any]] | None,
    paging: PagingDefaults = DEFAULT_PAGING,
) -> list[dict[str, Any]]:
    """The steps an alert routed to `action` takes; empty when there is nobody to call.

    `policy_steps` are the escalation policy's steps for call_escalation, or None when that
    policy no longer exists, in which case the primary contact is called: a page goes to the
    endpoint's primary rather than nowhere.
    """
    if action.type == ActionType.RECORD:
        return []
    if action.type == ActionType.NOTIFY:
        return _notify(action, endpoint_contact_ids)
    if action.type == ActionType.CALL_ESCALATION and policy_steps is not None:
        return list(policy_steps)
    if action.type == ActionType.CALL_CONTACT and action.contact_id is not None:
        return _until_answered([_call(action.contact_id)], paging)
    named = _NAMES.get(action.type)
    if named is not None and action.target_id is not None:
        return _until_answered([{"type": "call", named: [action.target_id]}], paging)
    if not endpoint_contact_ids:
        return []
    if action.type == ActionType.CALL_ALL or len(endpoint_contact_ids) == 1:
        return _until_answered([_call(*endpoint_contact_ids)], paging)
    return _until_answered([_call(endpoint_contact_ids[0]), _call(*endpoint_contact_ids)], paging)


_NAMES = {
    ActionType.CALL_MEMBER: "user_ids",
    ActionType.CALL_ON_SCHEDULE: "schedule_ids",
    ActionType.CALL_PROJECT: "project_ids",
}
_NOTIFIED = {
    "contact_id": "contact_ids",
    "user_id": "user_ids",
    "schedule_id": "schedule_ids",
    "project_id": "project_ids",
}


def _notify(action: Action, endpoint_contact_ids: Sequence[str]) -> list[dict[str, Any]]:
    """One pass, texts and e-mails only: whom the action names, else the endpoint's contacts."""
    field = action.target_field
    if field is not None and action.target_id is not None:
        return [{"type": "call", "notify_only": True, _NOTIFIED[field]: [action.target_id]}]
    if not endpoint_contact_ids:
        return []
    return [{"type": "call", "notify_only": True, "contact_ids": list(endpoint_contact_ids)}]


def _until_answered(calls: list[dict[str, Any]], paging: PagingDefaults) -> list[dict[str, Any]]:
    if paging.rounds == 1:
        return calls
    wait = {
        "type": "wait",
        "minutes": paging.first_wait_minutes,
        "backoff": 2.0,
        "max_minutes": paging.max_wait_minutes,
    }
    return [*calls, wait, {"type": "repeat", "times": paging.rounds - 1}]


def _call(*contact_ids: str) -> dict[str, Any]:
    # Built directly: an endpoint may list more contacts than a policy's step may.
    return {"type": "call", "contact_ids": list(contact_ids)}
