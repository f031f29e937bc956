"""Whether a window covers an alert: its scope, its label matchers and its timing. Pure.

An alert's labels are what its sender labelled it with: for Alertmanager and Grafana, each
firing alert of the group with the group's `commonLabels` under its own labels (formats'
GroupedAlert); for any other body, its `labels` object. A heartbeat monitor's alert is known by
its source, "heartbeat", and `payload["heartbeat"]["id"]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tocsin.formats.senders import recognise
from tocsin.formats.senders.alertmanager import strings
from tocsin.formats.trim import TRIM_MARK
from tocsin.maintenance.matchers import Matcher, all_match
from tocsin.maintenance.windows import Occurrence, Timing, occurrence_at

# The heartbeats' source (formats' Source.HEARTBEAT, added with heartbeat monitors); named by its
# value so windows do not wait for that change.
HEARTBEAT_SOURCE = "heartbeat"
_GROUPED_SOURCES = frozenset({"alertmanager", "grafana"})


class ScopeKind(StrEnum):
    ORGANIZATION = "organization"
    PROJECT = "project"
    ENDPOINT = "endpoint"
    # A heartbeat monitor.
    MONITOR = "monitor"


@dataclass(frozen=True)
class Subject:
    """An alert, as windows see it."""

    endpoint_id: str
    project_id: str | None
    monitor_id: str | None
    # Each alert of a group's labels; None when the stored body was trimmed and some alerts'
    # labels are unknown.
    label_sets: tuple[Mapping[str, str], ...] | None


@dataclass(frozen=True)
class Reach:
    """What a window applies to."""

    scope: ScopeKind
    target_id: str | None
    matchers: tuple[Matcher, ...] = ()


def subject_of(*, endpoint_id: str, project_id: str | None, source: str, payload: Any) -> Subject:
    body = payload if isinstance(payload, Mapping) else {}
    heartbeat = body.get("heartbeat") if source == HEARTBEAT_SOURCE else None
    monitor_id = heartbeat.get("id") if isinstance(heartbeat, Mapping) else None
    return Subject(
        endpoint_id=endpoint_id,
        project_id=project_id,
        monitor_id=monitor_id if isinstance(monitor_id, str) else None,
        label_sets=label_sets(source, payload),
    )


def label_sets(source: str, payload: Any) -> tuple[Mapping[str, str], ...] | None:
    if not isinstance(payload, Mapping):
        return ({},)
    if source not in _GROUPED_SOURCES:
        return (strings(payload.get("labels")),)
    if TRIM_MARK in payload:
        return None
    common = strings(payload.get("commonLabels"))
    recognised = recognise(payload)
    grouped = recognised.alerts if recognised is not None else ()
    firing = [alert for alert in grouped if alert.status == "firing"]
    if not firing:
        return (common,)
    return tuple({**common, **alert.labels} for alert in firing)


def reaches(reach: Reach, subject: Subject) -> bool:
    if reach.scope == ScopeKind.PROJECT and subject.project_id != reach.target_id:
        return False
    if reach.scope == ScopeKind.ENDPOINT and subject.endpoint_id != reach.target_id:
        return False
    if reach.scope == ScopeKind.MONITOR and subject.monitor_id != reach.target_id:
        return False
    if not reach.matchers:
        return True
    # A trimmed group's unseen alerts might not match: when in doubt, call.
    return subject.label_sets is not None and all_match(reach.matchers, subject.label_sets)


@dataclass(frozen=True)
class Candidate:
    window_id: str
    reach: Reach
    timing: Timing
    page_after: bool


@dataclass(frozen=True)
class Cover:
    window_id: str
    occurrence: Occurrence
    page_after: bool


def covering(candidates: Sequence[Candidate], subject: Subject, at: datetime) -> Cover | None:
    """The window that covers the alert at `at` longest, if any: after it ends no other does
    (until one starts again, which never mutes an alert already paging). Of two ending together,
    one that pages when it ends."""
    found: list[Cover] = []
    for candidate in candidates:
        if not reaches(candidate.reach, subject):
            continue
        occurrence = occurrence_at(candidate.timing, at)
        if occurrence is not None:
            found.append(Cover(candidate.window_id, occurrence, candidate.page_after))
    if not found:
        return None
    return max(found, key=lambda cover: (cover.occurrence.ends_at, cover.page_after))
