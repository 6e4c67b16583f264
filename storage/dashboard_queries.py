"""Read-only queries behind the staff dashboard: the request list, the overview figures, the admin lists.

Why a module of its own: these must stay fast with a million requests and an audit log that grows with
every page view, so each query is written against an index (migration 0004). The request list pages
by keyset on (created_at, id), never by OFFSET, which would read every skipped row again; the audit
log and dead letters page by id. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, func, select

from bot.domain.statuses import (
    CALLED_OFF_APPOINTMENT_STATUSES,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    OutboxStatus,
    RequestStatus,
)
from storage.models import (
    Appointment,
    AuditLog,
    OutboxMessage,
    Queue,
    Request,
    Staff,
    StaffQueue,
    id_column,
    persisted_id,
)
from storage.types import UTCDateTime

PAGE_SIZE = 50
SLA_STATES = ("breached", "due_soon", "ok")
#: A pending deadline closer than this is "due soon": enough warning to act within a working morning.
DUE_SOON = timedelta(hours=2)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the list (created_at, id), written into page links as `<microseconds>.<id>`."""

    created_at: datetime
    id: int

    def token(self) -> str:
        return f"{(self.created_at - _EPOCH) // timedelta(microseconds=1)}.{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor in a page link; None for anything malformed (the list starts again at the top)."""
        try:
            micros, ident = (token or "").split(".")
            return cls(_EPOCH + timedelta(microseconds=int(micros)), int(ident))
        except (ValueError, OverflowError):
            return None

    @classmethod
    def of(cls, request: Request) -> Cursor:
        return cls(request.created_at, persisted_id(request))


@dataclass(frozen=True, slots=True)
class RequestPage:
    rows: list[Request]
    newer: Cursor | None  # show the page before this one (newer requests) from here
    older: Cursor | None  # show the page after this one (older requests) from here


def sla_state(request: Request, now: datetime) -> str | None:
    """The state of the request's pending deadline: claim while new, first contact while claimed.

    Mirrors `_sla_condition`, so a badge on a row and the list filter never disagree. None when no
    deadline is pending (in progress or closed).
    """
    deadline = pending_deadline(request)
    if deadline is None:
        return None
    if deadline < now:
        return "breached"
    return "due_soon" if deadline < now + DUE_SOON else "ok"


def pending_deadline(request: Request) -> datetime | None:
    if request.status == RequestStatus.NEW:
        return request.claim_due_at
    if request.status == RequestStatus.CLAIMED:
        return request.first_contact_due_at
    return None


def _deadline_between(start: datetime | None, end: datetime | None) -> sa.ColumnElement[bool]:
    def window(column: Mapped[datetime]) -> list[sa.ColumnElement[bool]]:
        return [*([column >= start] if start else []), *([column < end] if end else [])]

    return sa.or_(
        sa.and_(col(Request.status) == RequestStatus.NEW, *window(col(Request.claim_due_at))),
        sa.and_(col(Request.status) == RequestStatus.CLAIMED, *window(col(Request.first_contact_due_at))),
    )


def sla_condition(state: str, now: datetime) -> sa.ColumnElement[bool]:
    breached = _deadline_between(None, now)
    due_soon = _deadline_between(now, now + DUE_SOON)
    if state == "breached":
        return breached
    if state == "due_soon":
        return due_soon
    return sa.and_(col(Request.status).in_(OPEN_STATUSES), sa.not_(breached), sa.not_(due_soon))


def status_condition(status: str) -> sa.ColumnElement[bool]:
    """A status, or "open" / "closed" for all statuses of that kind."""
    if status == "open":
        return col(Request.status).in_(OPEN_STATUSES)
    if status == "closed":
        return col(Request.status).in_(CLOSED_STATUSES)
    return col(Request.status) == status


def ticket_condition(ticket: str) -> sa.ColumnElement[bool]:
    """One ticket code, on the unique index."""
    return col(Request.ticket_code) == ticket


