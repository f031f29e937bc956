"""The steps of an escalation, and the plan an alert's route turns into.

A plan is a list of steps: `call` (ring these contacts at once), `wait` (give them time before
the next step) and, last, `repeat` (go back to the first step, up to so many times). Every
route becomes a plan: `call_primary` is one call step to the endpoint's first contact,
`call_escalation` the policy's own steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from tocsin.routing.rules import Action, ActionType

MAX_STEPS = 30
MAX_CONTACTS_PER_STEP = 20
MAX_REPEATS = 10
MAX_WAIT_MINUTES = 24 * 60


class CallStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["call"] = "call"
    contact_ids: list[str] = Field(min_length=1, max_length=MAX_CONTACTS_PER_STEP)

    @field_validator("contact_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a contact is listed twice in one step")
        return value


class WaitStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["wait"] = "wait"
    # Fractions are allowed: 0.5 is thirty seconds.
    minutes: float = Field(gt=0, le=MAX_WAIT_MINUTES)

    @property
    def seconds(self) -> float:
        return self.minutes * 60


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
    return [step.model_dump() for step in steps]


def plan_for(
    action: Action,
    *,
    endpoint_contact_ids: Sequence[str],
    policy_steps: Sequence[dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    """The steps an alert routed to `action` takes; empty when there is nobody to call.

    `policy_steps` are the escalation policy's steps for call_escalation, or None when that
    policy no longer exists, in which case the primary contact is called: a page goes to the
    endpoint's primary rather than nowhere.
    """
    if action.type == ActionType.CALL_ESCALATION and policy_steps is not None:
        return list(policy_steps)
    if action.type == ActionType.CALL_MEMBER and action.contact_id is not None:
        return [_call(action.contact_id)]
    if not endpoint_contact_ids:
        return []
    if action.type == ActionType.CALL_ALL:
        return [_call(*endpoint_contact_ids)]
    return [_call(endpoint_contact_ids[0])]


def _call(*contact_ids: str) -> dict[str, Any]:
    # Built directly: an endpoint may list more contacts than a policy's step may.
    return {"type": "call", "contact_ids": list(contact_ids)}
