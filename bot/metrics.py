"""Coordinator figures: response times, SLA compliance, workload, where sightings come from, panti needs.

Definitions (shown on the dashboard page too; the SQL lives in `storage/report_queries.py`):

- Population: requests created in the date range (WIB dates, both ends included) in the staff member's
  visible queues, after the queue/region filters; requests merged into another one are left out.
- Time to claim: from the "created" event to the FIRST status event to "claimed" (a claim that lapsed
  and was claimed again still counts from the first claim).
- Time to first contact: from "created" to the first "first_contact" event: when the counselor's first
  message reached the citizen (bot/services/first_contact.py), not when it was written, or a call recorded.
- Time to resolution: from "created" to the LAST closing status event (resolved, referred, unreachable,
  cancelled), only for requests whose latest status event is a closing one. A reopened request counts as
  open (no resolution time) until it is closed again, and then counts to that later closing.
- Durations are reported in clock hours for every request and, for normal requests, in business hours
  (the routing file's office hours without weekends and Indonesian public holidays), the unit their SLA
  is promised in. Urgent requests run around the clock, so they have no business-hours figure.
- Median and 90th percentile: continuous percentiles (PostgreSQL `percentile_cont`, linear interpolation
  between neighbouring values), over the requests that have the duration.
- SLA compliance (claim, first contact): on-time / counted, where a request counts once it has the event
  (on time when at or before its `claim_due_at` / `first_contact_due_at`, set at submission), or once its
  deadline passed without the event (late). Requests still within their deadline, and requests closed
  before the deadline without the event, are not counted.
- Groups: queue = the queue the request is in now; kabupaten/kota = the request's region (unknown regions
  together); counselor = the staff member it is assigned to now (or was when it closed); category/topic;
  ISO week (Monday-Sunday, WIB) of creation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from bot.domain.pmks import PANTI_CATEGORIES
from bot.domain.regions import PROVINCE, RegionCatalog
from bot.domain.statuses import RequestStatus
from bot.sla import BusinessCalendar
from storage import report_queries as rq

EPOCH = date(1970, 1, 1)
#: Report dimensions as the pages and the API name them, with the facts column behind each.
DIMENSIONS: dict[str, str] = {
    "queue": "queue_code",
    "region": "region",
    "counselor": "staff_id",
    "subject": "subject",
    "week": "week",
}
UPCOMING_APPOINTMENTS = timedelta(days=7)
#: A facts row (or an aggregated one) as the database returns it, or as tests write it.
Fact = Mapping[str, Any] | RowMapping


@dataclass(frozen=True, slots=True)
class Quantiles:
    """Median and 90th percentile of one duration in hours, over the `count` requests that have it.

    `approximate`: read from stored sketches of closed weeks (bot/services/closed_weeks.py), within
    `bot.domain.sketches.RELATIVE_ACCURACY` of the exact figure; the count stays exact.
    """

    median: float | None
    p90: float | None
    count: int
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class Compliance:
    """Requests that met an SLA deadline out of those the deadline has been decided for."""

    on_time: int
    counted: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.on_time / self.counted if self.counted else None


@dataclass(frozen=True, slots=True)
class ResponseFigures:
    """Every response-time figure of one group of requests."""

    requests: int
    claim: Quantiles
    contact: Quantiles
    resolution: Quantiles
    claim_business: Quantiles
    contact_business: Quantiles
    resolution_business: Quantiles
    claim_sla: Compliance
    contact_sla: Compliance


#: Figure attribute -> facts column, in the order tables show them.
MEASURES: dict[str, str] = {
    "claim": "claim_s",
    "contact": "contact_s",
    "resolution": "resolve_s",
    "claim_business": "claim_bs",
    "contact_business": "contact_bs",
    "resolution_business": "resolve_bs",
}


@dataclass(frozen=True)
class ResponseReport:
    """The response-time report of one filter: totals, each dimension's groups, and the weekly trend."""

    date_from: date
    date_to: date
    overall: ResponseFigures
    groups: Mapping[str, Sequence[tuple[Any, ResponseFigures]]]

    def trend(self) -> list[tuple[date, ResponseFigures]]:
        """One entry per ISO week of the range, empty weeks included, so a chart's x axis is even."""
        by_week = dict(self.groups.get("week", ()))
        week = monday_of(self.date_from)
        weeks = []
        while week <= self.date_to:
            weeks.append((week, by_week.get(week, EMPTY_FIGURES)))
            week += timedelta(weeks=1)
        return weeks


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's `percentile_cont` on sorted values: linear interpolation at (n - 1) * fraction."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds) / 3600.0


