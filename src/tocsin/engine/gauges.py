"""Gauges read when Prometheus scrapes: the job queue, from the database, and this process's
workers, from memory.

The queue is the same whichever process is scraped (every process reads one database), so a
query over several processes' series takes `max`, not `sum`. A worker's heartbeat is its own
process's: a process without a worker has none.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from tocsin.core.clock import Clock
from tocsin.db.engine import Database
from tocsin.engine.worker import Worker
from tocsin.paging.jobs import queue_depth

log = logging.getLogger(__name__)


class QueueGauges(Collector):
    """Open call jobs by status, how many are due, and how long the oldest due one has waited.
    A database that does not answer leaves these out of the scrape (and says so in the log):
    the scrape itself still answers, with `tocsin_queue_scrape_ok 0`."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database, self.clock = database, clock

    def collect(self) -> Iterator[Metric]:
        fine = GaugeMetricFamily(
            "tocsin_queue_scrape_ok", "1 when the job queue could be read for this scrape."
        )
        try:
            now = self.clock.now()
            with self.database.read() as session:
                depth = queue_depth(session, now=now)
        except Exception:
            log.warning("metrics: the job queue could not be read", exc_info=True)
            fine.add_metric([], 0)
            yield fine
            return
        fine.add_metric([], 1)
        yield fine
        jobs = GaugeMetricFamily(
            "tocsin_queue_jobs",
            "Open call jobs (calls, texts, mails), by status.",
            labels=["status"],
        )
        for status, count in depth.by_status.items():
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "tocsin_queue_due_jobs",
            "Jobs due that no worker has taken yet (pending or awaiting, run_at passed).",
            value=depth.due,
        )
        oldest = 0.0 if depth.oldest_due is None else (now - depth.oldest_due).total_seconds()
        yield GaugeMetricFamily(
            "tocsin_queue_oldest_due_age_seconds",
            "How long the longest-waiting due job has been due (0 when none is).",
            value=max(0.0, oldest),
        )


class WorkerGauges(Collector):
    """Seconds since each worker of this process last looked for work (what /readyz asks of
    it); +Inf before its first look. Nothing when the process runs no worker."""

    def __init__(self, workers: Callable[[], Sequence[Worker]], clock: Clock) -> None:
        self.workers, self.clock = workers, clock

    def collect(self) -> Iterator[Metric]:
        workers = self.workers()
        if not workers:
            return
        age = GaugeMetricFamily(
            "tocsin_worker_heartbeat_age_seconds",
            "Seconds since this process's worker last looked for work.",
        )
        looked = [worker.last_looked_at for worker in workers]
        now = self.clock.now()
        ages = [math.inf if at is None else (now - at).total_seconds() for at in looked]
        age.add_metric([], max(ages))
        yield age
