"""The `response_time` row of each request, kept up to date as its events are written.

Why: folding every request's events when the response-time report is read takes seconds at a million
requests. Each event that moves a response time (created, first contact, a status change) instead
updates its request's one row here, in the same transaction, with one upsert that keeps the earliest
(or latest) moment, so concurrent writers and events written out of order still give what folding the
events would. `rebuild` folds the events again, e.g. after rows were loaded around `add_event`. Every event
also marks its request's stored week stale (storage/report_weeks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from bot.domain.statuses import CLOSED_STATUSES, RequestStatus
from storage.models import RequestEvent, ResponseTime, table_of
from storage.report_weeks import forget_weeks, mark_stale

#: Event kinds that move a response time; other events (notes, appointments, SLA breaches) do not.
MEASURED_KINDS: tuple[str, ...] = ("created", "first_contact", "status")

_EARLIEST = ("created_at", "claimed_at", "contacted_at", "first_closed_at")


def moments_of_event(kind: str, to_status: str | None, at: datetime) -> dict[str, Any]:
    """The `response_time` columns one event sets (empty for an event that measures nothing)."""
    if kind == "created":
        return {"created_at": at}
    if kind == "first_contact":
        return {"contacted_at": at}
    if kind != "status":
        return {}
    if to_status in CLOSED_STATUSES:
        return {"first_closed_at": at, "last_closed_at": at, "closed_now": True}
    return {"claimed_at": at, "closed_now": False} if to_status == RequestStatus.CLAIMED else {"closed_now": False}


def record_event(session: Session, *, request_id: int, kind: str, to_status: str | None, at: datetime) -> None:
    """Fold one new event into its request's row (insert it on the first event), and mark its week stale.

    Any event may change a stored week's figures (a claim, a transfer, a new subject), not only those
    that move a response time, so every event marks it.
    """
    mark_stale(session, request_id=request_id)
    values = moments_of_event(kind, to_status, at)
    if not values:
        return
    dialect = session.get_bind().dialect.name
    insert = sa.dialects.postgresql.insert if dialect == "postgresql" else sa.dialects.sqlite.insert
    statement = insert(ResponseTime).values(request_id=request_id, **values)
    table, new = table_of(ResponseTime), statement.excluded
    keep: dict[str, Callable[[ColumnElement, ColumnElement], ColumnElement]] = {
        **dict.fromkeys(_EARLIEST, lambda old, given: sa.case((sa.or_(old.is_(None), given < old), given), else_=old)),
        "last_closed_at": lambda old, given: sa.case((sa.or_(old.is_(None), given > old), given), else_=old),
        "closed_now": lambda old, given: given,  # the latest status event decides
    }
    updates = {name: keep[name](table.c[name], new[name]) for name in values}
    session.execute(statement.on_conflict_do_update(index_elements=["request_id"], set_=updates))


def rebuild(session: Session) -> None:
    """Replace every row by folding all events again."""
    e = table_of(RequestEvent)
    status, closing = e.c.kind == "status", sa.and_(e.c.kind == "status", e.c.to_status.in_(CLOSED_STATUSES))
    last_closing_id = _max_where(closing, e.c.id)
    folded = (
        sa.select(
            e.c.request_id,
            sa.func.min(sa.case((e.c.kind == "created", e.c.at))),
            sa.func.min(sa.case((sa.and_(status, e.c.to_status == RequestStatus.CLAIMED), e.c.at))),
            sa.func.min(sa.case((e.c.kind == "first_contact", e.c.at))),
            sa.func.min(sa.case((closing, e.c.at))),
            _max_where(closing, e.c.at),
            sa.func.coalesce(last_closing_id == _max_where(status, e.c.id), sa.false()),
        )
        .where(e.c.kind.in_(MEASURED_KINDS))
        .group_by(e.c.request_id)
    )
    columns = ["request_id", *_EARLIEST, "last_closed_at", "closed_now"]
    forget_weeks(session)  # their sketches were built from the rows replaced here
    session.execute(sa.delete(ResponseTime))
    session.execute(sa.insert(ResponseTime).from_select(columns, folded))


def _max_where(condition: ColumnElement[bool], value: ColumnElement) -> ColumnElement:
    """max(value) over the rows where `condition` holds."""
    return sa.func.max(sa.case((condition, value)))
