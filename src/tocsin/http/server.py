"""How `tocsin serve` runs the application under uvicorn: with bounds on slow clients."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from tocsin.core.config import Settings
from tocsin.http.header_deadline import with_header_deadline


def server_config(app: FastAPI, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        # Logging is Tocsin's (core/logs.py): uvicorn's records go to the root logger's one
        # handler, in TOCSIN_LOG_FORMAT, instead of handlers uvicorn would set up.
        log_config=None,
        # A line per request only when asked (TOCSIN_ACCESS_LOG): each webhook's line says
        # more, and a busy server's access log is mostly noise.
        access_log=settings.access_log,
        # The client address is Tocsin's to decide, from TOCSIN_TRUSTED_PROXIES alone: uvicorn
        # would otherwise believe X-Forwarded-For from any local peer.
        proxy_headers=False,
        # Request headers arrive within a deadline and under a cap; the body's deadline is the
        # application's (create_app installs http/body_deadline.py).
        http=with_header_deadline(settings.header_read_seconds),
        # Tocsin serves no WebSockets: an Upgrade is not handed to a protocol without bounds.
        ws="none",
        # Past this many open connections (or requests in flight) uvicorn answers new requests
        # 503 at once ("Exceeded concurrency limit."), so memory stays bounded under a flood.
        limit_concurrency=settings.max_connections,
    )
