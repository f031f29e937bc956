"""Datadog's webhooks integration: a payload of `$`-variables the user lays out, or the default
one (`title`, `body`, `event_type`, `org`, `id`, ...).

The transition (`$ALERT_TRANSITION`: Triggered, Recovered, Warn, No Data, Re-Triggered, ...) is
the state; without it the title carries it: "[Recovered on {host:web-1}] CPU high". The monitor
(`$ALERT_ID`, or its link in the default body) and the scope it alerted for name the incident.
`$PRIORITY` ("normal" or "low") is how important the event is, never a recovery.
https://docs.datadoghq.com/integrations/webhooks/#variables
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_text, mapping, squashed, text
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, on_host, sender_key
from tocsin.formats.severity import Severity, normalise_severity

# "[P1] [Triggered on {host:web-1,env:prod}] CPU high"
_TITLE = re.compile(
    r"^\s*(?:\[P\d\]\s*)?\[(?P<transition>[A-Za-z][A-Za-z \-]*?)"
    r"(?:\s+on\s+\{(?P<scope>[^{}]*)\})?\]\s*(?P<name>.*)$",
    re.DOTALL,
)
_MONITOR_LINK = re.compile(r"/monitors[#/](\d+)")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MENTION = re.compile(r"(?:^|\s)@[\w.\-]+")
_WORD = re.compile(r"\w")


def _transition(value: str) -> tuple[Severity, Intent]:
    word = value.lower()
    if "recovered" in word:
        return Severity.RESOLVED, Intent.RESOLVE
    if "warn" in word:
        return Severity.MINOR, Intent.TRIGGER
    if "no data" in word:
        return Severity.MAJOR, Intent.TRIGGER
    return Severity.CRITICAL, Intent.TRIGGER


def _host(scope: str, hostname: str) -> str:
    if hostname:
        return hostname
    for tag in scope.split(","):
        name, _, value = tag.strip().partition(":")
        if name == "host" and value:
            return value
    return ""


def _plain(markdown: str) -> str:
    """Datadog's message markdown as plain words: no %%% fences, @-mentions, rules, or lines
    that are only links (its "[[Monitor Status](...)] · [[Edit Monitor](...)]")."""
    kept = []
    for line in markdown.replace("%%%", " ").splitlines():
        if not _WORD.search(_MARKDOWN_LINK.sub("", _MENTION.sub(" ", line))):
            continue
        kept.append(_MENTION.sub(" ", _MARKDOWN_LINK.sub(r"\1", line)).strip())
    return " ".join(kept)


def _read(fields: Mapping[str, Any], titles: list[str], body: str) -> Recognised:
    """`titles`: the candidate titles, best first; any of them may carry the transition."""
    matches = [match for match in map(_TITLE.match, titles) if match is not None]
    names = [m["name"].strip() for m in matches] + [t for t in titles if not _TITLE.match(t)]
    name = next((n for n in names if n), "") or "Datadog monitor"
    transition = first_text(fields, ("alerttransition",)) or next(
        (m["transition"] for m in matches), ""
    )
    severity, intent = _transition(transition)
    priority = first_text(fields, ("alertpriority",))
    if intent == Intent.TRIGGER and severity == Severity.CRITICAL and priority:
        level = normalise_severity(priority)
        severity = level if level != Severity.RESOLVED else severity
    scope = first_text(fields, ("alertscope",)) or next(
        (m["scope"] for m in matches if m["scope"]), ""
    )
    monitor = first_text(fields, ("alertid",))
    if not monitor:
        link = _MONITOR_LINK.search(body + " " + first_text(fields, ("link", "url")))
        monitor = link[1] if link else ""
    host = _host(scope, first_text(fields, ("hostname", "host")))
    key = sender_key("dd", monitor, scope) if monitor else None
    return Recognised(
        source=Source.DATADOG,
        title=on_host(name, host),
        message=first_text(fields, ("alertstatus",)) or _plain(body),
        severity=severity,
        dedup_key=key or sender_key("dd", first_text(fields, ("alertcyclekey", "aggregkey"))),
        intent=intent,
    )


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    fields = squashed(payload)
    if "alerttransition" in fields or "alertcyclekey" in fields or "aggregkey" in fields:
        titles = [first_text(fields, (name,)) for name in ("alerttitle", "eventtitle", "title")]
        body = first_text(fields, ("eventmsg", "body", "text"))
        return _read(fields, [title for title in titles if title], body)
    default_body = ("org", "lastupdated", "eventtype", "title", "body")
    if all(name in fields for name in default_body) and mapping(fields["org"]):
        return _read(fields, [text(fields["title"])], text(fields["body"]))
    return None


def template_variables(payload: Any) -> dict[str, Any]:
    return {"datadog": dict(mapping(payload))}
