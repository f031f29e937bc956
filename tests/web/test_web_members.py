"""The members page: who belongs with which role, and invite codes shown once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import PASSWORD
from tests.web.browser_forms import owner_home, submit
from tocsin.runtime import Runtime

_CODE = re.compile(r'<code id="invite-code">(inv_[^<]+)</code>')


def invite(client: TestClient, home: str, role: str) -> str:
    answer = submit(client, f"{home}/members", f"{home}/members/invites", {"role": role})
    assert answer.status_code == 200, answer.text
    found = _CODE.search(answer.text)
    assert found, answer.text
    return found.group(1)


def join(client: TestClient, email: str, code: str) -> None:
    """Sign up with an invite code, then in, as the invited person would."""
    fields = {"email": email, "password": PASSWORD, "invite_code": code}
    assert submit(client, "/signup", "/signup", fields).status_code == 200
    signed_in = submit(client, "/login", "/login", {"email": email, "password": PASSWORD})
    assert signed_in.status_code == 303


def test_members_are_listed_with_their_roles(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    shown = client.get(f"{home}/members")
    assert shown.status_code == 200
    assert "<td>ana@example.com</td>" in shown.text
    assert '<span class="badge">owner</span>' in shown.text
    assert '<label for="invite-role">Role</label>' in shown.text


def test_an_invite_code_is_shown_once_and_lets_someone_join(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    code = invite(client, home, "admin")
    again = client.get(f"{home}/members")
    assert code not in again.text
    assert "<td>admin</td>" in again.text  # listed among the open invites

    bo = TestClient(client.app)
    join(bo, "bo@example.com", code)
    assert bo.get(f"{home}/members").status_code == 200
    members = client.get(f"{home}/members").text
    assert "<td>bo@example.com</td>" in members
    assert '<span class="badge">admin</span>' in members
    assert "No open invites." in members


def test_a_member_may_look_but_not_invite(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    code = invite(client, home, "member")
    bo = TestClient(client.app)
    join(bo, "bo@example.com", code)
    shown = bo.get(f"{home}/members")
    assert "Create invite" not in shown.text
    refused = submit(bo, f"{home}/members", f"{home}/members/invites", {"role": "member"})
    assert refused.status_code == 403
    assert "insufficient_role" in refused.text


def test_an_open_invite_can_be_revoked(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    code = invite(client, home, "member")
    invite_id = re.search(r"/members/invites/(inv_\w+)/revoke", client.get(f"{home}/members").text)
    assert invite_id
    answer = submit(
        client, f"{home}/members", f"{home}/members/invites/{invite_id.group(1)}/revoke", {}
    )
    assert answer.status_code == 303
    refused = submit(
        TestClient(client.app),
        "/signup",
        "/signup",
        {"email": "bo@example.com", "password": PASSWORD, "invite_code": code},
    )
    assert refused.status_code == 404
    assert "invite_invalid" in refused.text


def test_another_organizations_members_are_not_found(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    other = TestClient(client.app)
    other_home = owner_home(other, runtime, "bo@example.com", "Bo Ops")
    assert other.get(f"{home}/members").status_code == 404
    tried = submit(other, f"{other_home}/members", f"{home}/members/invites", {"role": "admin"})
    assert tried.status_code == 404


def test_an_invite_form_without_its_token_is_refused(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    forged = client.post(f"{home}/members/invites", data={"role": "admin"}, follow_redirects=False)
    assert forged.status_code == 403
    assert "csrf_failed" in forged.text
