"""The API does what its OpenAPI description says: schemathesis against the real application.

Every operation of /openapi.json is a test of its own. Schemathesis draws requests from the
description (its boundaries, methods the path lacks, and MAX_EXAMPLES drawn ones, valid and
invalid), sends them to the application as the owner of the test's own organization (also a
platform administrator, so the trust-and-safety operations are reached too), with path
parameters naming that organization's things, and checks every answer: no 5xx; only statuses,
content types, headers and bodies the description lists; invalid data refused, valid data
accepted; a 405 with a true `Allow`; 401 once the credentials are taken away.

Each operation has a database of its own (the `runtime` fixture), so a DELETE or a suspension
drawn for one cannot change what another meets, whatever order they run in; the examples are
derandomised, so a run is the same on every machine. PostgreSQL is sent only the operations
that write, and of them the valid values at the description's boundaries: what reaches its
columns, where the backends differ; the rest is refused alike before any query.
TOCSIN_TEST_OPENAPI_EXAMPLES draws more examples for a deeper run by hand (1 by default: the
boundaries are most of the run's requests and find what it finds; 5 cost the suite a fifth more
of this module's time and 60 found nothing more).

The description says what a value looks like, not all the server knows about it: whether a
number may be called, a time zone exists, a token is genuine, a time is still ahead. Where an
operation refuses well-formed data for such a reason, SEMANTIC_REFUSALS names the refusal's
code; a refusal of valid data with any other code fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import Case, CheckFunction, Response
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)
from starlette.datastructures import State

from tests import rows, seeded
from tests.conftest import settings_for
from tests.maintenance import window_rows
from tests.oncall import schedule_rows
from tests.outgoing import rows as outgoing_rows
from tocsin.accounts.models import Role
from tocsin.app import create_app
from tocsin.cli.common import CLI_ACTOR
from tocsin.core.config import Settings
from tocsin.heartbeats import commands as heartbeat_commands
from tocsin.heartbeats.commands import MonitorWithKey
from tocsin.oncall import calendar_feeds, calendar_tokens
from tocsin.oncall.models import CalendarTokenKind
from tocsin.organizations import api_keys
from tocsin.runtime import Runtime
from tocsin.telephony.hosts import HostPolicy
from tocsin.trust.staff import set_platform_admin

# Drawn examples per operation, beyond the description's boundaries (the coverage phase).
MAX_EXAMPLES = int(os.environ.get("TOCSIN_TEST_OPENAPI_EXAMPLES", "1"))

HOOK_METHODS = ("GET", "POST", "PUT", "PATCH")
# A webhook takes what its sender sends, whatever the description says it reads best: a body
# that does not parse as JSON is read as text. So it is not asked to refuse invalid data.
LENIENT = frozenset(
    [
        *(f"{method} /v1/hooks/{{endpoint_id}}" for method in HOOK_METHODS),
        "POST /v1/orgs/{org_id}/endpoints/{endpoint_id}/preview",
    ]
)

UNKNOWN_COUNTRY = {"invalid_region": ""}
NOT_CALLABLE = {"number_blocked": "", "invalid_number": ""}
# An address is read once NFKC-normalised, which turns some characters into a space or an @.
UNREADABLE_EMAIL = {"invalid_email": ""}
# Times are read against the server's clock (an override not over already), a shift's length
# against its unit, a layer's one source against the three it may name, a window's two ends
# against each other.
_PERIOD = {"period_in_past": "", "invalid_period": "", "period_too_long": ""}
_WINDOW = {"invalid_window": "", "window_too_long": "", "invalid_at": ""}
_ROTATION = {"invalid_timezone": "", "invalid_count": "", "invalid_start": ""}
_LAYERS = {"invalid_timezone": "", "invalid_layers": ""}
_SCHEDULE = "/v1/orgs/{org_id}/schedules/{schedule_id}"
ON_CALL_REFUSALS: dict[str, dict[str, str]] = {
    "POST /v1/orgs/{org_id}/rotations": _ROTATION,
    "PATCH /v1/orgs/{org_id}/rotations/{rotation_id}": _ROTATION,
    "POST /v1/orgs/{org_id}/schedules": _LAYERS,
    f"PATCH {_SCHEDULE}": _LAYERS,
    f"POST {_SCHEDULE}/overrides": {**_PERIOD, "invalid_override": ""},
    f"POST {_SCHEDULE}/temporaries": {**_PERIOD, "invalid_shifts": ""},
    f"GET {_SCHEDULE}/on-call": _WINDOW,
    f"GET {_SCHEDULE}/shifts": _WINDOW,
    f"GET {_SCHEDULE}/timeline": _WINDOW,
    "GET /v1/orgs/{org_id}/projects/{project_id}/on-call": _WINDOW,
    "GET /v1/orgs/{org_id}/projects/{project_id}/shifts": _WINDOW,
    "GET /v1/orgs/{org_id}/people/{user_id}/shifts": _WINDOW,
    "GET /v1/orgs/{org_id}/me/shifts": _WINDOW,
}
_HEARTBEAT_PLAN = {"invalid_schedule": "", "invalid_cron": "", "invalid_timezone": ""}
MAINTENANCE_REFUSALS = {
    "invalid_window": "",
    "window_in_past": "",
    "invalid_rrule": "",
    "invalid_matchers": "",
    "invalid_timezone": "",
    "invalid_scope": "",
}
# Refusals of well-formed data for what only the server knows, by operation: error code, and a
# part of the message when the code also covers what the description does say.
SEMANTIC_REFUSALS: dict[str, dict[str, str]] = {
    # An ISO 3166 code phone numbering does not know; a password too common or too close to
    # the address; a name that leaves the organization named after it over 200 characters.
    "POST /v1/auth/signup": {
        **UNKNOWN_COUNTRY,
        **UNREADABLE_EMAIL,
        "weak_password": "",
        "invalid_name": "",
    },
    "POST /v1/me/email": UNREADABLE_EMAIL,
    "POST /v1/me/password": {"weak_password": ""},
    "POST /v1/auth/password-reset": UNREADABLE_EMAIL,
    # The link's token is signed by the server.
    "POST /v1/auth/password-reset/complete": {"reset_token_invalid": "", "weak_password": ""},
    "POST /v1/orgs/{org_id}/invites": UNREADABLE_EMAIL,
    "POST /v1/orgs": {**UNKNOWN_COUNTRY, "invalid_timezone": ""},
    "PATCH /v1/orgs/{org_id}": {"invalid_timezone": ""},
    # Whether a rule's business hours name a zone that exists (routing/hours.py).
    "POST /v1/orgs/{org_id}/endpoints": {"invalid_rules": "unknown time zone"},
    "PATCH /v1/orgs/{org_id}/endpoints/{endpoint_id}": {"invalid_rules": "unknown time zone"},
    "POST /v1/orgs/{org_id}/projects": {"invalid_timezone": ""},
    "PATCH /v1/orgs/{org_id}/projects/{project_id}": {"invalid_timezone": ""},
    "PATCH /v1/orgs/{org_id}/calling-policy": {**UNKNOWN_COUNTRY, "invalid_voice": ""},
    # An alert is its body and its query's parameters: a description cannot require one of
    # them to say something.
    **{f"{method} /v1/hooks/{{endpoint_id}}": {"empty_alert": ""} for method in HOOK_METHODS},
    # The link's token is signed by the server.
    "POST /v1/auth/verify-email": {"email_token_invalid": ""},
    # Whether a number may be called is the safety screen's to say (safety/).
    "POST /v1/orgs/{org_id}/contacts": NOT_CALLABLE,
    "PATCH /v1/orgs/{org_id}/contacts/{contact_id}": NOT_CALLABLE,
    "POST /v1/orgs/{org_id}/do-not-call": NOT_CALLABLE,
    "POST /v1/public/opt-out": NOT_CALLABLE,
    "POST /v1/orgs/{org_id}/caller-ids": {"caller_id_refused": ""},
    "GET /v1/orgs/{org_id}/consents": {"invalid_number": ""},
    # Where in the chain a repeat may stand.
    "POST /v1/orgs/{org_id}/escalations": {"invalid_steps": "repeat can only be the last step"},
    "PATCH /v1/orgs/{org_id}/escalations/{escalation_id}": {
        "invalid_steps": "repeat can only be the last step"
    },
    # Each kind of provider has settings and credentials of its own, each one line of text.
    "POST /v1/orgs/{org_id}/providers": {"invalid_provider_config": "", "control_character": ""},
    "PATCH /v1/orgs/{org_id}/providers/{account_id}": {
        "invalid_provider_config": "",
        "control_character": "",
    },
    # When a call was seen, read in the reporter's time zone, and not in the future; its
    # numbers read in the reporter's country (the description's example has real ones).
    "POST /v1/public/abuse-reports": {
        "invalid_number": "",
        "invalid_seen_at": "",
        "timezone_required": "",
        "invalid_timezone": "",
        "seen_at_in_future": "",
    },
    # Times measured against the server's clock; a target that is a number when the scope is.
    "POST /v1/admin/enforcement": {"invalid_end": "in the future", **NOT_CALLABLE},
    "POST /v1/admin/cases/{case_id}/enforcement": {"invalid_end": "in the future", **NOT_CALLABLE},
    "POST /v1/admin/policies": {
        "effective_in_past": "",
        "notice_too_short": "",
        "summary_required": "",
    },
    # A member's number is screened as a contact's; a rule's number and method must agree with
    # what the member saved, and e-mail names no number.
    "POST /v1/orgs/{org_id}/people/{user_id}/methods": NOT_CALLABLE,
    "PUT /v1/orgs/{org_id}/people/{user_id}/rules": {"invalid_rule": "", "duplicate_rule": ""},
    **ON_CALL_REFUSALS,
    # Whether a calendar's host is public is for DNS to say; a schedule that exists, the
    # database; whether a person asks (not an API key's nobody), the credentials.
    "POST /v1/orgs/{org_id}/calendars": {"provider_host_not_allowed": "", "invalid_name": ""},
    "POST /v1/orgs/{org_id}/calendar-tokens": {"schedule_required": "", "user_required": ""},
    # A heartbeat's plan: an interval or a cron expression (not both, not neither) that cron
    # can read, in a time zone that exists.
    "POST /v1/orgs/{org_id}/heartbeats": _HEARTBEAT_PLAN,
    "PATCH /v1/orgs/{org_id}/heartbeats/{heartbeat_id}": _HEARTBEAT_PLAN,
    # A window's times are read against each other and the server's clock, its rule and its
    # expressions by what the server can evaluate safely, its time zone by the zone database.
    **{
        operation: MAINTENANCE_REFUSALS
        for operation in (
            "POST /v1/orgs/{org_id}/maintenance-windows",
            "PATCH /v1/orgs/{org_id}/maintenance-windows/{window_id}",
        )
    },
    # Whether a webhook's URL is https to a public host on an allowed port is the host rule's
    # to say (outgoing/urls.py), after DNS.
    "POST /v1/orgs/{org_id}/webhooks": {"webhook_url_not_allowed": "", "invalid_name": ""},
    "PATCH /v1/orgs/{org_id}/webhooks/{webhook_id}": {
        "webhook_url_not_allowed": "",
        "invalid_name": "",
    },
}


# The application under test, answering from each test's runtime (the `world` fixture). It is
# built here, at collection, because each operation of its description becomes a test; the
# runtime it is built on is never asked anything.
API = create_app(Runtime.from_settings(settings_for("sqlite://", Path("/nonexistent"))))

schema = schemathesis.openapi.from_dict(API.openapi())
# Requests reach the application in process; the URL only names a host.
schema.app = API
schema.config.update(base_url="http://testserver")
# The API's description says text never holds a NUL (`unstorable_text`, tested in
# test_errors.py); a lone surrogate is never drawn, text being drawn as UTF-8.
schema.config.generation.update(allow_x00=False)
# Mining the application's source for strings to draw costs seconds at every collection.
schema.config.analysis.constants.enabled = False
# A method the path lacks: OPTIONS (is `Allow` true?) and one more (is it a 405 with `Allow`?).
# Each further method costs every operation a request and finds nothing these two do not.
schema.config.phases.coverage.unexpected_methods = {"options", "trace"}


@pytest.fixture(autouse=True)
def _writes_only_on_postgresql(request: pytest.FixtureRequest, backend: str) -> None:
    # Autouse, so it skips before the database is emptied and the world is made.
    label: str = getattr(request.node, "operation_label", "")
    if backend == "postgresql" and label.startswith("GET "):
        pytest.skip("reads behave alike on both backends; PostgreSQL runs the writes")


def passed_over_on_postgresql(case: Case, backend: str) -> bool:
    """Whether to pass over this case: PostgreSQL is sent the valid values at the description's
    boundaries (the longest text, the largest list), which reach its columns; what is invalid
    is refused before any query, alike on both backends."""
    if backend != "postgresql":
        return False
    meta = case.meta
    assert meta is not None
    return meta.phase.name != TestPhase.COVERAGE or not meta.generation.mode.is_positive


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    # A server without Paddle or e-mail answers their operations with 503 (tests/api/
    # test_errors.py); this one has both, so those operations are run. Mail only queues here:
    # no worker sends it.
    return settings_for(
        database_url,
        data_dir,
        paddle_webhook_secrets="pdl_ntfset_test_secret",
        smtp_url="smtp://127.0.0.1:9",
    )


class World:
    """An organization and its owner; its things are made on first need, when the operation
    under test names one in its path."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Whether a success has been sent again without credentials (the `ignored_auth` check).
        self.auth_probed = False
        self.owner = seeded.person(runtime, org_name="Conformance")
        # Webhook hosts resolve to a public address here, without asking DNS.
        runtime.webhook_hosts = outgoing_rows.public_hosts()
        self.org_id = self.owner.org_id
        with runtime.database.write() as session:
            set_platform_admin(
                session,
                email=self.owner.email,
                admin=True,
                actor=CLI_ACTOR,
                now=runtime.clock.now(),
            )

    def id_for(self, parameter: str) -> str | None:
        make = self._makers().get(parameter)
        return make() if make is not None else None

    def _makers(self) -> dict[str, Callable[[], str]]:
        return {
            "org_id": lambda: self.org_id,
            "contact_id": lambda: self.contact_id,
            "endpoint_id": lambda: self.endpoint_id,
            "escalation_id": lambda: self.escalation_id,
            "alert_id": lambda: self.alert_id,
            "user_id": lambda: self.member_id,
            "key_id": lambda: self.key_id,
            "caller_id_id": lambda: self.caller_id_id,
            "account_id": lambda: self.account_id,
            "rotation_id": lambda: self.rotation_id,
            "schedule_id": lambda: self.schedule_id,
            "override_id": lambda: self.override_id,
            "temporary_id": lambda: self.temporary_id,
            "project_id": lambda: self.project_id,
            "token_id": lambda: self.calendar_token_id,
            "calendar_id": lambda: self.calendar_id,
            "heartbeat_id": lambda: self.heartbeat.monitor.id,
            "window_id": lambda: self.window_id,
            "webhook_id": lambda: self.webhook_id,
            "delivery_id": lambda: self.delivery_id,
        }

    @cached_property
    def contact_id(self) -> str:
        return seeded.contact(self.runtime, self.org_id, phone="+447400123456")

    @cached_property
    def endpoint_id(self) -> str:
        return seeded.endpoint(self.runtime, self.org_id, self.contact_id)

    @cached_property
    def ingest_key(self) -> str:
        return seeded.api_key(self.runtime, self.org_id)

    @cached_property
    def escalation_id(self) -> str:
        step = {"type": "call", "contact_ids": [self.contact_id]}
        return seeded.escalation(self.runtime, self.org_id, step)

    @cached_property
    def alert_id(self) -> str:
        response = TestClient(API).post(
            f"/v1/hooks/{self.endpoint_id}",
            json={"title": "Disk full"},
            headers={"X-Alert-Key": self.ingest_key},
        )
        alert_id: str = response.json()["alert_id"]
        return alert_id

    @cached_property
    def member_id(self) -> str:
        return seeded.member(self.runtime, self.org_id, role=Role.MEMBER).user_id

    @cached_property
    def key_id(self) -> str:
        self.ingest_key  # noqa: B018 - made for its row
        with self.runtime.database.read() as session:
            page = api_keys.keys_page(session, org_id=self.org_id, limit=1, cursor=None)
            key_id: str = page.items[0].id
            return key_id

    @cached_property
    def caller_id_id(self) -> str:
        return rows.proven_caller_id(self.runtime, self.org_id)

    @cached_property
    def calendar_token_id(self) -> str:
        with self.runtime.database.write() as session:
            made = calendar_tokens.create_token(
                session,
                org_id=self.org_id,
                kind=CalendarTokenKind.PERSON,
                subject_id=self.owner.user_id,
                actor=CLI_ACTOR,
                key=self.runtime.calendar_token_key,
                now=self.runtime.clock.now(),
            )
            return made.row.id

    @cached_property
    def calendar_id(self) -> str:
        with self.runtime.database.write() as session:
            return calendar_feeds.add_feed(
                session,
                org_id=self.org_id,
                name="Team rota",
                url="https://93.184.216.34/rota.ics",
                policy=HostPolicy(),
                actor=CLI_ACTOR,
                now=self.runtime.clock.now(),
            ).id

    @cached_property
    def heartbeat(self) -> MonitorWithKey:
        with self.runtime.database.write() as session:
            return heartbeat_commands.create_monitor(
                session,
                org_id=self.org_id,
                endpoint_id=self.endpoint_id,
                name="Nightly backup",
                interval_seconds=300,
                grace_seconds=60,
                actor=CLI_ACTOR,
                now=self.runtime.clock.now(),
                digest_key=self.runtime.heartbeat_key_digest_key,
            )

    @cached_property
    def webhook_id(self) -> str:
        made = outgoing_rows.subscribe(self.runtime, self.org_id, url="https://93.184.216.34/h")
        return made.subscription.id

    @cached_property
    def delivery_id(self) -> str:
        return outgoing_rows.finished_delivery(self.runtime, self.org_id, self.webhook_id)

    @cached_property
    def account_id(self) -> str:
        return rows.provider_account(self.runtime, self.org_id, "simulator")

    @cached_property
    def rotation_id(self) -> str:
        return schedule_rows.rotation(self.runtime, self.org_id, self.owner.user_id)

    @cached_property
    def schedule_id(self) -> str:
        layer = {"name": "Primary", "rotation_id": self.rotation_id}
        return schedule_rows.schedule(self.runtime, self.org_id, layer, project_id=self.project_id)

    @cached_property
    def override_id(self) -> str:
        return schedule_rows.override(
            self.runtime, self.org_id, self.schedule_id, "add", self.owner.user_id
        )

    @cached_property
    def temporary_id(self) -> str:
        return schedule_rows.temporary(self.runtime, self.org_id, self.schedule_id)

    @cached_property
    def window_id(self) -> str:
        return window_rows.window(self.runtime, self.org_id, minutes=60)

    @cached_property
    def project_id(self) -> str:
        return schedule_rows.project(self.runtime, self.org_id)


