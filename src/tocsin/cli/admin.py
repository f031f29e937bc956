"""Commands that run Tocsin and set up organizations, people, keys, endpoints and providers."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import typer

from tocsin.accounts import email_addresses
from tocsin.accounts import service as accounts
from tocsin.accounts.models import Role, Scope
from tocsin.cli.common import CLI_ACTOR, CliError, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import database_named, open_runtime, remember_home
from tocsin.cli.root import app, group, lasting
from tocsin.cli.tables import fields
from tocsin.contacts import commands as contacts
from tocsin.contacts.verify import confirm_for_contact, deliver, issue_for_contact
from tocsin.core.logs import configure_logging
from tocsin.core.private_files import private_dir, write_private
from tocsin.endpoints import commands as endpoints
from tocsin.endpoints.queries import find_route, webhook_url
from tocsin.http.api.endpoints import contact_out, endpoint_out
from tocsin.http.api.providers import ProviderAccountOut
from tocsin.http.api.schemas.accounts import ApiKeyCreatedOut, ApiKeyOut, OrgOut, UserOut
from tocsin.numbers.verification import Channel, Requester
from tocsin.organizations import api_keys
from tocsin.organizations import commands as organizations
from tocsin.policy.numbers import NumberBlocked
from tocsin.providers import commands as provider_accounts
from tocsin.providers.test_calls import prepare_test_call
from tocsin.runtime import Runtime
from tocsin.safety import ScreeningContext, region_of, screen
from tocsin.telephony.base import ProviderError
from tocsin.telephony.hosts import HostPolicy, looked_up_first
from tocsin.telephony.prompts import LANGUAGES

db_app = group("db")
org_app = group("org")
user_app = group("user")
key_app = group("key")
endpoint_app = group("endpoint")
contact_app = group("contact")
provider_app = group("provider")
call_app = group("call")


# Running ----------------------------------------------------------------------------------------

log = logging.getLogger("tocsin.serve")


def _say_how_calls_are_placed(runtime: Runtime) -> None:
    """An operator must know from the first line whether anybody's phone can ring."""
    platform = runtime.platform_providers
    if runtime.calls_are_simulated:
        log.warning(
            "CALLS ARE SIMULATED: the platform provider is the simulator, so nobody is called "
            "(simulated calls are written to %s). Organizations with their own provider "
            "accounts are called for real.",
            runtime.settings.data_dir / "simulator" / "calls",
        )
    elif not platform:
        log.warning(
            "NO TELEPHONY PROVIDER is configured (TOCSIN_PROVIDER or TOCSIN_PROVIDERS_FILE): "
            "only organizations with their own provider accounts can be called; every other "
            "alert fails its calls as no_provider and its owners are told."
        )
    else:
        log.info(
            "calls go through %s",
            ", then ".join(f"{spec.name} ({spec.kind})" for spec in platform),
        )


@app.command()
@friendly_errors
def serve(
    host: str | None = typer.Option(None, help="Address to listen on [TOCSIN_HOST]."),
    port: int | None = typer.Option(None, help="Port to listen on [TOCSIN_PORT]."),
    worker: bool | None = typer.Option(
        None, "--worker/--no-worker", help="Run a delivery worker in this process."
    ),
) -> None:
    """Upgrade the schema, then serve the API (and, by default, place calls)."""
    with lasting():
        import uvicorn

        from tocsin.app import create_app
        from tocsin.http.server import server_config

    # The port is a setting, not only where uvicorn binds: the URLs this server prints, mails
    # and reads aloud follow it unless TOCSIN_PUBLIC_BASE_URL is set.
    runtime = open_runtime(create=True, **_port_option(port))
    settings = runtime.settings
    remember_home(settings)
    run_worker = settings.run_worker_in_serve if worker is None else worker
    configure_logging(settings.log_format)
    log.info("database %s", database_named(settings))
    _say_how_calls_are_placed(runtime)
    application = create_app(runtime, run_worker=run_worker, owns_process=True)
    config = server_config(application, settings, host=host or settings.host, port=settings.port)
    uvicorn.Server(config).run()


def _port_option(port: int | None) -> dict[str, int]:
    return {} if port is None else {"port": port}


