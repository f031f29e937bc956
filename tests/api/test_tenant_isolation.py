"""Tenant isolation: nothing of organization B can be read, changed or probed by A.

The matrix below names every route of the app that takes an id in its path; a test fails when a
route is added without an entry, so isolation is decided for each new route, not forgotten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi.testclient import TestClient

from tests import rows
from tests.accounts.helpers import api_key_header, create_key, error, invite, join
from tests.factories import Tenant, code_sent, make_tenant, ok
from tests.outgoing.rows import finished_delivery
from tocsin.audit.log import SYSTEM
from tocsin.audit.notices import tell_owners
from tocsin.core.ids import new_id
from tocsin.oncall.models import Project
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust.enforcement import take_action

# What a route checks before it touches an object: `org` routes take API keys with a scope,
# `people` routes take signed-in users only, `hook` is the webhook receiver (ingest keys),
# `admin` routes are for platform administrators, which no tenant is. `public` routes serve
# what is the same for everyone (published policies) and hold nothing of any tenant.
ORG, PEOPLE, HOOK, ADMIN, PUBLIC = "org", "people", "hook", "admin", "public"
# A heartbeat's ping routes take the monitor's own ping key only (X-Alert-Key or ?key=).
PING = "ping"

HIJACK = "Hijacked by A"
CONTACT = {"name": HIJACK, "phone": "+447400123499"}
# Bodies that would succeed in B's organization with B's member (the isolation world's).
ROTATION = {
    "name": HIJACK,
    "unit": "days",
    "timezone": "UTC",
    "start_at": "2026-01-01T00:00:00Z",
    "participants": ["usr_01nowhere000000000000000000"],
}
OVERRIDE = {
    "kind": "add",
    "user_id": "usr_01nowhere000000000000000000",
    "starts_at": "2026-01-01T00:00:00Z",
    "ends_at": "2026-01-02T00:00:00Z",
}
TEMPORARY = {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-01-02T00:00:00Z", "shifts": []}


@dataclass(frozen=True)
class Case:
    kind: str
    body: dict[str, Any] | None = None


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/v1/orgs/{org_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}"): Case(PEOPLE, {"name": HIJACK}),
    ("GET", "/v1/orgs/{org_id}/calling-policy"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/calling-policy"): Case(
        PEOPLE, {"international_enabled": True, "allowed_regions": ["FR"]}
    ),
    ("POST", "/v1/orgs/{org_id}/providers"): Case(
        PEOPLE, {"kind": "simulator", "name": HIJACK, "priority": 2}
    ),
    ("GET", "/v1/orgs/{org_id}/providers"): Case(PEOPLE),
    ("PATCH", "/v1/orgs/{org_id}/providers/{account_id}"): Case(
        PEOPLE, {"name": HIJACK, "enabled": False}
    ),
    ("DELETE", "/v1/orgs/{org_id}/providers/{account_id}"): Case(PEOPLE),
    ("POST", "/v1/orgs/{org_id}/caller-ids"): Case(PEOPLE, {"number": "+447400333333"}),
    ("GET", "/v1/orgs/{org_id}/caller-ids"): Case(PEOPLE),
    ("DELETE", "/v1/orgs/{org_id}/caller-ids/{caller_id_id}"): Case(PEOPLE),
    ("POST", "/v1/orgs/{org_id}/caller-ids/{caller_id_id}/code"): Case(PEOPLE),
    ("POST", "/v1/orgs/{org_id}/caller-ids/{caller_id_id}/confirm"): Case(
        PEOPLE, {"code": "123456"}
    ),
    ("POST", "/v1/orgs/{org_id}/caller-ids/{caller_id_id}/check"): Case(
        PEOPLE, {"account_id": "prv_01nowhere000000000000000000"}
    ),
    ("GET", "/v1/orgs/{org_id}/members"): Case(PEOPLE),
    # B's plain member is the target: promoting them would succeed if the check were missing.
    ("PATCH", "/v1/orgs/{org_id}/members/{user_id}"): Case(PEOPLE, {"role": "owner"}),
    ("DELETE", "/v1/orgs/{org_id}/members/{user_id}"): Case(PEOPLE),
    ("POST", "/v1/orgs/{org_id}/invites"): Case(PEOPLE, {"role": "admin"}),
    ("GET", "/v1/orgs/{org_id}/invites"): Case(PEOPLE),
    ("DELETE", "/v1/orgs/{org_id}/invites/{invite_id}"): Case(PEOPLE),
    ("POST", "/v1/orgs/{org_id}/api-keys"): Case(PEOPLE, {"name": HIJACK, "scopes": ["write"]}),
    ("GET", "/v1/orgs/{org_id}/api-keys"): Case(PEOPLE),
    ("DELETE", "/v1/orgs/{org_id}/api-keys/{key_id}"): Case(PEOPLE),
    ("POST", "/v1/orgs/{org_id}/contacts"): Case(ORG, CONTACT),
    ("GET", "/v1/orgs/{org_id}/contacts"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/contacts/{contact_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/contacts/{contact_id}"): Case(ORG, {"name": HIJACK}),
    ("DELETE", "/v1/orgs/{org_id}/contacts/{contact_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/endpoints"): Case(ORG, {"name": HIJACK}),
    ("GET", "/v1/orgs/{org_id}/endpoints"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/endpoints/{endpoint_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/endpoints/{endpoint_id}"): Case(
        ORG, {"name": HIJACK, "require_key": False, "contact_ids": []}
    ),
    ("DELETE", "/v1/orgs/{org_id}/endpoints/{endpoint_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/endpoints/{endpoint_id}/preview"): Case(ORG, {"title": HIJACK}),
    ("POST", "/v1/orgs/{org_id}/escalations"): Case(
        ORG, {"name": HIJACK, "steps": [{"type": "call", "contact_ids": ["ct_x"]}]}
    ),
    ("GET", "/v1/orgs/{org_id}/escalations"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/escalations/{escalation_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/escalations/{escalation_id}"): Case(ORG, {"name": HIJACK}),
    ("DELETE", "/v1/orgs/{org_id}/escalations/{escalation_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/contacts/{contact_id}/verification"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/contacts/{contact_id}/verification/confirm"): Case(
        ORG, {"code": "123456"}
    ),
    ("GET", "/v1/orgs/{org_id}/consents"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/appeals"): Case(ORG, {"action_id": "enf_x", "statement": HIJACK}),
    ("GET", "/v1/orgs/{org_id}/appeals"): Case(ORG),
    ("GET", "/v1/admin/cases/{case_id}"): Case(ADMIN),
    ("PATCH", "/v1/admin/cases/{case_id}"): Case(ADMIN, {"note": HIJACK}),
    ("POST", "/v1/admin/cases/{case_id}/decision"): Case(
        ADMIN, {"decision": "grant", "note": HIJACK}
    ),
    ("POST", "/v1/admin/cases/{case_id}/enforcement"): Case(
        ADMIN, {"kind": "warning", "scope": "organization", "target": "org_x", "reason": HIJACK}
    ),
    ("POST", "/v1/admin/refund-requests/{request_id}/answer"): Case(
        ADMIN, {"answer": "refunded", "note": HIJACK}
    ),
    ("POST", "/v1/orgs/{org_id}/do-not-call"): Case(ORG, {"number": "+447400222222"}),
    ("GET", "/v1/orgs/{org_id}/do-not-call"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/billing"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/billing/trial"): Case(PEOPLE),
    ("GET", "/v1/orgs/{org_id}/usage"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/notices"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/enforcement"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/audit"): Case(ORG),
    ("POST", "/v1/admin/enforcement/{action_id}/lift"): Case(ADMIN),
    ("GET", "/v1/policies/{kind}/{version}"): Case(PUBLIC),
    # A provider's callback names no tenant in its path: its provider's signature checks it.
    ("POST", "/v1/telephony/{kind}/{hook}"): Case(PUBLIC),
    # Signed by the provider with the credentials of the account it names (?account=).
    ("POST", "/v1/telephony/{kind}/sms"): Case(PUBLIC),
    ("POST", "/v1/orgs/{org_id}/notices/read"): Case(PEOPLE),
    ("GET", "/v1/orgs/{org_id}/alerts"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/alerts/{alert_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/alerts/{alert_id}/acknowledge"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/alerts/{alert_id}/resolve"): Case(ORG),
    ("POST", "/v1/hooks/{endpoint_id}"): Case(HOOK, {"title": HIJACK}),
    ("PUT", "/v1/hooks/{endpoint_id}"): Case(HOOK, {"title": HIJACK}),
    ("PATCH", "/v1/hooks/{endpoint_id}"): Case(HOOK, {"title": HIJACK}),
    ("GET", "/v1/hooks/{endpoint_id}"): Case(HOOK),
    ("GET", "/v1/orgs/{org_id}/people"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/people/{user_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/people/{user_id}/methods"): Case(
        ORG, {"name": HIJACK, "phone": "+447400123498", "method": "voice"}
    ),
    ("DELETE", "/v1/orgs/{org_id}/people/{user_id}/methods/{method_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/people/{user_id}/methods/{method_id}/verify"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/people/{user_id}/methods/{method_id}/verify/confirm"): Case(
        ORG, {"code": "123456"}
    ),
    ("GET", "/v1/orgs/{org_id}/people/{user_id}/rules"): Case(ORG),
    ("PUT", "/v1/orgs/{org_id}/people/{user_id}/rules"): Case(ORG, {"rules": []}),
    ("POST", "/v1/orgs/{org_id}/projects"): Case(ORG, {"name": HIJACK}),
    ("GET", "/v1/orgs/{org_id}/projects"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/projects/{project_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/projects/{project_id}"): Case(ORG, {"name": HIJACK}),
    ("DELETE", "/v1/orgs/{org_id}/projects/{project_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/projects/{project_id}/members"): Case(
        ORG, {"user_id": "usr_01nowhere000000000000000000"}
    ),
    ("DELETE", "/v1/orgs/{org_id}/projects/{project_id}/members/{user_id}"): Case(ORG),
    ("PUT", "/v1/orgs/{org_id}/endpoints/{endpoint_id}/project"): Case(ORG, {"project_id": None}),
    ("PUT", "/v1/orgs/{org_id}/escalations/{escalation_id}/project"): Case(
        ORG, {"project_id": None}
    ),
    ("GET", "/v1/orgs/{org_id}/rotations"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/rotations"): Case(ORG, ROTATION),
    ("GET", "/v1/orgs/{org_id}/rotations/{rotation_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/rotations/{rotation_id}"): Case(ORG, {"name": HIJACK}),
    ("DELETE", "/v1/orgs/{org_id}/rotations/{rotation_id}"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/schedules"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/schedules"): Case(ORG, {"name": HIJACK, "timezone": "UTC"}),
    ("GET", "/v1/orgs/{org_id}/schedules/{schedule_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/schedules/{schedule_id}"): Case(ORG, {"name": HIJACK}),
    ("DELETE", "/v1/orgs/{org_id}/schedules/{schedule_id}"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/schedules/{schedule_id}/overrides"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/schedules/{schedule_id}/overrides"): Case(ORG, OVERRIDE),
    ("DELETE", "/v1/orgs/{org_id}/schedules/{schedule_id}/overrides/{override_id}"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/schedules/{schedule_id}/temporaries"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/schedules/{schedule_id}/temporaries"): Case(ORG, TEMPORARY),
    ("DELETE", "/v1/orgs/{org_id}/schedules/{schedule_id}/temporaries/{temporary_id}"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/schedules/{schedule_id}/on-call"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/schedules/{schedule_id}/shifts"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/schedules/{schedule_id}/timeline"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/projects/{project_id}/on-call"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/projects/{project_id}/shifts"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/people/{user_id}/shifts"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/me/shifts"): Case(ORG),
    # Calendars: feed addresses and external calendars.
    ("POST", "/v1/orgs/{org_id}/calendar-tokens"): Case(ORG, {"kind": "person"}),
    ("GET", "/v1/orgs/{org_id}/calendar-tokens"): Case(ORG),
    ("DELETE", "/v1/orgs/{org_id}/calendar-tokens/{token_id}"): Case(ORG),
    # The address is the secret (only its digest is stored): it names no tenant to check.
    ("GET", "/v1/calendars/{token}.ics"): Case(PUBLIC),
    ("POST", "/v1/orgs/{org_id}/calendars"): Case(
        ORG, {"name": HIJACK, "url": "https://93.184.216.34/a.ics"}
    ),
    ("GET", "/v1/orgs/{org_id}/calendars"): Case(ORG),
    ("DELETE", "/v1/orgs/{org_id}/calendars/{calendar_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/calendars/{calendar_id}/refresh"): Case(ORG),
    # Heartbeat monitors, and their pings (a ping key names one monitor of one tenant).
    ("POST", "/v1/orgs/{org_id}/heartbeats"): Case(
        ORG,
        {"name": HIJACK, "endpoint_id": "ep_01nowhere000000000000000000", "interval_seconds": 300},
    ),
    ("GET", "/v1/orgs/{org_id}/heartbeats"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/heartbeats/{heartbeat_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/heartbeats/{heartbeat_id}"): Case(ORG, {"name": HIJACK}),
    ("DELETE", "/v1/orgs/{org_id}/heartbeats/{heartbeat_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/heartbeats/{heartbeat_id}/pause"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/heartbeats/{heartbeat_id}/resume"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/heartbeats/{heartbeat_id}/rotate-key"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/heartbeats/{heartbeat_id}/pings"): Case(ORG),
    ("GET", "/v1/heartbeats/{heartbeat_id}"): Case(PING),
    ("POST", "/v1/heartbeats/{heartbeat_id}"): Case(PING),
    ("GET", "/v1/heartbeats/{heartbeat_id}/start"): Case(PING),
    ("POST", "/v1/heartbeats/{heartbeat_id}/start"): Case(PING),
    ("GET", "/v1/heartbeats/{heartbeat_id}/fail"): Case(PING),
    ("POST", "/v1/heartbeats/{heartbeat_id}/fail"): Case(PING),
    # Maintenance windows.
    ("POST", "/v1/orgs/{org_id}/maintenance-windows"): Case(
        ORG, {"reason": HIJACK, "duration_minutes": 60}
    ),
    ("GET", "/v1/orgs/{org_id}/maintenance-windows"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/maintenance-windows/{window_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/maintenance-windows/{window_id}"): Case(ORG, {"reason": HIJACK}),
    ("POST", "/v1/orgs/{org_id}/maintenance-windows/{window_id}/end"): Case(ORG),
    ("DELETE", "/v1/orgs/{org_id}/maintenance-windows/{window_id}"): Case(ORG),
    # Outgoing webhooks and their delivery log.
    ("POST", "/v1/orgs/{org_id}/webhooks"): Case(
        ORG, {"name": HIJACK, "url": "https://93.184.216.34/a", "events": ["created"]}
    ),
    ("GET", "/v1/orgs/{org_id}/webhooks"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/webhooks/{webhook_id}"): Case(ORG),
    ("PATCH", "/v1/orgs/{org_id}/webhooks/{webhook_id}"): Case(
        ORG, {"url": "https://93.184.216.34/hijacked", "enabled": False}
    ),
    ("DELETE", "/v1/orgs/{org_id}/webhooks/{webhook_id}"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/webhooks/{webhook_id}/rotate-secret"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/webhooks/{webhook_id}/test"): Case(ORG),
    ("GET", "/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries"): Case(ORG),
    ("POST", "/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): Case(
        ORG
    ),
    ("PATCH", "/v1/orgs/{org_id}/people/{user_id}"): Case(ORG, {"language": "es"}),
    # The dashboard's pages of the acceptable-use policy and the terms: the same for everyone.
    ("GET", "/policies/{kind}"): Case(PUBLIC),
    ("GET", "/policies/{kind}/{version}"): Case(PUBLIC),
}

# Ids that exist nowhere, for the "same answer as for a missing object" comparison.
NOWHERE = {
    "org_id": "org_01nowhere000000000000000000",
    "user_id": "usr_01nowhere000000000000000000",
    "invite_id": "inv_01nowhere000000000000000000",
    "key_id": "key_01nowhere000000000000000000",
    "contact_id": "ct_01nowhere000000000000000000",
    "endpoint_id": "ep_01nowhere000000000000000000",
    "alert_id": "al_01nowhere000000000000000000",
    "account_id": "prv_01nowhere000000000000000000",
    "caller_id_id": "cid_01nowhere000000000000000000",
    "escalation_id": "esp_01nowhere000000000000000000",
    "action_id": "enf_01nowhere000000000000000000",
    "case_id": "case_01nowhere00000000000000000",
    "request_id": "rfr_01nowhere000000000000000000",
    "project_id": "prj_01nowhere000000000000000000",
    "method_id": "ct_01nowhere000000000000000001",
    "rotation_id": "rot_01nowhere000000000000000000",
    "schedule_id": "sch_01nowhere000000000000000000",
    "override_id": "ovr_01nowhere000000000000000000",
    "temporary_id": "tmp_01nowhere000000000000000000",
    "token_id": "calt_01nowhere00000000000000000",
    "calendar_id": "cal_01nowhere000000000000000000",
    "heartbeat_id": "hb_01nowhere000000000000000000",
    "window_id": "mw_01nowhere000000000000000000",
    "webhook_id": "whk_01nowhere000000000000000000",
    "delivery_id": "whd_01nowhere000000000000000000",
}

_PARAM = re.compile(r"{(\w+)}")


def _id_routes(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every route of the app with a parameter in its path.

    FastAPI 0.16x includes routers lazily, so `app.routes` holds router branches that
    `iter_route_contexts` expands; older versions have a flat `app.routes` and no such helper.
    """
    app = client.app
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(flatten(app.routes) if flatten else app.routes)  # type: ignore[attr-defined]
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None)
        assert isinstance(path, str), f"cannot tell the path of {route!r}; decide its isolation"
        # Dashboard pages have their own walk, with a browser session: tests/web.
        if _PARAM.search(path) and not path.startswith("/o/") and not path.startswith("/admin/"):
            methods = getattr(route, "methods", None) or {"ANY"}
            found.update((method, path) for method in methods if method != "HEAD")
    return found


