"""Escalation steps and the plans routes turn into."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tocsin.routing.rules import Action, ActionType
from tocsin.routing.steps import PagingDefaults, check_steps, parse_steps, plan_for


def steps(*documents: dict[str, Any]) -> list[Any]:
    return parse_steps(list(documents))


def test_a_chain_of_call_wait_call_repeat_is_accepted() -> None:
    chain = steps(
        {"type": "call", "contact_ids": ["ct_a"]},
        {"type": "wait", "minutes": 5},
        {"type": "call", "contact_ids": ["ct_b", "ct_c"]},
        {"type": "repeat", "times": 2},
    )
    check_steps(chain)
    assert chain[1].seconds_in(0) == chain[1].seconds_in(3) == 300


def test_a_wait_with_a_backoff_grows_on_every_pass_up_to_its_most() -> None:
    [wait] = steps({"type": "wait", "minutes": 5, "backoff": 2, "max_minutes": 60})
    assert [wait.seconds_in(passes) / 60 for passes in range(6)] == [5, 10, 20, 40, 60, 60]


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        ([], "1 to 30 steps"),
        ([{"type": "wait", "minutes": 1}], "at least one call step"),
        (
            [{"type": "repeat", "times": 1}, {"type": "call", "contact_ids": ["ct_a"]}],
            "repeat can only be the last step",
        ),
    ],
)
def test_chains_that_make_no_sense_are_refused(chain: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_steps(steps(*chain))


@pytest.mark.parametrize(
    "step",
    [
        {"type": "call", "contact_ids": []},
        {"type": "call", "contact_ids": ["ct_a", "ct_a"]},
        {"type": "wait", "minutes": 0},
        {"type": "wait", "minutes": 24 * 60 + 1},
        {"type": "repeat", "times": 0},
        {"type": "repeat", "times": 11},
        {"type": "page", "contact_ids": ["ct_a"]},
    ],
)
def test_malformed_steps_are_refused(step: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        steps(step)


def test_every_action_becomes_a_plan() -> None:
    contacts = ["ct_a", "ct_b"]
    policy = [{"type": "call", "contact_ids": ["ct_z"]}, {"type": "wait", "minutes": 1}]

    def plan(action: Action, policy_steps: Any = None) -> list[dict[str, Any]]:
        return plan_for(action, endpoint_contact_ids=contacts, policy_steps=policy_steps)

    call = {"type": "call", "contact_ids": ["ct_a"]}
    everyone = {"type": "call", "contact_ids": contacts}
    # The built-in actions page until someone answers: a wait that doubles, and a repeat.
    again = [
        {"type": "wait", "minutes": 5.0, "backoff": 2.0, "max_minutes": 60.0},
        {"type": "repeat", "times": 9},
    ]
    assert plan(Action(type=ActionType.CALL_PRIMARY)) == [call, everyone, *again]
    assert plan(Action(type=ActionType.CALL_ALL)) == [everyone, *again]
    assert plan(Action(type=ActionType.CALL_MEMBER, contact_id="ct_q")) == [
        {"type": "call", "contact_ids": ["ct_q"]},
        *again,
    ]
    escalate = Action(type=ActionType.CALL_ESCALATION, escalation_id="esp_1")
    # A policy's own steps are its own: it decides whether and how it repeats.
    assert plan(escalate, policy) == policy
    # A policy that is gone pages the primary contact rather than nobody.
    assert plan(escalate, None) == [call, everyone, *again]
    for planned in (plan(Action(type=ActionType.CALL_PRIMARY)), plan(escalate, policy)):
        check_steps(parse_steps(planned))


def test_the_rounds_of_the_built_in_plan_are_configurable() -> None:
    once = PagingDefaults(rounds=1)
    assert plan_for(
        Action(type=ActionType.CALL_PRIMARY),
        endpoint_contact_ids=["ct_a"],
        policy_steps=None,
        paging=once,
    ) == [{"type": "call", "contact_ids": ["ct_a"]}]
    with pytest.raises(ValueError, match="rounds must be 1 to 11"):
        PagingDefaults(rounds=12)


def test_an_endpoint_without_contacts_has_nobody_to_call() -> None:
    assert (
        plan_for(Action(type=ActionType.CALL_ALL), endpoint_contact_ids=[], policy_steps=None) == []
    )
