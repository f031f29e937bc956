"""Shapes shared by every router: pages, the limit of a page, and the error every route may give."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

from fastapi import Query
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.models import Schema
from pydantic import BaseModel, ConfigDict, Field

from tocsin.core.pagination import MAX_LIMIT, Page

T = TypeVar("T")


# Properties many schemas share, described once.
OwnId = Annotated[str, Field(description="Its id, a prefix and 26 characters")]
CreatedAt = Annotated[datetime, Field(description="When it was made (UTC)")]
UpdatedAt = Annotated[datetime, Field(description="When it last changed (UTC)")]


def shown(*examples: dict[str, Any], from_attributes: bool = False) -> ConfigDict:
    """A model's configuration with examples of it, which the API's description shows."""
    return ConfigDict(
        json_schema_extra={"examples": list(examples)}, from_attributes=from_attributes
    )


def listed(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """A list's example, for `json_schema_extra`: its `items` hold their model's example (a
    page's is the last page)."""
    [item] = get_args(model.model_fields["items"].annotation) or [None]
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return
    extra = item.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if isinstance(examples, list) and examples:
        cursor = {"next_cursor": None} if "next_cursor" in model.model_fields else {}
        schema["examples"] = [{"items": examples[:1], **cursor}]


class PageOut(BaseModel, Generic[T]):
    """A page of a list, in a stable order; follow `next_cursor` for the rest."""

    model_config = ConfigDict(json_schema_extra=listed)

    items: list[T] = Field(description="This page's items")
    next_cursor: str | None = Field(
        description="Give it as `cursor` for the next page; null on the last page"
    )


# The bounds are checked where every page is read (core/pagination.py), which names them in
# its refusal (`invalid_limit`); this says them in the description.
Limit = Annotated[
    int,
    Query(
        description="How many items at most the page holds",
        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
    ),
]

M = TypeVar("M", bound=BaseModel)


def page_of(page: Page[Any], schema: type[M]) -> PageOut[M]:
    """A page of rows as a page of response models."""
    return PageOut[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(item) for item in page.items], next_cursor=page.next_cursor
    )


class ErrorBody(BaseModel):
    code: str = Field(description="Stable and machine-readable, e.g. `invalid`, `org_not_found`")
    message: str = Field(description="What went wrong, safe to show to a person")
    details: Any = Field(
        default=None,
        description="More about some errors: the fields a validation error names, a refused "
        "number's reasons, how long a rate limit lasts",
    )


class ErrorOut(BaseModel):
    """Every refusal of the API."""

    error: ErrorBody = Field(description="What was refused, and why")


Responses = dict[int | str, dict[str, Any]]
# A refusal an operation may answer: its status, and the example's code and message.
Refusal = tuple[int, str, str]

# What each status means throughout the API, and the example shown when an operation names no
# refusal of its own for it.
_STATUSES: dict[int, tuple[str, str, str]] = {
    400: (
        "The body could not be read: not UTF-8, or a form that does not parse",
        "bad_request",
        "There was an error parsing the body",
    ),
    401: (
        "No credentials, or they are not valid (unknown, expired or revoked)",
        "unauthenticated",
        "sign in or send an API key",
    ),
    403: (
        "The caller may not do this: its role, its key's scopes or endpoint, or a suspension",
        "insufficient_role",
        "this action needs the admin role",
    ),
    404: (
        "What the path names does not exist, or is not the caller's to see",
        "not_found",
        "organization not found",
    ),
    409: ("It conflicts with the current state of things", "conflict", "already done"),
    413: (
        "The body is over the server's size limit",
        "payload_too_large",
        "payload is over the 64 KiB limit",
    ),
    422: (
        "Refused as given: a value out of bounds (`details` names it), or one only the server "
        "can judge, with a code saying which",
        "invalid",
        "name: String should have at most 200 characters",
    ),
    429: (
        "Too many requests: try again after Retry-After seconds",
        "rate_limited",
        "too many requests; try again in 60 seconds",
    ),
    502: (
        "A provider outside Tocsin failed",
        "provider_error",
        "no provider would call the number",
    ),
    503: (
        "A service this server needs is not set up or not answering",
        "unavailable",
        "e-mail is not set up on this server",
    ),
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until a request may succeed",
        "schema": {"type": "integer"},
    }
}


def errors(*answers: int | Refusal, description: dict[int, str] | None = None) -> Responses:
    """The error responses of an operation, each with the error schema and an example: a
    `(status, code, message)` is an example of the operation's own (several for one status are
    each shown), a bare status takes the API-wide example unless the operation gave its own.
    `description` words a status for this operation."""
    own = {answer[0] for answer in answers if isinstance(answer, tuple)}
    responses: Responses = {}
    for answer in answers:
        status = answer if isinstance(answer, int) else answer[0]
        said = (description or {}).get(status, _STATUSES[status][0])
        response = responses.setdefault(status, _response(status, said))
        if isinstance(answer, int) and status in own:
            continue
        code, message = _STATUSES[status][1:] if isinstance(answer, int) else answer[1:]
        examples = response["content"]["application/json"]["examples"]
        examples[code] = {"value": {"error": {"code": code, "message": message}}}
    return responses


# Where the API's description keeps ErrorOut's schema (`error_schemas`). Error responses refer
# to it instead of naming ErrorOut as their `model`: FastAPI builds a pydantic adapter for every
# `model` of every route, and for every route again in the application, over two thousand of
# them for this one schema, where the description needs it once.
ERROR_SCHEMA_REF = "#/components/schemas/ErrorOut"


def error_schemas() -> dict[str, dict[str, Any]]:
    """ErrorOut's schema and those it refers to, by their names in the API's description, as
    FastAPI writes a response model's (through its OpenAPI model, which drops what is None)."""
    schema = ErrorOut.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    schemas = {**schema.pop("$defs"), "ErrorOut": schema}
    return {
        name: jsonable_encoder(Schema(**schema), by_alias=True, exclude_none=True)
        for name, schema in schemas.items()
    }


def _response(status: int, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"examples": {}, "schema": {"$ref": ERROR_SCHEMA_REF}}},
    }
    if status == 429:
        response["headers"] = _RETRY_AFTER
    return response


def merged(base: Responses, more: Responses) -> Responses:
    """`base` with `more`'s responses added; for a status in both, `more`'s examples join."""
    result = {status: _copy(response) for status, response in base.items()}
    for status, response in more.items():
        mine = result.get(status)
        if mine is None or "content" not in mine or "content" not in response:
            result.setdefault(status, _copy(response))
            continue
        examples = mine["content"].setdefault("application/json", {}).setdefault("examples", {})
        examples.update(response["content"].get("application/json", {}).get("examples", {}))
    return result


def _copy(response: dict[str, Any]) -> dict[str, Any]:
    copied = dict(response)
    if "content" in response:
        copied["content"] = {
            media: {**body, **({"examples": dict(body["examples"])} if "examples" in body else {})}
            for media, body in response["content"].items()
        }
    return copied


# Refusals several operations share.
MAIL_OFF: Refusal = (503, "mail_off", "e-mail is off on this server")
CODE_NOT_SENT: Refusal = (502, "verification_not_sent", "no provider would call or text the code")
