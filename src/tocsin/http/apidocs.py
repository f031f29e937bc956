"""The API's documentation pages, Swagger UI at /docs and ReDoc at /redoc, from files shipped in
the package (static/apidocs/, its README names their versions): FastAPI's own pages load them
from a CDN, which leaves /docs blank on a server without Internet access and tells a third
party who reads the documentation."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).with_name("static") / "apidocs"
ASSETS_URL = "/apidocs"
# The pages load nothing from anywhere else: ReDoc's sidebar would fetch its maker's logo from
# cdn.redoc.ly, which the browser now refuses without asking. Both pages start from an inline
# script, and both bundles style with inline styles; ReDoc searches in a worker it makes from a
# blob.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


def install_api_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc; the app must be made with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="apidocs")
    title = f"{app.title} API"
    favicon = f"{ASSETS_URL}/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=favicon,
            # Swagger UI's default asks validator.swagger.io to judge the document.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )
        page.headers["Content-Security-Policy"] = POLICY
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = POLICY
        return page
