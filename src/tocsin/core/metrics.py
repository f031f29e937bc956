"""This process's metrics, in Prometheus's terms, and the text a scrape reads.

Each metric is counted once, where its operation happens: a webhook's answer where the webhook
route answers, a call's end where the attempt ends (paging/attempts.py), a refusal where the
dial gate's decision is applied (engine/planning.py), a dial where the worker asks the provider.
Counts that follow a database change are made once its transaction commits (db/after_commit.py),
so a rolled-back change is never counted.

Counters live in the process that counted them: an API process counts the webhooks it received
and the calls that ended by a provider's callback to it, a worker the calls it placed and
settled. Prometheus sums them over processes. No label names an organization, endpoint or
number: labels are codes Tocsin defines (a bounded set), and provider kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

__all__ = [
    "CALLS",
    "CALLS_REFUSED",
    "ESCALATIONS_EXHAUSTED",
    "PROVIDER_ERRORS",
    "REGISTRY",
    "THROTTLE_HOLDS",
    "WEBHOOKS_RECEIVED",
    "WEBHOOKS_REFUSED",
    "WEBHOOK_TO_DIAL",
    "exposition",
]

# Tocsin's own registry rather than prometheus_client's global one: what a scrape shows is
# what Tocsin registered, and nothing a library registered on import.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

WEBHOOKS_RECEIVED = Counter(
    "tocsin_webhooks_received",
    "Webhooks taken, by outcome (created, deduplicated, restarted, resolved, acknowledged, "
    "subscription_*, unsubscribed) and sender format (alertmanager, grafana, generic, ...).",
    ["outcome", "sender"],
    registry=REGISTRY,
)
WEBHOOKS_REFUSED = Counter(
    "tocsin_webhooks_refused",
    "Webhooks refused, by the error code of the answer (invalid_key, rate_limited, "
    "org_suspended, malformed_body, payload_too_large, ...).",
    ["code"],
    registry=REGISTRY,
)
CALLS_REFUSED = Counter(
    "tocsin_calls_refused",
    "Calls the dial gate refused, by reason: a safety screen code (emergency, premium_rate, "
    "...), over_quota, an enforcement code (org_suspended, ...), number_unverified, "
    "do_not_call, platform_opt_out, caller_id_missing.",
    ["reason"],
    registry=REGISTRY,
)
CALLS = Counter(
    "tocsin_calls",
    "Call attempts that ended, by provider kind and outcome (answered, no_answer, busy, "
    "failed, not_placed).",
    ["provider", "outcome"],
    registry=REGISTRY,
)
PROVIDER_ERRORS = Counter(
    "tocsin_provider_errors",
    "Errors a provider answered a dial with (or no answer in time: timeout), by provider kind "
    "and error code.",
    ["provider", "code"],
    registry=REGISTRY,
)
ESCALATIONS_EXHAUSTED = Counter(
    "tocsin_escalations_exhausted",
    "Escalations that ran out of steps with nobody answering.",
    registry=REGISTRY,
)
THROTTLE_HOLDS = Counter(
    "tocsin_throttle_holds",
    "Calls a per-number throttle held back (each job once, when first held).",
    registry=REGISTRY,
)
WEBHOOK_TO_DIAL = Histogram(
    "tocsin_webhook_to_dial_seconds",
    "From an alert's webhook to a provider being asked to place a call the webhook queued "
    "(each such call's first attempt).",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
WRITE_GROUP_SIZE = Histogram(
    "tocsin_write_group_units",
    "Webhooks that shared one write transaction (group commit): 1 on a quiet server, more as "
    "webhooks arrive together.",
    buckets=(1, 2, 4, 8, 16, 32, 64),
    registry=REGISTRY,
)


class _Together(Collector):
    """Several collectors read as one registry, for one scrape."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def exposition(accept: str | None, *gauges: Collector) -> tuple[bytes, str]:
    """A scrape's body and content type: this process's counters, then `gauges` (collectors
    that read their values when scraped, such as the job queue's from the database), in the
    format the scraper's Accept header asks for (Prometheus's text format 0.0.4 by default,
    OpenMetrics when asked)."""
    encode, content_type = choose_encoder(accept or "")
    return encode(_Together([REGISTRY, *gauges])), content_type