def figures_from_summary(summary: Fact) -> ResponseFigures:
    """Build figures from one summary row (seconds), as PostgreSQL or `summarise_facts` produce it.

    A summary with a true "approximate" entry has its percentiles from sketches (bot/services/closed_weeks.py).
    """
    approximate = bool(summary.get("approximate", False))
    quantiles = {
        attribute: Quantiles(
            _hours(summary[f"{column}_p50"]), _hours(summary[f"{column}_p90"]), int(summary[f"{column}_n"]), approximate
        )
        for attribute, column in MEASURES.items()
    }
    return ResponseFigures(
        requests=int(summary["requests"]),
        **quantiles,
        claim_sla=Compliance(int(summary["claim_ok_sum"]), int(summary["claim_ok_n"])),
        contact_sla=Compliance(int(summary["contact_ok_sum"]), int(summary["contact_ok_n"])),
    )


def summarise_facts(facts: Sequence[Fact]) -> dict[str, Any]:
    """What `response_aggregates` computes in SQL, for one group of facts rows, in Python."""
    summary: dict[str, Any] = {"requests": len(facts)}
    for column in MEASURES.values():
        values = sorted(float(row[column]) for row in facts if row[column] is not None)
        summary |= {
            f"{column}_p50": percentile_cont(values, 0.5),
            f"{column}_p90": percentile_cont(values, 0.9),
            f"{column}_n": len(values),
        }
    for flag in ("claim_ok", "contact_ok"):
        flags = [int(row[flag]) for row in facts if row[flag] is not None]
        summary |= {f"{flag}_sum": sum(flags), f"{flag}_n": len(flags)}
    return summary


def _group_facts(facts: Iterable[Fact]) -> dict[tuple[str, Any], list[Fact]]:
    groups: dict[tuple[str, Any], list[Fact]] = defaultdict(list)
    for row in facts:
        groups[("all", None)].append(row)
        for column in DIMENSIONS.values():
            groups[(column, row[column])].append(row)
    return groups


EMPTY_FIGURES = figures_from_summary(summarise_facts([]))


def report_from_summaries(date_from: date, date_to: date, summaries: Iterable[tuple[str, Any, Fact]]) -> ResponseReport:
    """Arrange (facts column, key, summary) triples into a report keyed by dimension names."""
    names = {column: name for name, column in DIMENSIONS.items()}
    overall = EMPTY_FIGURES
    groups: dict[str, list[tuple[Any, ResponseFigures]]] = {name: [] for name in DIMENSIONS}
    for column, stored_key, summary in summaries:
        if column == "all":
            overall = figures_from_summary(summary)
            continue
        key = EPOCH + timedelta(days=int(stored_key)) if column == "week" and stored_key is not None else stored_key
        groups[names[column]].append((key, figures_from_summary(summary)))
    for rows in groups.values():
        rows.sort(key=lambda pair: (pair[0] is None, str(pair[0])))
    return ResponseReport(date_from, date_to, overall, groups)


def response_report(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    *,
    calendar: BusinessCalendar,
    date_from: date,
    date_to: date,
    now: datetime,
) -> ResponseReport:
    """Run the response-time report: aggregated by PostgreSQL, or summarised here from facts rows."""
    clock = report_clock(calendar, date_from, date_to, now)
    aggregated, rows = rq.fetch_response_rows(session, conditions, clock, now=now)
    if aggregated:
        triples = (
            (row["dimension"], row[row["dimension"]] if row["dimension"] != "all" else None, row) for row in rows
        )
        return report_from_summaries(date_from, date_to, triples)
    grouped = _group_facts(rows)
    return report_from_summaries(
        date_from, date_to, ((column, key, summarise_facts(facts)) for (column, key), facts in grouped.items())
    )


def report_clock(calendar: BusinessCalendar, date_from: date, date_to: date, now: datetime) -> rq.BusinessClock:
    """The business clock for requests created from `date_from` to `date_to`, whose events reach up to now."""
    last_day = max(date_to, now.astimezone(calendar.tz).date()) + timedelta(days=1)
    return business_clock(calendar, date_from - timedelta(days=1), last_day)


def business_clock(calendar: BusinessCalendar, first: date, last: date) -> rq.BusinessClock:
    """The calendar as SQL needs it: each local day from `first` to `last` with the open time before it.

    The zone's UTC offset is taken as fixed, true for WIB, WITA and WIT (no daylight saving time).
    """
    offset = calendar.tz.utcoffset(datetime.combine(first, time(12)))
    if offset is None:  # a ZoneInfo always has one; a bare tzinfo may not
        raise ValueError(f"time zone {calendar.tz} gives no UTC offset")
    start = calendar.start.hour * 3600 + calendar.start.minute * 60 + calendar.start.second
    day_seconds = round(calendar.business_day_hours * 3600)
    rows, base, day = [], 0, first
    while day <= last:
        is_open = calendar.is_business_day(day)
        rows.append(((day - EPOCH).days, base, int(is_open)))
        base += day_seconds if is_open else 0
        day += timedelta(days=1)
    return rq.BusinessClock(offset_s=int(offset.total_seconds()), start_s=start, day_s=day_seconds, days=tuple(rows))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class CounselorLoad:
    """What one counselor holds now: requests claimed (no contact yet), in progress, urgent, appointments."""

    staff_id: int
    claimed: int
    in_progress: int
    urgent: int
    upcoming_appointments: int

    @property
    def open(self) -> int:
        return self.claimed + self.in_progress


