"""What a template may talk about: the alert as stored, and where it came in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from tocsin.formats.known import Source
from tocsin.formats.senders import template_variables
from tocsin.formats.senders.alertmanager import grouped_alerts
from tocsin.formats.trim import firing_count


@dataclass(frozen=True)
class MessageContext:
    """What a template may talk about: the alert as stored, and where it came in."""

    endpoint: str
    title: str
    message: str
    severity: str
    source: str
    status: str = "open"
    payload: Any = None
    repeat_count: int = 0

    def variables(self) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "endpoint": self.endpoint,
            "title": self.title,
            "message": self.message,
            "severity": self.severity,
            "source": self.source,
            "status": self.status,
            "payload": self.payload,
            "repeat_count": self.repeat_count,
            "alerts": [],
            "firing": [],
            "firing_count": 0,
            "resolved": [],
            "labels": {},
            "annotations": {},
        }
        payload = self.payload if isinstance(self.payload, Mapping) else {}
        if self.source in (Source.ALERTMANAGER, Source.GRAFANA):
            grouped = [asdict(a) for a in grouped_alerts(payload)]
            firing = [a for a in grouped if a["status"] == "firing"]
            variables.update(
                alerts=grouped,
                firing=firing,
                # All of them, also those a big group's stored payload no longer lists.
                firing_count=firing_count(payload, len(firing)),
                resolved=[a for a in grouped if a["status"] == "resolved"],
                labels=payload.get("commonLabels") or {},
                annotations=payload.get("commonAnnotations") or {},
            )
        else:
            # Each sender's own objects (formats/senders/): `alarm`, `incident`, `check`, ...
            variables.update(template_variables(self.source, self.payload))
        return variables
