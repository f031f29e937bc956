"""Amazon SNS's HTTPS deliveries, and the CloudWatch alarms most of them carry.

SNS wraps every message in an envelope (`Type`, `TopicArn`, `Subject`, `Message`, ...) and,
before the first one, asks for the subscription to be confirmed by a visit to `SubscribeURL`.
A CloudWatch alarm arrives as JSON inside `Message` (or bare, with raw message delivery): its
`NewStateValue` is ALARM, OK or INSUFFICIENT_DATA and its ARN names the incident.
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
aws/aws-lambda-go: events/testdata/cloudwatch-alarm-sns-payload-single-metric.json
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import mapping, text
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, sender_key
from tocsin.formats.severity import Severity
from tocsin.formats.titles import marked_as_recovery

_ALARM_STATES = {
    "ALARM": (Severity.CRITICAL, Intent.TRIGGER, "is in alarm"),
    "OK": (Severity.RESOLVED, Intent.RESOLVE, "is OK"),
    # Missing data is no recovery: an alarm that lost its data keeps paging, and one that starts
    # without data pages mildly, because someone chose to be told.
    "INSUFFICIENT_DATA": (Severity.MINOR, Intent.TRIGGER, "has insufficient data"),
}


def _alarm(document: Mapping[str, Any]) -> Recognised:
    name = text(document.get("AlarmName")) or "CloudWatch alarm"
    state = text(document.get("NewStateValue")).upper()
    severity, intent, verb = _ALARM_STATES.get(state, _ALARM_STATES["ALARM"])
    arn = text(document.get("AlarmArn"))
    return Recognised(
        source=Source.AWS_CLOUDWATCH,
        title=f"{name} {verb}",
        message=text(document.get("AlarmDescription")),
        severity=severity,
        dedup_key=sender_key("cloudwatch", arn or f"{text(document.get('AWSAccountId'))}/{name}"),
        intent=intent,
    )


def is_alarm(document: Any) -> bool:
    return (
        isinstance(document, Mapping) and "AlarmName" in document and ("NewStateValue" in document)
    )


def inner_message(envelope: Mapping[str, Any]) -> Any:
    """The envelope's `Message`, decoded when it is JSON."""
    message = envelope.get("Message")
    if isinstance(message, str) and message.lstrip().startswith("{"):
        try:
            return json.loads(message)
        except ValueError:
            return message
    return message


def _notification(envelope: Mapping[str, Any]) -> Recognised:
    message = inner_message(envelope)
    if is_alarm(message):
        return _alarm(message)
    subject = text(envelope.get("Subject"))
    words = message.strip() if isinstance(message, str) else ""
    topic = text(envelope.get("TopicArn")).rsplit(":", 1)[-1]
    title = subject or (words.splitlines()[0] if words else f"Notification on topic {topic}")
    return Recognised(
        source=Source.AWS_SNS,
        title=title,
        message=words,
        severity=Severity.CRITICAL,
        # Nothing in a plain notification names its incident; the title does, as for any body.
        dedup_key=None,
        intent=Intent.RESOLVE if marked_as_recovery(title) else Intent.TRIGGER,
    )


def _housekeeping(envelope: Mapping[str, Any], kind: str) -> Recognised:
    topic = text(envelope.get("TopicArn"))
    subscribing = kind == "SubscriptionConfirmation"
    return Recognised(
        source=Source.AWS_SNS,
        title=(
            f"Amazon SNS asks to confirm a subscription to {topic}"
            if subscribing
            else f"Amazon SNS ended the subscription to {topic}"
        ),
        message="",
        severity=Severity.INFO,
        dedup_key=None,
        intent=Intent.SUBSCRIBE if subscribing else Intent.UNSUBSCRIBE,
        confirm_url=text(envelope.get("SubscribeURL")) if subscribing else None,
    )


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    if is_alarm(payload):
        return _alarm(payload)
    kind = text(payload.get("Type"))
    if "TopicArn" not in payload or not kind:
        return None
    if kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return _housekeeping(payload, kind)
    return _notification(payload)


def template_variables(payload: Any) -> dict[str, Any]:
    envelope = mapping(payload)
    inner = inner_message(envelope) if "TopicArn" in envelope else envelope
    alarm = inner if is_alarm(inner) else {}
    return {"sns": dict(envelope) if "TopicArn" in envelope else {}, "alarm": dict(alarm)}
