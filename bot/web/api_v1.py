"""Read-only JSON API `/api/v1`: the dashboard's figures for the province's own systems.

Token authentication (`Authorization: Bearer <token>`, tokens from `python -m bot token create`), figures
only: counts, durations and percentages, never a citizen's data. A token limited to a region sees that
kabupaten/kota's queues, like its coordinator. Documented in the OpenAPI schema at /docs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlmodel import Session

from bot.domain.regions import load_regions
from bot.metrics import (
    Compliance,
    Quantiles,
    ResponseFigures,
    kecamatan_grid,
    service_needs,
    utc_offset_seconds,
    workload,
)
from bot.runtime import Runtime
from bot.services import report_reads
from bot.services.api_tokens import active_token
from bot.services.staff_directory import queue_codes
from bot.web.dashboard.filters import EARLIEST_DAY, LATEST_DAY, RequestFilters, request_conditions, without_dates
from bot.web.dashboard.reports import (
    DIMENSIONS,
    NEEDS_WEEKS,
    REPORT_WEEKS,
    GroupNames,
    build_response_report,
    parse_filters,
    region_name,
    report_names,
    shown_queues,
)
from bot.web.deps import RuntimeDep

_bearer = HTTPBearer(
    auto_error=False, description="API token made on the server with `python -m bot token create --name NAME`."
)


def _token_queues(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)], runtime: RuntimeDep
) -> frozenset[str] | None:
    """The queues the presented token may see (None: all); 401 without a valid, unrevoked token."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise HTTPException(401, "Missing API token.", headers={"WWW-Authenticate": "Bearer"})
    with Session(runtime.db) as session:
        token = active_token(session, credentials.credentials)
        if token is None:
            raise HTTPException(401, "Invalid or revoked API token.", headers={"WWW-Authenticate": "Bearer"})
        return None if token.region is None else frozenset(queue_codes(session, region=token.region))


TokenQueues = Annotated[frozenset[str] | None, Depends(_token_queues)]
router = APIRouter(
    prefix="/api/v1", tags=["Laporan / reports"], responses={401: {"description": "No valid API token."}}
)


class QuantilesOut(BaseModel):
    median_hours: float | None = Field(description="Median duration in hours (null when no request has it).")
    p90_hours: float | None = Field(description="90th percentile in hours (continuous, as PostgreSQL percentile_cont).")
    requests: int = Field(description="Requests that have this duration (the percentiles are over these).")


class ComplianceOut(BaseModel):
    on_time: int = Field(description="Requests that got the event at or before their deadline.")
    counted: int = Field(description="Requests with the event, or whose deadline passed without it.")
    percent: float | None = Field(description="on_time / counted * 100; null when nothing is counted yet.")


class FiguresOut(BaseModel):
    requests: int = Field(description="Requests created in the range in this group.")
    time_to_claim: QuantilesOut = Field(description="Creation to the first claim, clock hours.")
    time_to_first_contact: QuantilesOut = Field(
        description="Creation to the first contact with the citizen, clock hours."
    )
    time_to_resolution: QuantilesOut = Field(
        description="Creation to the last closing, for requests closed now (a reopened one is open), clock hours."
    )
    time_to_claim_business: QuantilesOut = Field(
        description="As time_to_claim, in business hours, normal requests only."
    )
    time_to_first_contact_business: QuantilesOut = Field(
        description="As time_to_first_contact, in business hours, normal requests only."
    )
    time_to_resolution_business: QuantilesOut = Field(
        description="As time_to_resolution, in business hours, normal requests only."
    )
    claim_sla: ComplianceOut = Field(description="Claimed by the claim deadline set at submission.")
    first_contact_sla: ComplianceOut = Field(
        description="First contact by the first-contact deadline set at submission."
    )


