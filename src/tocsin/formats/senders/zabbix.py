"""Zabbix, through a webhook media type that posts its parameters as JSON.

Parameter names vary with whoever wrote the media type (`eventid`, `event_id`, `EVENT.ID`), so
they are compared without case or separators. The meaning follows Zabbix's own PagerDuty media
type: `{EVENT.VALUE}` 1 is a problem and 0 its recovery, an update (`{EVENT.UPDATE.STATUS}` 1)
that acknowledged (`{EVENT.ACK.STATUS}` Yes) acknowledges, and `{EVENT.ID}`, which recovery
messages repeat, names the incident.
zabbix/zabbix: templates/media/pagerduty/media_pagerduty.yaml
https://www.zabbix.com/documentation/current/en/manual/appendix/macros/supported_by_location
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_text, mapping, squashed
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, on_host, sender_key
from tocsin.formats.severity import Severity

# Zabbix's six severities by name and by number, mapped as its PagerDuty media type does.
_SEVERITIES = {
    "not classified": Severity.INFO,
    "information": Severity.INFO,
    "warning": Severity.MINOR,
    "average": Severity.MINOR,
    "high": Severity.MAJOR,
    "disaster": Severity.CRITICAL,
}
_BY_NUMBER = dict(zip("012345", _SEVERITIES.values(), strict=True))


def _severity(fields: Mapping[str, Any]) -> Severity:
    name = first_text(fields, ("eventseverity", "severity", "triggerseverity")).lower()
    if name in _SEVERITIES:
        return _SEVERITIES[name]
    number = first_text(fields, ("eventnseverity", "nseverity", "severity"))
    return _BY_NUMBER.get(number, Severity.CRITICAL)


def _intent(fields: Mapping[str, Any]) -> Intent:
    value = first_text(fields, ("eventvalue", "value"))
    status = first_text(fields, ("eventstatus", "status")).upper()
    if value == "0" or status in ("RESOLVED", "OK"):
        return Intent.RESOLVE
    updated = first_text(fields, ("eventupdatestatus", "eventupdate")) == "1"
    acknowledged = first_text(fields, ("eventackstatus", "eventack")).lower() == "yes"
    if updated and acknowledged:
        return Intent.ACKNOWLEDGE
    # Other updates (a comment, a changed severity) only repeat the open problem.
    return Intent.TRIGGER


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    fields = squashed(payload)
    event_id = first_text(fields, ("eventid",))
    stateful = any(name in fields for name in ("eventvalue", "eventstatus", "eventupdatestatus"))
    named = any(name in fields for name in ("eventname", "triggername", "alertsubject"))
    if not (event_id and stateful and named):
        return None
    name = first_text(fields, ("eventname", "triggername", "alertsubject")) or "Zabbix problem"
    host = first_text(fields, ("hostname", "hostname1", "host", "hosthost"))
    intent = _intent(fields)
    return Recognised(
        source=Source.ZABBIX,
        title=on_host(name, host),
        message=first_text(fields, ("eventopdata", "triggeropdata", "opdata")),
        severity=Severity.RESOLVED if intent == Intent.RESOLVE else _severity(fields),
        dedup_key=sender_key("zabbix", event_id),
        intent=intent,
    )


def template_variables(payload: Any) -> dict[str, Any]:
    return {"event": dict(mapping(payload))}
