"""Claims, transfers, closing, notes, the counselor-citizen thread and appointments, as rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from bot.domain.statuses import ASSIGNED_STATUSES, AppointmentStatus, DueWorkState, RequestStatus
from storage.models import (
    Appointment,
    CaseMessage,
    DueWork,
    Request,
    RequestEvent,
    RequestNote,
    Staff,
)


def try_claim(session: Session, *, request_id: int, staff_id: int) -> bool:
    """Claim an unclaimed request in one conditional UPDATE: exactly one of many callers wins."""
    won = session.execute(
        update(Request)
        .where(col(Request.id) == request_id, col(Request.status) == RequestStatus.NEW)
        .values(status=RequestStatus.CLAIMED, assigned_staff_id=staff_id)
        .returning(col(Request.id))
    ).first()
    return won is not None


def set_request_state(
    session: Session,
    *,
    request_id: int,
    status: RequestStatus,
    assigned_staff_id: int | None,
    queue_code: str | None = None,
    outcome_note: str | None = None,
) -> None:
    values: dict = {"status": status, "assigned_staff_id": assigned_staff_id}
    if queue_code is not None:
        values["queue_code"] = queue_code
    if outcome_note is not None:
        values["outcome_note"] = outcome_note
    session.exec(update(Request).where(col(Request.id) == request_id).values(**values))


def set_request_subject(session: Session, *, request_id: int, category: str | None, topic: str | None) -> None:
    """What the request is about: a sighting's PMKS category or a counseling request's topic."""
    session.exec(update(Request).where(col(Request.id) == request_id).values(category=category, topic=topic))


def has_event_since(session: Session, *, request_id: int, kind: str, since: datetime) -> bool:
    return (
        session.exec(
            select(RequestEvent.id).where(
                RequestEvent.request_id == request_id, RequestEvent.kind == kind, RequestEvent.at >= since
            )
        ).first()
        is not None
    )


def first_event(session: Session, *, request_id: int, kind: str) -> RequestEvent | None:
    return session.exec(
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id, RequestEvent.kind == kind)
        .order_by(col(RequestEvent.at), col(RequestEvent.id))
    ).first()


def last_event(session: Session, *, request_id: int, kind: str) -> RequestEvent | None:
    return session.exec(
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id, RequestEvent.kind == kind)
        .order_by(col(RequestEvent.at).desc(), col(RequestEvent.id).desc())
    ).first()


def events_of_kind(session: Session, *, request_id: int, kind: str) -> list[RequestEvent]:
    return list(
        session.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == request_id, RequestEvent.kind == kind)
            .order_by(col(RequestEvent.at), col(RequestEvent.id))
        )
    )


def request_events(session: Session, *, request_id: int) -> list[RequestEvent]:
    return list(
        session.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == request_id)
            .order_by(col(RequestEvent.at), col(RequestEvent.id))
        )
    )


def add_note(session: Session, *, request_id: int, staff_id: int, text: str, now: datetime) -> RequestNote:
    note = RequestNote(request_id=request_id, staff_id=staff_id, text=text, created_at=now)
    session.add(note)
    return note


def notes_of(session: Session, *, request_id: int) -> list[RequestNote]:
    return list(
        session.exec(select(RequestNote).where(RequestNote.request_id == request_id).order_by(col(RequestNote.id)))
    )


def add_case_message(
    session: Session, *, request_id: int, direction: str, text: str, now: datetime, staff_id: int | None = None
) -> CaseMessage:
    message = CaseMessage(request_id=request_id, direction=direction, staff_id=staff_id, text=text, created_at=now)
    session.add(message)
    return message


def thread_of(session: Session, *, request_id: int) -> list[CaseMessage]:
    return list(
        session.exec(select(CaseMessage).where(CaseMessage.request_id == request_id).order_by(col(CaseMessage.id)))
    )


def open_request_of_contact(session: Session, *, request_id: int, contact_id: int) -> Request | None:
    return session.exec(select(Request).where(Request.id == request_id, Request.contact_id == contact_id)).first()


def add_appointments(
    session: Session,
    *,
    request_id: int,
    staff_id: int,
    proposal: str,
    slots: Iterable[tuple[datetime, str]],
    duration_minutes: int,
    now: datetime,
) -> list[Appointment]:
    rows = [
        Appointment(
            request_id=request_id,
            staff_id=staff_id,
            proposal=proposal,
            starts_at=start,
            mode=mode,
            duration_minutes=duration_minutes,
            created_at=now,
        )
        for start, mode in slots
    ]
    session.add_all(rows)
    session.flush()
    return rows


def lock_staff(session: Session, *, staff_id: int) -> None:
    """Serialise appointment confirmations of one counselor (PostgreSQL row lock; SQLite has one writer)."""
    query = select(Staff.id).where(Staff.id == staff_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    session.exec(query).first()


def overlapping_confirmed(
    session: Session, *, staff_id: int, start: datetime, minutes: int, exclude_id: int | None = None
) -> bool:
    """Whether the counselor already has a confirmed appointment overlapping [start, start + minutes)."""
    end = start + timedelta(minutes=minutes)
    rows = session.exec(
        select(Appointment).where(
            Appointment.staff_id == staff_id,
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at < end,
            Appointment.starts_at > start - timedelta(hours=12),
        )
    ).all()
    return any(r.id != exclude_id and r.starts_at + timedelta(minutes=r.duration_minutes) > start for r in rows)


def set_appointment_status(session: Session, *, appointment_ids: Iterable[int], status: AppointmentStatus) -> None:
    ids = list(appointment_ids)
    if ids:
        session.exec(update(Appointment).where(col(Appointment.id).in_(ids)).values(status=status))


def proposal_siblings(session: Session, *, proposal: str) -> list[Appointment]:
    return list(session.exec(select(Appointment).where(Appointment.proposal == proposal)))


def appointments_of(session: Session, *, request_id: int) -> list[Appointment]:
    return list(
        session.exec(
            select(Appointment).where(Appointment.request_id == request_id).order_by(col(Appointment.starts_at))
        )
    )


def unclaimed_in_queues(session: Session, *, queue_codes: Iterable[str] | None, limit: int = 50) -> list[Request]:
    """A queue's waiting requests: urgent first, then the nearest claim deadline."""
    query = select(Request).where(Request.status == RequestStatus.NEW, col(Request.merged_into_id).is_(None))
    if queue_codes is not None:
        query = query.where(col(Request.queue_code).in_(set(queue_codes)))
    urgent_first = sa.case((col(Request.urgency) == "urgent", 0), else_=1)
    return list(session.exec(query.order_by(urgent_first, col(Request.claim_due_at)).limit(limit)))


