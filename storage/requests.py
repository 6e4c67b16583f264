"""Requests, their queues and their event log."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from sqlmodel import Session, col, select

from bot.domain.statuses import ASSIGNED_STATUSES, CLOSED_STATUSES, OPEN_STATUSES
from storage.models import CaseMessage, Queue, Request, RequestEvent
from storage.response_times import record_event

TICKET_ATTEMPTS = 8


def ensure_queues(session: Session, *, queues: Iterable[tuple[str, str, str, str]]) -> None:
    """Create or rename the queues the routing file names: (code, agency, region, name).

    An upsert, because every instance does this on start, and two starting together must not collide.
    """
    dialect = session.get_bind().dialect.name
    insert = sa.dialects.postgresql.insert if dialect == "postgresql" else sa.dialects.sqlite.insert
    for code, agency, region, name in queues:
        statement = insert(Queue).values(code=code, agency=agency, region=region, name=name)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["code"], set_={"agency": agency, "region": region, "name": name}
            )
        )


def create_request(session: Session, *, request: Request, new_code: Callable[[], str]) -> Request:
    """Insert a request under a fresh ticket code, drawing again on the rare collision."""
    for _ in range(TICKET_ATTEMPTS):
        request.ticket_code = new_code()
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
            return request
        except sa.exc.IntegrityError:
            # The savepoint rollback already took the row out of the session; draw again.
            if request in session:
                session.expunge(request)
            request.id = None
    raise RuntimeError("could not draw an unused ticket code")


def add_event(
    session: Session,
    *,
    request_id: int,
    kind: str,
    actor: str,
    at: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
    note: str | None = None,
) -> RequestEvent:
    """Append an event to a request's log (the source of all metrics) and fold it into its response times.

    `note` is a staff member's free text (stored encrypted), never put in `detail`.
    """
    event = RequestEvent(
        request_id=request_id,
        kind=kind,
        actor=actor,
        at=at,
        from_status=from_status,
        to_status=to_status,
        detail=detail or {},
        note=note,
    )
    session.add(event)
    # The report reads response times from this row, so it must move in the event's own transaction.
    record_event(session, request_id=request_id, kind=kind, to_status=to_status, at=at)
    return event


def find_contact_request(session: Session, *, ticket_code: str, contact_id: int) -> Request | None:
    """A ticket only its own reporter may look up; others get "not found", never a hint it exists."""
    return session.exec(
        select(Request).where(Request.ticket_code == ticket_code, Request.contact_id == contact_id)
    ).first()


def find_request(session: Session, *, ticket_code: str) -> Request | None:
    """Any contact's ticket, for the state-only answer to a `status KODE` of someone else's ticket."""
    return session.exec(select(Request).where(Request.ticket_code == ticket_code)).first()


def last_status_change(session: Session, *, request_id: int) -> datetime | None:
    """When the request was created or last changed status: the date a state-only answer shows."""
    return session.exec(
        select(sa.func.max(RequestEvent.at)).where(
            RequestEvent.request_id == request_id, col(RequestEvent.kind).in_(("created", "status"))
        )
    ).one()


def newest_open_request(session: Session, *, contact_id: int) -> tuple[str, bool] | None:
    """(ticket code, whether a counselor has written about it) of the contact's newest open request."""
    wrote = sa.exists().where(col(CaseMessage.request_id) == Request.id, col(CaseMessage.direction) == "out")
    row = session.execute(
        sa.select(col(Request.ticket_code), sa.and_(col(Request.status).in_(ASSIGNED_STATUSES), wrote))
        .where(col(Request.contact_id) == contact_id, col(Request.status).in_(OPEN_STATUSES))
        .order_by(col(Request.id).desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], bool(row[1]))


def requests_of_contact(session: Session, *, contact_id: int) -> list[Request]:
    """Every request the contact made, oldest first: what `/dataku` shows and `/hapusdata` erases."""
    return list(session.exec(select(Request).where(Request.contact_id == contact_id).order_by(col(Request.id))))


def closed_before(session: Session, *, cutoff: datetime) -> list[Request]:
    """Closed requests whose last closing is before `cutoff` and that were not purged or erased yet.

    The last closing, not the first: a reopened and closed again request counts from its later closing.
    """
    last_close = (
        select(RequestEvent.request_id)
        .where(RequestEvent.kind == "status", col(RequestEvent.to_status).in_(CLOSED_STATUSES))
        .group_by(col(RequestEvent.request_id))
        .having(sa.func.max(RequestEvent.at) < cutoff)
    )
    purged = select(RequestEvent.request_id).where(col(RequestEvent.kind).in_(("purged", "erased")))
    return list(
        session.exec(
            select(Request)
            .where(
                col(Request.status).in_(CLOSED_STATUSES),
                col(Request.id).in_(last_close),
                col(Request.id).notin_(purged),
            )
            .order_by(col(Request.id))
        )
    )


def get_queue(session: Session, *, code: str) -> Queue | None:
    return session.get(Queue, code)