@dataclass
class World:
    a: Tenant
    b: Tenant
    a_key: str
    b_ids: dict[str, str]
    b_member_auth: dict[str, str]


def _user_id(client: TestClient, auth: dict[str, str]) -> str:
    value: str = ok(client.get("/v1/me", headers=auth))["user"]["id"]
    return value


@pytest.fixture
def world(client: TestClient) -> World:
    a = make_tenant(client, phone="+447400111111")
    b = make_tenant(client, phone="+447400222222")
    a_key = create_key(client, a, ["ingest", "read", "write"], name="a-everything")["key"]
    b_member_auth, b_member_id = join(client, b, "member", email="b-member@example.com")
    b_invite = invite(client, b, "member")
    b_keys = ok(client.get(f"/v1/orgs/{b.org_id}/api-keys", headers=b.auth))["items"]
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    ok(
        client.post(
            f"/v1/orgs/{a.org_id}/providers",
            json={
                "kind": "simulator",
                "name": "A's own",
                "caller_id_id": rows.proven_caller_id(runtime, a.org_id),
            },
            headers=a.auth,
        ),
        201,
    )
    b_provider = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/providers",
            json={
                "kind": "simulator",
                "name": "B's own",
                "credentials": {"token": "b-secret"},
                "caller_id_id": rows.proven_caller_id(runtime, b.org_id),
            },
            headers=b.auth,
        ),
        201,
    )
    b_caller_id = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/caller-ids", json={"number": "+447400444444"}, headers=b.auth
        ),
        201,
    )
    b_alert = ok(
        client.post(f"/v1/hooks/{b.endpoint_id}", json={"title": "B down"}, headers=b.alert_key),
        202,
    )
    b_escalation = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/escalations",
            json={"name": "B's chain", "steps": [{"type": "call", "contact_ids": [b.contact_id]}]},
            headers=b.auth,
        ),
        201,
    )
    b_token = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/calendar-tokens", json={"kind": "person"}, headers=b.auth
        ),
        201,
    )
    b_calendar = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/calendars",
            json={"name": "B's rota", "url": "https://93.184.216.34/b.ics"},
            headers=b.auth,
        ),
        201,
    )
    b_webhook, b_delivery = _webhook(client, b)
    b_warning = _warn(client, b.org_id)
    b_project = ok(
        client.post(f"/v1/orgs/{b.org_id}/projects", json={"name": "B's team"}, headers=b.auth),
        201,
    )
    b_method = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/people/{b_member_id}/methods",
            json={"name": "mobile", "phone": "+447400555555", "method": "sms"},
            headers=b.auth,
        ),
        201,
    )
    b_on_call = _on_call(client, b, b_member_id)
    b_window = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/maintenance-windows",
            # Upcoming: B's own alerts below still page.
            json={
                "reason": "B's upgrade",
                "starts_at": "2030-01-01T00:00:00Z",
                "duration_minutes": 60,
            },
            headers=b.auth,
        ),
        201,
    )
    b_appeal = ok(
        client.post(
            f"/v1/orgs/{b.org_id}/appeals",
            json={"action_id": b_warning, "statement": "B disagrees"},
            headers=b.auth,
        ),
        201,
    )
    b_heartbeat = _heartbeat(client, b)
    return World(
        a=a,
        b=b,
        a_key=a_key,
        b_ids={
            "org_id": b.org_id,
            "user_id": b_member_id,
            "invite_id": b_invite["id"],
            "key_id": b_keys[0]["id"],
            "contact_id": b.contact_id,
            "endpoint_id": b.endpoint_id,
            "alert_id": b_alert["alert_id"],
            "account_id": b_provider["id"],
            "caller_id_id": b_caller_id["id"],
            "escalation_id": b_escalation["id"],
            "action_id": b_warning,
            "case_id": b_appeal["id"],
            # Staff only: refused before any lookup, so no request of B's is needed.
            "request_id": "rfr_01nobodys00000000000000000",
            "project_id": b_project["id"],
            "method_id": b_method["id"],
            **b_on_call,
            "token_id": b_token["id"],
            "calendar_id": b_calendar["id"],
            "heartbeat_id": b_heartbeat["id"],
            "window_id": b_window["id"],
            "webhook_id": b_webhook,
            "delivery_id": b_delivery,
        },
        b_member_auth=b_member_auth,
    )