@pytest.fixture
def world(runtime: Runtime) -> World:
    API.state = State({"runtime": runtime})
    return World(runtime)


def aim_at_the_world(case: Case, world: World) -> dict[str, str]:
    """Point path parameters at the world's things, so requests reach its resources rather than
    a 404, and drop drawn credentials; return the headers that carry the owner's own, which go
    with the request as the caller's (so the `ignored_auth` check knows them for genuine)."""
    for name in list(case.path_parameters or {}):
        value = world.id_for(name)
        if value is not None:
            case.path_parameters[name] = value
    for drawn in ("Authorization", "X-Api-Key", "X-Alert-Key"):
        case.headers.pop(drawn, None)
    credentials = {"Authorization": f"Bearer {world.owner.access_token}"}
    if case.path.startswith("/v1/hooks/"):
        credentials["X-Alert-Key"] = world.ingest_key
    if case.path.startswith("/v1/heartbeats/"):
        credentials["X-Alert-Key"] = world.heartbeat.key
    return credentials


def semantic_refusal(case: Case, response: Response) -> bool:
    """Whether the answer is a 422 that SEMANTIC_REFUSALS lists for the operation."""
    if response.status_code != 422:
        return False
    allowed = SEMANTIC_REFUSALS.get(case.operation.label, {})
    error = response.json()["error"]
    fragment = allowed.get(error["code"])
    return fragment is not None and fragment in error["message"]


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # Each example is a request to a real application with a database: slow by Hypothesis's
    # measure, and filtered where the description's patterns meet its lengths.
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_answers_as_described(case: Case, world: World, backend: str) -> None:
    if passed_over_on_postgresql(case, backend):
        return
    credentials = aim_at_the_world(case, world)
    response = case.call(headers=credentials)
    excluded: list[CheckFunction] = []
    if semantic_refusal(case, response):
        excluded.append(positive_data_acceptance)
    if case.operation.label in LENIENT:
        excluded.append(negative_data_rejection)
    # Once an operation is seen to refuse a success's request without credentials, it is not
    # asked again: the command-line runner asks once an operation, pytest would ask every time.
    if world.auth_probed:
        excluded.append(ignored_auth)
    case.validate_response(response, headers=credentials, excluded_checks=excluded)
    world.auth_probed = world.auth_probed or response.status_code < 300
