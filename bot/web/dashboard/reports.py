"""Coordinator report pages: response times, workload, where sightings come from, service needs.

The figures come from `bot/metrics.py`; this module reads the filters, names the groups and lays out
the charts (inline SVG drawn by the templates from coordinates computed here), so a page works on an
office network without internet and without any script.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from bot.domain.pmks import PMKS_CATEGORIES
from bot.domain.regions import PROVINCE, REGION_CODES, load_regions
from bot.domain.sketches import RELATIVE_ACCURACY
from bot.metrics import (
    DIMENSIONS,
    Quantiles,
    ResponseFigures,
    ResponseReport,
    iso_week_label,
    kecamatan_grid,
    service_needs,
    utc_offset_seconds,
    workload,
)
from bot.runtime import Runtime
from bot.services import report_reads
from bot.services.access import may_export_personal
from bot.services.closed_weeks import StoredScope, ready_weeks, sketched_response_report
from bot.services.staff_directory import queue_codes
from bot.web.dashboard.deps import CurrentStaff, render, staff_text
from bot.web.dashboard.filters import RequestFilters, parse_request_filters, request_conditions, without_dates
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

#: Default ranges: twelve ISO weeks for response times and the map; a year of months for panti planning.
REPORT_WEEKS = 12
NEEDS_WEEKS = 52


def number(value: float | None, digits: int = 1) -> str:
    """Indonesian decimals ("1.234,5"); "-" where there is no value (no request had that duration)."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def duration(runtime: Runtime, hours: float | None) -> str:
    """ "35 menit" below an hour, "1,5 jam" from an hour on: an urgent claim in minutes must not read "0,0".

    The exports carry the same durations as whole minutes (exports.py), so a figure on the page and in the
    workbook never disagree by more than the page's rounding.
    """
    if hours is None:
        return "-"
    minutes = round(hours * 60)
    if minutes < 1:
        return staff_text(runtime, "dash_reports.under_a_minute")
    if minutes < 60:
        return staff_text(runtime, "dash_reports.in_minutes", minutes=str(minutes))
    return staff_text(runtime, "dash_reports.in_hours", hours=number(hours))


@dataclass(frozen=True)
class ChartSeries:
    name: str
    colour: str
    segments: list[str]  # SVG polyline points, one string per run of weeks with a value
    dots: list[tuple[float, float, str]]  # x, y, value as text (the tooltip)


@dataclass(frozen=True)
class Chart:
    """Coordinates of one inline SVG chart; `kind` is "line" or "bar"."""

    kind: str
    title: str
    unit: str
    height: int
    series: list[ChartSeries] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    bars: list[tuple[float, float, str, str]] = field(default_factory=list)  # y, width, label, value


CHART_WIDTH, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_HEIGHT = 640, 56, 628, 12, 180
BAR_LEFT, BAR_WIDTH, BAR_ROW = 250, 330, 26


