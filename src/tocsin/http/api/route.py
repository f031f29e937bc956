"""`ApiRoute`, the route class of every API router: what FastAPI answers before a route runs
goes in its description, and what no route should see is refused before it runs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from tocsin.core.errors import InvalidInput
from tocsin.formats.untrusted import parse_json, storable, strings_in
from tocsin.http.api.deps import get_caller
from tocsin.http.api.schemas.common import Refusal, Responses, errors, merged

# An operation open to anyone: its description says it needs no credentials.
PUBLIC: dict[str, Any] = {"security": []}


class ApiRoute(APIRoute):
    """A route of the API. Its description lists, besides the refusals the route declares
    (`responses=errors(...)`), those it gives before its own code runs, which no route could
    declare itself: 400 for a body that cannot be read, 422 for a parameter or body refused as
    given (below), 401 and 403 when it takes the caller's credentials (`get_caller`: unknown
    credentials, a role, a key's scope), and 404 when its path names something (the
    organization first).

    Before the route runs, it refuses a query parameter given twice (each takes one value, and
    FastAPI would quietly keep the last) and text no backend can store in what the route reads:
    its path, its query parameters and the JSON body FastAPI reads for it. That is a NUL, which
    PostgreSQL refuses in any query (a 500 there, where SQLite just found nothing), or a lone
    surrogate, which neither can encode. (The webhook reads its raw body and every parameter
    itself, and cleans them as it reads them: formats/untrusted.py.)"""

    def __init__(self, path: str, endpoint: Any, **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self.responses = merged(_refused_before_running(self), self.responses)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        names = sorted(_query_parameters(self.dependant))
        reads_body = self.body_field is not None

        async def route(request: Request) -> Response:
            for name in names:
                if len(request.query_params.getlist(name)) > 1:
                    raise InvalidInput(f"{name}: give it once", code="repeated_parameter")
            if not all(storable(text) for text in await _texts_of(request, names, reads_body)):
                raise InvalidInput(UNSTORABLE_TEXT, code="unstorable_text")
            return await handle(request)

        return route


UNSTORABLE_TEXT = "text may not hold a NUL character or a lone surrogate"


async def _texts_of(request: Request, names: list[str], reads_body: bool) -> list[str]:
    texts = [*request.path_params.values()]
    for name in names:
        texts += request.query_params.getlist(name)
    if reads_body and request.headers.get("content-type", "").startswith("application/json"):
        try:
            document = parse_json(await request.body())
        except ValueError:
            return texts  # FastAPI refuses it as it reads the body
        texts.extend(strings_in(document))
    return texts


def _refused_before_running(route: APIRoute) -> Responses:
    dependant = route.dependant
    declared = set(route.responses)
    queried = sorted(_query_parameters(dependant))
    answers: list[int | Refusal] = []
    if route.body_field is not None:
        answers.append(400)
    if _depends_on(dependant, get_caller):
        answers += [401, 403]
    if "org_id" in route.param_convertors:
        answers.append((404, "org_not_found", "organization not found"))
    elif route.param_convertors and 404 not in declared:
        answers.append((404, "not_found", "not found"))
    if route.body_field is not None:
        answers.append(422)
    elif queried:
        answers.append((422, "repeated_parameter", f"{queried[0]}: give it once"))
    elif route.param_convertors:
        answers.append((422, "unstorable_text", UNSTORABLE_TEXT))
    return errors(*answers)


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(
        dependency.call is call or _depends_on(dependency, call)
        for dependency in dependant.dependencies
    )


def _query_parameters(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_parameters(dependency)
    return names
