"""`/openapi.json` and `/docs` (Swagger UI) of every service, or neither.

Off in production unless API_DOCS=true, on in development (`ServiceSettings.docs_enabled`):
a deployed MPP need not hand a map of its API to everyone on the lobby Wi-Fi. Where they are
on, Swagger UI's script and style come from the pinned `swagger-ui-bundle-v2` package and
are served by the service itself under `/docs/static/`: MPP networks are often offline, and
a CDN is one more party that sees who reads the docs. No ReDoc: no package ships it, and a
page that needs the internet is not offered.

Apps are built with `NO_BUILTIN_DOCS` (FastAPI's own routes load the UI from a CDN) and
then `install(app, settings)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

from shared.settings import ServiceSettings

NO_BUILTIN_DOCS: dict[str, Any] = {"docs_url": None, "redoc_url": None, "openapi_url": None}
"""FastAPI(...) arguments: none of FastAPI's own docs routes."""

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
STATIC_URL = "/docs/static"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
SWAGGER_UI = Path(swagger_ui_bundle.swagger_ui_path)


def install(app: FastAPI, settings: ServiceSettings) -> None:
    """Add /openapi.json, /docs and its static files to `app` when the settings allow."""
    if not settings.docs_enabled():
        return
    title = f"{app.title} — API"

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=title,
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            # no badge fetched from swagger.io's online validator
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(OPENAPI_URL, openapi, include_in_schema=False)
    app.add_route(DOCS_URL, docs, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    app.mount(STATIC_URL, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