def _heartbeat(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    made: dict[str, Any] = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/heartbeats",
            json={"name": "nightly", "endpoint_id": tenant.endpoint_id, "interval_seconds": 300},
            headers=tenant.auth,
        ),
        201,
    )
    return made


def _webhook(client: TestClient, tenant: Tenant) -> tuple[str, str]:
    """A webhook of the tenant's and a finished delivery of it: (webhook id, delivery id)."""
    made = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/webhooks",
            json={"name": "Own relay", "url": "https://93.184.216.34/own", "events": ["created"]},
            headers=tenant.auth,
        ),
        201,
    )
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return made["id"], finished_delivery(runtime, tenant.org_id, made["id"])


def _on_call(client: TestClient, b: Tenant, member_id: str) -> dict[str, str]:
    """B's rotation, schedule (in a project of B's), an override and a temporary schedule."""
    org = f"/v1/orgs/{b.org_id}"
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    project_id = _project(runtime, b.org_id)
    rotation = ok(
        client.post(
            f"{org}/rotations", json={**ROTATION, "participants": [member_id]}, headers=b.auth
        ),
        201,
    )
    schedule = ok(
        client.post(
            f"{org}/schedules",
            json={
                "name": "B's primary",
                "timezone": "UTC",
                "project_id": project_id,
                "layers": [{"name": "Primary", "rotation_id": rotation["id"]}],
            },
            headers=b.auth,
        ),
        201,
    )
    ids = {"rotation_id": rotation["id"], "schedule_id": schedule["id"], "project_id": project_id}
    on_schedule = f"{org}/schedules/{schedule['id']}"
    override = ok(
        client.post(
            f"{on_schedule}/overrides", json={**OVERRIDE, "user_id": member_id}, headers=b.auth
        ),
        201,
    )
    temporary = ok(client.post(f"{on_schedule}/temporaries", json=TEMPORARY, headers=b.auth), 201)
    return {**ids, "override_id": override["id"], "temporary_id": temporary["id"]}