def nice_ceiling(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten at or above the largest value."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 5, 10) if value <= m * magnitude)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    unit: str,
    y_max: float | None = None,
) -> Chart:
    """A line per series over evenly spaced x labels; gaps where a week has no value."""
    top = y_max or nice_ceiling(max((v for _, _, values in series for v in values if v is not None), default=0))
    step = (PLOT_RIGHT - PLOT_LEFT) / max(len(labels) - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return round(PLOT_LEFT + i * step, 1), round(PLOT_TOP + PLOT_HEIGHT * (1 - value / top), 1)

    drawn = []
    for name, colour, values in series:
        segments: list[str] = []
        run: list[str] = []
        dots: list[tuple[float, float, str]] = []
        for i, value in enumerate(values):
            if value is None:
                segments, run = segments + ([" ".join(run)] if run else []), []
                continue
            x, y = point(i, value)
            run.append(f"{x},{y}")
            dots.append((x, y, number(value)))
        drawn.append(ChartSeries(name, colour, segments + ([" ".join(run)] if run else []), dots))
    every = max(1, math.ceil(len(labels) / 8))
    x_labels = [(point(i, 0)[0], label) for i, label in enumerate(labels) if i % every == 0]
    y_ticks = [(point(0, top * f)[1], number(top * f, 0 if top >= 10 else 1)) for f in (0, 0.5, 1)]
    return Chart("line", title, unit, PLOT_TOP + PLOT_HEIGHT + 40, drawn, x_labels, y_ticks)


def bar_chart(title: str, items: Sequence[tuple[str, float | None]], *, unit: str) -> Chart:
    """Horizontal bars, one per item, scaled to the largest value."""
    top = nice_ceiling(max((v for _, v in items if v is not None), default=0))
    bars = [
        (i * BAR_ROW + 8.0, round(BAR_WIDTH * (value or 0) / top, 1), label, number(value))
        for i, (label, value) in enumerate(items)
    ]
    return Chart("bar", title, unit, len(items) * BAR_ROW + 16, bars=bars)


def local_today(runtime: Runtime) -> date:
    return datetime.now(UTC).astimezone(runtime.settings.tz).date()


def parse_filters(params: object, runtime: Runtime, weeks: int | None) -> RequestFilters:
    return parse_request_filters(params, today=local_today(runtime), default_weeks=weeks)  # type: ignore[arg-type]


def build_response_report(
    session: Session,
    runtime: Runtime,
    filters: RequestFilters,
    queues: frozenset[str] | None,
    now: datetime,
    *,
    stored_weeks: Sequence[date] = (),
) -> ResponseReport:
    """The response-time report of these filters within these queues (pages, exports and API share it).

    `stored_weeks` (from `report_weeks`): closed weeks read from stored sketches (bot/services/closed_weeks.py),
    their percentiles marked approximate; only the page passes them, exports and the API stay exact.
    """
    conditions = request_conditions(filters, visible_queues=queues, tz=runtime.settings.tz)
    assert filters.date_from is not None and filters.date_to is not None, "reports always have a range"
    return sketched_response_report(
        session,
        conditions,
        stored_scope(filters, queues),
        stored_weeks,
        calendar=runtime.routing.calendar,
        date_from=filters.date_from,
        date_to=filters.date_to,
        now=now,
    )


def report_weeks(runtime: Runtime, filters: RequestFilters, now: datetime) -> list[date]:
    """Closed weeks of the range the page may read from stored sketches (computing those not yet stored)."""
    if stored_scope(filters, None) is None or filters.date_from is None or filters.date_to is None:
        return []
    return ready_weeks(
        runtime.db, calendar=runtime.routing.calendar, date_from=filters.date_from, date_to=filters.date_to, now=now
    )


#: Filters that stored sketches cannot apply (they keep queue and region only): with one, the report is exact.
UNSKETCHED_FILTERS: tuple[str, ...] = ("kind", "category", "topic", "status", "urgency")


def stored_scope(filters: RequestFilters, queues: frozenset[str] | None) -> StoredScope | None:
    """What stored sketches must be narrowed to for these filters; None when they cannot express them."""
    if any(getattr(filters, name) is not None for name in UNSKETCHED_FILTERS):
        return None
    if filters.queue is not None:
        queues = frozenset({filters.queue}) & queues if queues is not None else frozenset({filters.queue})
    unknown = filters.region == PROVINCE
    return StoredScope(queues, None if unknown else filters.region, unknown)


def region_name(runtime: Runtime, code: str | None) -> str:
    if code is None or code == PROVINCE:
        return staff_text(runtime, "dash_reports.region_unknown")
    return load_regions().region(code).name if code in REGION_CODES else code


def subject_name(runtime: Runtime, code: str | None) -> str:
    if code is None:
        return "-"
    return staff_text(runtime, f"pmks.{code}" if code in PMKS_CATEGORIES else f"topic.{code}")


@dataclass
class GroupNames:
    """Readable names for the keys of a report's groups (queue codes, staff ids, regions, weeks)."""

    runtime: Runtime
    queues: dict[str, str]
    staff: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, runtime: Runtime, staff_ids: list[int]) -> GroupNames:
        return cls(runtime, report_reads.queue_names(session), report_reads.staff_names(session, staff_ids))

    def label(self, dimension: str, key: Any) -> str:
        if dimension == "queue":
            return self.queues.get(str(key), str(key))
        if dimension == "region":
            return region_name(self.runtime, key)
        if dimension == "counselor":
            return staff_text(self.runtime, "dash_reports.unassigned") if key is None else self.staff.get(key, str(key))
        if dimension == "subject":
            return subject_name(self.runtime, key)
        return f"{iso_week_label(key)} ({key:%d-%m})" if isinstance(key, date) else str(key)


