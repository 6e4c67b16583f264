"""Staff accounts, their queues, Telegram links, and the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from storage.models import AuditLog, Queue, Staff, StaffQueue, persisted_id, table_of


def add_staff(
    session: Session,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    region: str | None,
    queues: Iterable[str],
    now: datetime,
) -> Staff:
    staff = Staff(
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        role=role,
        region=region,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    set_staff_queues(session, staff_id=persisted_id(staff), queues=queues)
    return staff


def set_staff_queues(session: Session, *, staff_id: int, queues: Iterable[str]) -> None:
    session.exec(delete(StaffQueue).where(col(StaffQueue.staff_id) == staff_id))
    session.add_all(StaffQueue(staff_id=staff_id, queue_code=code) for code in sorted(set(queues)))


def staff_by_username(session: Session, *, username: str) -> Staff | None:
    return session.exec(select(Staff).where(Staff.username == username)).first()


def staff_by_contact(session: Session, *, contact_id: int, active_only: bool = True) -> Staff | None:
    """The active staff member whose linked Telegram contact this is (any, when linking moves the link)."""
    query = select(Staff).where(Staff.telegram_contact_id == contact_id)
    return session.exec(query.where(Staff.active) if active_only else query).first()


# Asked on every Telegram message: built once, so it is compiled and cache-keyed once (see storage/contacts.py).
_ACTIVE_STAFF_OF_CONTACT = (
    sa.select(table_of(Staff).c.id)
    .where(table_of(Staff).c.telegram_contact_id == sa.bindparam("contact_id"), table_of(Staff).c.active)
    .limit(1)
)


def is_staff_contact(session: Session, *, contact_id: int) -> bool:
    """Whether an active staff member linked this Telegram contact (their chat gets the staff menu)."""
    return session.connection().execute(_ACTIVE_STAFF_OF_CONTACT, {"contact_id": contact_id}).first() is not None


def staff_by_link_code(session: Session, *, code_hash: str, now: datetime) -> Staff | None:
    return session.exec(
        select(Staff).where(Staff.link_code_hash == code_hash, col(Staff.link_code_expires_at) > now, Staff.active)
    ).first()


def staff_queue_codes(session: Session, *, staff_id: int) -> set[str]:
    return set(session.exec(select(StaffQueue.queue_code).where(StaffQueue.staff_id == staff_id)))


def queue_codes(session: Session, *, region: str | None = None) -> set[str]:
    query = select(Queue.code)
    if region is not None:
        query = query.where(Queue.region == region)
    return set(session.exec(query))


def queue_members(session: Session, *, queue_code: str) -> list[Staff]:
    return list(
        session.exec(
            select(Staff)
            .join(StaffQueue, col(StaffQueue.staff_id) == col(Staff.id))
            .where(StaffQueue.queue_code == queue_code, Staff.active)
        )
    )


def coordinators_of(session: Session, *, regions: Iterable[str]) -> list[Staff]:
    return list(
        session.exec(
            select(Staff).where(Staff.role == "coordinator", col(Staff.region).in_(set(regions)), Staff.active)
        )
    )


def audit(
    session: Session, *, actor: str, action: str, target: str, at: datetime, detail: dict[str, Any] | None = None
) -> None:
    """Record a view or export of personal data, or an erasure: who, what, when."""
    session.add(AuditLog(actor=actor, action=action, target=target, at=at, detail=detail or {}))


def linked_staff(session: Session, *, role: str) -> list[Staff]:
    """Active staff of a role who linked a Telegram chat: those a digest can reach."""
    return list(
        session.exec(select(Staff).where(Staff.role == role, Staff.active, col(Staff.telegram_contact_id).is_not(None)))
    )


def any_admin(session: Session) -> bool:
    """Whether an admin account exists, active or not: the first start creates one only when none does."""
    return session.exec(select(Staff.id).where(Staff.role == "admin")).first() is not None


def active_admin_count(session: Session) -> int:
    return len(session.exec(select(Staff.id).where(Staff.role == "admin", Staff.active)).all())
