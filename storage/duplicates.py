"""Rows behind possible duplicate sightings and merges (bot/services/duplicates.py decides what matches).

The database narrows by category, kecamatan and time (on ix_request_category_created); the distance
between pins is checked in Python by the service, as it needs trigonometry SQLite lacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select, update

from bot.domain.statuses import OPEN_STATUSES, RequestStatus
from storage.models import Request


def sightings_near_in_time(
    session: Session,
    *,
    categories: Iterable[str],
    kecamatan_codes: Iterable[str],
    start: datetime,
    end: datetime,
    queue_codes: Iterable[str] | None,
) -> list[Request]:
    """Unmerged sightings of these categories and kecamatan created in [start, end], in visible queues."""
    query = select(Request).where(
        Request.kind == "sighting",
        col(Request.merged_into_id).is_(None),
        col(Request.category).in_(set(categories)),
        col(Request.kecamatan_code).in_(set(kecamatan_codes)),
        col(Request.created_at) >= start,
        col(Request.created_at) <= end,
    )
    if queue_codes is not None:
        query = query.where(col(Request.queue_code).in_(set(queue_codes)))
    return list(session.exec(query.order_by(col(Request.created_at), col(Request.id))))


def lock_request(session: Session, *, request_id: int) -> Request:
    """Read a request with a row lock on PostgreSQL, so two merges touching it run one after the other.

    The caller has already found the request (it checks that staff may see it): one that is missing raises.
    """
    query = select(Request).where(Request.id == request_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query).one()


def mark_merged(session: Session, *, request_id: int, into_id: int, status: RequestStatus) -> bool:
    """Close an open, unmerged request as merged into another; False when it was no longer open."""
    done = session.execute(
        update(Request)
        .where(
            col(Request.id) == request_id, col(Request.merged_into_id).is_(None), col(Request.status).in_(OPEN_STATUSES)
        )
        .values(merged_into_id=into_id, status=status)
        .returning(col(Request.id))
    ).first()
    if done is not None:
        # Requests merged earlier into this one follow it, so their reporters hear from the survivor too.
        session.execute(update(Request).where(col(Request.merged_into_id) == request_id).values(merged_into_id=into_id))
    return done is not None


def merged_into(session: Session, *, request_id: int) -> list[Request]:
    """The requests merged into this one, oldest first (on ix_request_merged_into)."""
    return list(
        session.exec(select(Request).where(col(Request.merged_into_id) == request_id).order_by(col(Request.id)))
    )
