"""Putting a router's routes on the application, each built once.

`FastAPI.include_router` keeps a router whole and, on the application's first request, builds
every one of its routes again for the application (FastAPI 0.165): its dependant, a pydantic
adapter for each parameter and response model, its handler. Over Tocsin's three hundred routes
that is most of half a second, paid by whichever request comes first, a /healthz probe or a
webhook. Tocsin's routers are included with nothing of the application's own (no prefix, tags,
dependencies or responses), so the routes each router built when its module was imported, under
the router's prefix, tags and route class, are already those the application would build: they
go on the application as they are. Only `app.dependency_overrides` would not reach them, which
Tocsin does not use (a test gives its application a runtime of its own instead)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Serve `router`'s routes from `app`, after the routes it has, in the router's order."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            # An included router, a mount: what FastAPI builds for it depends on where it is
            # included, so it cannot be served as it is.
            raise TypeError(f"{route!r} is not an API route: include its router instead")
    app.router.routes.extend(router.routes)
