"""What a webhook may send, and the response bodies of the alerts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId, shown
from tocsin.http.api.schemas.fields import SOMETHING
from tocsin.http.api.schemas.maintenance import MutedByOut
from tocsin.intake.accept import Outcome

# A webhook's alert is whatever its sender sends (formats/parse.py reads it): a JSON document,
# a form or text, and the query's parameters as more fields. The routes read the raw body
# themselves, so its description is written here. Refused as `empty_alert` when none of it
# says anything: an empty object, list or text, and no parameters (a description cannot say
# "a body or a parameter", so the webhook's body is not required).
_SAYS_SOMETHING: list[dict[str, Any]] = [
    {"type": "object", "minProperties": 1},
    {"type": "array", "minItems": 1},
    {"type": "string", "pattern": SOMETHING},
    {"type": ["number", "boolean", "null"]},
]
# Text is read as JSON when it parses as JSON, so text that is an empty object, list or string
# says nothing either; and whatever it holds, on the wire it is text.
_JSON_SPACE = r"[ \t\n\r]*"
# Whitespace that may stand raw in a JSON string (the controls below U+0020 may not).
_STRING_SPACE = r" \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_EMPTY_JSON = (
    rf'^{_JSON_SPACE}(\{{{_JSON_SPACE}\}}|\[{_JSON_SPACE}\]|"[{_STRING_SPACE}]*"){_JSON_SPACE}$'
)
# Examples of each kind of body, each one a webhook Tocsin takes (tests/api/test_openapi_complete.py
# sends every one).
JSON_EXAMPLES: dict[str, dict[str, Any]] = {
    "tocsin": {
        "summary": "Tocsin's own fields",
        "description": "`title` (or summary, subject...), `message`, `severity` (critical, "
        "major, minor, warning, info), `status` (`resolved` or `ok` ends the alert), "
        "`dedup_key` (repeats with one key are one alert), `source`; any other field is kept "
        "with the alert and may be matched by the endpoint's rules",
        "value": {
            "title": "Disk full on db1",
            "message": "/var is 98% full",
            "severity": "critical",
            "dedup_key": "db1-disk",
            "source": "backup-cron",
        },
    },
    "alertmanager": {
        "summary": "Prometheus Alertmanager (webhook_config)",
        "value": {
            "version": "4",
            "groupKey": '{}:{alertname="HighErrorRate"}',
            "status": "firing",
            "receiver": "tocsin",
            "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
            "commonAnnotations": {"summary": "5xx above 5% on api"},
            "externalURL": "http://alertmanager:9093",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "HighErrorRate", "instance": "api-1"},
                    "annotations": {"summary": "5xx above 5% on api-1"},
                    "startsAt": "2025-01-01T12:00:00Z",
                    "fingerprint": "c0ffee",
                }
            ],
        },
    },
    "grafana": {
        "summary": "Grafana (legacy alerting's webhook)",
        "value": {
            "ruleId": 7,
            "ruleName": "Checkout latency",
            "state": "alerting",
            "message": "p99 over 2 s for 5 minutes",
            "title": "[Alerting] Checkout latency",
        },
    },
    "uptime_kuma": {
        "summary": "Uptime Kuma (webhook notification)",
        "value": {
            "heartbeat": {"status": 0, "msg": "connect ECONNREFUSED"},
            "monitor": {"id": 3, "name": "Shop", "url": "https://shop.example.com"},
            "msg": "[Shop] [Down] connect ECONNREFUSED",
        },
    },
}
ALERT_BODY: dict[str, Any] = {
    "required": False,
    "description": "The alert as its sender words it: JSON (Tocsin's fields, or a known "
    "sender's format: Alertmanager, Grafana, Uptime Kuma, Datadog, PagerDuty Events, Sentry, "
    "Zabbix, Azure Monitor, Amazon SNS...), a form, or plain text (its first line the title)",
    "content": {
        "application/json": {"schema": {"anyOf": _SAYS_SOMETHING}, "examples": JSON_EXAMPLES},
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": "string"},
            },
            "examples": {
                "form": {
                    "summary": "Tocsin's fields as a form",
                    "value": {"title": "Disk full on db1", "severity": "critical"},
                }
            },
        },
        "text/plain": {
            "examples": {
                "text": {
                    "summary": "Plain text: the first line is the title",
                    "value": "Disk full on db1\n/var is 98% full",
                }
            },
            "schema": {
                "anyOf": [
                    {**branch, "not": {"pattern": _EMPTY_JSON}}
                    if branch["type"] == "string"
                    else branch
                    for branch in _SAYS_SOMETHING
                ]
            },
        },
    },
}


# The query's parameters are the alert's fields too; a GET has nothing else, and is refused as
# `empty_alert` without one (which a description of parameters cannot require).
ALERT_FIELDS: dict[str, Any] = {
    "name": "fields",
    "in": "query",
    "style": "form",
    "explode": True,
    "description": "Fields of the alert, e.g. ?title=Disk+full&severity=critical",
    "schema": {"type": "object"},
}


class HookAcceptedOut(BaseModel):
    """What the webhook did with the alert, once it is stored: the alert is durable and its
    calls are queued before this answer is sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "alert_id": "al_01m8ycrxap78197genycv3nvhg",
                    "outcome": "created",
                    "calls_queued": 1,
                    "calls_cancelled": 0,
                }
            ]
        }
    )

    alert_id: str | None = Field(
        description="The alert made or updated; null for a sender's housekeeping (Amazon SNS "
        "subscriptions), which is no alert"
    )
    outcome: Outcome = Field(
        description="`created` (a new alert, its calls queued), `deduplicated` (a repeat of an "
        "open alert with the same dedup key: counted, nobody called again), `restarted` (a "
        "repeat of an alert whose escalation ran out: paging starts again), `resolved` or "
        "`acknowledged` (the sender said so; pending calls cancelled), or Amazon SNS's "
        "`subscription_*` and `unsubscribed`"
    )
    calls_queued: int = Field(description="Calls (and texts) this request queued")
    calls_cancelled: int = Field(description="Pending calls this request cancelled")
    message: str | None = Field(
        default=None,
        description="Why nothing was called, for whoever reads the answer: on `deduplicated`, "
        "which dedup key matched the open alert and how to get a new one; absent otherwise",
    )


