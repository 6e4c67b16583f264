"""Counts for staff digests: what waits in a counselor's queues, how a region's week went."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.domain.statuses import ASSIGNED_STATUSES, AppointmentStatus, RequestStatus
from storage.models import Appointment, Request, RequestEvent


def queue_waiting(session: Session, *, queue_codes: Iterable[str] | None) -> tuple[int, int]:
    """(unclaimed, of which urgent) in the given queues (None: all)."""
    query = select(Request.urgency, func.count()).where(Request.status == RequestStatus.NEW).group_by(Request.urgency)
    if queue_codes is not None:
        query = query.where(col(Request.queue_code).in_(set(queue_codes)))
    counts = dict(session.exec(query).all())
    return sum(counts.values()), counts.get("urgent", 0)


def open_cases_of(session: Session, *, staff_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Request)
        .where(Request.assigned_staff_id == staff_id, col(Request.status).in_(ASSIGNED_STATUSES))
    ).one()


def appointments_between(session: Session, *, staff_id: int, start: datetime, end: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.staff_id == staff_id,
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
    ).one()


def week_counts(
    session: Session, *, queue_codes: Iterable[str] | None, start: datetime, end: datetime
) -> dict[str, int]:
    """New requests, and requests with an SLA breach or a first contact, in [start, end) for the given queues.

    Breaches count requests, not events: the escalation at twice the SLA is the same late request.
    """

    def scoped(query):
        return query if queue_codes is None else query.where(col(Request.queue_code).in_(set(queue_codes)))

    new = session.exec(
        scoped(select(func.count()).select_from(Request).where(Request.created_at >= start, Request.created_at < end))
    ).one()
    events = scoped(
        select(RequestEvent.kind, func.count(sa.distinct(col(RequestEvent.request_id))))
        .join(Request, col(Request.id) == col(RequestEvent.request_id))
        .where(
            RequestEvent.at >= start, RequestEvent.at < end, col(RequestEvent.kind).in_(("sla_breach", "first_contact"))
        )
        .group_by(RequestEvent.kind)
    )
    by_kind = dict(session.exec(events).all())
    return {"new": new, "breaches": by_kind.get("sla_breach", 0), "first_contacts": by_kind.get("first_contact", 0)}
