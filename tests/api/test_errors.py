"""One error shape everywhere, pagination rules, and the published API description."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.accounts.helpers import bearer
from tests.factories import Tenant, make_tenant, ok
from tocsin.contacts import queries as contact_queries
from tocsin.runtime import Runtime


def _assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"], body
    error: dict[str, Any] = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


def _bad_requests(client: TestClient, tenant: Tenant) -> list[tuple[httpx.Response, int, str]]:
    org = f"/v1/orgs/{tenant.org_id}"
    return [
        (client.get("/v1/me"), 401, "unauthenticated"),
        (client.get("/v1/me", headers=bearer("nonsense")), 401, "invalid_token"),
        (
            client.get(f"{org}/endpoints", headers={"X-API-Key": tenant.ingest_key}),
            403,
            "insufficient_scope",
        ),
        (client.get("/v1/orgs/org_nowhere", headers=tenant.auth), 404, "org_not_found"),
        (client.get(f"{org}/contacts/ct_nowhere", headers=tenant.auth), 404, "contact_not_found"),
        (client.get("/v1/no-such-route"), 404, "not_found"),
        (client.delete("/v1/me", headers=tenant.auth), 405, "method_not_allowed"),
        (
            client.post(
                "/v1/invites/accept",
                json={
                    "code": ok(client.post(f"{org}/invites", json={}, headers=tenant.auth), 201)[
                        "code"
                    ]
                },
                headers=tenant.auth,
            ),
            409,
            "already_member",
        ),
        (client.post(f"{org}/contacts", json={}, headers=tenant.auth), 422, "invalid"),
        (
            client.post(f"{org}/contacts", json={"name": "x", "phone": "12"}, headers=tenant.auth),
            422,
            "number_blocked",
        ),
        (
            client.post(
                f"/v1/hooks/{tenant.endpoint_id}",
                content=b"x" * (1024 * 1024 + 1),
                headers={**tenant.alert_key, "Content-Type": "text/plain"},
            ),
            413,
            "payload_too_large",
        ),
    ]


def test_every_error_has_the_same_shape(client: TestClient) -> None:
    tenant = make_tenant(client)
    for response, status, code in _bad_requests(client, tenant):
        _assert_error_shape(response, status, code)


def test_unknown_route_is_a_json_404(client: TestClient) -> None:
    for path in ("/nope", "/v1", "/v1/orgs/org_x/nothing-here", "/v1/hooks"):
        _assert_error_shape(client.get(path), 404, "not_found")


def test_wrong_method_is_a_json_405_naming_the_allowed_ones(client: TestClient) -> None:
    response = client.put("/v1/auth/login", json={})
    _assert_error_shape(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/v1/orgs/org_x/contacts", "GET, POST"),
        ("/v1/orgs/org_x/contacts/ct_x", "DELETE, GET, PATCH"),
        ("/v1/hooks/ep_x", "GET, PATCH, POST, PUT"),
    ],
)
def test_a_405_allows_every_method_of_the_path_not_only_the_first_routes(
    client: TestClient, path: str, allowed: str
) -> None:
    # Each method of a path is a route of its own; the first that matched the path used to
    # answer alone, naming only its own method.
    response = client.request("OPTIONS", path)
    _assert_error_shape(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


def test_invalid_json_on_a_management_route_is_422_invalid(client: TestClient) -> None:
    tenant = make_tenant(client)
    response = client.post(
        f"/v1/orgs/{tenant.org_id}/contacts",
        content=b'{"name": "x", ',
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    error = _assert_error_shape(response, 422, "invalid")
    assert error["message"] == "request body is not valid JSON"
    assert "details" in error


def test_missing_body_is_422_saying_so(client: TestClient) -> None:
    tenant = make_tenant(client)
    response = client.post(f"/v1/orgs/{tenant.org_id}/contacts", headers=tenant.auth)
    error = _assert_error_shape(response, 422, "invalid")
    assert error["message"] == "request body: Field required"


def test_missing_field_is_422_naming_the_field(client: TestClient) -> None:
    tenant = make_tenant(client)
    response = client.post(
        f"/v1/orgs/{tenant.org_id}/contacts", json={"name": "No phone"}, headers=tenant.auth
    )
    error = _assert_error_shape(response, 422, "invalid")
    assert error["message"].startswith("phone:")


def test_unexpected_failure_is_a_json_500_without_internals(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant(client)

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(contact_queries, "list_contacts", explode)
    response = client.get(f"/v1/orgs/{tenant.org_id}/contacts", headers=tenant.auth)
    _assert_error_shape(response, 500, "internal_error")
    assert "hunter2" not in response.text


def test_limit_out_of_range_is_refused_and_the_bounds_are_allowed(client: TestClient) -> None:
    tenant = make_tenant(client)
    org = f"/v1/orgs/{tenant.org_id}"
    lists = [f"{org}/{name}" for name in ("contacts", "endpoints", "alerts", "members")]
    lists += [f"{org}/invites", f"{org}/api-keys"]
    for path in lists:
        for limit in ("0", "-1", "201", "100000"):
            response = client.get(path, params={"limit": limit}, headers=tenant.auth)
            _assert_error_shape(response, 422, "invalid_limit")
        for limit in ("1", "200"):
            ok(client.get(path, params={"limit": limit}, headers=tenant.auth))


def test_limit_that_is_not_a_number_is_invalid(client: TestClient) -> None:
    tenant = make_tenant(client)
    response = client.get(
        f"/v1/orgs/{tenant.org_id}/contacts", params={"limit": "ten"}, headers=tenant.auth
    )
    _assert_error_shape(response, 422, "invalid")


def _walk(client: TestClient, path: str, headers: dict[str, str], limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = ok(client.get(path, params=params, headers=headers))
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 10, "pagination does not end"


def test_next_cursor_walks_every_contact_exactly_once(client: TestClient) -> None:
    tenant = make_tenant(client)
    org = f"/v1/orgs/{tenant.org_id}"
    created = [tenant.contact_id]
    for number in range(4):
        contact = {"name": f"Contact {number}", "phone": f"+44740012350{number}"}
        created.append(
            ok(client.post(f"{org}/contacts", json=contact, headers=tenant.auth), 201)["id"]
        )
    pages = _walk(client, f"{org}/contacts", tenant.auth, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    walked = [contact_id for page in pages for contact_id in page]
    assert sorted(walked) == sorted(created)
    assert len(set(walked)) == 5
    assert _walk(client, f"{org}/contacts", tenant.auth, limit=5) == [sorted(created)]


def test_next_cursor_walks_alerts_newest_first_exactly_once(client: TestClient) -> None:
    tenant = make_tenant(client)
    sent = [
        ok(
            client.post(
                f"/v1/hooks/{tenant.endpoint_id}",
                json={"title": f"Alert {number}"},
                headers=tenant.alert_key,
            ),
            202,
        )["alert_id"]
        for number in range(5)
    ]
    pages = _walk(client, f"/v1/orgs/{tenant.org_id}/alerts", tenant.auth, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    walked = [alert_id for page in pages for alert_id in page]
    assert walked == sorted(sent, reverse=True)


def test_openapi_document_and_docs_are_served(client: TestClient) -> None:
    document = ok(client.get("/openapi.json"))
    assert document["info"]["title"] == "Tocsin"
    for path in ("/v1/auth/signup", "/v1/orgs/{org_id}/contacts", "/v1/hooks/{endpoint_id}"):
        assert path in document["paths"], path
    assert "ErrorOut" in document["components"]["schemas"]
    for page, bundle in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        docs = client.get(page)
        assert docs.status_code == 200
        assert docs.headers["content-type"].startswith("text/html")
        assert "/openapi.json" in docs.text
        # From the package, not a CDN (tests/e2e/test_api_docs_browser.py runs them offline).
        assert f'src="/apidocs/{bundle}"' in docs.text
        assert "cdn." not in docs.text
        assert client.get(f"/apidocs/{bundle}").status_code == 200


def test_text_no_backend_stores_is_refused_wherever_it_is_sent(
    client: TestClient, runtime: Runtime
) -> None:
    # PostgreSQL cannot take a NUL in a query (each of these answered 500 there, SQLite a 404
    # or worse), and neither backend can encode a lone surrogate.
    owner = seeded.person(runtime)
    org = f"/v1/orgs/{owner.org_id}"
    json_body = {**owner.auth, "Content-Type": "application/json"}
    for response in (
        client.get(f"{org}%00", headers=owner.auth),
        client.delete(f"{org}/invites/inv%00x", headers=owner.auth),
        client.get(f"{org}/alerts", params={"cursor": "al_\x00"}, headers=owner.auth),
        client.post(
            f"{org}/escalations",
            content=b'{"name": "x", "steps": [{"type": "call", "contact_ids": ["\\u0000"]}]}',
            headers=json_body,
        ),
        client.post(
            f"{org}/contacts",
            content=b'{"name": "Ann \\ud800", "phone": "+447400123456"}',
            headers=json_body,
        ),
    ):
        error = _assert_error_shape(response, 422, "unstorable_text")
        assert "\x00" not in error["message"]
    # The webhook reads every parameter itself, and cleans it (tests/ingest/test_odd_bodies.py).
    tenant = seeded.tenant(runtime)
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    sent = client.get(hook, params={"title": "Disk\x00 full"}, headers=tenant.alert_key)
    assert ok(sent, 202)["outcome"] == "created"


def test_the_503_of_a_server_without_paddle_is_in_the_description(client: TestClient) -> None:
    answer = client.post("/v1/billing/paddle", content=b"{}")
    _assert_error_shape(answer, 503, "billing_not_configured")
    described = client.get("/openapi.json").json()["paths"]["/v1/billing/paddle"]["post"]
    assert "503" in described["responses"]


def test_a_query_parameter_given_twice_is_refused_not_read_as_its_last(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime)
    contacts = f"/v1/orgs/{owner.org_id}/contacts?limit=500&limit=5"
    error = _assert_error_shape(client.get(contacts, headers=owner.auth), 422, "repeated_parameter")
    assert error["message"].startswith("limit")


def test_a_body_nested_past_the_parsers_stack_is_422_not_a_500(client: TestClient) -> None:
    """Issue 17, finding 6, on the API's routes: the check for unstorable text parsed the body
    with `json` itself, which ran out of stack on a 5,000-deep array and answered 500."""
    deep = "[" * 5000 + "]" * 5000
    for body in (deep, "[" * 65 + "]" * 65):
        response = client.post(
            "/v1/auth/login", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "payload_too_deep"