class GroupOut(BaseModel):
    key: str | None = Field(
        description="Code of the group: queue code, region code, staff id, category or topic "
        "code, or the Monday (YYYY-MM-DD) of an ISO week; null for 'unknown'."
    )
    label: str = Field(description="Readable name of the group (Indonesian).")
    figures: FiguresOut


class MetricsOut(BaseModel):
    date_from: date = Field(description="First day of the range (WIB), included.")
    date_to: date = Field(description="Last day of the range (WIB), included.")
    overall: FiguresOut = Field(description="All requests of the range and filters.")
    groups: dict[str, list[GroupOut]] = Field(
        description="By dimension: queue, region, counselor, subject (category or topic), week."
    )


class CounselorLoadOut(BaseModel):
    staff_id: int = Field(description="Staff account id.")
    name: str = Field(description="Display name of the counselor.")
    claimed: int = Field(description="Requests claimed, no first contact yet.")
    in_progress: int = Field(description="Requests in progress.")
    urgent: int = Field(description="Of those, urgent ones.")
    upcoming_appointments: int = Field(description="Confirmed appointments in the next 7 days.")


class QueueWaitingOut(BaseModel):
    queue: str = Field(description="Queue code.")
    waiting: int = Field(description="Requests nobody has claimed yet.")
    urgent: int = Field(description="Of those, urgent ones.")


class WorkloadOut(BaseModel):
    counselors: list[CounselorLoadOut]
    unclaimed: list[QueueWaitingOut]


class NeedsRowOut(BaseModel):
    month: str = Field(description="Month of the reports, YYYY-MM (WIB).")
    region: str = Field(description="Kabupaten/kota code, or 'provinsi' when the citizen did not know it.")
    region_name: str
    counts: dict[str, int] = Field(description="Sightings per panti category code.")


class NeedsOut(BaseModel):
    categories: list[str] = Field(description="Categories that need a place in a panti sosial.")
    rows: list[NeedsRowOut]


class KecamatanOut(BaseModel):
    region: str = Field(description="Kabupaten/kota code, or 'provinsi' for sightings without a known region.")
    kecamatan: str | None = Field(description="Kecamatan code (areaid), null when not given.")
    name: str
    sightings: int


def _quantiles(q: Quantiles) -> QuantilesOut:
    return QuantilesOut(median_hours=q.median, p90_hours=q.p90, requests=q.count)


def _compliance(c: Compliance) -> ComplianceOut:
    return ComplianceOut(on_time=c.on_time, counted=c.counted, percent=c.percent)


def _figures(f: ResponseFigures) -> FiguresOut:
    return FiguresOut(
        requests=f.requests,
        time_to_claim=_quantiles(f.claim),
        time_to_first_contact=_quantiles(f.contact),
        time_to_resolution=_quantiles(f.resolution),
        time_to_claim_business=_quantiles(f.claim_business),
        time_to_first_contact_business=_quantiles(f.contact_business),
        time_to_resolution_business=_quantiles(f.resolution_business),
        claim_sla=_compliance(f.claim_sla),
        first_contact_sla=_compliance(f.contact_sla),
    )


def _filters(runtime: Runtime, weeks: int | None, **params: object) -> RequestFilters:
    given = {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items() if value}
    return parse_filters(given, runtime, weeks)


DateFrom = Annotated[
    date | None,
    Query(description="First day (WIB), default: Monday 11 weeks before this week.", ge=EARLIEST_DAY, le=LATEST_DAY),
]
DateTo = Annotated[
    date | None, Query(description="Last day (WIB), included; default today.", ge=EARLIEST_DAY, le=LATEST_DAY)
]
QueueParam = Annotated[str | None, Query(description="Queue code, e.g. lk3-kota-serang.")]
RegionParam = Annotated[str | None, Query(description="Kabupaten/kota code, or 'provinsi' for unknown regions.")]


