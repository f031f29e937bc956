"""Everything a running Tocsin process shares, built once from Settings.

The API, the worker and the CLI all start from `Runtime`, so they agree on keys, clock and
provider by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tocsin.accounts.secrets import derive_key
from tocsin.accounts.tokens import TokenCodec
from tocsin.clock import Clock, SystemClock
from tocsin.config import Settings
from tocsin.db.engine import Database
from tocsin.delivery.providers import ProviderDirectory
from tocsin.delivery.settle import RetryPolicy
from tocsin.delivery.worker import Worker, WorkerSettings
from tocsin.errors import InvalidInput
from tocsin.secretbox import SecretBox
from tocsin.telephony.base import Provider
from tocsin.telephony.factory import BuildContext, ProviderFactory
from tocsin.telephony.rest.builders import register_rest_providers
from tocsin.telephony.sip.builder import register_sip_provider


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    tokens: TokenCodec
    api_key_digest_key: bytes
    invite_digest_key: bytes
    credentials_box: SecretBox
    provider_factory: ProviderFactory = field(default_factory=ProviderFactory)
    wake_workers: list[Worker] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        master = settings.resolved_secret_key()
        factory = ProviderFactory()
        register_rest_providers(factory)
        register_sip_provider(factory)
        return cls(
            settings=settings,
            database=Database(settings.database_url),
            clock=clock or SystemClock(),
            tokens=TokenCodec(
                derive_key(master, "jwt"),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            ),
            api_key_digest_key=derive_key(master, "api-key"),
            invite_digest_key=derive_key(master, "invite"),
            credentials_box=SecretBox(master, "provider-credentials"),
            provider_factory=factory,
        )

    @property
    def access_lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.access_token_seconds)

    @property
    def refresh_lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.refresh_token_seconds)

    def notify_new_jobs(self) -> None:
        for worker in self.wake_workers:
            worker.wake()

    @property
    def build_context(self) -> BuildContext:
        return BuildContext(
            clock=self.clock,
            data_dir=self.settings.data_dir,
            public_base_url=self.settings.public_base_url,
        )

    def build_provider(self) -> Provider:
        """The server's default provider, for organizations without provider accounts."""
        settings = self.settings
        if settings.provider != "simulator":
            raise InvalidInput(
                f"unknown provider {settings.provider!r}; organizations add their own providers "
                "through the API, the server default is the simulator",
                code="unknown_provider",
            )
        return self.provider_factory.build(
            "simulator",
            {
                "outcome": settings.simulator_outcome,
                "numbers": settings.simulator_numbers,
                "ring_seconds": settings.simulator_ring_seconds,
                "record_audio": settings.simulator_record_audio,
            },
            {},
            self.build_context,
        )

    def provider_directory(self) -> ProviderDirectory:
        return ProviderDirectory(
            default=self.build_provider(),
            factory=self.provider_factory,
            box=self.credentials_box,
            context=self.build_context,
        )

    def worker_settings(self) -> WorkerSettings:
        settings = self.settings
        return WorkerSettings(
            concurrency=settings.worker_concurrency,
            poll_seconds=settings.worker_poll_seconds,
            lease=timedelta(seconds=settings.lease_seconds),
            send_deadline=timedelta(seconds=settings.send_deadline_seconds),
            retry_after=timedelta(seconds=settings.retry_after_seconds),
            max_attempts=settings.max_attempts_per_job,
            unanswered_retries=settings.unanswered_retries,
            unanswered_retry_after=timedelta(seconds=settings.unanswered_retry_seconds),
            throttle=settings.throttle_buckets(),
            audit_interval=timedelta(seconds=settings.audit_interval_seconds),
            caller_id=settings.caller_id,
            voice=settings.voice,
            ring_timeout_seconds=settings.call_timeout_seconds,
            max_spoken_characters=settings.max_spoken_characters,
            sanctioned_regions=settings.sanctioned_region_set(),
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        """What a call's end leads to; the same for workers and provider callbacks."""
        return self.worker_settings().retry

    def build_worker(self) -> Worker:
        return Worker(
            self.database,
            self.provider_directory(),
            clock=self.clock,
            settings=self.worker_settings(),
        )
