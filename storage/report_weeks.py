"""Stored sketches of closed weeks for the response-time report: which weeks hold, their rows, keeping them.

Why a module of its own: the report reads a closed week from these rows instead of its requests
(bot/closed_weeks.py), and every event must be able to mark its request's week stale cheaply, in the
event's own transaction (`mark_stale`, called by `storage.response_times.record_event`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import ReportWeek, ReportWeekSketch, Request, table_of


@dataclass(frozen=True, slots=True)
class WeekSpan:
    """What a week's requests span: ids (for `mark_stale`), count, and the last SLA deadline among them."""

    low_request_id: int | None
    high_request_id: int | None
    requests: int
    last_deadline: datetime | None


def mark_stale(session: Session, *, request_id: int) -> None:
    """An event of this request may change its week's figures: compute that week again before reading it."""
    table = table_of(ReportWeek)
    session.execute(
        sa.update(table)
        .where(table.c.low_request_id <= request_id, table.c.high_request_id >= request_id, table.c.stale.is_(False))
        .values(stale=True)
    )


def fresh_weeks(session: Session, weeks: Iterable[date], *, computed_after: datetime) -> dict[date, int]:
    """Requests per stored week among `weeks` that is neither stale nor computed before `computed_after`."""
    table = table_of(ReportWeek)
    query = sa.select(table.c.week, table.c.requests).where(
        table.c.week.in_(sorted(set(weeks))), table.c.stale.is_(False), table.c.computed_at >= computed_after
    )
    return {week: int(requests) for week, requests in session.execute(query)}


def week_span(session: Session, *, start: datetime, end: datetime) -> WeekSpan:
    """Ids, count and last SLA deadline of the requests created in [start, end), merged ones included."""
    r = table_of(Request)
    query = sa.select(
        sa.func.min(r.c.id),
        sa.func.max(r.c.id),
        sa.func.count(),
        sa.func.max(r.c.claim_due_at),
        sa.func.max(r.c.first_contact_due_at),
    ).where(r.c.created_at >= start, r.c.created_at < end)
    low, high, count, claim_due, contact_due = session.execute(query).one()
    deadlines = [moment for moment in (claim_due, contact_due) if moment is not None]
    return WeekSpan(low, high, int(count), max(deadlines) if deadlines else None)


def claim_week(session: Session, *, week: date, span: WeekSpan, now: datetime) -> None:
    """Mark a week fresh before its sketches are computed, in the same transaction.

    Written first so its row lock orders this transaction with an event's `mark_stale`: an event that
    commits after the facts were read waits for this row and marks it stale again; and two instances
    computing the same week one after the other.
    """
    table = table_of(ReportWeek)
    values = {
        "low_request_id": span.low_request_id or 0,
        "high_request_id": span.high_request_id or -1,
        "requests": span.requests,
        "computed_at": now,
        "stale": False,
    }
    updated = session.execute(sa.update(table).where(table.c.week == week).values(**values))
    if not getattr(updated, "rowcount", 0):
        session.execute(sa.insert(table).values(week=week, **values))


def replace_sketches(session: Session, *, week: date, rows: Sequence[dict[str, Any]]) -> None:
    """The week's sketch rows (see `ReportWeekSketch`), replacing what was stored."""
    sketches = table_of(ReportWeekSketch)
    session.execute(sa.delete(sketches).where(sketches.c.week == week))
    if rows:
        session.execute(sa.insert(sketches), [{"week": week, **row} for row in rows])


def sketch_rows(
    session: Session,
    weeks: Iterable[date],
    *,
    queues: Iterable[str] | None,
    region: str | None,
    region_unknown: bool,
) -> list[sa.Row]:
    """(week, queue, region, dimension, key, counts..., sketch) of these weeks within the visible scope."""
    s = table_of(ReportWeekSketch)
    query = sa.select(
        s.c.week,
        s.c.queue_code,
        s.c.region,
        s.c.dimension,
        s.c.key,
        s.c.requests,
        s.c.claim_ok_sum,
        s.c.claim_ok_n,
        s.c.contact_ok_sum,
        s.c.contact_ok_n,
        s.c.sketch,
    ).where(s.c.week.in_(sorted(set(weeks))))
    if queues is not None:
        query = query.where(s.c.queue_code.in_(sorted(queues)))
    if region is not None:
        query = query.where(s.c.region == region)
    if region_unknown:
        query = query.where(s.c.region.is_(None))
    return list(session.execute(query))


def forget_weeks(session: Session) -> None:
    """Drop every stored week (after the response times were folded again from the events)."""
    session.execute(sa.delete(table_of(ReportWeekSketch)))
    session.execute(sa.delete(table_of(ReportWeek)))