@router.get("/metrics", response_model=MetricsOut, summary="Response times and SLA compliance")
def metrics(
    runtime: RuntimeDep,
    queues: TokenQueues,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    queue: QueueParam = None,
    region: RegionParam = None,
) -> MetricsOut:
    """Median and 90th percentile of time to claim, first contact and resolution, and SLA compliance."""
    filters = _filters(runtime, REPORT_WEEKS, date_from=date_from, date_to=date_to, queue=queue, region=region)
    with Session(runtime.db) as session:
        report = build_response_report(session, runtime, filters, queues, datetime.now(UTC))
        names = report_names(session, runtime, report)
    groups = {
        dimension: [
            GroupOut(
                key=None if key is None else str(key), label=names.label(dimension, key), figures=_figures(figures)
            )
            for key, figures in report.groups[dimension]
        ]
        for dimension in DIMENSIONS
    }
    return MetricsOut(
        date_from=report.date_from, date_to=report.date_to, overall=_figures(report.overall), groups=groups
    )


@router.get("/workload", response_model=WorkloadOut, summary="Current load per counselor")
def workload_now(
    runtime: RuntimeDep, queues: TokenQueues, queue: QueueParam = None, region: RegionParam = None
) -> WorkloadOut:
    """Requests each counselor holds now, appointments of the next 7 days, and unclaimed requests per queue."""
    filters = without_dates(_filters(runtime, None, queue=queue, region=region))
    conditions = request_conditions(filters, visible_queues=queues, tz=runtime.settings.tz)
    with Session(runtime.db) as session:
        members = report_reads.queue_counselors(session, shown_queues(session, queues, filters))
        load = workload(session, conditions, now=datetime.now(UTC), members=members)
        names = GroupNames.load(session, runtime, [c.staff_id for c in load.counselors])
    return WorkloadOut(
        counselors=[
            CounselorLoadOut(
                staff_id=c.staff_id,
                name=names.label("counselor", c.staff_id),
                claimed=c.claimed,
                in_progress=c.in_progress,
                urgent=c.urgent,
                upcoming_appointments=c.upcoming_appointments,
            )
            for c in load.counselors
        ],
        unclaimed=[
            QueueWaitingOut(queue=code, waiting=waiting, urgent=urgent)
            for code, (waiting, urgent) in load.unclaimed.items()
        ],
    )


@router.get("/needs", response_model=NeedsOut, summary="Panti service needs per month and region")
def needs(
    runtime: RuntimeDep,
    queues: TokenQueues,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    region: RegionParam = None,
) -> NeedsOut:
    """Sightings of the categories that need a panti place, per month and kabupaten/kota (default: a year)."""
    filters = _filters(runtime, NEEDS_WEEKS, date_from=date_from, date_to=date_to, region=region)
    conditions = request_conditions(filters, visible_queues=queues, tz=runtime.settings.tz)
    with Session(runtime.db) as session:
        result = service_needs(
            session, conditions, offset_s=utc_offset_seconds(runtime.routing.calendar, datetime.now(UTC))
        )
    rows = [
        NeedsRowOut(month=month, region=code, region_name=region_name(runtime, code), counts=counts)
        for (month, code), counts in result.counts.items()
    ]
    return NeedsOut(categories=list(result.categories), rows=rows)


@router.get("/sightings", response_model=list[KecamatanOut], summary="Sightings per kecamatan")
def sightings(
    runtime: RuntimeDep,
    queues: TokenQueues,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    region: RegionParam = None,
) -> list[KecamatanOut]:
    """Where sightings come from: a count per kecamatan with at least one sighting in the range."""
    filters = _filters(runtime, REPORT_WEEKS, date_from=date_from, date_to=date_to, region=region)
    conditions = request_conditions(filters, visible_queues=queues, tz=runtime.settings.tz)
    with Session(runtime.db) as session:
        grid = kecamatan_grid(session, conditions, load_regions())
    return [
        KecamatanOut(region=code, kecamatan=cell.code, name=cell.name, sightings=cell.count)
        for code, cells in grid
        for cell in cells
        if cell.count
    ]
