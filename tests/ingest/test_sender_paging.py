"""Every sender Tocsin knows, body by body as its guide shows it: the firing body pages once with
a title fit to be read aloud, the sender's acknowledgement (where it has one) stops the calls,
and its recovery resolves the very alert the firing body opened."""

from __future__ import annotations

import pytest

from tests.ingest.rows import Paging, paging_endpoint
from tests.ingest.sender_bodies import SENDERS, Sender, body
from tocsin.intake.accept import IngestResult, Outcome
from tocsin.messages import MessageContext, render_message
from tocsin.runtime import Runtime

JSON_PUNCTUATION = set('{}[]"')


def send(paging: Paging, guide: str, name: str) -> IngestResult:
    sent = body(guide, name)
    return paging.send(sent.raw, content_type=sent.content_type, query=sent.query)


def spoken(paging: Paging, alert_id: str | None) -> str:
    alert = paging.alert(alert_id)
    context = MessageContext(
        endpoint="Production",
        title=alert.title,
        message=alert.message,
        severity=alert.severity,
        source=alert.source,
        payload=alert.payload,
    )
    return render_message(None, context, max_characters=600).text


@pytest.mark.parametrize("sender", SENDERS, ids=str)
def test_a_firing_body_pages_once_and_is_read_as_words(runtime: Runtime, sender: Sender) -> None:
    paging = paging_endpoint(runtime)
    fired = send(paging, sender.guide, sender.firing)
    assert (fired.outcome, fired.calls_queued) == (Outcome.CREATED, 1)
    alert = paging.alert(fired.alert_id)
    assert (alert.source, alert.status) == (sender.source.value, "open")
    assert not JSON_PUNCTUATION & set(alert.title), alert.title
    assert not JSON_PUNCTUATION & set(spoken(paging, fired.alert_id))


@pytest.mark.parametrize("sender", SENDERS, ids=str)
def test_the_recovery_resolves_the_alert_its_firing_body_opened(
    runtime: Runtime, sender: Sender
) -> None:
    paging = paging_endpoint(runtime)
    fired = send(paging, sender.guide, sender.firing)
    recovered = send(paging, sender.guide, sender.recovery)
    assert (recovered.alert_id, recovered.outcome, recovered.calls_cancelled) == (
        fired.alert_id,
        Outcome.RESOLVED,
        1,
    )
    assert (paging.alert(fired.alert_id).status, paging.alert(fired.alert_id).resolved_by) == (
        "resolved",
        "source",
    )
    assert len(paging.alerts()) == 1


@pytest.mark.parametrize("sender", [s for s in SENDERS if s.acknowledgement], ids=str)
def test_the_senders_acknowledgement_stops_the_calls(runtime: Runtime, sender: Sender) -> None:
    assert sender.acknowledgement is not None
    paging = paging_endpoint(runtime)
    fired = send(paging, sender.guide, sender.firing)
    acknowledged = send(paging, sender.guide, sender.acknowledgement)
    assert (acknowledged.alert_id, acknowledged.outcome, acknowledged.calls_cancelled) == (
        fired.alert_id,
        Outcome.ACKNOWLEDGED,
        1,
    )
    alert = paging.alert(fired.alert_id)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", "source")
    assert paging.job_statuses(fired.alert_id) == ["cancelled"]
    assert "alert.acknowledged" in paging.audit_actions()
    # Acknowledged is not over: the recovery still resolves it.
    resolved = send(paging, sender.guide, sender.recovery)
    assert (resolved.alert_id, resolved.outcome) == (fired.alert_id, Outcome.RESOLVED)
