"""Error answers: readable 422s, and a polite 503 instead of a stack trace for anything unexpected.

Logs carry the event, the route and the exception type and frames, never the exception message:
database errors quote the SQL parameters, which may hold a citizen's words.
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse

from bot.web.dashboard.deps import PASSWORD_PAGE, LoginRequired, PasswordChangeRequired

log = logging.getLogger("bot.web")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PasswordChangeRequired, _password_change_required)
    app.add_exception_handler(Exception, _unexpected_error)


async def _login_required(request: Request, _exc: Exception) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


async def _password_change_required(_request: Request, _exc: Exception) -> RedirectResponse:
    return RedirectResponse(PASSWORD_PAGE, status_code=303)


def readable_validation_message(exc: RequestValidationError) -> str:
    """One sentence per problem, e.g. "body.text: String should have at most 50000 characters"."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request."


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": readable_validation_message(exc)})


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    route = request.scope.get("route")
    log.error(
        "request_failed route=%s error=%s\n%s",
        getattr(route, "path", "?"),
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    runtime = request.app.state.runtime
    text = runtime.catalog.text(runtime.settings.default_language, "webchat.try_again")
    return JSONResponse(status_code=503, content={"detail": text}, headers={"Retry-After": "5"})
