"""What a case's pages read: its timeline, thread, notes and appointments, and a counselor's held cases.

The request page (bot/web/dashboard/requests_detail.py), "Kasus saya" and the thread poll show these;
who may see which part is decided before they are asked (bot/services/access.py, case_rules.py).
Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from storage import casework
from storage.models import Appointment, CaseMessage, Contact, Request, RequestEvent, RequestNote


def timeline_of(session: Session, *, request_id: int) -> list[RequestEvent]:
    """The request's events, oldest first."""
    return casework.request_events(session, request_id=request_id)


def thread_of(session: Session, *, request_id: int) -> list[CaseMessage]:
    """Messages between the citizen and staff, oldest first."""
    return casework.thread_of(session, request_id=request_id)


def thread_after(session: Session, *, request_id: int, after_id: int) -> list[CaseMessage]:
    """The thread's messages newer than `after_id`, for a request page that is open."""
    return casework.thread_after(session, request_id=request_id, after_id=after_id)


def notes_of(session: Session, *, request_id: int) -> list[RequestNote]:
    """Staff's case notes, oldest first."""
    return casework.notes_of(session, request_id=request_id)


def appointments_of(session: Session, *, request_id: int) -> list[Appointment]:
    """Every appointment offered or agreed for the request, by start."""
    return casework.appointments_of(session, request_id=request_id)


def contact_of(session: Session, request: Request) -> Contact | None:
    """The citizen's contact (channel, chosen contact times); None once erased or never known."""
    return session.get(Contact, request.contact_id) if request.contact_id else None


def held_requests(session: Session, *, staff_id: int) -> list[Request]:
    """The open requests a staff member holds (claimed or in progress), oldest first."""
    return casework.held_requests(session, staff_id=staff_id)


def next_appointments(session: Session, *, request_ids: Iterable[int], now: datetime) -> dict[int, Appointment]:
    """The earliest agreed appointment still ahead, per request."""
    return casework.next_appointments(session, request_ids=request_ids, now=now)


def awaiting_answer(session: Session, *, request_ids: Iterable[int]) -> set[int]:
    """The requests whose thread ends with the citizen's message."""
    return casework.awaiting_answer(session, request_ids=request_ids)
