"""Nagios and Icinga, through a notification command that posts the notification's macros as
form fields (Tocsin's guide gives one): `$NOTIFICATIONTYPE$`, `$HOSTNAME$`, `$SERVICEDESC$`,
`$SERVICESTATE$` or `$HOSTSTATE$`, and the check's output.

PROBLEM pages, RECOVERY resolves, ACKNOWLEDGEMENT acknowledges, a downtime's start acknowledges
(someone meant it), and the end of a downtime or of flapping resolves if the state is OK or UP
and pages otherwise. The host and service name the incident.
https://assets.nagios.com/downloads/nagioscore/docs/nagioscore/4/en/macrolist.html
https://icinga.com/docs/icinga-2/latest/doc/03-monitoring-basics/#notification-commands
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_text, mapping, squashed
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, sender_key
from tocsin.formats.severity import Severity

_TYPES = {
    "PROBLEM": Intent.TRIGGER,
    "RECOVERY": Intent.RESOLVE,
    "ACKNOWLEDGEMENT": Intent.ACKNOWLEDGE,
    "DOWNTIMESTART": Intent.ACKNOWLEDGE,
    "FLAPPINGSTART": Intent.TRIGGER,
    "CUSTOM": Intent.TRIGGER,
}
# The end of a downtime or of flapping says nothing by itself: the state decides.
_STATE_DECIDES = frozenset(
    {"DOWNTIMEEND", "DOWNTIMECANCELLED", "DOWNTIMEREMOVED", "FLAPPINGSTOP", "FLAPPINGEND"}
)
_STATES = {
    "CRITICAL": Severity.CRITICAL,
    "DOWN": Severity.CRITICAL,
    "UNKNOWN": Severity.MAJOR,
    "UNREACHABLE": Severity.MAJOR,
    "WARNING": Severity.MINOR,
}
_GOOD_STATES = frozenset({"OK", "UP"})


def _intent(notification_type: str, state: str) -> Intent:
    if notification_type in _STATE_DECIDES:
        return Intent.RESOLVE if state in _GOOD_STATES else Intent.TRIGGER
    return _TYPES.get(notification_type, Intent.TRIGGER)


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    fields = squashed(payload)
    notification_type = first_text(fields, ("notificationtype",)).upper().replace("_", "")
    host = first_text(fields, ("hostname", "host", "hostdisplayname"))
    if not notification_type or not host:
        return None
    service = first_text(fields, ("servicedesc", "servicename", "service", "servicedisplayname"))
    state = first_text(fields, ("servicestate", "hoststate", "state")).upper()
    intent = _intent(notification_type, state)
    # Display names read better; the plain names stay the key, as every notification has them.
    spoken_host = first_text(fields, ("hostdisplayname",)) or host
    spoken_service = first_text(fields, ("servicedisplayname",)) or service
    where = f"{spoken_service} on {spoken_host}" if service else f"Host {spoken_host}"
    resolved = intent == Intent.RESOLVE
    level = Severity.RESOLVED if resolved else _STATES.get(state, Severity.CRITICAL)
    return Recognised(
        source=Source.NAGIOS,
        title=f"{where} is {state}" if state else where,
        message=first_text(fields, ("serviceoutput", "hostoutput", "output")),
        severity=level,
        dedup_key=sender_key("nagios", host, service),
        intent=intent,
    )


def template_variables(payload: Any) -> dict[str, Any]:
    return {"notification": dict(mapping(payload))}