@dataclass(frozen=True)
class Workload:
    counselors: list[CounselorLoad]
    unclaimed: dict[str, tuple[int, int]]  # queue code -> (all, urgent) waiting for a claim


def workload(
    session: Session, conditions: Sequence[ColumnElement[bool]], *, now: datetime, members: Iterable[int] = ()
) -> Workload:
    """Current load per counselor (mutable columns are right here: this is the present, not a history).

    `members` (the counselors of the shown queues) are listed even when they hold nothing: who is free.
    """
    loads: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for staff_id in members:
        loads[staff_id][RequestStatus.CLAIMED] += 0
    for staff_id, status, urgency, count in rq.open_by_staff(session, conditions):
        loads[staff_id][status] += count
        loads[staff_id]["urgent"] += count if urgency == "urgent" else 0
    for staff_id, count in rq.upcoming_appointments(session, conditions, start=now, end=now + UPCOMING_APPOINTMENTS):
        loads[staff_id]["appointments"] += count
    counselors = [
        CounselorLoad(
            staff_id, load[RequestStatus.CLAIMED], load[RequestStatus.IN_PROGRESS], load["urgent"], load["appointments"]
        )
        for staff_id, load in loads.items()
    ]
    counselors.sort(key=lambda c: (-c.open, -c.upcoming_appointments, c.staff_id))
    unclaimed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for queue, urgency, count in rq.unclaimed_by_queue(session, conditions):
        unclaimed[queue][0] += count
        unclaimed[queue][1] += count if urgency == "urgent" else 0
    return Workload(counselors, {queue: (a, u) for queue, (a, u) in sorted(unclaimed.items())})


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One kecamatan (code None: reports without a known kecamatan) with its count and shade 0-5."""

    code: str | None
    name: str
    count: int
    level: int


def heat_level(count: int, highest: int) -> int:
    """0 for none, else 1-5 in equal steps of the busiest kecamatan's count."""
    return 0 if count <= 0 or highest <= 0 else max(1, math.ceil(5 * count / highest))


def kecamatan_grid(
    session: Session, conditions: Sequence[ColumnElement[bool]], regions: RegionCatalog
) -> list[tuple[str, list[HeatCell]]]:
    """Sightings per kecamatan, every kecamatan of Banten listed (zeros too), grouped by kabupaten/kota.

    Each region ends with a cell for its sightings without a known kecamatan; sightings without a known
    region come last under PROVINCE. Shades scale to the busiest named kecamatan.
    """
    counts: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for region, kecamatan, count in rq.sightings_by_kecamatan(session, conditions):
        counts[(region, kecamatan)] += count
    highest = max((n for (_, kecamatan), n in counts.items() if kecamatan), default=0)

    def cell(code: str | None, name: str, count: int) -> HeatCell:
        return HeatCell(code, name, count, heat_level(count, highest))

    grid = []
    for region in regions.regions:
        known = {k.code for k in region.kecamatan}
        rest = sum(n for (r, k), n in counts.items() if r == region.code and k not in known)
        cells = [cell(k.code, k.name, counts.get((region.code, k.code), 0)) for k in region.kecamatan]
        grid.append((region.code, [*cells, cell(None, "-", rest)]))
    codes = {region.code for region in regions.regions}
    grid.append((PROVINCE, [cell(None, "-", sum(n for (r, _), n in counts.items() if r not in codes))]))
    return grid


@dataclass(frozen=True)
class ServiceNeeds:
    """Sightings of panti categories per local month and region: {(month, region): {category: count}}."""

    months: list[str]
    categories: tuple[str, ...]
    counts: dict[tuple[str, str], dict[str, int]]


def service_needs(session: Session, conditions: Sequence[ColumnElement[bool]], *, offset_s: int) -> ServiceNeeds:
    """Counts that let the province plan panti sosial places from what citizens report."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(PANTI_CATEGORIES, 0))
    for month, region, category, count in rq.sightings_by_month(
        session, conditions, categories=PANTI_CATEGORIES, offset_s=offset_s
    ):
        counts[(month, region or PROVINCE)][category] += count
    months = sorted({month for month, _ in counts})
    return ServiceNeeds(months, PANTI_CATEGORIES, dict(sorted(counts.items())))


def utc_offset_seconds(calendar: BusinessCalendar, now: datetime) -> int:
    offset = now.astimezone(calendar.tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0
