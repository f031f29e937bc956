"""What the engine runs by: one typed view of the process's Settings, built once per worker.

`Settings` holds what an operator writes (seconds, throttle strings, a plans file); the engine
wants durations, bucket tables and a plan catalogue, so `WorkerSettings.from_settings` turns one
into the other in one place, and that one object is passed down: the worker, the planning of
each call and the attempt it writes all read it. Tests build a `WorkerSettings` directly with only
the values they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tocsin.billing.paddle.api import PaddleApi
from tocsin.billing.standing import DEFAULT_BILLING, BillingConfig
from tocsin.core.config import Settings
from tocsin.core.throttle import VOICE_NEWS, VOICE_PER_NUMBER, Bucket
from tocsin.mail.smtp import MailSettings
from tocsin.outgoing.sender import SenderSettings
from tocsin.paging.settle import RetryPolicy
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults
from tocsin.safety.tables.sanctions import DEFAULT_SANCTIONED_REGIONS
from tocsin.telephony.hosts import HostPolicy


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 64
    poll_seconds: float = 0.5
    lease: timedelta = timedelta(seconds=60)
    send_deadline: timedelta = timedelta(seconds=45)
    retry_after: timedelta = timedelta(seconds=30)
    # How long to wait before asking a provider again about a call that is still going on.
    recheck_after: timedelta = timedelta(seconds=15)
    max_attempts: int = 3
    # A call nobody answered is made again this many times, after this long, before the
    # escalation moves on.
    unanswered_retries: int = 1
    unanswered_retry_after: timedelta = timedelta(minutes=2)
    throttle: tuple[Bucket, ...] = VOICE_PER_NUMBER
    # The limits the first call about a new critical alert waits for (docs/delivery.md).
    news_throttle: tuple[Bucket, ...] = VOICE_NEWS
    # One call reads all of a number's waiting alerts (paging/bundles.py).
    bundle_calls: bool = True
    # Escalations advanced per look; more wait for the next.
    escalation_batch: int = 50
    # How often the auditor looks for escalations that nothing is moving.
    audit_interval: timedelta = timedelta(minutes=1)
    # How often old audit events are purged, by each organization's plan; trust and safety
    # evidence is kept at least `evidence_retention_days` whatever the plan.
    purge_interval: timedelta = timedelta(hours=1)
    evidence_retention_days: int = 730
    # How often the anomaly scan looks for robocalling and quota evasion, and whether it
    # suspends an organization past a hard threshold (docs/anomalies.md).
    anomaly_interval: timedelta = timedelta(seconds=900)
    anomaly_auto_suspend: bool = True
    caller_id: str = "+10000000000"
    voice: str = "en"
    ring_timeout_seconds: float = 45.0
    # How long an accepted call may take, ringing and talking, before an attempt whose events
    # come by callback is given up as unknown.
    call_window: timedelta = timedelta(minutes=15)
    max_spoken_characters: int = 600
    sanctioned_regions: frozenset[str] = DEFAULT_SANCTIONED_REGIONS
    billing: BillingConfig = DEFAULT_BILLING
    # Where notices and verification links are mailed; None: e-mail is off (engine/mailer.py).
    mail: MailSettings | None = None
    # Where the dashboard is, for the alert link in a member's e-mail.
    public_base_url: str = "http://127.0.0.1:8080"
    # Paddle's API for ending terminated organizations' subscriptions; None: not configured,
    # which each due cancellation then records as its failure.
    paddle_api: PaddleApi | None = None
    paddle_cancel_interval: timedelta = timedelta(seconds=60)
    # On-call housekeeping (engine/oncall_jobs.py): how far ahead handoffs are told, how often
    # handoffs, gaps and due external calendars are looked at, and the hosts calendars may be
    # fetched from (the runtime's provider host policy).
    handoff_notice: timedelta = timedelta(minutes=60)
    handoff_interval: timedelta = timedelta(minutes=1)
    gap_interval: timedelta = timedelta(minutes=5)
    calendar_interval: timedelta = timedelta(minutes=1)
    calendar_hosts: HostPolicy = field(default_factory=HostPolicy)
    # How often heartbeat monitors are looked at (engine/heartbeats.py), and how the alerts of
    # missed ones page (the runtime's paging defaults).
    heartbeat_interval: timedelta = timedelta(seconds=20)
    paging: PagingDefaults = DEFAULT_PAGING
    # Outgoing webhooks (engine/webhooks.py): how they are sent, and how often the worker looks
    # for deliveries due; None: this worker sends none.
    webhooks: SenderSettings | None = None
    webhook_interval: timedelta = timedelta(seconds=2)
    # How long a stopping worker waits for its calls to end before leaving them to the next
    # worker's reconciliation (docs/deployment.md, "Shutdown").
    shutdown_grace: timedelta = timedelta(seconds=25)

    @classmethod
    def from_settings(cls, settings: Settings, *, billing: BillingConfig) -> WorkerSettings:
        """`billing` is the catalogue the runtime loaded from `settings.plans_file`."""
        return cls(
            concurrency=settings.worker_concurrency,
            poll_seconds=settings.worker_poll_seconds,
            lease=timedelta(seconds=settings.lease_seconds),
            send_deadline=timedelta(seconds=settings.send_deadline_seconds),
            retry_after=timedelta(seconds=settings.retry_after_seconds),
            max_attempts=settings.max_attempts_per_job,
            unanswered_retries=settings.unanswered_retries,
            unanswered_retry_after=timedelta(seconds=settings.unanswered_retry_seconds),
            throttle=settings.throttle_buckets(),
            news_throttle=settings.news_throttle_buckets(),
            bundle_calls=settings.bundle_calls,
            audit_interval=timedelta(seconds=settings.audit_interval_seconds),
            anomaly_interval=timedelta(seconds=settings.anomaly_scan_seconds),
            anomaly_auto_suspend=settings.anomaly_auto_suspend,
            evidence_retention_days=settings.evidence_retention_days,
            caller_id=settings.caller_id,
            voice=settings.voice,
            ring_timeout_seconds=settings.call_timeout_seconds,
            max_spoken_characters=settings.max_spoken_characters,
            sanctioned_regions=settings.sanctioned_region_set(),
            billing=billing,
            mail=MailSettings.from_settings(settings),
            public_base_url=settings.public_base_url,
            paddle_api=paddle_api(settings),
            paddle_cancel_interval=timedelta(seconds=settings.paddle_cancel_interval_seconds),
            handoff_notice=timedelta(minutes=settings.handoff_notice_minutes),
            heartbeat_interval=timedelta(seconds=settings.heartbeat_check_seconds),
            shutdown_grace=timedelta(seconds=settings.shutdown_grace_seconds),
        )

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            retry_after=self.retry_after,
            unanswered_retries=self.unanswered_retries,
            unanswered_retry_after=self.unanswered_retry_after,
        )


@dataclass(frozen=True)
class Dialer:
    """The worker that plans a call: who it is, as the attempt row and the audit log name it,
    and the settings it plans by (the worker's own object, not a copy)."""

    worker_id: str
    settings: WorkerSettings
    # What an attempt names until a provider is chosen for it: the platform's first.
    provider: str = "none"
    platform_provider: str | None = None
    # PostgreSQL: lock other workers' rows without waiting for them.
    skip_locked: bool = False


def paddle_api(settings: Settings) -> PaddleApi | None:
    if settings.paddle_api_key is None:
        return None
    return PaddleApi(
        base_url=settings.paddle_api_base_url,
        api_key=settings.paddle_api_key.get_secret_value(),
    )