@app.command("worker")
@friendly_errors
def run_worker(
    concurrency: int | None = typer.Option(None, help="Calls at once [TOCSIN_WORKER_CONCURRENCY]."),
    metrics_port: int | None = typer.Option(
        None, help="Serve /metrics on this port of TOCSIN_HOST [TOCSIN_METRICS_PORT]."
    ),
) -> None:
    """Run a delivery worker: claim due call jobs and place the calls. On SIGTERM/SIGINT it
    claims nothing more and lets its calls end, for TOCSIN_SHUTDOWN_GRACE_SECONDS at most."""
    from tocsin.http.metrics import serve_metrics

    # A server process, as `serve` is: started side by side with the API on a new install, it
    # must not be refused for the few seconds before one of them makes the database.
    runtime = open_runtime(create=True)
    settings = runtime.settings
    if concurrency is not None:
        settings.worker_concurrency = concurrency
    configure_logging(settings.log_format)
    log.info("database %s", database_named(settings))
    worker = runtime.build_worker()
    # The metrics' heartbeat gauge reads this process's worker, as /readyz does under serve.
    runtime.wake_workers.append(worker)
    runtime.warm_template_renderers()
    port = metrics_port if metrics_port is not None else settings.metrics_port
    server = serve_metrics(runtime, host=settings.host, port=port) if port else None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await worker.run(stop)

    try:
        asyncio.run(main())
    finally:
        if server is not None:
            server.shutdown()


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Make the database, or bring its schema up to date."""
    runtime = open_runtime(create=True)
    typer.echo(f"database {database_named(runtime.settings)} is up to date")


# Administration ---------------------------------------------------------------------------------


@org_app.command("create")
@friendly_errors
def org_create(
    name: str,
    owner: str | None = typer.Option(None, help="Email of an existing user to make owner."),
    country: str | None = typer.Option(
        None, help="Home country, ISO 3166 alpha-2 [TOCSIN_DEFAULT_REGION]."
    ),
    timezone: str = typer.Option("UTC", help="IANA time zone; daily caps reset at its midnight."),
    as_json: bool = JsonOption,
) -> None:
    """Create an organization. Calls abroad stay off until enabled per country."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        owner_id = accounts.find_user_by_email(session, owner).id if owner else None
        org = organizations.create_organization(
            session,
            runtime,
            name=name,
            owner_id=owner_id,
            country=country,
            timezone=timezone,
            actor=CLI_ACTOR,
            now=now,
        )
        data = OrgOut.model_validate(org).model_dump(mode="json")
    emit(as_json, data, f"created organization {data['slug']} ({data['id']})")


@org_app.command("policy")
@friendly_errors
def org_policy(
    org: str = typer.Argument(..., help="Organization id or slug."),
    home: str | None = typer.Option(None, help="Home country, ISO 3166 alpha-2."),
    international: bool | None = typer.Option(
        None, "--international/--no-international", help="Calls abroad on or off."
    ),
    allow: str | None = typer.Option(None, help="Countries abroad it may call, e.g. FR,DE."),
    as_json: bool = JsonOption,
) -> None:
    """Change an organization's calling policy as its operator: the home country at any time
    (members may once in 30 days); sanctioned countries stay refused, and every contact is
    screened again under the new policy."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        policy, _ = organizations.change_calling_policy(
            session,
            runtime,
            org_id=org_id,
            home_region=home,
            international_enabled=international,
            allowed_regions=[part for part in (allow or "").split(",") if part.strip()]
            if allow is not None
            else None,
            voice=None,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = {
            "id": org_id,
            "home_region": policy.home_region,
            "international_enabled": policy.international_enabled,
            "allowed_regions": list(policy.allowed_regions),
        }
    emit(as_json, data, fields(data))


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for a password; use --password-stdin")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
@friendly_errors
def user_create(
    email: str,
    name: str = typer.Option("", help="Display name."),
    password_stdin: bool = typer.Option(False, help="Read the password from standard input."),
    org: str | None = typer.Option(None, help="Organization id or slug to join."),
    role: Role = typer.Option(Role.MEMBER, help="Role in --org."),
    as_json: bool = JsonOption,
) -> None:
    """Create a user, optionally as a member of an organization."""
    password = _read_password(password_stdin)
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id if org is not None else None
        user = organizations.create_user(
            session,
            email=email,
            password=password,
            display_name=name,
            member_of=(org_id, role) if org_id is not None else None,
            actor=CLI_ACTOR,
            now=now,
        )
        data: dict[str, Any] = UserOut.model_validate(user).model_dump(mode="json")
        if org_id is not None:
            data.update(org_id=org_id, role=role.value)
    emit(as_json, data, f"created user {data['email']} ({data['id']})")


@user_app.command("verify-email")
@friendly_errors
def user_verify_email(email: str, as_json: bool = JsonOption) -> None:
    """Mark a user's e-mail address verified, as following the mailed link would: for servers
    without TOCSIN_SMTP_URL, or mail that never arrives. Check the address is theirs first."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        user = email_addresses.verify_by_operator(
            session, email=email, actor=CLI_ACTOR, now=runtime.clock.now()
        )
        data: dict[str, Any] = {"id": user.id, "email": user.email, "verified": True}
    emit(as_json, data, f"{data['email']} is verified")


