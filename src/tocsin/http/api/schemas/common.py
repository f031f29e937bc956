"""Shapes shared by every router: pages, the limit of a page, and the error every route may give."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from tocsin.core.pagination import MAX_LIMIT, Page

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


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
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 409, 413, 422, 429)
}


def beyond_tocsin(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """The 5xx of a route that needs something outside Tocsin: a provider that would not
    call, or a service this server has not set up."""
    return {status: {"model": ErrorOut, "description": description}}


CODE_NOT_SENT = beyond_tocsin(502, "No provider would call or text the code")
