"""Exports for meetings and data verification: the request list, the by-name-by-address list, the report.

Why these rules:
- Rows are exactly what the list shows for the same query string (`filters.py`), within the staff
  member's queues; personal fields only when `may_export_personal` allows (coordinators and admins). The
  BNBA list is personal through and through: other roles get a 403 page, and the pages hide its link.
- Every export writes an audit row (UU PDP: who took what out, when), in the same transaction as the read.
- Text that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) must never
  become a live formula on a coordinator's PC. In XLSX it is a text cell marked as Excel marks a typed
  '=1+2 (quotePrefix): it reads as written, with no apostrophe, and stays text when edited. CSV has no
  cell types, so there it gets a leading apostrophe.
- Dates are real Excel dates in WIB (Excel has no time zones), so coordinators can sort and filter them;
  durations are whole minutes, numbers Excel can add up and average.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from sqlmodel import Session

from bot.domain.regions import load_regions
from bot.metrics import MEASURES, ResponseFigures
from bot.runtime import Runtime
from bot.services import report_reads
from bot.services.access import StaffView, may_export_personal
from bot.services.audit_log import audit
from bot.services.records import Request as CaseRequest
from bot.services.request_conditions import kind_condition
from bot.web.dashboard.deps import CurrentStaff, staff_text
from bot.web.dashboard.filters import RequestFilters, parse_list_filters
from bot.web.dashboard.flash import render_page
from bot.web.dashboard.reports import (
    DIMENSIONS,
    REPORT_WEEKS,
    build_response_report,
    labelled_groups,
    parse_filters,
    region_name,
    report_names,
    subject_name,
)
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

#: Excel copes with a million rows, a coordinator's PC and our memory less so; the audit row says when cut.
MAX_EXPORT_ROWS = 50_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD-MM-YYYY HH:MM"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def defuse(value: Any) -> Any:
    """Text that would start a formula gets an apostrophe; the lone "-" of an empty cell is harmless."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and value != "-":
        return "'" + value
    return value


@dataclass(frozen=True)
class Sheet:
    """A table to write: headers, rows of plain values (datetimes in UTC), and an optional notes sheet."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    notes: list[tuple[str, str]] | None = None


def csv_bytes(sheet: Sheet, runtime: Runtime) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows Indonesian text correctly; dates as WIB text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(sheet.headers)
    for row in sheet.rows:
        writer.writerow([_csv_value(value, runtime) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_value(value: Any, runtime: Runtime) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(runtime.settings.tz).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else defuse(value)


def xlsx_bytes(sheet: Sheet, runtime: Runtime) -> bytes:
    """A streamed (write-only) workbook: bold headers, frozen header row, WIB dates as Excel dates."""
    book = Workbook(write_only=True)
    table = book.create_sheet(sheet.title)
    table.freeze_panes = "A2"
    bold = Font(bold=True)
    table.append([_cell(table, header, font=bold) for header in sheet.headers])
    for row in sheet.rows:
        table.append([_xlsx_value(table, value, runtime) for value in row])
    if sheet.notes:
        notes = book.create_sheet(staff_text(runtime, "dash_reports.definitions")[:31])
        for term, meaning in sheet.notes:
            notes.append([_cell(notes, term, font=bold), defuse(meaning)])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _cell(table: Any, value: Any, *, font: Font | None = None, number_format: str | None = None) -> Cell:
    # WriteOnlyCell is a function (in openpyxl and its stubs) that makes a Cell outside any worksheet's grid.
    cell = WriteOnlyCell(table, value=value)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _xlsx_value(table: Any, value: Any, runtime: Runtime) -> Any:
    if isinstance(value, datetime):
        return _cell(table, value.astimezone(runtime.settings.tz).replace(tzinfo=None), number_format=DATE_FORMAT)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = _cell(table, value)
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        cell.quotePrefix = True
        return cell
    return value


def file_response(content: bytes, filename: str) -> Response:
    media = XLSX_TYPE if filename.endswith(".xlsx") else "text/csv; charset=utf-8"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _kecamatan_name(code: str | None, missing: str | None = "-") -> str | None:
    if not code:
        return missing
    try:
        return load_regions().kecamatan(code).name
    except KeyError:
        return code


Column = tuple[str, Callable[[CaseRequest], Any]]


def request_columns(runtime: Runtime, queues: dict[str, str], staff: dict[int, str], personal: bool) -> list[Column]:
    """The request list's columns; the personal ones only when the exporter may take them out."""
    columns: list[Column] = [
        ("col_ticket", lambda r: r.ticket_code),
        ("col_kind", lambda r: staff_text(runtime, f"status.kind_{r.kind}")),
        ("col_subject", lambda r: subject_name(runtime, r.category or r.topic)),
        ("region", lambda r: region_name(runtime, r.region)),
        ("kecamatan", lambda r: _kecamatan_name(r.kecamatan_code)),
        ("queue", lambda r: queues.get(r.queue_code, r.queue_code)),
        ("col_urgency", lambda r: staff_text(runtime, f"dash_reports.urgency_{r.urgency}")),
        ("col_status", lambda r: staff_text(runtime, f"status.names.{r.status}")),
        ("col_created", lambda r: r.created_at),
        ("col_claim_due", lambda r: r.claim_due_at),
        ("dim_counselor", lambda r: staff.get(r.assigned_staff_id, "-") if r.assigned_staff_id else "-"),
    ]
    if personal:
        columns += [
            ("col_phone", lambda r: r.phone or "-"),
            ("col_landmark", lambda r: r.landmark or "-"),
            ("col_description", lambda r: r.description or "-"),
            ("col_latitude", lambda r: r.latitude),
            ("col_longitude", lambda r: r.longitude),
            ("col_photos", lambda r: len(r.photo_refs or [])),
        ]
    return columns