def filter_conditions(
    *,
    visible_queues: frozenset[str] | None,
    equal: Mapping[str, str],
    region_unknown: bool = False,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
) -> list[sa.ColumnElement[bool]]:
    """Conditions on `Request`: within the visible queues (None: all; empty: none), each column in `equal`
    at its value (`queue_code`, `kind`, `region`, ...), no region known, created in [from, before)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if visible_queues is not None:
        conditions.append(col(Request.queue_code).in_(sorted(visible_queues)) if visible_queues else sa.false())
    conditions += [getattr(Request, name) == value for name, value in equal.items()]
    if region_unknown:
        conditions.append(col(Request.region).is_(None))
    if created_from is not None:
        conditions.append(col(Request.created_at) >= created_from)
    if created_before is not None:
        conditions.append(col(Request.created_at) < created_before)
    return conditions


def holder_condition(staff_id: int | None) -> sa.ColumnElement[bool]:
    """Requests held by this staff member, or (None) by nobody."""
    return col(Request.assigned_staff_id).is_(None) if staff_id is None else col(Request.assigned_staff_id) == staff_id


def kind_condition(kind: str) -> sa.ColumnElement[bool]:
    """Requests of one kind: "sighting" or "counseling"."""
    return col(Request.kind) == kind


def _position(cursor: Cursor) -> sa.Tuple:
    return sa.tuple_(sa.literal(cursor.created_at, UTCDateTime), sa.literal(cursor.id, sa.Integer))


def request_page(
    session: Session,
    *,
    conditions: Iterable[sa.ColumnElement[bool]],
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> RequestPage:
    """One page of requests matching `conditions`, newest first; `after` pages to older rows, `before`
    back to newer ones. The caller's conditions include the staff member's visible queues.

    The row-value comparison `(created_at, id) < (:t, :id)` with ORDER BY created_at DESC, id DESC
    is a range scan on ix_request_created_id (or ix_request_queue_created for one queue).
    """
    key = sa.tuple_(col(Request.created_at), col(Request.id))
    query = select(Request).where(*conditions)
    if before is not None:
        query = query.where(key > _position(before)).order_by(col(Request.created_at), col(Request.id))
    else:
        if after is not None:
            query = query.where(key < _position(after))
        query = query.order_by(col(Request.created_at).desc(), col(Request.id).desc())
    rows = list(session.exec(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if before is not None:
        rows.reverse()
        newer, older = (Cursor.of(rows[0]) if rows and more else None), Cursor.of(rows[-1]) if rows else None
    else:
        newer = Cursor.of(rows[0]) if rows and after is not None else None
        older = Cursor.of(rows[-1]) if rows and more else None
    return RequestPage(rows, newer, older)


def requests_oldest_first(
    session: Session, *, conditions: Iterable[sa.ColumnElement[bool]], limit: int
) -> list[Request]:
    """Up to `limit` requests matching `conditions`, oldest first: the rows of an export."""
    query = select(Request).where(*conditions).order_by(col(Request.created_at), col(Request.id)).limit(limit)
    return list(session.exec(query))


@dataclass(frozen=True, slots=True)
class QueueLoad:
    queue_code: str
    name: str
    open: int
    urgent: int
    breached: int


def queue_loads(session: Session, *, visible: frozenset[str] | None, now: datetime) -> list[QueueLoad]:
    """Open, urgent-open and breached-now counts per queue (an index range on ix_request_status_queue).

    Staff with a set of queues see each of them, empty or not; those who see all see the busy ones.
    """
    query = (
        select(
            col(Request.queue_code),
            func.count(),
            func.sum(sa.case((col(Request.urgency) == "urgent", 1), else_=0)),
            func.sum(sa.case((sla_condition("breached", now), 1), else_=0)),
        )
        .where(col(Request.status).in_(OPEN_STATUSES))
        .group_by(col(Request.queue_code))
    )
    if visible is not None:
        query = query.where(col(Request.queue_code).in_(sorted(visible)))
    counts = {code: (n, urgent or 0, breached or 0) for code, n, urgent, breached in session.exec(query)}
    names = queue_names(session)
    codes = sorted(visible) if visible is not None else sorted(counts)
    return [QueueLoad(code, names.get(code, code), *counts.get(code, (0, 0, 0))) for code in codes]


def breached_now(session: Session, *, visible: frozenset[str] | None, now: datetime, limit: int = 20) -> list[Request]:
    """Requests past their pending deadline, the longest overdue first."""
    deadline = sa.case(
        (col(Request.status) == RequestStatus.NEW, col(Request.claim_due_at)), else_=col(Request.first_contact_due_at)
    )
    query = select(Request).where(sla_condition("breached", now))
    if visible is not None:
        query = query.where(col(Request.queue_code).in_(sorted(visible)))
    return list(session.exec(query.order_by(deadline, col(Request.id)).limit(limit)))


def urgent_open(session: Session, *, visible: frozenset[str] | None, limit: int = 20) -> list[Request]:
    query = select(Request).where(col(Request.status).in_(OPEN_STATUSES), col(Request.urgency) == "urgent")
    if visible is not None:
        query = query.where(col(Request.queue_code).in_(sorted(visible)))
    return list(session.exec(query.order_by(col(Request.created_at).desc()).limit(limit)))


def appointments_between(
    session: Session, *, visible: frozenset[str] | None, start: datetime, end: datetime
) -> list[tuple[Appointment, Request]]:
    """Appointments starting in [start, end), not cancelled nor passed over by the citizen, earliest first."""
    query = (
        select(Appointment, Request)
        .join(Request, col(Request.id) == col(Appointment.request_id))
        .where(
            col(Appointment.starts_at) >= start,
            col(Appointment.starts_at) < end,
            col(Appointment.status).notin_(CALLED_OFF_APPOINTMENT_STATUSES),
        )
    )
    if visible is not None:
        query = query.where(col(Request.queue_code).in_(sorted(visible)))
    return list(session.exec(query.order_by(col(Appointment.starts_at), col(Appointment.id))))


def queue_names(session: Session) -> dict[str, str]:
    return {q.code: q.name for q in session.exec(select(Queue))}


def all_queues(session: Session) -> list[Queue]:
    return list(session.exec(select(Queue).order_by(col(Queue.code))))


def staff_names(session: Session, *, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.exec(select(id_column(Staff), Staff.display_name).where(col(Staff.id).in_(wanted))).all())


def name_of(names: Mapping[int, str], staff_id: int | None) -> str:
    """A display name from `staff_names`; "-" for nobody (no holder, the citizen) or an id not in it."""
    return "-" if staff_id is None else names.get(staff_id, "-")


def all_staff_names(session: Session) -> dict[int, str]:
    """Every account's display name, inactive ones too (the audit log names people who have left)."""
    return dict(session.exec(select(id_column(Staff), Staff.display_name)).all())


