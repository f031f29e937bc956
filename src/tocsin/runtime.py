"""Everything a running Tocsin process shares, built once from Settings.

The API, the worker and the CLI all start from `Runtime`, so they agree on keys, clock and
provider by construction.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field, replace
from datetime import timedelta

import httpx

from tocsin.accounts.tokens import TokenCodec
from tocsin.billing.plans import PlanCatalog
from tocsin.billing.standing import DEFAULT_BILLING, BillingConfig
from tocsin.core.addresses import HostAllowlist
from tocsin.core.cage import CageLimits
from tocsin.core.clock import Clock, SystemClock
from tocsin.core.config import Settings
from tocsin.core.errors import InvalidInput
from tocsin.core.private_files import PRIVATE_DIR, tighten
from tocsin.core.ratelimit import Limits, RateLimiter, parse_rate_limits
from tocsin.core.secretbox import SecretBox
from tocsin.core.secrets import derive_key
from tocsin.db.engine import Database
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.intake.refusals import RefusalLog
from tocsin.mail.smtp import MailSettings
from tocsin.messages import caged
from tocsin.outgoing.sender import SenderSettings
from tocsin.paging.settle import RetryPolicy
from tocsin.providers.choice import ProviderDirectory
from tocsin.providers.platform import (
    PlatformProvider,
    check_platform_caller_ids,
    configured_providers,
)
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults
from tocsin.telephony import simulator_texts
from tocsin.telephony.factory import BuildContext, ProviderFactory
from tocsin.telephony.hosts import HostPolicy
from tocsin.telephony.rest.builders import register_rest_providers
from tocsin.telephony.sip.builder import register_sip_provider


def every_provider() -> ProviderFactory:
    """A factory of every kind of provider Tocsin can call through."""
    factory = ProviderFactory()
    register_rest_providers(factory)
    register_sip_provider(factory)
    return factory


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    tokens: TokenCodec
    api_key_digest_key: bytes
    invite_digest_key: bytes
    # Keys the digests of trial claims and payment fingerprints.
    billing_digest_key: bytes
    # Keys the digests of number-verification codes.
    verification_digest_key: bytes
    credentials_box: SecretBox
    # Seals what a verification call says, until a REST provider's callback asks for it.
    verification_box: SecretBox
    # Seals users' TOTP secrets.
    totp_box: SecretBox
    # Keys the digests of web session tokens.
    web_session_key: bytes
    # Signs the tokens of e-mail verification links.
    email_verification_key: bytes
    # Keys the digests of password reset links' tokens.
    password_reset_key: bytes
    # Keys the digests of heartbeat monitors' ping keys (heartbeats/keys.py).
    heartbeat_key_digest_key: bytes
    # Keys the digests of calendar feeds' secret addresses (oncall/calendar_tokens.py).
    calendar_token_key: bytes
    # Seals outgoing webhooks' signing secrets, which the worker reads back to sign.
    webhook_box: SecretBox
    # Signs and checks the texts "sent" to the simulator's numbers (telephony/simulator_texts.py).
    simulator_text_key: bytes = b""
    billing: BillingConfig = DEFAULT_BILLING
    rate_limiter: RateLimiter = field(default_factory=lambda: RateLimiter({}))
    provider_factory: ProviderFactory = field(default_factory=ProviderFactory)
    # The operator's own providers, in failover order (providers/platform.py).
    platform_providers: tuple[PlatformProvider, ...] = ()
    # Which hosts organizations' provider accounts may reach (telephony/hosts.py).
    provider_hosts: HostPolicy = field(default_factory=HostPolicy)
    # Which hosts outgoing webhooks may reach: public ones only, with no allowlist and no
    # setting to make one; tests replace it (outgoing/urls.py).
    webhook_hosts: HostPolicy = field(default_factory=HostPolicy)
    # Which certificates webhook receivers are checked against: None is the system's trust
    # store; tests put a context trusting a CA of their own here.
    webhook_tls: ssl.SSLContext | None = None
    # How the built-in actions keep paging until someone answers (routing/steps.py).
    paging: PagingDefaults = DEFAULT_PAGING
    # Which refused webhooks to write down now (intake/refusals.py).
    refusals: RefusalLog = field(default_factory=RefusalLog)
    wake_workers: list[Worker] = field(default_factory=list)
    # How requests Tocsin makes for a sender (confirming an Amazon SNS subscription) go out;
    # None is the network. Tests put a mock transport here.
    outbound_transport: httpx.AsyncBaseTransport | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        master = settings.resolved_secret_key()
        # Made when first needed (the secret key, the simulator), and then private; one an
        # older version made open to everyone is tightened now, with a warning.
        tighten(settings.data_dir, PRIVATE_DIR)
        clock = clock or SystemClock()
        factory = every_provider()
        platform = configured_providers(
            kind=settings.provider,
            settings=settings.provider_settings,
            credentials=settings.provider_credentials,
            providers_file=settings.providers_file,
            simulator_settings={
                "outcome": settings.simulator_outcome,
                "numbers": settings.simulator_numbers,
                "ring_seconds": settings.simulator_ring_seconds,
                "record_audio": settings.simulator_record_audio,
            },
        )
        context = BuildContext(
            clock=clock,
            data_dir=settings.data_dir,
            public_base_url=settings.public_base_url,
            hosts=None,  # the operator's own: any host, private ones included
        )
        # A TOCSIN_SMTP_URL that does not parse stops start-up, not the first notice.
        MailSettings.from_settings(settings)
        for spec in platform:
            # Checked once now, so a wrong kind, setting or missing credential stops start-up
            # rather than the first page.
            factory.check(spec.kind, spec.settings, spec.credentials, context)
        check_platform_caller_ids(platform, settings.caller_id, region=settings.default_region)
        # One cage renders every template of the process (messages/caged.py), under the
        # limits of the runtime built last.
        caged.TEMPLATES.configure(template_limits(settings))
        return cls(
            settings=settings,
            database=Database(settings.database_url),
            clock=clock,
            tokens=TokenCodec(
                derive_key(master, "jwt"),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            ),
            api_key_digest_key=derive_key(master, "api-key"),
            invite_digest_key=derive_key(master, "invite"),
            billing_digest_key=derive_key(master, "billing"),
            verification_digest_key=derive_key(master, "verification"),
            credentials_box=SecretBox(master, "provider-credentials"),
            verification_box=SecretBox(master, "verification-text"),
            totp_box=SecretBox(master, "totp"),
            web_session_key=derive_key(master, "web-session"),
            email_verification_key=derive_key(master, "email-verification"),
            password_reset_key=derive_key(master, "password-reset"),
            heartbeat_key_digest_key=derive_key(master, "heartbeat-key"),
            calendar_token_key=derive_key(master, "calendar-token"),
            simulator_text_key=derive_key(master, simulator_texts.KEY_PURPOSE),
            webhook_box=SecretBox(master, "webhook-secrets"),
            billing=billing_config(settings),
            rate_limiter=build_rate_limiter(settings),
            provider_factory=factory,
            platform_providers=platform,
            provider_hosts=HostPolicy(HostAllowlist.parse(settings.provider_host_allowlist)),
            paging=paging_defaults(settings),
        )

    @property
    def access_lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.access_token_seconds)

    @property
    def refresh_lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.refresh_token_seconds)

    def warm_template_renderers(self) -> None:
        """Start the template workers now, so the first template rendered waits for none to
        start. They serve the whole process, whichever runtime started them, and end with it:
        at `close_template_renderers`, at exit, or when their input closes as it dies."""
        caged.TEMPLATES.start()

    def close_template_renderers(self) -> None:
        caged.TEMPLATES.close()

    def notify_new_jobs(self) -> None:
        for worker in self.wake_workers:
            worker.wake()

    @property
    def build_context(self) -> BuildContext:
        """How organizations' provider accounts are built: reaching only the hosts that
        `provider_hosts` allows."""
        return BuildContext(
            clock=self.clock,
            data_dir=self.settings.data_dir,
            public_base_url=self.settings.public_base_url,
            hosts=self.provider_hosts,
            simulator_key=self.simulator_text_key,
        )

    @property
    def calls_are_simulated(self) -> bool:
        """Whether the platform's provider is the simulator: nobody is really called."""
        return bool(self.platform_providers) and all(p.simulated for p in self.platform_providers)

    def provider_directory(self) -> ProviderDirectory:
        return ProviderDirectory(
            platform=self.platform_providers,
            factory=self.provider_factory,
            box=self.credentials_box,
            context=self.build_context,
            platform_caller_id=self.settings.caller_id,
        )

    def worker_settings(self) -> WorkerSettings:
        """The engine's view of the settings, with the plans this runtime loaded (which a test
        may have replaced)."""
        return replace(
            WorkerSettings.from_settings(self.settings, billing=self.billing),
            # External calendars are fetched under the same host rule as providers' hosts.
            calendar_hosts=self.provider_hosts,
            # A missed heartbeat's alert is paged as the webhook's are.
            paging=self.paging,
            webhooks=SenderSettings(
                box=self.webhook_box,
                base_url=self.settings.public_base_url,
                hosts=self.webhook_hosts,
                tls=self.webhook_tls,
            ),
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


def template_limits(settings: Settings) -> CageLimits:
    return CageLimits(
        seconds=settings.template_render_seconds,
        memory_mib=settings.template_memory_mib,
        workers=settings.template_renderers,
    )


def paging_defaults(settings: Settings) -> PagingDefaults:
    try:
        return PagingDefaults(
            rounds=settings.paging_rounds,
            first_wait_minutes=settings.paging_first_wait_minutes,
            max_wait_minutes=settings.paging_max_wait_minutes,
        )
    except ValueError as error:
        raise InvalidInput(f"paging settings: {error}", code="invalid_settings") from error


def billing_config(settings: Settings) -> BillingConfig:
    catalog = PlanCatalog.load(settings.plans_file)
    # Fails at start-up, not at the first call, when the default plan is not in the catalogue.
    catalog.get_plan(settings.default_plan)
    return BillingConfig(
        catalog, default_plan=settings.default_plan, call_cost_cents=settings.call_cost_cents
    )


def build_rate_limiter(settings: Settings) -> RateLimiter:
    if not settings.rate_limits_enabled:
        return RateLimiter({})
    limits = {
        Limits.INGEST_KEY: settings.rate_limit_ingest_per_key,
        Limits.INGEST_ENDPOINT: settings.rate_limit_ingest_per_endpoint,
        Limits.INGEST_FAILURES: settings.rate_limit_ingest_failures,
        Limits.LOGIN: settings.rate_limit_login,
        Limits.LOGIN_ACCOUNT_ADDRESS: settings.rate_limit_login_account_address,
        Limits.LOGIN_ACCOUNT: settings.rate_limit_login_account,
        Limits.SIGNUP: settings.rate_limit_signup,
        Limits.PASSWORD_RESET: settings.rate_limit_password_reset,
        Limits.PASSWORD_RESET_EMAIL: settings.rate_limit_password_reset_email,
        Limits.VERIFICATION: settings.rate_limit_verification,
        Limits.VERIFICATION_ORG: settings.rate_limit_verification_org,
        Limits.PUBLIC_FORM: settings.rate_limit_public_form,
        Limits.PREVIEW: settings.rate_limit_preview,
        Limits.PREVIEW_ORG: settings.rate_limit_preview_org,
        Limits.HEARTBEAT_PING: settings.rate_limit_heartbeat_ping,
    }
    return RateLimiter.from_url(
        {name: parse_rate_limits(text) for name, text in limits.items()}, settings.redis_url
    )
