"""Rendering pages: one Jinja2 environment with autoescaping, and the values every page has."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from tocsin import __version__
from tocsin.core.ratelimit import RateLimited
from tocsin.telephony.prompts import CATALOGUE

_ENV = Environment(
    loader=PackageLoader("tocsin.http.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _local(value: datetime | None, zone: str) -> str:
    """An instant on the wall clock of `zone` (an IANA name), with its abbreviation, so a reader
    in another zone still knows which hour is meant."""
    return "" if value is None else f"{value.astimezone(ZoneInfo(zone)):%a %d %b %H:%M %Z}"


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st: the turns of a rotation's form."""
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


_ENV.filters["when"] = _when
_ENV.filters["ordinal"] = ordinal
_ENV.filters["local"] = _local
# The languages a call's prompts can be spoken in, for the forms that choose one
# (_language_select.html): code, and its name in English and in itself.
_ENV.globals["call_languages"] = [
    (prompts.code, f"{prompts.name} ({prompts.native_name})") for prompts in CATALOGUE.values()
]


def _telephony(request: Request) -> str:
    """How this server calls people: "real", "simulated" (the simulator: nobody is called) or
    "none" (no platform provider: only organizations' own accounts can call)."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None or not runtime.platform_providers:
        return "none"
    return "simulated" if runtime.calls_are_simulated else "real"


def _sells_plans(request: Request) -> bool:
    """Whether this server sells plans (Paddle is configured): only then do pages speak of
    trials, subscriptions and paid plans. A self-hosted install shows its limits alone."""
    runtime = getattr(request.app.state, "runtime", None)
    return runtime is not None and runtime.settings.paddle_webhook_secrets is not None


def _currency(request: Request) -> str:
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.settings.currency if runtime is not None else "USD"


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A page (or, for htmx, a fragment), with the viewer, CSRF token and version at hand."""
    viewer = getattr(request.state, "viewer", None)
    values = {
        "request": request,
        "viewer": viewer,
        "telephony": _telephony(request),
        "sells_plans": _sells_plans(request),
        "currency": _currency(request),
        "csrf_token": viewer.csrf_token if viewer is not None else "",
        "version": __version__,
        **context,
    }
    html = _ENV.get_template(template).render(values)
    error = context.get("error")
    # A form shown again over a limit says when to try again, as the API's 429 does.
    retry = error.headers() or {} if isinstance(error, RateLimited) else {}
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            **retry,
            # Pages hold tenant data: never cached, never framed (clickjacking).
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": (
                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
            ),
            "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff",
        },
    )
