"""Whatever JSON arrives, what Tocsin makes of it is words: no title or spoken text carries JSON
punctuation that the sender's own strings did not."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.core.errors import InvalidInput
from tocsin.formats.parse import parse_alert
from tocsin.messages import MessageContext, render_message

JSON_PUNCTUATION = set('{}[]"')
# Strings without JSON punctuation, so any in the result was Tocsin's doing.
words = st.text(
    alphabet=st.characters(
        blacklist_characters="".join(JSON_PUNCTUATION) + "\\",
        blacklist_categories=("Cs",),
    ),
    max_size=20,
)
# Names the senders and the generic reader look for, so bodies often hit a reader's path.
known_names = st.sampled_from(
    [
        "title", "Subject", "message", "status", "state", "severity", "priority", "host",
        "incident", "data", "essentials", "monitorCondition", "event_action", "payload",
        "summary", "alert", "chart", "heartbeat", "monitor", "Type", "TopicArn", "Message",
        "NOTIFICATIONTYPE", "HOSTNAME", "alert_type", "check_id", "event_id", "event_value",
        "alert_transition", "incident_id", "id", "issueUrl", "action", "installation",
    ]
)  # fmt: skip
scalars = st.one_of(st.none(), st.booleans(), st.integers(), words)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(known_names, words), children, max_size=4),
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.dictionaries(st.one_of(known_names, words), values, max_size=6),
    st.lists(values, max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_no_json_body_is_read_aloud_as_json(document: Any) -> None:
    raw = json.dumps(document)
    try:
        alert = parse_alert(body=raw.encode(), content_type="application/json", query=[])
    except InvalidInput:
        return
    assert alert.title
    assert not JSON_PUNCTUATION & set(alert.title), alert.title
    context = MessageContext(
        endpoint="Production",
        title=alert.title,
        message=alert.message,
        severity=alert.severity.value,
        source=alert.source.value,
        payload=alert.payload,
    )
    spoken = render_message(None, context, max_characters=600).text
    assert not JSON_PUNCTUATION & set(spoken), spoken