@key_app.command("create")
@friendly_errors
def key_create(
    org: str = OrgOption,
    name: str = typer.Option("cli key", help="What the key is for."),
    scope: list[Scope] = typer.Option([Scope.INGEST], help="Scope; repeat for several."),
    endpoint: str | None = typer.Option(None, help="Bind the key to one endpoint."),
    as_json: bool = JsonOption,
) -> None:
    """Create an API key. The key is printed once and cannot be shown again."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        created = api_keys.create_api_key(
            session,
            org_id=organization.id,
            name=name,
            scopes=[s.value for s in scope],
            created_by=None,
            actor=CLI_ACTOR,
            now=now,
            digest_key=runtime.api_key_digest_key,
            endpoint_id=endpoint,
        )
        data = ApiKeyCreatedOut(
            **ApiKeyOut.model_validate(created.key).model_dump(), key=created.plaintext
        ).model_dump(mode="json")
    emit(as_json, data, data["key"])


@endpoint_app.command("create")
@friendly_errors
def endpoint_create(
    name: str,
    org: str = OrgOption,
    contact: list[str] = typer.Option([], help="Contact id to call; repeat, first is primary."),
    no_key: bool = typer.Option(False, "--no-key", help="Accept webhooks without X-Alert-Key."),
    routing: str = typer.Option("primary", help="primary (first contact) or all."),
    as_json: bool = JsonOption,
) -> None:
    """Create a webhook endpoint and print its URL."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        created = endpoints.create_endpoint(
            session,
            org_id=organization.id,
            name=name,
            actor=CLI_ACTOR,
            now=now,
            billing=runtime.billing,
            require_key=not no_key,
            routing=routing,
            contact_ids=contact,
        )
        data = endpoint_out(session, created, runtime.settings.public_base_url).model_dump(
            mode="json"
        )
    emit(as_json, data, f"created endpoint {data['id']}\n{data['webhook_url']}")


