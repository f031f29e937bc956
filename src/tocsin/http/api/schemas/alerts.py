"""What a webhook may send, and the response bodies of the alerts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId
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


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    endpoint_id: str
    status: str
    severity: str
    source: str
    title: str
    message: str
    dedup_key: str
    repeat_count: int
    received_at: datetime
    last_received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    # The member who acknowledged it: signed in, or by a key on one of their own numbers.
    acknowledged_user_id: str | None = None
    resolved_at: datetime | None
    resolved_by: str | None
    resolved_user_id: str | None = None


class CallAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    attempt_no: int
    # The number called or texted; for an e-mail, the member's id.
    to_number: str
    # voice (a call), sms (a text) or email (a mail to the member). A text or mail is never
    # an answer: its status is `sent`, `failed` or `unknown`, and it has no keys.
    channel: str = "voice"
    caller_id: str
    provider: str
    # The platform provider that placed it, when no account of the organization did.
    platform_provider: str | None
    provider_call_id: str | None
    # Placed through the simulator: nobody was called, and no key was pressed by a person.
    simulated: bool
    status: str
    digits: str
    spoken_text: str
    error_code: str | None
    error_message: str | None
    created_at: CreatedAt
    accepted_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    # A text: the reference it gave the alert (shown `#K3`), which a reply may name ("1 K3").
    reply_code: str | None = None


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    actor_type: str
    actor_id: str | None
    target_type: str | None
    target_id: str | None
    details: Any


class EscalationStateOut(BaseModel):
    """Where the alert's escalation stands: on which step, and until when it rests there."""

    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    status: str
    step: int
    steps: int
    round: int
    next_at: datetime | None
    ended_at: datetime | None
    plan: list[dict[str, Any]]


class CallJobOut(BaseModel):
    """One contact to reach in one step: its calls so far and what happens next. A call held
    by a per-number throttle shows `held_until` and why."""

    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    contact_id: str | None
    # The number called or texted; for an email, the member's id.
    to_number: str
    # voice, sms or email.
    channel: str = "voice"
    # The member this tells, when the step paged a person.
    user_id: str | None = None
    status: str
    outcome: str | None
    step: int | None
    round: int
    attempts: int
    next_attempt_at: datetime | None
    held_until: datetime | None
    hold_reason: str | None
    last_error: str | None


class AlertDetailOut(AlertOut):
    payload: Any
    muted_by: MutedByOut | None = Field(
        default=None,
        description="The maintenance window that muted the alert: who made it, why, until when",
    )
    escalation: EscalationStateOut | None
    jobs: list[CallJobOut]
    calls: list[CallAttemptOut]
    timeline: list[TimelineEntryOut]