def ticket_codes(session: Session, *, ids: Iterable[int]) -> dict[int, str]:
    """Ticket codes of requests by id, asked in batches (an audit export names up to 50,000 targets)."""
    wanted = sorted(set(ids))
    codes: dict[int, str] = {}
    for start in range(0, len(wanted), 1000):
        batch = wanted[start : start + 1000]
        codes.update(
            session.exec(select(id_column(Request), Request.ticket_code).where(col(Request.id).in_(batch))).all()
        )
    return codes


def staff_with_queues(session: Session) -> list[tuple[Staff, list[str]]]:
    """Every account with its queue codes, for the admin page (tens of rows, not millions)."""
    memberships: dict[int, list[str]] = {}
    for staff_id, code in session.exec(
        select(StaffQueue.staff_id, StaffQueue.queue_code).order_by(col(StaffQueue.queue_code))
    ):
        memberships.setdefault(staff_id, []).append(code)
    staff = session.exec(select(Staff).order_by(col(Staff.username)))
    return [(s, memberships.get(persisted_id(s), [])) for s in staff]


def audit_page(
    session: Session,
    *,
    before_id: int | None,
    actor: str | None = None,
    target: str | None = None,
    action: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[AuditLog], int | None]:
    """Audit rows newest first (by id), optionally of one actor, target and action; and the next page's start."""
    query = select(AuditLog)
    if actor:
        query = query.where(col(AuditLog.actor) == actor)
    if target:
        query = query.where(col(AuditLog.target) == target)
    if action:
        query = query.where(col(AuditLog.action) == action)
    if before_id is not None:
        query = query.where(col(AuditLog.id) < before_id)
    rows = list(session.exec(query.order_by(col(AuditLog.id).desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An outbox row that gave up; its payload (the citizen-facing text) is deliberately not loaded."""

    id: int
    channel: str
    contact_id: int
    attempts: int
    created_at: datetime
    last_error: str | None


def dead_letters(
    session: Session, *, before_id: int | None, limit: int = PAGE_SIZE
) -> tuple[list[DeadLetter], int | None]:
    """Outbox rows with status dead, newest first, on ix_outbox_status_id."""
    # Six columns: SQLModel's select is typed for up to four, SQLAlchemy's for any number; both run the same.
    query = sa.select(
        id_column(OutboxMessage),
        col(OutboxMessage.channel),
        col(OutboxMessage.contact_id),
        col(OutboxMessage.attempts),
        col(OutboxMessage.created_at),
        col(OutboxMessage.last_error),
    ).where(col(OutboxMessage.status) == OutboxStatus.DEAD)
    if before_id is not None:
        query = query.where(col(OutboxMessage.id) < before_id)
    rows = [DeadLetter(*row) for row in session.execute(query.order_by(col(OutboxMessage.id).desc()).limit(limit + 1))]
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def queue_staff(session: Session, *, visible: frozenset[str] | None) -> list[tuple[int, str]]:
    """Active members of the visible queues (all active staff when every queue is visible), by name."""
    query = select(id_column(Staff), Staff.display_name).where(col(Staff.active))
    if visible is not None:
        members = select(StaffQueue.staff_id).where(col(StaffQueue.queue_code).in_(sorted(visible)))
        query = query.where(col(Staff.id).in_(members))
    return [(ident, name) for ident, name in session.exec(query.order_by(col(Staff.display_name), col(Staff.id)))]
