"""Staff sessions, CSRF tokens and login throttling.

Sessions are Starlette's signed cookies (itsdangerous): HttpOnly, SameSite=Lax, Secure when the
service is configured for HTTPS. They hold only the staff id, the login time and a CSRF token; the
account is re-read on every request, so a deactivated account is out at once. Failed logins are
audit-log rows, so throttling holds across instances.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from fastapi import Request
from sqlmodel import Session, col, func, select

from storage.models import AuditLog

SESSION_COOKIE = "pmks_session"
SESSION_MAX_AGE = 12 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


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


def login_throttled(session: Session, *, username: str, client: str, now: datetime) -> bool:
    """Too many failures for this username or from this address in the last 15 minutes."""
    since = now - FAILURE_WINDOW
    failures = session.exec(
        select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "login_failed", AuditLog.at >= since,
            (col(AuditLog.target) == f"user:{username}") | (col(AuditLog.actor) == f"ip:{client}"),
        )
    ).one()
    return failures >= MAX_FAILURES


def start_session(request: Request, *, staff_id: int, now: datetime) -> None:
    request.session.clear()
    request.session.update({"staff": staff_id, "at": now.isoformat(), "csrf": secrets.token_urlsafe(32)})


def end_session(request: Request) -> None:
    request.session.clear()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