def labelled_groups(report: ResponseReport, names: GroupNames, dimension: str) -> list[tuple[str, ResponseFigures]]:
    """(name, figures) of one dimension: weeks in order, everything else alphabetically by name."""
    rows = [(names.label(dimension, key), figures) for key, figures in report.groups[dimension]]
    return rows if dimension == "week" else sorted(rows, key=lambda row: row[0].casefold())


def report_names(session: Session, runtime: Runtime, report: ResponseReport) -> GroupNames:
    return GroupNames.load(session, runtime, [key for key, _ in report.groups["counselor"] if key is not None])


def filter_options(
    session: Session, runtime: Runtime, queues: frozenset[str] | None
) -> dict[str, list[tuple[str, str]]]:
    """Queues the staff member may pick (their visible ones) and every region."""
    names = report_reads.queue_names(session)
    codes = sorted(queues if queues is not None else queue_codes(session))
    regions = [(code, region_name(runtime, code)) for code in (*REGION_CODES, PROVINCE)]
    return {"queues": [(code, names.get(code, code)) for code in codes], "regions": regions}


def shown_queues(session: Session, visible: frozenset[str] | None, filters: RequestFilters) -> set[str] | None:
    """The queues a page is about: the visible ones, narrowed by the queue and region filters."""
    queues = set(visible) if visible is not None else None
    if filters.queue is not None:
        queues = {filters.queue} & queues if queues is not None else {filters.queue}
    if filters.region is not None:
        in_region = queue_codes(session, region=filters.region)
        queues = queues & in_region if queues is not None else in_region
    return queues


def _time_scale(runtime: Runtime, values: Sequence[float | None]) -> tuple[float, str]:
    """A chart of durations in minutes when every value is under an hour (urgent claims), else in hours."""
    if max((v for v in values if v is not None), default=0) < 1:
        return 60.0, staff_text(runtime, "dash_reports.unit_minutes")
    return 1.0, staff_text(runtime, "dash_reports.unit_hours")


def _scaled(values: Sequence[float | None], factor: float) -> list[float | None]:
    return [None if v is None else v * factor for v in values]


def _metrics_charts(runtime: Runtime, report: ResponseReport, names: GroupNames) -> list:
    trend = report.trend()
    labels = [iso_week_label(monday) for monday, _ in trend]
    medians, p90s = [f.claim.median for _, f in trend], [f.claim.p90 for _, f in trend]
    factor, unit = _time_scale(runtime, medians + p90s)
    claim_chart = line_chart(
        staff_text(runtime, "dash_reports.chart_claim_trend"),
        labels,
        [
            (staff_text(runtime, "dash_reports.median"), "#0b5cad", _scaled(medians, factor)),
            (staff_text(runtime, "dash_reports.p90"), "#b3261e", _scaled(p90s, factor)),
        ],
        unit=unit,
    )
    sla_chart = line_chart(
        staff_text(runtime, "dash_reports.chart_sla_trend"),
        labels,
        [
            (staff_text(runtime, "dash_reports.sla_claim"), "#1e7a34", [f.claim_sla.percent for _, f in trend]),
            (staff_text(runtime, "dash_reports.sla_contact"), "#8a5a00", [f.contact_sla.percent for _, f in trend]),
        ],
        unit="%",
        y_max=100.0,
    )
    by_queue = [(names.label("queue", key), f.claim.median) for key, f in report.groups["queue"]]
    factor, unit = _time_scale(runtime, [value for _, value in by_queue])
    queue_chart = bar_chart(
        staff_text(runtime, "dash_reports.chart_claim_by_queue"),
        list(zip([label for label, _ in by_queue], _scaled([v for _, v in by_queue], factor))),
        unit=unit,
    )
    return [claim_chart, sla_chart, queue_chart]


def quantiles_of(figures: ResponseFigures) -> tuple[Quantiles, ...]:
    return (
        figures.claim,
        figures.contact,
        figures.resolution,
        figures.claim_business,
        figures.contact_business,
        figures.resolution_business,
    )