def _project(runtime: Runtime, org_id: str) -> str:
    now = runtime.clock.now()
    project_id = new_id("prj")
    with runtime.database.write() as session:
        session.add(
            Project(id=project_id, org_id=org_id, name="B's team", created_at=now, updated_at=now)
        )
    return project_id


def _warn(client: TestClient, org_id: str) -> str:
    """A warning to B from the platform's staff, so there is an action id of B's to try."""
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.database.write() as session:
        action, _ = take_action(
            session,
            kind=ActionKind.WARNING,
            scope=ActionScope.ORGANIZATION,
            target=org_id,
            reason="B was warned",
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
        return action.id


def _fill(template: str, ids: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"path parameter {{{name}}} has no id in the isolation test"
        return ids[name]

    return _PARAM.sub(replace, template)


def _send(
    client: TestClient, method: str, path: str, case: Case, headers: dict[str, str]
) -> httpx.Response:
    response: httpx.Response = client.request(method, path, json=case.body, headers=headers)
    return response


def _answer(response: httpx.Response) -> tuple[int, str]:
    body = response.json() if response.content else {}
    return response.status_code, body.get("error", {}).get("code", "")


def test_every_route_with_an_id_in_its_path_is_in_the_isolation_matrix(
    client: TestClient,
) -> None:
    routes = _id_routes(client)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"add these routes to the isolation MATRIX: {missing}"
    assert not stale, f"these MATRIX routes no longer exist: {stale}"


def test_openapi_document_lists_no_id_route_outside_the_matrix(client: TestClient) -> None:
    document = ok(client.get("/openapi.json"))
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if _PARAM.search(path)
        for method in operations
    }
    assert documented, "the OpenAPI document lists no route with an id"
    assert documented <= set(MATRIX), sorted(documented - set(MATRIX))
    # The route walk above sees at least what the document shows, so it cannot silently miss.
    assert documented <= _id_routes(client), sorted(documented - _id_routes(client))


def test_tenant_a_cannot_reach_tenant_b_through_any_route(client: TestClient, world: World) -> None:
    a = world.a
    credentials = {
        "a-user": a.auth,
        "a-api-key": api_key_header(world.a_key),
    }
    hook_credentials = {"a-user": a.auth, "a-api-key": {"X-Alert-Key": world.a_key}}
    failures: list[str] = []

    def expect(label: str, response: httpx.Response, answer: tuple[int, str]) -> None:
        got = _answer(response)
        if got != answer:
            failures.append(f"{label}: got {got}, expected {answer}: {response.text[:200]}")

    for (method, template), case in MATRIX.items():
        if case.kind == PUBLIC:
            continue
        if case.kind == HOOK:
            for who, headers in hook_credentials.items():
                response = _send(client, method, _fill(template, world.b_ids), case, headers)
                expect(f"{who} {method} {template}", response, (401, "invalid_key"))
            continue
        if case.kind == PING:
            # Without a ping key, or with A's API key as one: refused, and exactly as a ping to
            # a monitor that exists nowhere.
            ping_answers = {
                "a-user": (401, "missing_key"),
                "a-api-key": (404, "heartbeat_not_found"),
            }
            for who, headers in hook_credentials.items():
                label = f"{who} {method} {template}"
                response = _send(client, method, _fill(template, world.b_ids), case, headers)
                expect(label, response, ping_answers[who])
                twin = _send(client, method, _fill(template, NOWHERE), case, headers)
                expect(f"{label} vs a missing id", response, _answer(twin))
            continue
        if case.kind == ADMIN:
            admin_answers = {
                "a-user": (403, "platform_admin_required"),
                "a-api-key": (403, "user_required"),
            }
            for who, headers in credentials.items():
                response = _send(client, method, _fill(template, world.b_ids), case, headers)
                expect(f"{who} {method} {template}", response, admin_answers[who])
            continue
        has_object = len(_PARAM.findall(template)) > 1
        for who, headers in credentials.items():
            variants = {"B's org": world.b_ids}
            if has_object:
                variants["A's org, B's object"] = {**world.b_ids, "org_id": a.org_id}
            for variant, ids in variants.items():
                label = f"{who} {method} {template} [{variant}]"
                response = _send(client, method, _fill(template, ids), case, headers)
                status, code = _answer(response)
                if 200 <= status < 300:
                    failures.append(f"{label}: SUCCEEDED with {status}: {response.text[:200]}")
                    continue
                api_key_on_people_route = who == "a-api-key" and case.kind == PEOPLE
                if variant == "B's org":
                    expect(label, response, (404, "org_not_found"))
                elif api_key_on_people_route:
                    expect(label, response, (403, "user_required"))
                elif status != 404:
                    failures.append(f"{label}: got {status} {code}, expected 404")
                # No oracle: B's real ids must be answered exactly like ids that exist nowhere.
                nowhere = {**NOWHERE, "org_id": ids["org_id"]}
                if variant == "B's org":
                    nowhere["org_id"] = NOWHERE["org_id"]
                twin = _send(client, method, _fill(template, nowhere), case, headers)
                expect(f"{label} vs a missing id", response, _answer(twin))
    assert not failures, "\n".join(failures)
    _assert_b_is_untouched(client, world)


def _assert_b_is_untouched(client: TestClient, world: World) -> None:
    b, ids = world.b, world.b_ids
    org = f"/v1/orgs/{b.org_id}"
    assert ok(client.get(org, headers=b.auth))["name"] == "Org of +447400222222"
    assert ok(client.get(f"{org}/billing", headers=b.auth))["trial"] is None
    contact = ok(client.get(f"{org}/contacts/{b.contact_id}", headers=b.auth))
    assert (contact["name"], contact["phone_e164"]) == ("On call", "+447400222222")
    assert len(ok(client.get(f"{org}/contacts", headers=b.auth))["items"]) == 1
    endpoint = ok(client.get(f"{org}/endpoints/{b.endpoint_id}", headers=b.auth))
    assert (endpoint["name"], endpoint["require_key"], endpoint["contact_ids"]) == (
        "Production",
        True,
        [b.contact_id],
    )
    assert len(ok(client.get(f"{org}/endpoints", headers=b.auth))["items"]) == 1
    alerts = ok(client.get(f"{org}/alerts", headers=b.auth))["items"]
    assert [(alert["id"], alert["status"]) for alert in alerts] == [(ids["alert_id"], "open")]
    members = ok(client.get(f"{org}/members", headers=b.auth))["items"]
    assert sorted(member["role"] for member in members) == ["member", "owner"]
    # Two invites: the one B's member joined with, and the open one A tried to revoke.
    invites = {
        item["id"]: item for item in ok(client.get(f"{org}/invites", headers=b.auth))["items"]
    }
    assert len(invites) == 2
    assert invites[ids["invite_id"]]["revoked_at"] is None
    keys = ok(client.get(f"{org}/api-keys", headers=b.auth))["items"]
    assert [(key["id"], key["revoked_at"]) for key in keys] == [(ids["key_id"], None)]
    chain = ok(client.get(f"{org}/escalations/{ids['escalation_id']}", headers=b.auth))
    assert (chain["name"], chain["steps"]) == (
        "B's chain",
        [{"type": "call", "contact_ids": [b.contact_id]}],
    )
    assert ok(client.get(f"{org}/do-not-call", headers=b.auth))["items"] == []
    # B's member still has their role, and B's key still sends alerts.
    ok(client.get(f"{org}/contacts", headers=world.b_member_auth))
    sent = ok(
        client.post(f"/v1/hooks/{b.endpoint_id}", json={"title": "B up"}, headers=b.alert_key),
        202,
    )
    assert sent["calls_queued"] == 1
    rotation = ok(client.get(f"{org}/rotations/{ids['rotation_id']}", headers=b.auth))
    assert rotation["name"] == HIJACK  # B's own rotation was named so by B, and kept its people
    assert rotation["participants"] == [ids["user_id"]]
    on_schedule = f"{org}/schedules/{ids['schedule_id']}"
    assert ok(client.get(on_schedule, headers=b.auth))["name"] == "B's primary"
    overrides = ok(client.get(f"{on_schedule}/overrides", headers=b.auth))["items"]
    assert [item["id"] for item in overrides] == [ids["override_id"]]
    temporaries = ok(client.get(f"{on_schedule}/temporaries", headers=b.auth))["items"]
    assert [item["id"] for item in temporaries] == [ids["temporary_id"]]
    heartbeat = ok(client.get(f"{org}/heartbeats/{ids['heartbeat_id']}", headers=b.auth))
    assert (heartbeat["name"], heartbeat["state"], heartbeat["paused"]) == ("nightly", "new", False)
    assert heartbeat["last_ping_at"] is None
    window = ok(client.get(f"{org}/maintenance-windows/{ids['window_id']}", headers=b.auth))
    assert (window["reason"], window["state"], window["ended_at"]) == (
        "B's upgrade",
        "upcoming",
        None,
    )
    windows = ok(client.get(f"{org}/maintenance-windows", headers=b.auth))["items"]
    assert [item["id"] for item in windows] == [ids["window_id"]]
    webhook = ok(client.get(f"{org}/webhooks/{ids['webhook_id']}", headers=b.auth))
    assert (webhook["url"], webhook["enabled"]) == ("https://93.184.216.34/own", True)
    assert webhook["previous_secret_until"] is None  # its secret was not rotated
    # B's own test delivery, and the event of B's alert sent above: nothing A queued.
    log = ok(client.get(f"{org}/webhooks/{ids['webhook_id']}/deliveries", headers=b.auth))
    assert [(item["id"] == ids["delivery_id"], item["event_type"]) for item in log["items"]] == [
        (False, "alert.created"),
        (True, "webhook.test"),
    ]


def test_a_ingest_key_cannot_send_to_b_endpoint(client: TestClient, world: World) -> None:
    a, b = world.a, world.b
    bound = create_key(client, a, ["ingest"], endpoint_id=a.endpoint_id)["key"]
    for key in (a.ingest_key, bound, world.a_key):
        response = client.post(
            f"/v1/hooks/{b.endpoint_id}", json={"title": "spoof"}, headers={"X-Alert-Key": key}
        )
        assert error(response, 401) == "invalid_key"
    alerts = ok(client.get(f"/v1/orgs/{b.org_id}/alerts", headers=b.auth))["items"]
    assert [alert["title"] for alert in alerts] == ["B down"]


def test_a_cannot_appeal_b_action_or_use_b_code(client: TestClient, world: World) -> None:
    a, b = world.a, world.b
    org = f"/v1/orgs/{a.org_id}"
    appeal = client.post(
        f"{org}/appeals",
        json={"action_id": world.b_ids["action_id"], "statement": HIJACK},
        headers=a.auth,
    )
    assert error(appeal, 404) == "action_not_found"
    client.app.state.runtime.clock.advance(61)  # type: ignore[attr-defined]
    sent = ok(
        client.post(f"/v1/orgs/{b.org_id}/contacts/{b.contact_id}/verification", headers=b.auth),
        202,
    )
    stolen = client.post(
        f"{org}/contacts/{a.contact_id}/verification/confirm",
        json={"code": code_sent(client, sent["verification_id"]),
              "verification_id": sent["verification_id"]},
        headers=a.auth,
    )  # fmt: skip
    assert error(stolen, 404) == "verification_not_found"


def test_a_cannot_attach_b_contact_to_a_endpoint(client: TestClient, world: World) -> None:
    a, b = world.a, world.b
    org = f"/v1/orgs/{a.org_id}"
    for headers in (a.auth, api_key_header(world.a_key)):
        created = client.post(
            f"{org}/endpoints",
            json={"name": "Sneaky", "contact_ids": [b.contact_id]},
            headers=headers,
        )
        assert error(created, 404) == "contact_not_found"
        patched = client.patch(
            f"{org}/endpoints/{a.endpoint_id}",
            json={"contact_ids": [a.contact_id, b.contact_id]},
            headers=headers,
        )
        assert error(patched, 404) == "contact_not_found"
    endpoints = ok(client.get(f"{org}/endpoints", headers=a.auth))["items"]
    assert [(item["id"], item["contact_ids"]) for item in endpoints] == [
        (a.endpoint_id, [a.contact_id])
    ]


def test_a_cannot_bind_a_key_to_b_endpoint(client: TestClient, world: World) -> None:
    a, b = world.a, world.b
    response = client.post(
        f"/v1/orgs/{a.org_id}/api-keys",
        json={"name": "sneaky", "endpoint_id": b.endpoint_id},
        headers=a.auth,
    )
    assert error(response, 404) == "endpoint_not_found"
    keys = ok(client.get(f"/v1/orgs/{a.org_id}/api-keys", headers=a.auth))["items"]
    assert "sneaky" not in {key["name"] for key in keys}


def _list_routes(client: TestClient) -> list[str]:
    """Every GET route whose only path parameter is the organization and that answers with a
    page of items (not the org itself, nor its single settings documents)."""
    singles = {
        "/v1/orgs/{org_id}",
        "/v1/orgs/{org_id}/calling-policy",
        "/v1/orgs/{org_id}/billing",
        "/v1/orgs/{org_id}/usage",
    }
    return sorted(
        path
        for method, path in _id_routes(client)
        if method == "GET"
        and path.startswith("/v1/")
        and _PARAM.findall(path) == ["org_id"]
        and path not in singles
    )


def test_lists_never_include_the_other_tenant_items(client: TestClient, world: World) -> None:
    a, b = world.a, world.b
    a_alert = ok(
        client.post(f"/v1/hooks/{a.endpoint_id}", json={"title": "A down"}, headers=a.alert_key),
        202,
    )["alert_id"]
    invite(client, a, "member")
    ok(
        client.post(
            f"/v1/orgs/{a.org_id}/escalations",
            json={"name": "A's chain", "steps": [{"type": "call", "contact_ids": [a.contact_id]}]},
            headers=a.auth,
        ),
        201,
    )
    ok(
        client.post(
            f"/v1/orgs/{a.org_id}/do-not-call", json={"number": "+447400999999"}, headers=a.auth
        ),
        201,
    )
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    for org_id in (a.org_id, b.org_id):
        with runtime.database.write() as session:
            tell_owners(
                session,
                org_id=org_id,
                kind="quota_low",
                period="2026-01",
                message=f"notice for {org_id}",
                now=runtime.clock.now(),
                actor=SYSTEM,
            )
    a_warning = _warn(client, a.org_id)
    ok(client.post(f"/v1/orgs/{a.org_id}/projects", json={"name": "A's team"}, headers=a.auth), 201)
    ok(
        client.post(
            f"/v1/orgs/{a.org_id}/calendar-tokens", json={"kind": "person"}, headers=a.auth
        ),
        201,
    )
    ok(
        client.post(
            f"/v1/orgs/{a.org_id}/calendars",
            json={"name": "A's rota", "url": "https://93.184.216.34/a.ics"},
            headers=a.auth,
        ),
        201,
    )
    ok(
        client.post(
            f"/v1/orgs/{a.org_id}/appeals",
            json={"action_id": a_warning, "statement": "A disagrees"},
            headers=a.auth,
        ),
        201,
    )
    _webhook(client, a)
    # A's own schedule with A's owner on call, so A's on-call lists have something of A's.
    _on_call(client, a, _user_id(client, a.auth))
    _heartbeat(client, a)
    ok(
        client.post(
            f"/v1/orgs/{a.org_id}/maintenance-windows",
            json={"reason": "A's upgrade", "starts_at": "2030-01-01T00:00:00Z",
                  "duration_minutes": 60},
            headers=a.auth,
        ),
        201,
    )  # fmt: skip
    b_secrets = [*world.b_ids.values(), b.email, "b-member@example.com", "+447400222222"]
    lists = _list_routes(client)
    assert len(lists) >= 6, lists
    for template in lists:
        a_body = ok(client.get(_fill(template, {"org_id": a.org_id}), headers=a.auth))
        assert a_body["items"], template
        leaked = [value for value in b_secrets if value in str(a_body)]
        assert not leaked, f"{template} shows A these of B's values: {leaked}"
        b_body = ok(client.get(_fill(template, {"org_id": b.org_id}), headers=b.auth))
        assert a.org_id not in str(b_body), template
        assert a_alert not in str(b_body), template
    # Filtering A's alerts by B's endpoint, or paging with B's cursor, shows nothing of B.
    org = f"/v1/orgs/{a.org_id}"
    by_b_endpoint = ok(client.get(f"{org}/alerts?endpoint_id={b.endpoint_id}", headers=a.auth))
    assert by_b_endpoint == {"items": [], "next_cursor": None}
    after_b = ok(client.get(f"{org}/contacts?cursor={b.contact_id}", headers=a.auth))["items"]
    assert {item["id"] for item in after_b} <= {a.contact_id}
    me = ok(client.get("/v1/me", headers=a.auth))
    assert [org["id"] for org in me["organizations"]] == [a.org_id]


# Endpoint-bound keys -----------------------------------------------------------------------------

# The routes an API key bound to one endpoint may use: its endpoint and that endpoint's alerts,
# lists filtered to them. Every other route that takes API keys refuses a bound key, whatever
# ids it names, so a new route is closed to bound keys until it is confined to their endpoint.
PER_ENDPOINT = {
    ("GET", "/v1/orgs/{org_id}/endpoints"),
    ("GET", "/v1/orgs/{org_id}/endpoints/{endpoint_id}"),
    ("PATCH", "/v1/orgs/{org_id}/endpoints/{endpoint_id}"),
    ("DELETE", "/v1/orgs/{org_id}/endpoints/{endpoint_id}"),
    ("POST", "/v1/orgs/{org_id}/endpoints/{endpoint_id}/preview"),
    ("GET", "/v1/orgs/{org_id}/alerts"),
    ("GET", "/v1/orgs/{org_id}/alerts/{alert_id}"),
    ("POST", "/v1/orgs/{org_id}/alerts/{alert_id}/acknowledge"),
    ("POST", "/v1/orgs/{org_id}/alerts/{alert_id}/resolve"),
}


@dataclass
class Bound:
    """One organization with two endpoints, an alert on each, and a key bound to the first."""

    tenant: Tenant
    key: dict[str, str]
    own: dict[str, str]
    sibling: dict[str, str]


def _alert(client: TestClient, tenant: Tenant, endpoint_id: str, title: str) -> str:
    sent = client.post(f"/v1/hooks/{endpoint_id}", json={"title": title}, headers=tenant.alert_key)
    alert_id: str = ok(sent, 202)["alert_id"]
    return alert_id


@pytest.fixture
def bound(client: TestClient) -> Bound:
    a = make_tenant(client, phone="+447400111111")
    staging = ok(
        client.post(
            f"/v1/orgs/{a.org_id}/endpoints",
            json={"name": "Staging", "contact_ids": [a.contact_id]},
            headers=a.auth,
        ),
        201,
    )["id"]
    key = create_key(client, a, ["ingest", "read", "write"], endpoint_id=a.endpoint_id)["key"]
    # Ids for the path parameters of routes a bound key is refused before any lookup.
    others = {**NOWHERE, "org_id": a.org_id, "contact_id": a.contact_id}
    return Bound(
        tenant=a,
        key=api_key_header(key),
        own={
            **others,
            "endpoint_id": a.endpoint_id,
            "alert_id": _alert(client, a, a.endpoint_id, "Production down"),
        },
        sibling={
            **others,
            "endpoint_id": staging,
            "alert_id": _alert(client, a, staging, "Staging down"),
        },
    )


def test_an_endpoint_bound_key_reaches_nothing_beyond_its_endpoint(
    client: TestClient, bound: Bound
) -> None:
    failures: list[str] = []

    def expect(label: str, response: httpx.Response, answer: tuple[int, str]) -> None:
        got = _answer(response)
        if got != answer:
            failures.append(f"{label}: got {got}, expected {answer}: {response.text[:200]}")

    nowhere = {**bound.own, "endpoint_id": NOWHERE["endpoint_id"], "alert_id": NOWHERE["alert_id"]}
    for (method, template), case in MATRIX.items():
        if case.kind != ORG:
            continue
        label = f"{method} {template}"
        if (method, template) not in PER_ENDPOINT:
            response = _send(client, method, _fill(template, bound.own), case, bound.key)
            expect(label, response, (403, "key_bound_to_endpoint"))
            continue
        if not {"endpoint_id", "alert_id"} & set(_PARAM.findall(template)):
            continue  # a list: filtered, below
        # The other endpoint and its alert are answered exactly like ids that exist nowhere.
        sibling = _send(client, method, _fill(template, bound.sibling), case, bound.key)
        missing = _send(client, method, _fill(template, nowhere), case, bound.key)
        expect(f"{label} [sibling]", sibling, _answer(missing))
        expect(f"{label} [missing]", missing, (404, missing.json()["error"]["code"]))
    assert not failures, "\n".join(failures)

    a, org = bound.tenant, f"/v1/orgs/{bound.tenant.org_id}"
    endpoints = ok(client.get(f"{org}/endpoints", headers=bound.key))["items"]
    assert [item["id"] for item in endpoints] == [a.endpoint_id]
    alerts = ok(client.get(f"{org}/alerts", headers=bound.key))["items"]
    assert [item["id"] for item in alerts] == [bound.own["alert_id"]]
    by_sibling = f"{org}/alerts?endpoint_id={bound.sibling['endpoint_id']}"
    assert ok(client.get(by_sibling, headers=bound.key)) == {"items": [], "next_cursor": None}
    # The sibling's hook refuses the key, as it always did.
    refused = client.post(
        f"/v1/hooks/{bound.sibling['endpoint_id']}",
        json={"title": HIJACK},
        headers={"X-Alert-Key": bound.key["X-API-Key"]},
    )
    assert error(refused, 403) == "key_wrong_endpoint"
    _assert_sibling_is_untouched(client, bound)


def test_an_endpoint_bound_key_reads_and_changes_its_own_endpoint_and_alerts(
    client: TestClient, bound: Bound
) -> None:
    own, org = bound.own, f"/v1/orgs/{bound.tenant.org_id}"
    endpoint, alert = f"{org}/endpoints/{own['endpoint_id']}", f"{org}/alerts/{own['alert_id']}"
    assert ok(client.get(endpoint, headers=bound.key))["name"] == "Production"
    assert ok(client.get(alert, headers=bound.key))["title"] == "Production down"
    preview = client.post(f"{endpoint}/preview", json={"title": "Test"}, headers=bound.key)
    assert ok(preview)["title"] == "Test"
    renamed = client.patch(endpoint, json={"name": "Production EU"}, headers=bound.key)
    assert ok(renamed)["name"] == "Production EU"
    assert ok(client.post(f"{alert}/acknowledge", headers=bound.key))["status"] == "acknowledged"
    assert ok(client.post(f"{alert}/resolve", headers=bound.key))["status"] == "resolved"
    sent = client.post(
        f"/v1/hooks/{own['endpoint_id']}",
        json={"title": "Again"},
        headers={"X-Alert-Key": bound.key["X-API-Key"]},
    )
    ok(sent, 202)
    ok(client.delete(endpoint, headers=bound.key), 204)
    _assert_sibling_is_untouched(client, bound)


def _assert_sibling_is_untouched(client: TestClient, bound: Bound) -> None:
    a, sibling = bound.tenant, bound.sibling
    org = f"/v1/orgs/{a.org_id}"
    endpoint = ok(client.get(f"{org}/endpoints/{sibling['endpoint_id']}", headers=a.auth))
    assert (endpoint["name"], endpoint["require_key"], endpoint["contact_ids"]) == (
        "Staging",
        True,
        [a.contact_id],
    )
    alert = ok(client.get(f"{org}/alerts/{sibling['alert_id']}", headers=a.auth))
    assert (alert["status"], alert["title"]) == ("open", "Staging down")
    contact = ok(client.get(f"{org}/contacts/{a.contact_id}", headers=a.auth))
    assert contact["name"] != HIJACK


def test_a_cannot_aim_a_maintenance_window_at_b_endpoint_or_project(
    client: TestClient, world: World
) -> None:
    a, b = world.a, world.b
    windows = f"/v1/orgs/{a.org_id}/maintenance-windows"
    for scope, target, code in (
        ("endpoint", b.endpoint_id, "endpoint_not_found"),
        ("project", world.b_ids["project_id"], "project_not_found"),
    ):
        for headers in (a.auth, api_key_header(world.a_key)):
            made = client.post(
                windows,
                json={"reason": HIJACK, "duration_minutes": 5, "scope": scope, "target_id": target},
                headers=headers,
            )
            assert error(made, 404) == code
    assert ok(client.get(windows, headers=a.auth))["items"] == []
