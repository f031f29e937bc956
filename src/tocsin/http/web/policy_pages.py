"""The policy documents as pages anyone can read: the acceptable-use policy and the terms in
force (`/policies/aup`), any published version by its name, and the list of both with any
version published to take effect later. The JSON stays at `/v1/policies`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markdown_it import MarkdownIt

from tocsin.core.errors import NotFound
from tocsin.documents import queries
from tocsin.documents.versions import Document, PolicyKind
from tocsin.http.web.render import render
from tocsin.runtime import Runtime

router = APIRouter(include_in_schema=False)

# Raw HTML in a document is shown as text, never run; markdown-it refuses javascript: links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def policy_html(document: Document) -> str:
    """The document's body as HTML, without its first line: the page's own heading says it."""
    lines = document.body.splitlines()
    body = "\n".join(lines[1:]) if lines and lines[0].startswith("#") else document.body
    # Its sections are <h2> under the page's one <h1>, whatever level the Markdown gave them.
    html: str = _MARKDOWN.render(body)
    return html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")


def _page(
    request: Request,
    document: Document,
    upcoming: Document | None,
    *,
    standing: str = "in_force",
) -> Response:
    context: dict[str, Any] = {
        "document": document,
        "standing": standing,
        "body": policy_html(document),
        "upcoming": upcoming if upcoming is not None and upcoming != document else None,
    }
    return render(request, "policy.html", context)


@router.get("/policies")
def policies_page(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.database.read() as db:
        current = queries.current(db, runtime.clock.now())
    return render(request, "policies.html", {"current": current})


def _kind(value: str) -> PolicyKind:
    try:
        return PolicyKind(value)
    except ValueError:
        raise NotFound(f"no {value} policy", code="policy_not_found") from None


@router.get("/policies/{kind}")
def policy_in_force(kind: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    now = runtime.clock.now()
    with runtime.database.read() as db:
        document = queries.in_force(db, _kind(kind), now)
        upcoming = queries.upcoming(db, document.kind, now)
    return _page(request, document, upcoming)


@router.get("/policies/{kind}/{version}")
def policy_version(kind: str, version: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    now = runtime.clock.now()
    with runtime.database.read() as db:
        document = queries.find(db, kind, version)
        upcoming = queries.upcoming(db, document.kind, now)
        standing = queries.standing_of(db, document, now)
    return _page(request, document, upcoming, standing=standing)
