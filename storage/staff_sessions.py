"""Dashboard sessions of staff (one row per login) and the failed-login counts that throttle logins."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from storage.database import dialect_of
from storage.models import LoginThrottle, Staff, StaffSession

_INSERTS: dict[str, Callable[[type[LoginThrottle]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def add_session(session: Session, *, staff_id: int, token_hash: str, now: datetime, expires_at: datetime) -> None:
    """A new session row; expired rows (of anyone) go at the same time, so the table stays small."""
    session.exec(delete(StaffSession).where(col(StaffSession.expires_at) <= now))
    session.add(StaffSession(token_hash=token_hash, staff_id=staff_id, created_at=now, expires_at=expires_at))
    session.flush()


def staff_of_session(session: Session, *, token_hash: str, now: datetime) -> Staff | None:
    """The active staff member whose unexpired session this is."""
    return session.exec(
        select(Staff)
        .join(StaffSession, col(StaffSession.staff_id) == col(Staff.id))
        .where(StaffSession.token_hash == token_hash, col(StaffSession.expires_at) > now, Staff.active)
    ).first()


def end_session(session: Session, *, token_hash: str) -> int | None:
    """Delete one session; returns its staff id (None when there was none)."""
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == token_hash)).first()
    if row is None:
        return None
    session.delete(row)
    session.flush()
    return row.staff_id


def end_sessions_of(session: Session, *, staff_id: int) -> None:
    """Delete every session of a staff member, on every device."""
    session.exec(delete(StaffSession).where(col(StaffSession.staff_id) == staff_id))


def account_subject(username: str) -> str:
    """The throttle row of logins to one account (any username typed, existing or not)."""
    return f"account:{username}"


def address_subject(address_digest: str) -> str:
    """The throttle row of logins from one client address, by a keyed hash of it."""
    return f"address:{address_digest}"


def lock_throttles(session: Session, *, subjects: Iterable[str], now: datetime) -> dict[str, LoginThrottle]:
    """The throttle rows of these subjects, created when missing and locked until the transaction ends.

    Locking (FOR UPDATE on PostgreSQL; SQLite has one writer anyway) makes concurrent logins of one account
    or address wait for each other, so a burst of guesses is counted one by one, on every instance.
    Subjects are locked in sorted order, so two logins sharing one of them cannot deadlock.
    """
    ordered = sorted(set(subjects))
    insert = _INSERTS[dialect_of(session)]
    for subject in ordered:
        session.execute(
            insert(LoginThrottle)
            .values(subject=subject, failures=0, forget_at=now)
            .on_conflict_do_nothing(index_elements=["subject"])
        )
    rows = session.exec(
        select(LoginThrottle)
        .where(col(LoginThrottle.subject).in_(ordered))
        .order_by(col(LoginThrottle.subject))
        .with_for_update()
    )
    return {row.subject: row for row in rows}


def forget_throttles(
    session: Session, *, now: datetime, forget: Iterable[str] = (), unless_failed: Iterable[str] = ()
) -> None:
    """Delete the rows of `forget`, those of `unless_failed` that hold no failure, and every expired row."""
    session.flush()  # failures just counted are in the rows before the sweep looks at them
    gone = (
        col(LoginThrottle.subject).in_(set(forget))
        | (col(LoginThrottle.forget_at) <= now)
        | (col(LoginThrottle.subject).in_(set(unless_failed)) & (col(LoginThrottle.failures) == 0))
    )
    session.exec(delete(LoginThrottle).where(gone))
