"""The API's description is complete: every operation says what it does and who may call it,
shows an example, declares its security and the refusals it may answer, and every property of
every schema is described. A failure names each gap (`operation id (METHOD path): what is
missing`, `Schema.property`), so an operation or field added without them is found here.

The webhook's documented example bodies are each sent to it, so its examples stay true.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from tests import seeded
from tocsin.runtime import Runtime

ERROR_SCHEMA = "#/components/schemas/ErrorOut"


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    ]


def _resolved(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _shows_example(doc: dict[str, Any], content: dict[str, Any]) -> bool:
    """Every media type of `content` has an example, of its own or in its schema (a list's,
    in its items' schema)."""

    def exemplified(schema: dict[str, Any]) -> bool:
        schema = _resolved(doc, schema)
        items = schema.get("items") if schema.get("type") == "array" else None
        branches = schema.get("anyOf", []) + schema.get("oneOf", [])
        return (
            bool(schema.get("examples"))
            or (items is not None and exemplified(items))
            or any(exemplified(branch) for branch in branches)
        )

    return bool(content) and all(
        media.get("example") is not None
        or media.get("examples")
        or exemplified(media.get("schema", {}))
        for media in content.values()
    )


def _example_gap(doc: dict[str, Any], operation: dict[str, Any]) -> str | None:
    body = operation.get("requestBody")
    if body is not None:
        return None if _shows_example(doc, body.get("content", {})) else "no request body example"
    success = [
        answer
        for status, answer in operation["responses"].items()
        if status.startswith("2") and answer.get("content")
    ]
    if not success:
        return None  # no body either way (a 204): nothing to show
    if all(_shows_example(doc, answer["content"]) for answer in success):
        return None
    return "no response example"


def _error_gaps(operation: dict[str, Any]) -> list[str]:
    responses = operation["responses"]
    refusals = {status: answer for status, answer in responses.items() if status[0] in "45"}
    # What takes neither input nor credentials (a probe, security.txt) has nothing to refuse.
    takes = operation.get("security") or operation.get("parameters") or operation.get("requestBody")
    gaps = [] if refusals or not takes else ["no error responses"]
    for status, answer in refusals.items():
        media = answer.get("content", {}).get("application/json", {})
        if media.get("schema", {}).get("$ref") != ERROR_SCHEMA:
            gaps.append(f"{status} without the ErrorOut schema")
        examples = [example["value"] for example in media.get("examples", {}).values()]
        if not examples or not all(example["error"]["code"] for example in examples):
            gaps.append(f"{status} without an example")
    if operation.get("security") and "401" not in responses:
        gaps.append("needs credentials but lists no 401")
    takes_input = operation.get("parameters") or operation.get("requestBody")
    if takes_input and "422" not in responses:
        gaps.append("takes input but lists no 422")
    return gaps


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router whole, as one route that holds it.
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _named_summaries(app: FastAPI) -> dict[str, bool]:
    """Whether each operation's summary was written, not made by FastAPI from its function's
    name, by `METHOD path`."""
    return {
        f"{method} {route.path}": route.summary is not None
        for route in _api_routes(app.routes)
        if route.include_in_schema
        for method in route.methods
    }


def operation_gaps(app: FastAPI) -> list[str]:
    doc = app.openapi()
    summaries = _named_summaries(app)
    found = []
    for method, path, operation in _operations(doc):
        gaps = []
        if not summaries.get(f"{method} {path}", False):
            gaps.append("no summary")
        if not operation.get("description", "").strip():
            gaps.append("no description")
        example = _example_gap(doc, operation)
        if example is not None:
            gaps.append(example)
        if "security" not in operation:
            gaps.append("no security declaration (`PUBLIC` for none)")
        gaps += _error_gaps(operation)
        if gaps:
            found.append(f"{operation['operationId']} ({method} {path}): {', '.join(gaps)}")
    return found


def undescribed_properties(app: FastAPI) -> list[str]:
    schemas = app.openapi()["components"]["schemas"]
    return [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, described in schema.get("properties", {}).items()
        if not described.get("description", "").strip()
    ]


def test_every_operation_is_documented(app: FastAPI) -> None:
    gaps = operation_gaps(app)
    assert not gaps, f"{len(gaps)} operations lack documentation:\n" + "\n".join(gaps)


def test_every_schema_property_is_described(app: FastAPI) -> None:
    gaps = undescribed_properties(app)
    assert not gaps, f"{len(gaps)} properties lack a description:\n" + "\n".join(gaps)


def test_the_api_offers_its_security_schemes(app: FastAPI) -> None:
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes["Bearer"] == {**schemes["Bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["AlertKey"] == {
        **schemes["AlertKey"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Alert-Key",
    }
    assert schemes["AlertKeyQuery"]["in"] == "query"
    operations = {f"{m} {p}": op for m, p, op in _operations(app.openapi())}
    assert {"AlertKey": []} in operations["POST /v1/hooks/{endpoint_id}"]["security"]
    assert {"AlertKeyQuery": []} in operations["GET /v1/heartbeats/{heartbeat_id}"]["security"]
    assert operations["POST /v1/auth/login"]["security"] == []
    assert {"Bearer": []} in operations["GET /v1/orgs/{org_id}/alerts"]["security"]


def test_an_operation_lacking_its_documentation_is_named(app: FastAPI) -> None:
    """The check itself finds a bare operation, and says what it lacks."""
    bare = FastAPI()

    @bare.get("/things/{thing_id}")
    def get_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    [gap] = operation_gaps(bare)
    assert gap.startswith("get_thing_things__thing_id__get (GET /things/{thing_id}): ")
    for missing in ("no summary", "no description", "no response example", "no security"):
        assert missing in gap
    assert "422 without the ErrorOut schema" in gap


def _webhook_examples(app: FastAPI) -> list[tuple[str, str, Any]]:
    body = app.openapi()["paths"]["/v1/hooks/{endpoint_id}"]["post"]["requestBody"]
    return [
        (media_type, name, example["value"])
        for media_type, media in body["content"].items()
        for name, example in media["examples"].items()
    ]


def test_every_documented_webhook_body_makes_an_alert(
    app: FastAPI, client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    examples = _webhook_examples(app)
    assert {media for media, _, _ in examples} == {
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
    }
    for media_type, name, value in examples:
        url = f"/v1/hooks/{tenant.endpoint_id}"
        if media_type == "application/json":
            answer = client.post(url, json=value, headers=tenant.alert_key)
        elif media_type == "text/plain":
            headers = {**tenant.alert_key, "Content-Type": media_type}
            answer = client.post(url, content=value, headers=headers)
        else:
            answer = client.post(url, data=value, headers=tenant.alert_key)
        assert answer.status_code == 202, f"{media_type} {name}: {answer.text}"
        said = answer.json()
        assert said["alert_id"], f"{media_type} {name}: {said}"
        assert said["outcome"] in ("created", "deduplicated"), f"{media_type} {name}: {said}"
