"""Issue 21 (calls before everything else): an organization's provider host and a calendar's
address were looked up in DNS inside the write transaction that saved them. On SQLite that
transaction holds the database's only write lock, so every call being placed, every claim and
every webhook waited as long as the lookup took (a resolver that times out: 5 s and more); on
PostgreSQL a connection sat idle in its transaction meanwhile. Now no write transaction is open
while a name is looked up, through the API, the dashboard and the shell alike, and what the
lookup decides is still what is saved or refused.

Names under `.probe.test` resolve, through `socket.getaddrinfo` (what the policy's resolver
calls), to a public address or to a private one, and each lookup notes whether another
connection could have written at that moment."""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests import rows, seeded
from tests.factories import ok
from tests.rows import RowTenant, browser_for, tenant_rows
from tests.shell import fails, run
from tests.web.browser_forms import form_token
from tocsin.oncall.models import CalendarFeed
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import Runtime

PUBLIC = "93.184.216.34"
PRIVATE = "10.1.2.3"
SID = "AC" + "7" * 32
CREDENTIALS = {"account_sid": SID, "auth_token": "twilio-token"}


def _others_may_write(database_url: str) -> bool:
    """Whether another connection could write now: on SQLite, take the write lock without
    waiting; on PostgreSQL, no other connection of this database has a transaction open."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(url.database or "", timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as server:
        row = server.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        ).fetchone()
    return row is not None and row[0] == 0


@dataclass
class Lookups:
    database_url: str
    # Each `.probe.test` name looked up, and whether others could write at that moment.
    seen: list[tuple[str, bool]] = field(default_factory=list)

    def all_outside_writes(self) -> bool:
        return bool(self.seen) and all(free for _, free in self.seen)


@pytest.fixture
def lookups(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Lookups:
    noted = Lookups(database_url)
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not (isinstance(host, str) and host.endswith(".probe.test")):
            return real(host, port, *args, **kwargs)
        noted.seen.append((host, _others_may_write(database_url)))
        address = PRIVATE if host.startswith("private.") else PUBLIC
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 443)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return noted


def _account(tenant: RowTenant, runtime: Runtime, host: str) -> dict[str, Any]:
    return {
        "kind": "twilio",
        "name": "Ours",
        "priority": 1,
        "settings": {"api_base_url": f"https://{host}"},
        "credentials": CREDENTIALS,
        "caller_id_id": rows.proven_caller_id(runtime, tenant.org_id),
    }


def _accounts(runtime: Runtime, org_id: str) -> int:
    with runtime.database.read() as session:
        query = select(func.count()).where(ProviderAccount.org_id == org_id)
        return session.scalar(query) or 0


def _feeds(runtime: Runtime, org_id: str) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).where(CalendarFeed.org_id == org_id)) or 0


def test_an_account_saved_through_the_api_is_looked_up_outside_its_write(
    client: TestClient, runtime: Runtime, lookups: Lookups
) -> None:
    tenant = tenant_rows(runtime)
    path = f"/v1/orgs/{tenant.org_id}/providers"
    body = _account(tenant, runtime, "api.probe.test")
    account = ok(client.post(path, json=body, headers=tenant.auth), 201)
    assert lookups.all_outside_writes(), lookups.seen

    # New credentials alone: the stored host is checked again, outside the write too.
    lookups.seen.clear()
    changed = {"credentials": {**CREDENTIALS, "auth_token": "another-token"}}
    ok(client.patch(f"{path}/{account['id']}", json=changed, headers=tenant.auth), 200)
    assert [host for host, _ in lookups.seen] == ["api.probe.test"]
    assert lookups.all_outside_writes(), lookups.seen


def test_a_private_host_is_still_refused_and_nothing_is_saved(
    client: TestClient, runtime: Runtime, lookups: Lookups
) -> None:
    tenant = tenant_rows(runtime)
    body = _account(tenant, runtime, "private.probe.test")
    answer = client.post(f"/v1/orgs/{tenant.org_id}/providers", json=body, headers=tenant.auth)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "provider_host_not_allowed"
    assert _accounts(runtime, tenant.org_id) == 0
    assert lookups.all_outside_writes(), lookups.seen


def test_a_stranger_is_refused_before_any_lookup(
    client: TestClient, runtime: Runtime, lookups: Lookups
) -> None:
    """The lookup waits for the caller's right to save: nobody outside the organization makes
    the server resolve names for them."""
    tenant, stranger = tenant_rows(runtime), tenant_rows(runtime)
    body = _account(tenant, runtime, "api.probe.test")
    answer = client.post(f"/v1/orgs/{tenant.org_id}/providers", json=body, headers=stranger.auth)
    assert answer.status_code in (403, 404), answer.text
    assert lookups.seen == []


def test_a_calendar_added_through_the_api_is_looked_up_outside_its_write(
    client: TestClient, runtime: Runtime, lookups: Lookups
) -> None:
    tenant = tenant_rows(runtime)
    body = {"name": "Rota", "url": "https://cal.probe.test/rota.ics"}
    ok(client.post(f"/v1/orgs/{tenant.org_id}/calendars", json=body, headers=tenant.auth), 201)
    assert _feeds(runtime, tenant.org_id) == 1
    assert lookups.all_outside_writes(), lookups.seen


def test_the_dashboard_looks_up_outside_its_writes(
    client: TestClient, runtime: Runtime, lookups: Lookups
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    browser = browser_for(client, runtime, owner.user_id)
    for page, fields in (
        ("calendars", {"name": "Rota", "url": "https://cal.probe.test/rota.ics"}),
        (
            "providers",
            {
                "kind": "twilio",
                "name": "Ours",
                "priority": "1",
                "settings": "api_base_url=https://api.probe.test",
                "credentials": f"account_sid={SID}\nauth_token=twilio-token",
            },
        ),
    ):
        path = f"/o/{owner.org_id}/{page}"
        token = form_token(browser.get(path).text)
        answer = browser.post(path, data={**fields, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
    assert (_feeds(runtime, owner.org_id), _accounts(runtime, owner.org_id)) == (1, 1)
    assert sorted(host for host, _ in lookups.seen) == ["api.probe.test", "cal.probe.test"]
    assert lookups.all_outside_writes(), lookups.seen


def test_the_shell_looks_up_outside_its_writes(cli: CliRunner, lookups: Lookups) -> None:
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")["id"]
    run(cli, "calendar", "add", "Rota", "https://cal.probe.test/r.ics", "--org", org)
    account = run(
        cli, "provider", "add", "--org", org, "--kind", "twilio", "--name", "Ours",
        "--setting", "api_base_url=https://api.probe.test",
        "--credential", f"account_sid={SID}", "--credential", "auth_token=twilio-token",
    )  # fmt: skip
    run(
        cli, "provider", "update", account["id"], "--org", org,
        "--credential", f"account_sid={SID}", "--credential", "auth_token=another-token",
    )  # fmt: skip
    assert [host for host, _ in lookups.seen] == [
        "cal.probe.test",
        "api.probe.test",
        "api.probe.test",
    ]
    assert lookups.all_outside_writes(), lookups.seen
    assert "not allowed" in fails(
        cli, "calendar", "add", "Rota", "https://private.probe.test/r.ics", "--org", org
    )
