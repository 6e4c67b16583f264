"""What the dashboard's lists show: a page of requests, the overview's figures, the admin lists, names.

Why a module of reads: pages only show these, so they ask for them by name, and the queries (written
against indexes, paged by keyset) stay in storage/dashboard_queries.py. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from storage import casework, dashboard_queries
from storage.dashboard_queries import Cursor, DeadLetter, QueueLoad, RequestPage
from storage.models import Appointment, Queue, Request, Staff

__all__ = [
    "PAGE_SIZE",
    "Cursor",
    "DeadLetter",
    "QueueLoad",
    "RequestPage",
    "all_queues",
    "appointments_between",
    "breached_now",
    "dead_letters",
    "name_of",
    "queue_loads",
    "queue_names",
    "queue_staff",
    "request_page",
    "staff_names",
    "staff_with_queues",
    "unclaimed",
    "urgent_open",
]

#: Rows on one page of the request list, the audit log and the dead letters.
PAGE_SIZE = dashboard_queries.PAGE_SIZE


def request_page(
    session: Session,
    *,
    conditions: Iterable[sa.ColumnElement[bool]],
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> RequestPage:
    """One page of the requests matching `conditions` (which include the visible queues), newest first."""
    return dashboard_queries.request_page(session, conditions=conditions, after=after, before=before, limit=limit)


def queue_loads(session: Session, *, visible: frozenset[str] | None, now: datetime) -> list[QueueLoad]:
    """Open, urgent and breached counts per visible queue, for the overview."""
    return dashboard_queries.queue_loads(session, visible=visible, now=now)


def urgent_open(session: Session, *, visible: frozenset[str] | None, limit: int = 20) -> list[Request]:
    """Open urgent requests of the visible queues, newest first."""
    return dashboard_queries.urgent_open(session, visible=visible, limit=limit)


def breached_now(session: Session, *, visible: frozenset[str] | None, now: datetime, limit: int = 20) -> list[Request]:
    """Requests past their pending deadline, the longest overdue first."""
    return dashboard_queries.breached_now(session, visible=visible, now=now, limit=limit)


def appointments_between(
    session: Session, *, visible: frozenset[str] | None, start: datetime, end: datetime
) -> list[tuple[Appointment, Request]]:
    """Appointments starting in [start, end) that still stand, with their request, earliest first."""
    return dashboard_queries.appointments_between(session, visible=visible, start=start, end=end)


def unclaimed(session: Session, *, queue_codes: Iterable[str] | None, limit: int = 50) -> list[Request]:
    """Requests waiting in these queues (None: all), urgent first, then the nearest claim deadline."""
    return casework.unclaimed_in_queues(session, queue_codes=queue_codes, limit=limit)


def queue_names(session: Session) -> dict[str, str]:
    """Every queue's name by code."""
    return dashboard_queries.queue_names(session)


def all_queues(session: Session) -> list[Queue]:
    """Every queue, by code: the choices of a transfer or an assignment."""
    return dashboard_queries.all_queues(session)


def staff_names(session: Session, *, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of these accounts (None ids are skipped)."""
    return dashboard_queries.staff_names(session, ids=ids)


def name_of(names: Mapping[int, str], staff_id: int | None) -> str:
    """A display name from `staff_names`; "-" for nobody (no holder, the citizen) or an id not in it."""
    return dashboard_queries.name_of(names, staff_id)


def queue_staff(session: Session, *, visible: frozenset[str] | None) -> list[tuple[int, str]]:
    """Active members of the visible queues, by name: the list's "held by" choices."""
    return dashboard_queries.queue_staff(session, visible=visible)


def staff_with_queues(session: Session) -> list[tuple[Staff, list[str]]]:
    """Every account with its queue codes, for the admin's list."""
    return dashboard_queries.staff_with_queues(session)


def dead_letters(session: Session, *, before_id: int | None) -> tuple[list[DeadLetter], int | None]:
    """Outbox messages given up on, newest first, and where the next page starts."""
    return dashboard_queries.dead_letters(session, before_id=before_id)
