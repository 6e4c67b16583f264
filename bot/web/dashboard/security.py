"""The session cookie, CSRF tokens and the client's address.

The cookie is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Lax, Secure when the service is
configured for HTTPS. It holds only a random session token and a CSRF token; the session itself is a row
in the database (bot/services/staff_sessions.py), looked up on every request, so logging out, a password
change or a deactivation ends it at once on every instance, also for a copy of the cookie. Login
throttling: bot/services/login_throttle.py.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from bot.services.staff_sessions import SESSION_LIFETIME

SESSION_COOKIE = "pmks_session"
SESSION_MAX_AGE = int(SESSION_LIFETIME.total_seconds())


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use; every form carries it."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_valid(request: Request, submitted: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and submitted and hmac.compare_digest(expected, submitted))


def start_session(request: Request, *, token: str) -> None:
    """Put a new session's token in the cookie, with a fresh CSRF token (nothing of the old session stays)."""
    request.session.clear()
    request.session.update({"sid": token, "csrf": secrets.token_urlsafe(32)})


def session_token(request: Request) -> str | None:
    token = request.session.get("sid")
    return token if isinstance(token, str) else None


def end_session(request: Request) -> None:
    request.session.clear()


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one a proxy in FORWARDED_ALLOW_IPS forwarded (bot/app.py)."""
    return request.client.host if request.client else "unknown"
