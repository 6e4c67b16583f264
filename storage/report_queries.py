"""The SQL behind the dashboard's figures, written so the database does the work at a million requests.

Why a module of its own: response times must be computed from request events (DESIGN.md section 4), and
at province scale the business-hours arithmetic and (on PostgreSQL) the percentiles have to happen in one
statement, not in Python. The events are folded per request as they are written (`response_time`, see
`storage/response_times.py`), so the report reads one narrow row per request instead of every event. Everything here builds or runs
statements; the definitions the statements implement are documented in `bot/metrics.py`.

Time arithmetic is done on epoch seconds, with two small dialect-specific constructs below, so SQLite and
PostgreSQL compute the same numbers. Business time uses a calendar handed in as parameters (per local
day: day number, open seconds before that day, open or not; two arrays on PostgreSQL, JSON rows on
SQLite), built in Python from the routing file's `BusinessCalendar`, so public holidays have one source
of truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement, Grouping
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, func, select

from bot.domain.statuses import ASSIGNED_STATUSES, AppointmentStatus, RequestStatus
from storage.models import (
    Appointment,
    Request,
    ResponseTime,
    Staff,
    StaffQueue,
    id_column,
    table_of,
)

DAY = 86400
REPORT_WORK_MEM = "64MB"
#: Dimensions of the response-time report, each the name of a column of the facts subquery.
DIMENSIONS: tuple[str, ...] = ("queue_code", "region", "staff_id", "subject", "week")
#: Durations of the facts subquery (seconds): clock time, and business time for normal requests.
DURATIONS: tuple[str, ...] = ("claim_s", "contact_s", "resolve_s", "claim_bs", "contact_bs", "resolve_bs")
#: Moments of a request (stamps columns, epoch seconds) that its business-time durations are measured between.
MOMENTS: tuple[str, ...] = ("created", "claimed", "contacted", "last_closed")
#: Columns of one facts row as the report summarises it outside the database.
FACT_COLUMNS: tuple[str, ...] = (*DIMENSIONS, *DURATIONS, "claim_ok", "contact_ok")


class epoch_seconds(FunctionElement):
    """Seconds since 1970-01-01 UTC of a timestamp column, as a float, on either engine."""

    type = sa.Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "postgresql")
def _epoch_pg(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # date_part is double precision already; EXTRACT is numeric since PostgreSQL 14, several times slower.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # SQLite keeps timestamps as UTC text; julianday() is exact to the millisecond, so round there.
    return f"round((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0, 3)"


class day_number(FunctionElement):
    """Whole days since 1970-01-01 of (local) epoch seconds: floor(x / 86400) as an integer."""

    type = sa.Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "postgresql")
def _day_pg(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor(({compiler.process(element.clauses, **kw)}) / 86400.0) AS INTEGER)"


@compiles(day_number, "sqlite")
def _day_sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    # Truncation equals floor for the positive values of any date after 1970.
    return f"CAST(({compiler.process(element.clauses, **kw)}) / 86400.0 AS INTEGER)"


class month_key(FunctionElement):
    """'YYYY-MM' of (local) epoch seconds."""

    type = sa.String()
    inherit_cache = True
    name = "month_key"


@compiles(month_key, "postgresql")
def _month_pg(element: month_key, compiler: Any, **kw: Any) -> str:
    return f"to_char(to_timestamp({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM')"


@compiles(month_key, "sqlite")
def _month_sqlite(element: month_key, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)}, 'unixepoch')"


@dataclass(frozen=True)
class BusinessClock:
    """What SQL needs to measure business time (see `bot.metrics.business_clock`).

    `days` holds (day number, open seconds from the first listed day to the start of this one, 1 if the
    offices open that day else 0). Business seconds between two moments are then B(b) - B(a) with
    B(t) = base(day of t) + open(day of t) * clamp(local seconds of t - start_s, 0, day_s).
    """

    offset_s: int
    start_s: int
    day_s: int
    days: tuple[tuple[int, int, int], ...]


def _calendar_cte(clock: BusinessClock) -> sa.CTE:
    """The business calendar as a table on SQLite, from one JSON parameter (a VALUES list would not suit it)."""
    sql = (
        "SELECT json_extract(value, '$[0]') AS day, json_extract(value, '$[1]') AS base,"
        " json_extract(value, '$[2]') AS open FROM json_each(:calendar)"
    )
    text = sa.text(sql).bindparams(calendar=json.dumps(clock.days, separators=(",", ":")))
    return text.columns(
        sa.column("day", sa.Integer), sa.column("base", sa.BigInteger), sa.column("open", sa.Integer)
    ).cte("business_calendar")


def _stamps(conditions: Sequence[ColumnElement[bool]], dialect: str) -> sa.Subquery:
    """One row per request: its grouping columns, SLA deadlines and the moments that matter.

    The moments come from the request's `response_time` row, kept as its events are written, joined by
    key instead of folding every request's events here. A request without the row (none should exist)
    is measured from its creation column and has no later moments. OFFSET 0 keeps the subquery apart,
    so each moment is turned into epoch seconds once per request where an inlined one repeated that in
    every expression above it, without the copy in and out that a MATERIALIZED CTE costs.
    """
    r, t = table_of(Request), table_of(ResponseTime)
    on = t.c.request_id == r.c.id
    if dialect == "postgresql":
        # Only the `response_time` rows between the lowest and highest id of the range's requests are
        # hashed: a superset of the rows wanted, read as one index range since ids grow with time.
        # Half the time of a primary-key lookup per request, and a join without the bounds hashes all
        # million rows of the table (measured at a million requests). OFFSET 0 keeps min() and max()
        # from walking the primary key past the requests before the range; merged requests stay in the
        # span (still a superset), so the span is read from an index of (created_at, id) alone.
        ids = select(r.c.id).where(*conditions).offset(0).subquery("ids")
        bounds = select(func.min(ids.c.id).label("low"), func.max(ids.c.id).label("high")).cte("id_range")
        on = sa.and_(
            on, t.c.request_id.between(select(bounds.c.low).scalar_subquery(), select(bounds.c.high).scalar_subquery())
        )
    joined = r.outerjoin(t, on)
    query = (
        sa.select(  # Core columns, and more than SQLModel's select is typed for
            r.c.id,
            r.c.queue_code,
            r.c.region,
            r.c.assigned_staff_id.label("staff_id"),
            r.c.urgency,
            func.coalesce(r.c.category, r.c.topic).label("subject"),
            epoch_seconds(r.c.claim_due_at).label("claim_due"),
            epoch_seconds(r.c.first_contact_due_at).label("contact_due"),
            func.coalesce(epoch_seconds(t.c.created_at), epoch_seconds(r.c.created_at)).label("created"),
            epoch_seconds(t.c.claimed_at).label("claimed"),
            epoch_seconds(t.c.contacted_at).label("contacted"),
            epoch_seconds(t.c.first_closed_at).label("first_closed"),
            epoch_seconds(t.c.last_closed_at).label("last_closed"),
            t.c.closed_now,
        )
        .select_from(joined)
        .where(r.c.merged_into_id.is_(None), *conditions)
    )
    return query.offset(0).subquery("stamps")


def _sla_flag(done: ColumnElement, due: ColumnElement, first_closed: ColumnElement, now: float) -> ColumnElement:
    """1 on time, 0 late or overdue, NULL while still pending or closed before the deadline without it."""
    return sa.case(
        (done.is_not(None), sa.case((done <= due, 1), else_=0)),
        (sa.and_(due <= now, sa.or_(first_closed.is_(None), first_closed > due)), 0),
    )


def response_facts(
    conditions: Sequence[ColumnElement[bool]], clock: BusinessClock, *, now: datetime, dialect: str
) -> sa.Subquery:
    """One row per request with its durations (seconds) and SLA flags: what every figure is made of.

    Built in two steps kept apart with OFFSET 0, so the planner does not paste each into every expression
    above it: each moment's local day, then its business-time value B (see `BusinessClock`), once per
    request where inlined expressions computed them up to a dozen times (a third of the facts' time).
    """
    s = _stamps(conditions, dialect)
    local_days = select(*s.c, *(day_number(s.c[moment] + clock.offset_s).label(f"{moment}_day") for moment in MOMENTS))
    d = local_days.offset(0).subquery("local_days")
    joined: sa.FromClause = d

    if dialect == "postgresql":
        # Each day's row looked up by position in two array parameters: four hash joins with the
        # calendar cost about a fifth of the report at a million requests (measured).
        first_day = clock.days[0][0] if clock.days else 0
        bases = Grouping(sa.bindparam("calendar_base", [row[1] for row in clock.days], type_=ARRAY(sa.BigInteger)))
        opens = Grouping(sa.bindparam("calendar_open", [row[2] for row in clock.days], type_=ARRAY(sa.Integer)))

        def day_row(moment: str) -> tuple[ColumnElement, ColumnElement]:
            position = d.c[f"{moment}_day"] - first_day + 1
            return bases[position], opens[position]
    else:
        calendar = _calendar_cte(clock)
        days: dict[str, sa.CTE] = {}
        for moment in MOMENTS:
            day = calendar.alias(f"k{len(days)}")
            joined = joined.outerjoin(day, day.c.day == d.c[f"{moment}_day"])
            days[moment] = day

        def day_row(moment: str) -> tuple[ColumnElement, ColumnElement]:
            return days[moment].c.base, days[moment].c.open

    def business(moment: str) -> ColumnElement:
        into_day = d.c[moment] + clock.offset_s - d.c[f"{moment}_day"] * DAY - clock.start_s
        clamped = sa.case((into_day <= 0, 0), (into_day >= clock.day_s, clock.day_s), else_=into_day)
        base, is_open = day_row(moment)
        return sa.case((d.c.urgency == "normal", base + is_open * clamped)).label(f"{moment}_b")

    b = select(*d.c, *(business(moment) for moment in MOMENTS)).select_from(joined).offset(0).subquery("business")
    closed_now = b.c.closed_now.is_(True)
    created_day = b.c.created_day
    return sa.select(
        b.c.id,
        b.c.queue_code,
        b.c.region,
        b.c.staff_id,
        b.c.subject,
        b.c.urgency,
        (created_day - (created_day + 3) % 7).label("week"),  # day 0 was a Thursday: Monday of the week
        (b.c.claimed - b.c.created).label("claim_s"),
        (b.c.contacted - b.c.created).label("contact_s"),
        sa.case((closed_now, b.c.last_closed - b.c.created)).label("resolve_s"),
        (b.c.claimed_b - b.c.created_b).label("claim_bs"),
        (b.c.contacted_b - b.c.created_b).label("contact_bs"),
        sa.case((closed_now, b.c.last_closed_b - b.c.created_b)).label("resolve_bs"),
        _sla_flag(b.c.claimed, b.c.claim_due, b.c.first_closed, now.timestamp()).label("claim_ok"),
        _sla_flag(b.c.contacted, b.c.contact_due, b.c.first_closed, now.timestamp()).label("contact_ok"),
    ).subquery("facts")


def aggregates_in_database(session: Session) -> bool:
    """PostgreSQL has `percentile_cont`; on SQLite the facts are summarised in Python."""
    return session.get_bind().dialect.name == "postgresql"


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def response_aggregates(facts: sa.Subquery) -> sa.Select:
    """Every group's figures in one pass (PostgreSQL GROUPING SETS: one set per dimension plus the total)."""
    dims = [facts.c[name] for name in DIMENSIONS]
    dimension = sa.case(*((func.grouping(dim) == 0, dim.name) for dim in dims), else_="all").label("dimension")
    measures: list[ColumnElement] = [func.count().label("requests")]
    for name in DURATIONS:
        value = facts.c[name]
        measures += [
            func.percentile_cont(0.5).within_group(value).label(f"{name}_p50"),
            func.percentile_cont(0.9).within_group(value).label(f"{name}_p90"),
            func.count(value).label(f"{name}_n"),
        ]
    for flag in ("claim_ok", "contact_ok"):
        measures += [
            func.coalesce(func.sum(facts.c[flag]), 0).label(f"{flag}_sum"),
            func.count(facts.c[flag]).label(f"{flag}_n"),
        ]
    sets = func.grouping_sets(*(sa.tuple_(dim) for dim in dims), sa.text("()"))
    return select(dimension, *dims, *measures).group_by(sets)


def fetch_response_rows(
    session: Session, conditions: Sequence[ColumnElement[bool]], clock: BusinessClock, *, now: datetime
) -> tuple[bool, list[sa.RowMapping]]:
    """(aggregated, rows): group figures from PostgreSQL, or one facts row per request elsewhere."""
    facts = response_facts(conditions, clock, now=now, dialect=dialect_of(session))
    if aggregates_in_database(session):
        # For this transaction only: the percentiles sort every group's durations, and PostgreSQL's default
        # 4 MB of sort memory sends a quarter of a year of a province's requests to disk; and JIT compiling
        # this many expressions costs more than it saves (measured at a million requests).
        session.execute(sa.text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        session.execute(sa.text("SET LOCAL jit = off"))
        return True, list(session.execute(response_aggregates(facts)).mappings())
    return False, list(session.execute(select(*(facts.c[name] for name in FACT_COLUMNS))).mappings())


def fetch_fact_columns(
    session: Session, conditions: Sequence[ColumnElement[bool]], clock: BusinessClock, *, now: datetime
) -> dict[str, list[Any]]:
    """The facts rows as columns (`FACT_COLUMNS`), on either engine."""
    facts = response_facts(conditions, clock, now=now, dialect=dialect_of(session))
    rows = session.execute(select(*(facts.c[name] for name in FACT_COLUMNS))).all()
    columns = list(zip(*rows)) if rows else [() for _ in FACT_COLUMNS]
    return {name: list(values) for name, values in zip(FACT_COLUMNS, columns)}


def created_in(spans: Sequence[tuple[datetime, datetime]]) -> list[ColumnElement[bool]]:
    """Requests created in any [start, end) of `spans`: plain bounds for one span, so the index serves it."""
    created = col(Request.created_at)
    if len(spans) == 1:
        return [created >= spans[0][0], created < spans[0][1]]
    return [sa.or_(sa.false(), *(sa.and_(created >= start, created < end) for start, end in spans))]


def open_by_staff(session: Session, conditions: Sequence[ColumnElement[bool]]) -> list[sa.Row]:
    """(staff id, status, urgency, count) of requests someone holds now: a counselor's current load."""
    query = (
        select(Request.assigned_staff_id, Request.status, Request.urgency, func.count())
        .where(col(Request.status).in_(ASSIGNED_STATUSES), col(Request.assigned_staff_id).is_not(None), *conditions)
        .group_by(col(Request.assigned_staff_id), col(Request.status), col(Request.urgency))
    )
    return list(session.execute(query))


def unclaimed_by_queue(session: Session, conditions: Sequence[ColumnElement[bool]]) -> list[sa.Row]:
    """(queue code, urgency, count) of requests waiting for anyone to claim them."""
    query = (
        select(Request.queue_code, Request.urgency, func.count())
        .where(Request.status == RequestStatus.NEW, col(Request.merged_into_id).is_(None), *conditions)
        .group_by(Request.queue_code, Request.urgency)
    )
    return list(session.execute(query))


def upcoming_appointments(
    session: Session, conditions: Sequence[ColumnElement[bool]], *, start: datetime, end: datetime
) -> list[sa.Row]:
    """(staff id, count) of confirmed appointments starting in [start, end) on visible requests."""
    query = (
        select(Appointment.staff_id, func.count())
        .join(Request, col(Request.id) == col(Appointment.request_id))
        .where(
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            *conditions,
        )
        .group_by(col(Appointment.staff_id))
    )
    return list(session.execute(query))


def sightings_by_kecamatan(session: Session, conditions: Sequence[ColumnElement[bool]]) -> list[sa.Row]:
    """(region, kecamatan code, count) of sightings: where reports come from."""
    query = (
        select(Request.region, Request.kecamatan_code, func.count())
        .where(Request.kind == "sighting", col(Request.merged_into_id).is_(None), *conditions)
        .group_by(col(Request.region), col(Request.kecamatan_code))
    )
    return list(session.execute(query))


def sightings_by_month(
    session: Session, conditions: Sequence[ColumnElement[bool]], *, categories: Iterable[str], offset_s: int
) -> list[sa.Row]:
    """(local month 'YYYY-MM', region, category, count) of sightings of the given categories."""
    month = month_key(epoch_seconds(col(Request.created_at)) + offset_s).label("month")
    query = (
        select(month, Request.region, Request.category, func.count())
        .where(
            Request.kind == "sighting",
            col(Request.category).in_(list(categories)),
            col(Request.merged_into_id).is_(None),
            *conditions,
        )
        .group_by(month, col(Request.region), col(Request.category))
    )
    return list(session.execute(query))


def queue_counselors(session: Session, queue_codes: Iterable[str] | None) -> list[int]:
    """Active counselors working in any of these queues (None: any queue): who could take work."""
    query = (
        select(id_column(Staff))
        .join(StaffQueue, col(StaffQueue.staff_id) == col(Staff.id))
        .where(col(Staff.role) == "counselor", col(Staff.active).is_(True))
    )
    if queue_codes is not None:
        query = query.where(col(StaffQueue.queue_code).in_(sorted(queue_codes)))
    return sorted(set(session.exec(query)))
