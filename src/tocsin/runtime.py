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
from tocsin.delivery.worker import Worker, WorkerSettings
from tocsin.errors import InvalidInput
from tocsin.telephony.base import Provider
from tocsin.telephony.simulator import SimulatorProvider


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    tokens: TokenCodec
    api_key_digest_key: bytes
    invite_digest_key: bytes
    wake_workers: list[Worker] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        master = settings.resolved_secret_key()
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

    def build_provider(self) -> Provider:
        settings = self.settings
        if settings.provider == "simulator":
            return SimulatorProvider(
                settings.data_dir,
                clock=self.clock,
                default_behaviour=settings.simulator_outcome,
                behaviours=settings.simulator_numbers,
                ring_seconds=settings.simulator_ring_seconds,
                record_audio=settings.simulator_record_audio,
            )
        raise InvalidInput(f"unknown provider {settings.provider!r}", code="unknown_provider")

    def worker_settings(self) -> WorkerSettings:
        settings = self.settings
        return WorkerSettings(
            concurrency=settings.worker_concurrency,
            poll_seconds=settings.worker_poll_seconds,
            lease=timedelta(seconds=settings.lease_seconds),
            send_deadline=timedelta(seconds=settings.send_deadline_seconds),
            retry_after=timedelta(seconds=settings.retry_after_seconds),
            max_attempts=settings.max_attempts_per_job,
            caller_id=settings.caller_id,
            voice=settings.voice,
            ring_timeout_seconds=settings.call_timeout_seconds,
            max_spoken_characters=settings.max_spoken_characters,
            sanctioned_regions=settings.sanctioned_region_set(),
        )

    def build_worker(self) -> Worker:
        return Worker(
            self.database,
            self.build_provider(),
            clock=self.clock,
            settings=self.worker_settings(),
        )