def bnba_address(runtime: Runtime, request: CaseRequest) -> str | None:
    """The address staff recorded; otherwise the reporter's landmark with its kecamatan and kabupaten/kota in
    words ("dekat pasar Rau, Kec. Kasemen, Kota Serang"). The pin has columns of its own."""
    if request.person_address:
        return request.person_address
    kecamatan = _kecamatan_name(request.kecamatan_code, None)
    parts = [
        request.landmark,
        staff_text(runtime, "dash_reports.bnba_kecamatan_in_address", kecamatan=kecamatan) if kecamatan else None,
        region_name(runtime, request.region) if request.region else None,
    ]
    return ", ".join(part.strip() for part in parts if part and part.strip()) or None


def _bnba_columns(runtime: Runtime) -> list[Column]:
    """Dinas Sosial's by-name-by-address layout. Name and NIK are the person in need as staff recorded them
    (bot/services/bnba.py), empty until then so the sheet can be filled in; the reporter is never listed."""
    return [
        ("bnba_name", lambda r: r.person_name),
        ("bnba_nik", lambda r: r.person_nik),
        ("bnba_address", lambda r: bnba_address(runtime, r)),
        ("bnba_kecamatan", lambda r: _kecamatan_name(r.kecamatan_code, None)),
        ("bnba_region", lambda r: region_name(runtime, r.region)),
        ("col_latitude", lambda r: r.latitude),
        ("col_longitude", lambda r: r.longitude),
        ("bnba_category", lambda r: subject_name(runtime, r.category)),
        ("bnba_reported", lambda r: r.created_at),
        ("bnba_status", lambda r: staff_text(runtime, f"status.names.{r.status}")),
        ("bnba_ticket", lambda r: r.ticket_code),
    ]


def _export_requests(runtime: Runtime, staff: StaffView, request: Request, layout: str, target: str) -> Sheet:
    """Read the rows the list shows for this query string and write the audit row, in one transaction."""
    personal = may_export_personal(staff)
    now = datetime.now(UTC)
    filters = parse_list_filters(request.query_params, today=now.astimezone(runtime.settings.tz).date())
    conditions = filters.conditions(visible_queues=staff.queues, tz=runtime.settings.tz, now=now)
    if layout == "bnba":
        conditions.append(kind_condition("sighting"))
    with Session(runtime.db) as session, session.begin():
        requests, truncated = report_reads.requests_to_export(session, conditions, limit=MAX_EXPORT_ROWS)
        if layout == "bnba":
            columns = _bnba_columns(runtime)
            rows = [[number, *(get(r) for _, get in columns)] for number, r in enumerate(requests, start=1)]
            headers = [
                staff_text(runtime, "dash_reports.bnba_no"),
                *(staff_text(runtime, f"dash_reports.{k}") for k, _ in columns),
            ]
        else:
            names = report_reads.staff_names(session, (r.assigned_staff_id for r in requests))
            columns = request_columns(runtime, report_reads.queue_names(session), names, personal)
            rows = [[get(r) for _, get in columns] for r in requests]
            headers = [staff_text(runtime, f"dash_reports.{k}") for k, _ in columns]
        audit(
            session,
            actor=staff.actor,
            action="export",
            target=target,
            at=now,
            detail={"filters": filters.params(), "rows": len(rows), "personal": personal, "truncated": truncated},
        )
    title = staff_text(runtime, "dash_reports.sheet_bnba" if layout == "bnba" else "dash_reports.sheet_requests")
    return Sheet(title, headers, rows)