@router.get("/dashboard/metrics")
def metrics_page(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Median and p90 response times and SLA compliance by queue, region, counselor, subject and week."""
    filters = parse_filters(request.query_params, runtime, REPORT_WEEKS)
    now = datetime.now(UTC)
    stored = report_weeks(runtime, filters, now)
    with Session(runtime.db) as session:
        report = build_response_report(session, runtime, filters, staff.queues, now, stored_weeks=stored)
        names = report_names(session, runtime, report)
        options = filter_options(session, runtime, staff.queues)
    sections = [(dimension, labelled_groups(report, names, dimension)) for dimension in DIMENSIONS]
    return render(
        runtime,
        request,
        "dashboard/report_metrics.html",
        {
            "staff": staff,
            "filters": filters,
            "options": options,
            "report": report,
            "sections": sections,
            "charts": _metrics_charts(runtime, report, names),
            "fmt": number,
            "query": filters.query_string(),
            "duration": lambda hours: duration(runtime, hours),
            "personal_exports": may_export_personal(staff),
            "approximate": any(q.approximate for _, rows in sections for _, f in rows for q in quantiles_of(f)),
            "accuracy": number(RELATIVE_ACCURACY * 100, 0),
        },
    )


@router.get("/dashboard/workload")
def workload_page(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Open, claimed and in-progress requests and the next week's appointments per counselor, now."""
    filters = without_dates(parse_filters(request.query_params, runtime, None))
    conditions = request_conditions(filters, visible_queues=staff.queues, tz=runtime.settings.tz)
    with Session(runtime.db) as session:
        members = report_reads.queue_counselors(session, shown_queues(session, staff.queues, filters))
        load = workload(session, conditions, now=datetime.now(UTC), members=members)
        names = GroupNames.load(session, runtime, [c.staff_id for c in load.counselors])
        options = filter_options(session, runtime, staff.queues)
    return render(
        runtime,
        request,
        "dashboard/report_workload.html",
        {
            "staff": staff,
            "filters": filters,
            "options": options,
            "load": load,
            "names": names,
            "fmt": number,
        },
    )


@router.get("/dashboard/map")
def map_page(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Sightings per kecamatan as a heat grid: where reports come from, without map tiles."""
    filters = parse_filters(request.query_params, runtime, REPORT_WEEKS)
    conditions = request_conditions(filters, visible_queues=staff.queues, tz=runtime.settings.tz)
    with Session(runtime.db) as session:
        grid = kecamatan_grid(session, conditions, load_regions())
        options = filter_options(session, runtime, staff.queues)
    # Every region, zeros too, for a province-wide view; otherwise only where reports came from.
    everything = staff.queues is None and filters.region is None and filters.queue is None
    rows = [
        (region_name(runtime, code), cells, total)
        for code, cells in grid
        if (total := sum(c.count for c in cells)) or (everything and code != PROVINCE)
    ]
    busiest = sorted(
        ((cell, name) for name, cells, _ in rows for cell in cells if cell.count and cell.code),
        key=lambda pair: -pair[0].count,
    )[:15]
    return render(
        runtime,
        request,
        "dashboard/report_map.html",
        {
            "staff": staff,
            "filters": filters,
            "options": options,
            "rows": rows,
            "busiest": busiest,
        },
    )


@router.get("/dashboard/needs")
def needs_page(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Monthly sightings of the panti categories per kabupaten/kota, for planning panti capacity."""
    filters = parse_filters(request.query_params, runtime, NEEDS_WEEKS)
    conditions = request_conditions(filters, visible_queues=staff.queues, tz=runtime.settings.tz)
    with Session(runtime.db) as session:
        needs = service_needs(
            session, conditions, offset_s=utc_offset_seconds(runtime.routing.calendar, datetime.now(UTC))
        )
        options = filter_options(session, runtime, staff.queues)
    rows = [
        (month, region_name(runtime, region), counts, sum(counts.values()))
        for (month, region), counts in needs.counts.items()
    ]
    totals = {category: sum(counts[category] for _, _, counts, _ in rows) for category in needs.categories}
    return render(
        runtime,
        request,
        "dashboard/report_needs.html",
        {
            "staff": staff,
            "filters": filters,
            "options": options,
            "needs": needs,
            "rows": rows,
            "totals": totals,
        },
    )
