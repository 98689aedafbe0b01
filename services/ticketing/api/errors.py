"""Domain errors → HTTP answers with a clear `detail`, never a stack trace."""

from __future__ import annotations

import logging

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.ticketing import booking, errors, kiosks
from services.ticketing.api.deps import DatabaseUnavailable
from services.ticketing.api.refusal_words import not_found_words, refusal_entry
from services.ticketing.domain.tickets import WrongState

log = logging.getLogger("ticketing.http")


def _json(status: int, detail: object, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.NotFound)
    async def not_found(_: Request, exc: errors.NotFound) -> JSONResponse:
        return _json(404, not_found_words(str(exc)))

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _json(422, [refusal_entry(e) for e in exc.errors()])

    @app.exception_handler(errors.NotAuthenticated)
    async def not_authenticated(_: Request, exc: errors.NotAuthenticated) -> JSONResponse:
        return _json(401, str(exc))

    @app.exception_handler(errors.NotAllowed)
    async def forbidden(_: Request, exc: errors.NotAllowed) -> JSONResponse:
        return _json(403, str(exc))

    @app.exception_handler(kiosks.KioskRequired)
    async def no_kiosk(_: Request, exc: kiosks.KioskRequired) -> JSONResponse:
        return _json(401, str(exc), **{"WWW-Authenticate": "Bearer"})

    @app.exception_handler(WrongState)
    async def wrong_state(_: Request, exc: WrongState) -> JSONResponse:
        return _json(409, str(exc))

    @app.exception_handler(booking.TooManyRequests)
    async def too_many(_: Request, exc: booking.TooManyRequests) -> JSONResponse:
        return _json(429, str(exc), **{"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(errors.LimitReached)
    async def limit(_: Request, exc: errors.LimitReached) -> JSONResponse:
        return _json(409, str(exc))

    @app.exception_handler(errors.CounterNotFree)
    async def counter_not_free(_: Request, exc: errors.CounterNotFree) -> JSONResponse:
        return _json(409, str(exc))

    @app.exception_handler(errors.NotTakingTickets)
    async def closed(_: Request, exc: errors.NotTakingTickets) -> JSONResponse:
        return _json(409, str(exc))

    @app.exception_handler(errors.IdempotencyKeyReused)
    async def key_reused(_: Request, exc: errors.IdempotencyKeyReused) -> JSONResponse:
        entry = {"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "value_error"}
        return _json(422, [refusal_entry(entry)])

    @app.exception_handler(errors.InvalidRequest)
    async def invalid(_: Request, exc: errors.InvalidRequest) -> JSONResponse:
        entry = {"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}
        return _json(422, [refusal_entry(entry)])

    _install_failures(app)


def _install_failures(app: FastAPI) -> None:
    """A request the database refuses as data (422), or cannot serve now (503)."""

    @app.exception_handler(asyncpg.DataError)
    async def bad_data(_: Request, exc: asyncpg.DataError) -> JSONResponse:
        # e.g. a NUL byte in a text field: PostgreSQL refuses it, the request was wrong
        return _json(
            422,
            [
                {
                    "loc": ["body"],
                    "msg": "ada karakter yang tidak sah dalam permintaan",
                    "type": "value_error",
                }
            ],
        )

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: database unavailable (%s)", request.method, request.url.path, exc)
        return _json(
            503, "basis data sedang tidak tersedia, coba lagi sebentar lagi", **{"Retry-After": "5"}
        )

    for error in (
        DatabaseUnavailable,
        asyncpg.PostgresConnectionError,
        asyncpg.CannotConnectNowError,
        asyncpg.InterfaceError,
        ConnectionError,
        OSError,
        TimeoutError,
    ):
        app.add_exception_handler(error, unavailable)


# Answers every operation may give besides its own: the OpenAPI document says so, so that
# clients (and schemathesis) know them.
_COMMON = {
    "503": {"description": "The database is unavailable; try again (Retry-After)"},
}
_WITH_BODY = {
    "400": {"description": "The body could not be parsed"},
    "413": {"description": "The body is too large"},
}
_WITH_PATH = {"404": {"description": "Not found"}}
_WITH_AUTH = {
    "401": {"description": "No valid token"},
    "403": {"description": "Not allowed for this staff member, counter or site"},
}


def document_common_answers(app: FastAPI) -> None:
    """Add the answers shared by many operations to the app's OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                extra = dict(_COMMON)
                if "requestBody" in operation:
                    extra.update(_WITH_BODY)
                if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                    extra.update(_WITH_PATH)
                if "security" in operation:
                    extra.update(_WITH_AUTH)
                for code, answer in extra.items():
                    operation["responses"].setdefault(code, answer)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