def feedback_asked_since(session: Session, *, contact_id: int, since: datetime) -> list[int]:
    """Appointments whose feedback question went to the contact since `since`, newest first.

    The question is a `citizen_update` due-work item keyed `feedback:<appointment id>`; its finish
    time is when it was handed to the outbox.
    """
    rows = session.exec(
        select(DueWork)
        .where(
            DueWork.contact_id == contact_id,
            DueWork.kind == "citizen_update",
            DueWork.state == DueWorkState.DONE,
            col(DueWork.dedupe_key).startswith("feedback:"),
            col(DueWork.finished_at) >= since,
        )
        .order_by(col(DueWork.finished_at).desc(), col(DueWork.id).desc())
    )
    return [row.payload["appointment"] for row in rows]


def held_requests(session: Session, *, staff_id: int) -> list[Request]:
    """The open requests a staff member holds (claimed or in progress), oldest first."""
    return list(
        session.exec(
            select(Request)
            .where(Request.assigned_staff_id == staff_id, col(Request.status).in_(ASSIGNED_STATUSES))
            .order_by(col(Request.id))
        )
    )


def cases_by_claim_due(session: Session, *, staff_id: int, limit: int) -> list[Request]:
    """The open requests a staff member holds, nearest claim deadline first: their list in a Telegram chat."""
    return list(
        session.exec(
            select(Request)
            .where(Request.assigned_staff_id == staff_id, col(Request.status).in_(ASSIGNED_STATUSES))
            .order_by(col(Request.claim_due_at))
            .limit(limit)
        )
    )


def open_thread_of(session: Session, *, contact_id: int) -> Request | None:
    """The contact's newest held request that a counselor has written about: where their free text goes."""
    return session.exec(
        select(Request)
        .where(Request.contact_id == contact_id, col(Request.status).in_(ASSIGNED_STATUSES))
        .where(
            select(CaseMessage.id).where(CaseMessage.request_id == Request.id, CaseMessage.direction == "out").exists()
        )
        .order_by(col(Request.id).desc())
    ).first()


def blank_case_texts(session: Session, *, request_id: int, text: str) -> None:
    """Put `text` where the thread's messages, the case notes and staff's notes on events were.

    An event keeps its kind, statuses, actor and time: reports and response times read those.
    """
    session.exec(update(CaseMessage).where(col(CaseMessage.request_id) == request_id).values(text=text))
    session.exec(update(RequestNote).where(col(RequestNote.request_id) == request_id).values(text=text))
    session.exec(
        update(RequestEvent)
        .where(col(RequestEvent.request_id) == request_id, col(RequestEvent.note).is_not(None))
        .values(note=text)
    )


def thread_after(session: Session, *, request_id: int, after_id: int) -> list[CaseMessage]:
    """The thread's messages newer than `after_id`: what a request page that is open has not shown yet."""
    return list(
        session.exec(
            select(CaseMessage)
            .where(CaseMessage.request_id == request_id, col(CaseMessage.id) > after_id)
            .order_by(col(CaseMessage.id))
        )
    )


def next_appointments(session: Session, *, request_ids: Iterable[int], now: datetime) -> dict[int, Appointment]:
    """The earliest agreed appointment still ahead, per request."""
    rows = session.exec(
        select(Appointment)
        .where(
            col(Appointment.request_id).in_(list(request_ids)),
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at > now,
        )
        .order_by(col(Appointment.starts_at).desc())
    )
    return {a.request_id: a for a in rows}  # the earliest wins: it comes last


def awaiting_answer(session: Session, *, request_ids: Iterable[int]) -> set[int]:
    """Requests whose thread ends with the citizen's message: they are waiting for the counselor."""
    ids = list(request_ids)
    if not ids:
        return set()
    last = (
        select(CaseMessage.request_id, sa.func.max(CaseMessage.id).label("last_id"))
        .where(col(CaseMessage.request_id).in_(ids))
        .group_by(col(CaseMessage.request_id))
        .subquery()
    )
    rows = session.exec(
        select(CaseMessage.request_id)
        .join(last, col(CaseMessage.id) == last.c.last_id)
        .where(CaseMessage.direction == "in")
    )
    return set(rows)
