"""Settings, read from TOCSIN_* environment variables (or a .env file)."""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tocsin.core.addresses import HostAllowlist
from tocsin.core.client_address import ForwardedHeader, Networks, parse_networks
from tocsin.core.home import Home, find_home
from tocsin.core.private_files import PRIVATE_FILE, private_dir, tighten, write_private
from tocsin.core.ratelimit import parse_rate_limits
from tocsin.core.throttle import Bucket, parse_buckets

# 32 characters of a random key (token_urlsafe's alphabet) carry far more than 128 bits; the
# distinct-character floor refuses "aaaa..." and other long but guessable keys.
MIN_SECRET_KEY_CHARACTERS = 32
MIN_SECRET_KEY_DISTINCT = 12


class LogFormat(StrEnum):
    """How a process writes its log (core/logs.py): text lines or one JSON object a line."""

    TEXT = "text"
    JSON = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOCSIN_", env_file=".env", extra="ignore")

    # Either left unset is the home's (core/home.py): `<home>/tocsin.db` and
    # `<home>/tocsin-data`, the home being TOCSIN_HOME, else the one the config file names,
    # else ~/.local/share/tocsin. Never relative to the directory a command runs in.
    home: Path | None = None
    database_url: str = ""
    data_dir: Path = Path()
    _home: Home | None = PrivateAttr(default=None)
    # Keys API key digests and signs tokens. When unset, one is generated into data_dir on first
    # start; several processes sharing a PostgreSQL database must all be given the same value.
    secret_key: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = 8080
    # Where people and providers reach this server: every URL Tocsin prints, mails, shows or
    # reads aloud starts with it. Unset, it follows the port (`_base_url_follows_port`), so
    # `--port` or TOCSIN_PORT alone never leaves links pointing at a port nobody serves.
    public_base_url: str = "http://127.0.0.1:8080"
    run_worker_in_serve: bool = True

    jwt_issuer: str = "tocsin"
    jwt_audience: str = "tocsin-api"
    access_token_seconds: int = 15 * 60
    refresh_token_seconds: int = 30 * 24 * 3600
    invite_seconds: int = 7 * 24 * 3600
    # Open sign-up lets anyone who can reach the server create an organisation that places calls,
    # so it is off unless asked for; the very first user may always sign up.
    allow_signup: bool = False
    # How many organizations one person may own, where the plans do not say (billing/plans.py
    # `organizations`). While sign-up is closed, people make none themselves beyond the one
    # they signed up with: the operator makes them (`tocsin org create --owner`).
    max_orgs_per_user: int = Field(default=3, ge=1)

    # Webhook bodies up to this size are taken: an Alertmanager group of a thousand alerts is
    # about half a megabyte, and a refused one never pages (Alertmanager does not retry a 4xx).
    # What is stored with the alert is trimmed (formats/trim.py).
    max_payload_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_spoken_characters: int = 600
    # Slow clients (docs/security.md): a request's headers must arrive within
    # header_read_seconds of its first byte (or of the connection opening), and its whole body
    # within body_read_seconds of its headers, or the connection is closed (408). A sender of
    # the largest body takes a fraction of a second on any real network; a client that trickles
    # bytes to hold connections open does not. Past max_connections open connections, new
    # requests are answered 503 at once.
    header_read_seconds: float = Field(default=10.0, gt=0)
    body_read_seconds: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=500, ge=2)
    # Endpoints' templates render in worker processes of their own (docs/security.md,
    # "Templates"): this many, each render stopped after this many seconds (of the clock, and
    # of CPU time rounded up to whole seconds) and refused memory past this many MiB.
    template_renderers: int = Field(default=2, ge=1, le=32)
    template_render_seconds: float = Field(default=1.0, gt=0, le=30)
    template_memory_mib: int = Field(default=256, ge=64)

    # A SIP call holds its place for the whole call: at 8 places, ten people paged at once
    # over SIP waited for earlier calls to end (issue 21).
    worker_concurrency: int = 64
    worker_poll_seconds: float = 0.5
    lease_seconds: float = 60.0
    # How long a worker may take from writing an attempt to the provider accepting the call.
    # Past it, the attempt is reconciled by asking the provider, never by dialling again.
    # Longer than a SIP trunk's timer B (32 s), so a trunk that never answers is known not to
    # have placed the call before the deadline, and the next account is tried; each account
    # tried gets a deadline of its own.
    send_deadline_seconds: float = 45.0
    max_attempts_per_job: int = 3
    # Wait before a new attempt when the provider certainly placed nothing (rejected, network).
    retry_after_seconds: float = 30.0
    # A call nobody answered (no answer, busy, voicemail, no key) is made again this many times,
    # this long after, before the escalation moves on.
    unanswered_retries: int = Field(default=1, ge=0, le=5)
    unanswered_retry_seconds: float = Field(default=120.0, gt=0)
    # The built-in actions (no escalation policy) page until someone answers: this many passes
    # through their plan, waiting first_wait minutes after the first pass, twice as long after
    # each next one, at most max_wait (routing/steps.py, docs/delivery.md).
    paging_rounds: int = Field(default=10, ge=1, le=11)
    paging_first_wait_minutes: float = Field(default=5.0, gt=0, le=24 * 60)
    paging_max_wait_minutes: float = Field(default=60.0, gt=0, le=24 * 60)
    # Calls one number may get: LIMIT/WINDOW buckets (s, m, h, d); empty turns throttling off.
    voice_throttle: str = "1/1m,3/15m,7/1h,15/3h"
    # The limits the first call to a number about a new critical alert waits for instead: news
    # goes out within a minute however many older alerts rang the number (docs/delivery.md).
    voice_throttle_news: str = "1/1m,12/1h"
    # One call reads all of a number's waiting alerts (up to five), and 1 acknowledges them all;
    # off, every alert gets calls of its own (which the throttles then space out).
    bundle_calls: bool = True
    # How often each worker's auditor looks for escalations nothing is moving.
    audit_interval_seconds: float = Field(default=60.0, gt=0)
    # How often the anomaly scan runs (docs/anomalies.md), and whether it suspends an
    # organization past a hard threshold; those are far above any real paging traffic.
    anomaly_scan_seconds: float = Field(default=900.0, gt=0)
    anomaly_auto_suspend: bool = True
    # How long before a change of who is on call the people coming on and going off are told.
    handoff_notice_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # How often each worker looks for heartbeat monitors whose ping did not come in time; a
    # missed ping is told at most this long after its grace ends (docs/heartbeats.md).
    heartbeat_check_seconds: float = Field(default=20.0, gt=0, le=300)
    # Trust and safety evidence (enforcement, cases, consent, trial claims and refusals,
    # verification sends, calls: AuditAction.is_evidence) is kept at least this long whatever
    # an organization's plan keeps; the shipped terms promise 730 days (docs/trust.md).
    evidence_retention_days: int = Field(default=730, ge=1)

    # Plans (billing/plans.toml unless TOCSIN_PLANS_FILE names another catalogue). New
    # organizations start on `default_plan`, and return to it when a trial or subscription
    # ends; a hosted service sets it to `free`.
    plans_file: Path | None = None
    default_plan: str = "self_hosted"
    # Estimated cost of one call in cents, counted against each plan's monthly spend limit.
    call_cost_cents: int = Field(default=2, ge=0)
    # The currency (ISO 4217 code) of TOCSIN_CALL_COST_CENTS and the plans' spend limits, shown
    # with every amount.
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")

    # Rate limits, as `limits` strings ("10/minute;100/hour"); kept in memory in each process,
    # or in Redis, shared by every process, when redis_url is set.
    redis_url: str | None = None
    rate_limits_enabled: bool = True
    rate_limit_ingest_per_key: str = "600/minute"
    rate_limit_ingest_per_endpoint: str = "600/minute"
    # Failed webhook authentication, per client address: guessing keys gets slow fast.
    rate_limit_ingest_failures: str = "30/minute"
    # Sign-in (docs/security.md): every attempt per client address, whatever the account;
    # wrong passwords and codes per account from one address; and wrong ones per account from
    # every address but those it signed in from before. The last is above the second, so one
    # address alone never fills it.
    rate_limit_login: str = "10/minute;50/hour"
    rate_limit_login_account_address: str = "5/minute;20/hour"
    rate_limit_login_account: str = "30/minute;100/hour"
    rate_limit_signup: str = "20/hour"
    # Password reset links asked for, per client address and per e-mail address (counted
    # alike whether or not the address has an account, so a 429 tells nothing about it).
    rate_limit_password_reset: str = "10/hour"  # noqa: S105 (a name, not a secret)
    rate_limit_password_reset_email: str = "3/hour"  # noqa: S105 (a name, not a secret)
    # Verification codes per person (a user, or whoever created the API key) and per
    # organization, on top of each plan's daily budget of codes (docs/trust.md).
    rate_limit_verification: str = "5/10 minutes"
    rate_limit_verification_org: str = "10/10 minutes;30/hour"
    rate_limit_public_form: str = "10/hour"
    # Previews of an endpoint's webhook (each renders its template), per person (a user, or
    # whoever created the API key) and per organization.
    rate_limit_preview: str = "20/minute;200/hour"
    rate_limit_preview_org: str = "60/minute;600/hour"
    # Pings to one heartbeat monitor, whatever their key or address (docs/heartbeats.md).
    rate_limit_heartbeat_ping: str = "120/minute"

    # Proxies whose X-Forwarded-For / Forwarded headers are believed (CIDRs, comma-separated).
    # Empty: none, and the client address is the connection's peer. Every per-address limit
    # and every recorded address uses it (core/client_address.py, README "Behind a proxy").
    trusted_proxies: str = ""
    # The header those proxies set; the other one is ignored, whoever sends it.
    forwarded_header: ForwardedHeader = ForwardedHeader.X_FORWARDED_FOR

    # The public opt-out form (docs/trust.md): a code goes only to a number Tocsin called or
    # sent a code to within this many days, in the platform's home country (default_region)
    # or these countries; any other request is kept for staff to review and nobody is called.
    opt_out_lookback_days: int = Field(default=365, ge=1)
    public_form_regions: str = ""
    # Codes the form sends to one number in 24 hours, and to all numbers in an hour; past
    # them, requests are kept for review. Owners' own verification codes have their own budget.
    public_opt_out_codes_per_number: int = Field(default=3, ge=1)
    public_opt_out_codes_per_hour: int = Field(default=30, ge=1)

    # Paddle Billing: the webhook destination's secret key(s), comma-separated while rotating,
    # and which Paddle price buys which plan ("pri_01...=team,pri_02...=business"). A price's
    # own custom_data {"tocsin_plan": "team"} is used first.
    paddle_webhook_secrets: SecretStr | None = None
    paddle_price_plans: str = ""
    paddle_signature_tolerance_seconds: int = Field(default=300, ge=1)
    # Paddle's API, which ends a terminated organization's subscription: its base URL (live;
    # https://sandbox-api.paddle.com for the sandbox) and a key with subscription.write. How
    # often the worker asks for due cancellations.
    paddle_api_base_url: str = "https://api.paddle.com"
    paddle_api_key: SecretStr | None = None
    paddle_cancel_interval_seconds: float = Field(default=60.0, gt=0)

    # Outgoing e-mail (docs/trust.md, "E-mail"): notices to owners and address verification go
    # through this SMTP server, e.g. smtp://user:pass@mail.example.com:587?starttls=1, or
    # smtps://user:pass@mail.example.com (TLS from the first byte, port 465). Unset, nothing
    # is mailed and the dashboard says e-mail is off. `mail_from` is the From of every message;
    # default: Tocsin <tocsin@ the public host>.
    smtp_url: SecretStr | None = None
    mail_from: str | None = None

    # Where vulnerabilities are reported (security.txt); default: security@ the public host.
    security_contact: str | None = None

    # Home country of organizations created without one (ISO 3166 alpha-2).
    default_region: str = "US"
    # Platform sanctions list (ISO 3166 alpha-2, comma-separated). No organization setting lifts
    # it; the occupied territories of Ukraine are blocked by prefix whatever it says.
    sanctioned_regions: str = "CU,IR,KP,RU,BY"

    # The platform's own telephony providers (providers/platform.py): one by kind here,
    # with JSON settings and credentials (values "env:NAME" or "file:/path" are read from
    # there), or several in failover order in a TOML providers file. They call for
    # organizations without provider accounts of their own and send the platform's messages.
    # With none, only organizations' own accounts can call; the simulator (which calls nobody)
    # is used only when named here.
    provider: str | None = None
    provider_settings: dict[str, Any] = Field(default_factory=dict)
    provider_credentials: dict[str, Any] = Field(default_factory=dict)
    providers_file: Path | None = None
    # Hosts that organizations' provider accounts may reach although they are not public
    # (comma-separated host names, addresses and CIDR networks: "sip.lan,10.20.0.0/16").
    # Without them an account's SIP host and REST api_base_url must resolve only to public
    # addresses, and api_base_url must be https. The providers above are not checked.
    provider_host_allowlist: str = ""
    caller_id: str = "+10000000000"
    voice: str = "en"
    call_timeout_seconds: float = 45.0

    # Operations (docs/deployment.md): the log's format, text or one JSON object a line, and
    # whether each HTTP request gets a line of its own (off: a webhook's line says enough).
    log_format: LogFormat = LogFormat.TEXT
    access_log: bool = False
    # /metrics is open unless this is set; then it asks for `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = None
    # `tocsin worker` serves its metrics on this port (of TOCSIN_HOST) when set; `tocsin
    # serve` serves them at /metrics on its own port.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # On SIGTERM a worker claims nothing more and waits this long for the calls it is running
    # to end; calls still running then are left to the next worker to settle (never dialled
    # again). Under Kubernetes' default 30 s terminationGracePeriodSeconds, with room to exit.
    shutdown_grace_seconds: float = Field(default=25.0, ge=0, le=3600)

    simulator_outcome: str = "press:1"
    simulator_numbers: dict[str, str] = Field(default_factory=dict)
    simulator_ring_seconds: float = 0.0
    simulator_record_audio: bool = True

    @field_validator(
        "rate_limit_ingest_per_key",
        "rate_limit_ingest_per_endpoint",
        "rate_limit_ingest_failures",
        "rate_limit_login",
        "rate_limit_login_account_address",
        "rate_limit_login_account",
        "rate_limit_signup",
        "rate_limit_password_reset",
        "rate_limit_password_reset_email",
        "rate_limit_verification",
        "rate_limit_verification_org",
        "rate_limit_public_form",
        "rate_limit_preview",
        "rate_limit_preview_org",
        "rate_limit_heartbeat_ping",
    )
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        parse_rate_limits(value)
        return value

    @model_validator(mode="after")
    def _base_url_follows_port(self) -> Settings:
        if "public_base_url" not in self.model_fields_set:
            self.public_base_url = f"http://127.0.0.1:{self.port}"
        return self

    @model_validator(mode="after")
    def _placed_in_home(self) -> Settings:
        unset = {"database_url", "data_dir"} - self.model_fields_set
        if unset:
            home = find_home(self.home)
            self._home = home
            self.home = home.path
            if "database_url" in unset:
                self.database_url = home.database_url
            if "data_dir" in unset:
                self.data_dir = home.data_dir
        return self

    @property
    def found_home(self) -> Home | None:
        """The home the database or data directory was placed in, and how it was found; None
        when TOCSIN_DATABASE_URL and TOCSIN_DATA_DIR both name their own places."""
        return self._home

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_strong(cls, value: SecretStr | None) -> SecretStr | None:
        """Every token, key digest and sealed secret hangs on this key: an empty or short one
        lets anyone forge a session (issue 17). Left unset, a strong one is generated."""
        if value is None:
            return None
        key = value.get_secret_value()
        if len(key) < MIN_SECRET_KEY_CHARACTERS or len(set(key)) < MIN_SECRET_KEY_DISTINCT:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY_CHARACTERS} characters of varied, random "
                "text (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'), or "
                "unset, to have one generated into the data directory"
            )
        return value

    @field_validator("provider_host_allowlist")
    @classmethod
    def _allowlist_parses(cls, value: str) -> str:
        HostAllowlist.parse(value)
        return value

    @field_validator("voice_throttle", "voice_throttle_news")
    @classmethod
    def _throttle_parses(cls, value: str) -> str:
        parse_buckets(value)
        return value

    def throttle_buckets(self) -> tuple[Bucket, ...]:
        return parse_buckets(self.voice_throttle)

    def news_throttle_buckets(self) -> tuple[Bucket, ...]:
        return parse_buckets(self.voice_throttle_news)

    def paddle_secrets(self) -> tuple[bytes, ...]:
        if self.paddle_webhook_secrets is None:
            return ()
        raw = self.paddle_webhook_secrets.get_secret_value()
        return tuple(part.strip().encode() for part in raw.split(",") if part.strip())

    def paddle_price_map(self) -> dict[str, str]:
        pairs = (item.split("=", 1) for item in self.paddle_price_plans.split(",") if "=" in item)
        return {price.strip(): plan.strip() for price, plan in pairs}

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)
        return value

    def trusted_proxy_networks(self) -> Networks:
        return parse_networks(self.trusted_proxies)

    def public_form_region_set(self) -> tuple[str, ...]:
        return tuple(
            sorted(
                {
                    region.strip().upper()
                    for region in self.public_form_regions.split(",")
                    if region.strip()
                }
            )
        )

    def sanctioned_region_set(self) -> frozenset[str]:
        return frozenset(
            region.strip().upper()
            for region in self.sanctioned_regions.split(",")
            if region.strip()
        )

    def resolved_secret_key(self) -> bytes:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return _secret_from_data_dir(self.data_dir)


def _secret_from_data_dir(data_dir: Path) -> bytes:
    path = data_dir / "secret.key"
    private_dir(data_dir)
    if not path.exists():
        # Written whole under a name of its own, then hard-linked: the link either appears
        # whole or fails because another process won the race, so no process ever reads a
        # half-written secret. Private from its first byte (core/private_files.py).
        draft = data_dir / f".secret.key.{os.getpid()}"
        write_private(draft, secrets.token_urlsafe(48).encode("ascii"), exclusive=True)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    tighten(path, PRIVATE_FILE)
    return path.read_text(encoding="ascii").strip().encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