def _write(sheet: Sheet, runtime: Runtime, fmt: str) -> bytes:
    if fmt == "csv":
        return csv_bytes(sheet, runtime)
    if fmt == "xlsx":
        return xlsx_bytes(sheet, runtime)
    raise HTTPException(404)


@router.get("/dashboard/exports/requests.{fmt}")
def export_requests(fmt: str, request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """The request list as filtered (same query string as the list page), as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404)
    sheet = _export_requests(runtime, staff, request, "list", f"requests.{fmt}")
    return file_response(_write(sheet, runtime, fmt), f"permintaan-{_stamp(runtime)}.{fmt}")


def export_forbidden(runtime: Runtime, request: Request, staff: StaffView) -> Response:
    """The page a counselor gets for a personal-data download: what it is, who may take it, whom to ask."""
    return render_page(runtime, request, staff, "dashboard/export_forbidden.html", {}, status_code=403)


@router.get("/dashboard/exports/bnba.xlsx")
def export_bnba(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Sightings in the by-name-by-address layout Dinas Sosial uses for data verification."""
    if not may_export_personal(staff):
        return export_forbidden(runtime, request, staff)
    sheet = _export_requests(runtime, staff, request, "bnba", "bnba.xlsx")
    return file_response(xlsx_bytes(sheet, runtime), f"bnba-pmks-{_stamp(runtime)}.xlsx")


def metrics_sheet(runtime: Runtime, session: Session, staff: StaffView, filters: RequestFilters) -> Sheet:
    """The response-time report as one table: a row per group of every dimension, durations in whole minutes."""
    report = build_response_report(session, runtime, filters, staff.queues, datetime.now(UTC))
    names = report_names(session, runtime, report)
    headers = [
        staff_text(runtime, "dash_reports.col_dimension"),
        staff_text(runtime, "dash_reports.group"),
        staff_text(runtime, "dash_reports.col_requests"),
    ]
    for measure in MEASURES:
        label = staff_text(runtime, f"dash_reports.measure_{measure}")
        headers += [
            staff_text(runtime, f"dash_reports.xcol_{part}", measure=label) for part in ("median", "p90", "count")
        ]
    headers += [
        staff_text(runtime, "dash_reports.sla_claim") + " %",
        staff_text(runtime, "dash_reports.sla_contact") + " %",
    ]
    rows = [
        _metrics_row(
            staff_text(runtime, "dash_reports.overall"),
            staff_text(runtime, "dash_reports.all_requests"),
            report.overall,
        )
    ]
    for dimension in DIMENSIONS:
        title = staff_text(runtime, f"dash_reports.dim_{dimension}")
        rows += [_metrics_row(title, label, figures) for label, figures in labelled_groups(report, names, dimension)]
    notes = [
        (staff_text(runtime, f"dash_reports.def_{key}_term"), staff_text(runtime, f"dash_reports.def_{key}"))
        for key in ("population", "claim", "contact", "resolution", "business", "percentiles", "sla", "groups")
    ]
    return Sheet(staff_text(runtime, "dash_reports.sheet_metrics"), headers, rows, notes)


def _metrics_row(dimension: str, label: str, figures: ResponseFigures) -> list[Any]:
    row: list[Any] = [dimension, label, figures.requests]
    for measure in MEASURES:
        quantiles = getattr(figures, measure)
        row += [_minutes(quantiles.median), _minutes(quantiles.p90), quantiles.count]
    return [*row, _round(figures.claim_sla.percent), _round(figures.contact_sla.percent)]


def _minutes(hours: float | None) -> int | None:
    """Whole minutes: what the page shows below an hour, and a number Excel sums without rounding surprises."""
    return None if hours is None else round(hours * 60)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@router.get("/dashboard/exports/metrics.{fmt}")
def export_metrics(fmt: str, request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """The response-time report (same filters as the page), as CSV or XLSX with the definitions."""
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404)
    filters = parse_filters(request.query_params, runtime, REPORT_WEEKS)
    with Session(runtime.db) as session, session.begin():
        sheet = metrics_sheet(runtime, session, staff, filters)
        audit(
            session,
            actor=staff.actor,
            action="export",
            target=f"metrics.{fmt}",
            at=datetime.now(UTC),
            detail={"filters": filters.params(), "rows": len(sheet.rows), "personal": False},
        )
    return file_response(_write(sheet, runtime, fmt), f"waktu-respons-{_stamp(runtime)}.{fmt}")


def _stamp(runtime: Runtime) -> str:
    return datetime.now(UTC).astimezone(runtime.settings.tz).strftime("%Y%m%d-%H%M")
