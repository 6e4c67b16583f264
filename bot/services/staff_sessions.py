"""Dashboard sessions kept in the database, so ending one holds on every instance at once.

The cookie (signed by SECRET_KEY) carries a random token; the database keeps its SHA-256 with the staff id
and an expiry. A request is logged in only while that row exists and the account is active: logging out
deletes the row (a copied cookie stops working too), and a deactivation, an admin's password reset or a
password change deletes every row of the person.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session

from storage.models import Staff
from storage.staff_sessions import add_session, end_session, end_sessions_of, staff_of_session

#: A login lasts a working day and a bit, from the moment of login (not renewed by use).
SESSION_LIFETIME = timedelta(hours=12)


def start_session(session: Session, *, staff_id: int, now: datetime) -> str:
    """A new session of `staff_id`; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    add_session(session, staff_id=staff_id, token_hash=_digest(token), now=now, expires_at=now + SESSION_LIFETIME)
    return token


def session_staff(session: Session, *, token: str, now: datetime) -> Staff | None:
    """The active staff member logged in with this token, or None (ended, expired, deactivated)."""
    return staff_of_session(session, token_hash=_digest(token), now=now)


def log_out(session: Session, *, token: str) -> int | None:
    """End this one session; returns whose it was."""
    return end_session(session, token_hash=_digest(token))


def end_all_sessions(session: Session, *, staff_id: int) -> None:
    """End every session of a staff member, on every device and instance."""
    end_sessions_of(session, staff_id=staff_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