_ALERT = {
    "id": "al_01m8ycrxap78197genycv3nvhg",
    "endpoint_id": "ep_01m8ycrxap78197genycv3nvhg",
    "status": "open",
    "severity": "critical",
    "source": "generic",
    "title": "Disk full on db1",
    "message": "/var is 98% full",
    "dedup_key": "db1-disk",
    "repeat_count": 0,
    "received_at": "2025-01-01T12:00:00Z",
    "last_received_at": "2025-01-01T12:00:00Z",
    "acknowledged_at": None,
    "acknowledged_by": None,
    "acknowledged_user_id": None,
    "resolved_at": None,
    "resolved_by": None,
    "resolved_user_id": None,
}


class AlertOut(BaseModel):
    model_config = shown(_ALERT, from_attributes=True)

    id: OwnId
    endpoint_id: str = Field(description="The endpoint it was sent to")
    status: str = Field(description="`open`, `acknowledged` or `resolved`")
    severity: str = Field(description="critical, major, minor, warning, info or resolved")
    source: str = Field(description="Whose format the body was read in, e.g. `alertmanager`")
    title: str = Field(description="What the alert is about, as the call says it")
    message: str = Field(description="More about it")
    dedup_key: str = Field(description="Repeats with this key while it is open are this alert")
    repeat_count: int = Field(description="How many repeats it absorbed")
    received_at: datetime = Field(description="When it first arrived")
    last_received_at: datetime = Field(description="When a repeat last arrived")
    acknowledged_at: datetime | None = Field(description="When someone acknowledged it")
    acknowledged_by: str | None = Field(
        description="Who acknowledged it, `<kind>:<id>` (a user, a key press on a call, a key)"
    )
    acknowledged_user_id: str | None = Field(
        default=None,
        description="The member who acknowledged it: signed in, or by a key on one of their "
        "own numbers",
    )
    resolved_at: datetime | None = Field(description="When it was resolved")
    resolved_by: str | None = Field(description="Who resolved it, `<kind>:<id>`")
    resolved_user_id: str | None = Field(default=None, description="The member who resolved it")


class CallAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    attempt_no: int = Field(description="1 for the first try of its job, then 2...")
    to_number: str = Field(
        description="The number called or texted; for an e-mail, the member's id"
    )
    channel: str = Field(
        default="voice",
        description="voice (a call), sms (a text) or email (a mail to the member). A text or "
        "mail is never an answer: its status is `sent`, `failed` or `unknown`, and it has no keys",
    )
    caller_id: str = Field(description="The number it was placed from")
    provider: str = Field(description="The provider that placed it, e.g. `twilio`, `simulator`")
    platform_provider: str | None = Field(
        description="The platform provider that placed it, when no account of the organization did"
    )
    provider_call_id: str | None = Field(description="The provider's id of the call")
    simulated: bool = Field(
        description="Placed through the simulator: nobody was called, and no key was pressed "
        "by a person"
    )
    status: str = Field(
        description="Where the call stands, e.g. `ringing`, `answered`, `completed`"
    )
    digits: str = Field(description="The keys pressed: 1 acknowledge, 2 resolve, 9 stop calls")
    spoken_text: str = Field(description="What the call said")
    error_code: str | None = Field(description="Why it failed, as a code")
    error_message: str | None = Field(description="Why it failed, in words")
    created_at: CreatedAt
    accepted_at: datetime | None = Field(description="When the provider took the call")
    answered_at: datetime | None = Field(description="When it was answered")
    ended_at: datetime | None = Field(description="When it ended")
    reply_code: str | None = Field(
        default=None,
        description="A text: the reference it gave the alert (shown `#K3`), which a reply may "
        'name ("1 K3")',
    )


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime = Field(description="When it happened")
    action: str = Field(description="What happened, e.g. `alert.received`, `call.answered`")
    actor_type: str = Field(description="Who did it: user, api_key, endpoint, system...")
    actor_id: str | None = Field(description="Their id, if any")
    target_type: str | None = Field(description="What it happened to, e.g. `call_attempt`")
    target_id: str | None = Field(description="Its id")
    details: Any = Field(description="More about it, by action")


class EscalationStateOut(BaseModel):
    """Where the alert's escalation stands: on which step, and until when it rests there."""

    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    status: str = Field(
        description="Where it stands, e.g. `active`, `acknowledged`, `exhausted` (it ran out "
        "with nobody answering)"
    )
    step: int = Field(description="The step it is on, from 1")
    steps: int = Field(description="How many steps the plan has")
    round: int = Field(description="Which pass through the plan, from 1")
    next_at: datetime | None = Field(description="When it moves to the next step")
    ended_at: datetime | None = Field(description="When it ended")
    plan: list[dict[str, Any]] = Field(description="The steps, as they were when it began")


class CallJobOut(BaseModel):
    """One contact to reach in one step: its calls so far and what happens next. A call held
    by a per-number throttle shows `held_until` and why."""

    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    contact_id: str | None = Field(description="The contact to reach, if a contact")
    to_number: str = Field(
        description="The number called or texted; for an e-mail, the member's id"
    )
    channel: str = Field(default="voice", description="voice, sms or email")
    user_id: str | None = Field(
        default=None, description="The member this tells, when the step paged a person"
    )
    status: str = Field(
        description="pending, leased (a worker holds it), awaiting (a call in progress), done, "
        "cancelled or failed"
    )
    outcome: str | None = Field(description="How it ended, e.g. `acknowledged`, `no_answer`")
    step: int | None = Field(description="The escalation step it belongs to, from 1")
    round: int = Field(description="The escalation's pass, from 1")
    attempts: int = Field(description="Calls placed so far")
    next_attempt_at: datetime | None = Field(description="When the next call is due")
    held_until: datetime | None = Field(description="A throttle holds it until then")
    hold_reason: str | None = Field(description="Why it is held")
    last_error: str | None = Field(description="The last call's failure, if any")


class AlertDetailOut(AlertOut):
    model_config = shown(
        {
            **_ALERT,
            "payload": {"title": "Disk full on db1", "severity": "critical"},
            "muted_by": None,
            "escalation": None,
            "jobs": [],
            "calls": [],
            "timeline": [
                {
                    "at": "2025-01-01T12:00:00Z",
                    "action": "alert.received",
                    "actor_type": "api_key",
                    "actor_id": "key_01m8ycrxap78197genycv3nvhg",
                    "target_type": "alert",
                    "target_id": "al_01m8ycrxap78197genycv3nvhg",
                    "details": {},
                }
            ],
        },
        from_attributes=True,
    )

    payload: Any = Field(description="The body as the sender sent it (trimmed when large)")
    muted_by: MutedByOut | None = Field(
        default=None,
        description="The maintenance window that muted the alert: who made it, why, until when",
    )
    escalation: EscalationStateOut | None = Field(description="Its escalation, when it has one")
    jobs: list[CallJobOut] = Field(description="Who it is to reach, and how that goes")
    calls: list[CallAttemptOut] = Field(description="Every call, text and mail placed for it")
    timeline: list[TimelineEntryOut] = Field(description="What happened to it, oldest first")