@contact_app.command("add")
@friendly_errors
def contact_add(
    name: str,
    phone: str,
    org: str = OrgOption,
    region: str | None = typer.Option(None, help="Two-letter country for national numbers."),
    language: str | None = typer.Option(
        None,
        help=f"Language of its calls' prompts: {', '.join(LANGUAGES)} (default: the "
        "organization's).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add a contact with a phone number."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        created = contacts.create_contact(
            session,
            org_id=organization.id,
            name=name,
            phone=phone,
            region=region,
            actor=CLI_ACTOR,
            now=now,
            billing=runtime.billing,
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
            language=language,
        )
        data = contact_out(session, created).model_dump(mode="json")
    emit(as_json, data, f"added contact {data['id']} {data['phone_e164']}")


def pairs(values: list[str], what: str) -> dict[str, Any]:
    """KEY=VALUE options as a dict; values that read as JSON (numbers, true, lists) are parsed."""
    pairs: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"{what} must be KEY=VALUE, got {item!r}")
        try:
            pairs[key] = json.loads(value)
        except ValueError:
            pairs[key] = value
    return pairs


@provider_app.command("add")
@friendly_errors
def provider_add(
    org: str = OrgOption,
    kind: str = typer.Option(..., help="simulator, sip, twilio, plivo, telnyx or vonage."),
    name: str = typer.Option(..., help="What to call this account."),
    priority: int = typer.Option(1, help="1 is tried first; the next when a provider refuses."),
    setting: list[str] = typer.Option([], help="KEY=VALUE setting; repeat."),
    credential: list[str] = typer.Option([], help="KEY=VALUE secret, stored encrypted; repeat."),
    caller_id: str | None = typer.Option(
        None, help="A proven caller ID of the organization (its number) that calls present."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add a telephony provider account to an organization."""
    runtime = open_runtime()
    now = runtime.clock.now()
    settings = {**pairs(setting, "--setting"), **({"caller_id": caller_id} if caller_id else {})}
    credentials = pairs(credential, "--credential")

    def add(hosts: HostPolicy) -> dict[str, Any]:
        with runtime.database.write() as session:
            organization = accounts.get_organization(session, org)
            account = provider_accounts.create_account(
                session,
                org_id=organization.id,
                kind=kind,
                name=name,
                priority=priority,
                settings=settings,
                credentials=credentials,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context.reaching(hosts),
                actor=CLI_ACTOR,
                now=now,
            )
            return ProviderAccountOut.of(
                session, account, runtime.settings.public_base_url
            ).model_dump(mode="json")

    data = looked_up_first(runtime.provider_hosts, add)
    text = f"added {kind} provider {data['id']} at priority {priority}"
    emit(as_json, data, "\n".join([text] + [f"warning: {w}" for w in data["warnings"]]))


@call_app.command("test")
@friendly_errors
def call_test(
    to: str = typer.Option(..., "--to", help="Number to call."),
    org: str | None = typer.Option(None, help="Call through this organization's providers."),
    region: str | None = typer.Option(None, help="Country for a national number."),
    as_json: bool = JsonOption,
) -> None:
    """Place a test call, after screening, and print its events as they happen."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        prepared = prepare_test_call(
            session,
            org_id=accounts.get_organization(session, org).id if org is not None else None,
            to=to,
            region=region,
            providers=runtime.provider_directory(),
            settings=runtime.settings,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    choices, number = prepared.choices, prepared.request.to_number
    if not choices:
        raise CliError(
            "no provider can place this call: configure TOCSIN_PROVIDER (or a providers file), "
            "or name an organization with provider accounts (--org)"
        )

    for reason in prepared.passed_over:
        emit(as_json, {"event": "passed_over", "reason": reason}, f"passed over: {reason}")

    async def place() -> None:
        refusals: list[str] = []
        for choice in choices:
            try:
                handle = await choice.provider.dial(prepared.request_through(choice))
            except ProviderError as error:
                if not error.retry_safe:
                    raise CliError(f"{choice.provider.name}: {error.user_message}") from error
                refusals.append(f"{choice.provider.name}: {error.user_message}")
                continue
            emit(
                as_json,
                {
                    "event": "accepted",
                    "provider": choice.provider.name,
                    "provider_call_id": handle.provider_call_id,
                },
                f"{choice.provider.name} accepted the call to {number} ({handle.provider_call_id})",
            )
            async for event in handle.events():
                text = event.kind.value + (f" {event.digits}" if event.digits else "")
                emit(
                    as_json,
                    {"event": event.kind.value, "digits": event.digits, "detail": event.detail},
                    text,
                )
            return
        raise CliError("no provider placed the call: " + "; ".join(refusals))

    asyncio.run(place())


QUICKSTART_PHONE = "+447400123456"


@app.command()
@friendly_errors
def quickstart(
    phone: str = typer.Option(QUICKSTART_PHONE, help="Number the demo endpoint calls."),
    port: int | None = typer.Option(
        None, help="The port `tocsin serve` will listen on, for the URLs printed [TOCSIN_PORT]."
    ),
) -> None:
    """Set up a demo organization, contact, endpoint and key, and print a curl that pages it.

    Safe to run again: it reuses what it made before. Writes `<data dir>/quickstart.env` with
    TOCSIN_HOOK_URL and TOCSIN_ALERT_KEY for shell use.
    """
    runtime = open_runtime(create=True, **_port_option(port))
    settings = runtime.settings
    remember_home(settings)
    if not runtime.calls_are_simulated:
        # The demo's number is made up and its code is read back from the simulator: through
        # a real provider it would ring a stranger.
        raise CliError(
            "quickstart sets up a demo that calls through the simulator; run it with "
            "TOCSIN_PROVIDER=simulator (`make run` does)"
        )
    # Screened before anything is made: a refused contact keeps its record (its audit event),
    # and would keep a half-made demo organization with it.
    verdict = screen(
        phone,
        settings.default_region,
        ScreeningContext(sanctioned_regions=settings.sanctioned_region_set()),
    )
    if not verdict.allowed:
        raise NumberBlocked(verdict)
    env_path = settings.data_dir / "quickstart.env"
    key, endpoint_id = _reusable_demo(runtime, _read_env_file(env_path)) or _new_demo(
        runtime, phone
    )
    url = webhook_url(settings.public_base_url, endpoint_id)
    private_dir(settings.data_dir)
    # It holds a working alert key.
    write_private(
        env_path,
        f"export TOCSIN_HOOK_URL={url}\nexport TOCSIN_ALERT_KEY={key}\n"
        f"export TOCSIN_ENDPOINT_ID={endpoint_id}\n".encode(),
    )
    typer.echo(
        f"Demo endpoint ready; it calls {phone} through the simulator.\n"
        f"Send it an alert:\n\n"
        f"  curl -X POST {url} -H 'X-Alert-Key: {key}' \\\n"
        f"       -H 'Content-Type: application/json' "
        f'-d \'{{"title": "Disk full on db1", "severity": "critical"}}\'\n\n'
        f"Simulated calls are written to {settings.data_dir / 'simulator' / 'calls'}\n"
        f"The dashboard is at {settings.public_base_url.rstrip('/')}/signup: the first "
        "account to sign up needs no invite and becomes owner of the Demo organization, with "
        "its alerts."
    )


def _reusable_demo(runtime: Runtime, existing: dict[str, str]) -> tuple[str, str] | None:
    """The key and endpoint id a previous run wrote, if both still work."""
    key = existing.get("TOCSIN_ALERT_KEY")
    endpoint_id = existing.get("TOCSIN_ENDPOINT_ID")
    if key is None or endpoint_id is None:
        return None
    with runtime.database.read() as session:
        found = accounts.find_api_key(session, key, digest_key=runtime.api_key_digest_key)
        if found is None or find_route(session, endpoint_id) is None:
            return None
    return key, endpoint_id


def _new_demo(runtime: Runtime, phone: str) -> tuple[str, str]:
    """A demo organization with a verified contact, an endpoint calling it and an ingest key,
    made as the shell makes any of them. Returns (key, endpoint id)."""
    org_id, contact_id = _verified_demo_contact(runtime, phone)
    now = runtime.clock.now()
    with runtime.database.write() as session:
        endpoint = endpoints.create_endpoint(
            session,
            org_id=org_id,
            name="Demo",
            actor=CLI_ACTOR,
            now=now,
            billing=runtime.billing,
            contact_ids=[contact_id],
        )
        created = api_keys.create_api_key(
            session,
            org_id=org_id,
            name="quickstart",
            scopes=[Scope.INGEST.value],
            created_by=None,
            actor=CLI_ACTOR,
            now=now,
            digest_key=runtime.api_key_digest_key,
        )
        return created.plaintext, endpoint.id


def _verified_demo_contact(runtime: Runtime, phone: str) -> tuple[str, str]:
    """The demo organization and its contact, whose number is verified like any other: a code
    is sent to it, and since the demo's phone is the simulator, the code it heard is typed
    back here. Returns (organization id, contact id)."""
    settings = runtime.settings
    now = runtime.clock.now()
    with runtime.database.write() as session:
        org = organizations.create_organization(
            session,
            runtime,
            name="Demo",
            owner_id=None,
            # Whoever signs up first on the dashboard owns it, and sees its alerts.
            for_first_sign_up=True,
            # The demo calls one number, so its home country is that number's.
            country=region_of(phone),
            actor=CLI_ACTOR,
            now=now,
        )
        contact = contacts.create_contact(
            session,
            org_id=org.id,
            name="On call",
            phone=phone,
            region=None,
            actor=CLI_ACTOR,
            now=now,
            billing=runtime.billing,
            sanctioned_regions=settings.sanctioned_region_set(),
        )
        pending = issue_for_contact(
            session,
            runtime,
            org_id=org.id,
            contact_id=contact.id,
            channel=Channel.CALL,
            requester=Requester(CLI_ACTOR, "tocsin-quickstart"),
            now=now,
        )
        org_id, contact_id = org.id, contact.id
    asyncio.run(deliver(runtime, pending))
    with runtime.database.write() as session:
        result, _ = confirm_for_contact(
            session,
            runtime,
            org_id=org_id,
            contact_id=contact_id,
            code=pending.issued.code,
            verification_id=pending.issued.verification.id,
            actor=CLI_ACTOR,
            user_agent="tocsin-quickstart",
            now=runtime.clock.now(),
        )
    error = result.error()
    if error is not None:
        raise error
    return org_id, contact_id


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        values[name.strip()] = value.strip()
    return values
