"""Who is who: staff accounts, the queues they work in, and the queues there are.

The admin pages, the command line and the reports look people and queues up here; changing them is
staff_accounts.py and staff_handover.py. Nothing here writes.
"""

from __future__ import annotations

from sqlmodel import Session

from storage import staff
from storage.models import Staff


def staff_account(session: Session, *, staff_id: int) -> Staff | None:
    """The account with this id, active or not."""
    return session.get(Staff, staff_id)


def existing_staff_account(session: Session, *, staff_id: int) -> Staff:
    """The account with this id, which must exist (the logged-in person's own); NoResultFound if it does not."""
    return session.get_one(Staff, staff_id)


def staff_by_username(session: Session, *, username: str) -> Staff | None:
    return staff.staff_by_username(session, username=username)


def staff_queue_codes(session: Session, *, staff_id: int) -> set[str]:
    """The queues an account works in."""
    return staff.staff_queue_codes(session, staff_id=staff_id)


def queue_members(session: Session, *, queue_code: str) -> list[Staff]:
    """The active accounts working in a queue."""
    return staff.queue_members(session, queue_code=queue_code)


def queue_codes(session: Session, *, region: str | None = None) -> set[str]:
    """Every queue's code, or those of one region's."""
    return staff.queue_codes(session, region=region)
