"""The request list (filters, keyset pages) and the request detail, its photos and `.ics` files.

Handlers translate query parameters and call storage or services; who may see what is decided by
`bot/services/access.py` (`visible_request`, `may_see_personal`). Another queue's request answers exactly like a
request that does not exist (404), so a URL never tells a counselor what other queues hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from bot.domain.contact_times import SAFE_NOW
from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES
from bot.domain.regions import PROVINCE, load_regions
from bot.domain.statuses import CLOSED_STATUSES, RequestStatus
from bot.flows.request_counseling import CONTACT_TIMES
from bot.messages import Channel
from bot.services import dashboard_reads as reads
from bot.services.access import PermissionDenied, StaffView, may_export_personal, may_see_personal, visible_request
from bot.services.appointments import MODES, appointment_ics, visible_appointment
from bot.services.audit_log import audit
from bot.services.deadlines import SLA_STATES, pending_deadline, sla_state
from bot.services.duplicates import with_possible_duplicates
from bot.services.photos import photo_of_request, stored_photo_id
from bot.services.records import Request as CaseRequest
from bot.services.records import StoredPhoto, persisted_id
from bot.sla import URGENCIES
from bot.web.dashboard.deps import CurrentStaff, staff_text
from bot.web.dashboard.filters import KINDS, STATES, parse_list_filters
from bot.web.dashboard.flash import not_found, render_page
from bot.web.dashboard.requests_detail import RequestDetail, load_detail
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

CHANNELS = tuple(c.value for c in Channel)
Param = Annotated[str, Query(max_length=64)]


def _choices(
    staff: StaffView, queue_names: dict[str, str], holders: list[tuple[int, str]]
) -> dict[str, list[tuple[str, str]] | list[tuple[int, str]]]:
    """Options of the filter form: only the queues this staff member can see, and their members as holders."""
    visible = sorted(queue_names) if staff.queues is None else sorted(staff.queues)
    regions = [(r.code, r.name) for r in load_regions().regions]
    return {"queues": [(code, queue_names.get(code, code)) for code in visible], "regions": regions, "holders": holders}


@router.get("/dashboard/requests")
async def request_list(
    request: Request,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    after: Param = "",
    before: Param = "",
) -> Response:
    """The requests this staff member may see, newest first, filtered, a page at a time."""
    tz = runtime.settings.tz
    now = datetime.now(UTC)
    listing = parse_list_filters(request.query_params, today=now.astimezone(tz).date())
    conditions = listing.conditions(visible_queues=staff.queues, tz=tz, now=now)
    form = listing.params()

    def load() -> tuple[reads.RequestPage, dict[str, str], set[int], dict[int, str], list[tuple[int, str]]]:
        with Session(runtime.db) as session:
            page = reads.request_page(
                session,
                conditions=conditions,
                after=reads.Cursor.parse(after),
                before=reads.Cursor.parse(before),
                limit=reads.PAGE_SIZE,
            )
            duplicate_ids = with_possible_duplicates(session, view=staff, requests=page.rows)
            holders = reads.staff_names(session, ids=[r.assigned_staff_id for r in page.rows])
            return (
                page,
                reads.queue_names(session),
                duplicate_ids,
                holders,
                reads.queue_staff(session, visible=staff.queues),
            )

    page, queue_names, duplicate_ids, holders, queue_staff = await run_in_threadpool(load)
    links = {
        "newer": _page_link(form, before=page.newer.token()) if page.newer else None,
        "older": _page_link(form, after=page.older.token()) if page.older else None,
    }
    context = {
        "page": page,
        "duplicate_ids": duplicate_ids,
        "form": form,
        "export_query": listing.query_string(),
        "personal_exports": may_export_personal(staff),
        "links": links,
        "queue_names": queue_names,
        "now": now,
        "sla_state": sla_state,
        "deadline": pending_deadline,
        "holders": holders,
        "choices": _choices(staff, queue_names, queue_staff),
        "categories": PMKS_CATEGORIES,
        "topics": COUNSELING_TOPICS,
        "statuses": tuple(RequestStatus),
        "states": STATES,
        "kinds": KINDS,
        "urgencies": URGENCIES,
        "sla_states": SLA_STATES,
        "province": PROVINCE,
        "ignored": listing.ignored,
    }
    return render_page(runtime, request, staff, "dashboard/requests.html", context)


def _page_link(form: dict[str, str], **cursor: str) -> str:
    return "/dashboard/requests?" + urlencode({**form, **cursor})


@router.get("/dashboard/requests/{request_id}")
async def request_detail(request: Request, request_id: int, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """One request: fields (personal ones only to its queue's staff), timeline, thread, notes, actions."""
    now = datetime.now(UTC)

    def load() -> RequestDetail:
        with Session(runtime.db, expire_on_commit=False) as session, session.begin():
            return load_detail(
                session,
                view=staff,
                request_id=request_id,
                now=now,
                t=partial(staff_text, runtime),
                tz=runtime.settings.tz,
            )

    try:
        detail = await run_in_threadpool(load)
    except PermissionDenied:
        return not_found(runtime, request, staff)
    t = partial(staff_text, runtime)
    context = {
        "detail": detail,
        "r": detail.request,
        "osm": osm_link(detail.request),
        "place": place_label(detail.request, t),
        "modes": MODES,
        "outcomes": CLOSED_STATUSES,
        "channels": CHANNELS,
        "contact_times": (SAFE_NOW, *CONTACT_TIMES),
    }
    return render_page(runtime, request, staff, "dashboard/request_detail.html", context)


def place_label(request: CaseRequest, t: Callable[..., str]) -> str:
    """ "Kota Serang, Kec. Kasemen"; the province's name when the citizen did not know the region."""
    regions = load_regions()
    if request.region is None:
        return t("dash_requests.region_unknown")
    name = regions.region(request.region).name
    if request.kecamatan_code:
        try:
            return t(
                "common.region_with_kecamatan", region=name, kecamatan=regions.kecamatan(request.kecamatan_code).name
            )
        except KeyError:
            pass
    return name


def osm_link(request: CaseRequest) -> str | None:
    """The pin on OpenStreetMap (no tiles served by us, no API key): opened in the staff's browser."""
    if request.latitude is None or request.longitude is None:
        return None
    lat, lon = f"{request.latitude:.6f}", f"{request.longitude:.6f}"
    return f"https://www.openstreetmap.org/?{urlencode({'mlat': lat, 'mlon': lon})}#map=17/{lat}/{lon}"


@router.get("/dashboard/requests/{request_id}/appointments/{appointment_id}.ics")
async def appointment_calendar(
    request: Request, request_id: int, appointment_id: int, staff: CurrentStaff, runtime: RuntimeDep
) -> Response:
    """An appointment as a calendar file for the counselor's phone (no personal data in it)."""

    def load() -> bytes:
        with Session(runtime.db) as session, session.begin():
            case = visible_request(session, staff, request_id)
            appointment = visible_appointment(session, staff, persisted_id(case), appointment_id)
            audit(
                session,
                actor=staff.actor,
                action="export_ics",
                target=f"request:{case.id}",
                at=datetime.now(UTC),
                detail={"appointment": appointment.id},
            )
            summary = staff_text(runtime, "appt.ics_summary", code=case.ticket_code)
            return appointment_ics(appointment, case, summary)

    try:
        body = await run_in_threadpool(load)
    except PermissionDenied:
        return not_found(runtime, request, staff)
    headers = {
        "Content-Disposition": f'attachment; filename="janji-temu-{appointment_id}.ics"',
        "Cache-Control": "private, no-store",
    }
    return Response(body, media_type="text/calendar", headers=headers)


@router.get("/dashboard/requests/{request_id}/photos/{index}")
async def request_photo(
    request: Request, request_id: int, index: int, staff: CurrentStaff, runtime: RuntimeDep
) -> Response:
    """A sighting's photo as stored when it arrived (decrypted here); each view is audit-logged like the page."""

    def load() -> StoredPhoto | None:
        with Session(runtime.db, expire_on_commit=False) as session, session.begin():
            case = visible_request(session, staff, request_id)
            refs = case.photo_refs or []
            if not may_see_personal(staff, case) or not 0 <= index < len(refs):
                raise PermissionDenied(request_id)
            audit(
                session,
                actor=staff.actor,
                action="view_photo",
                target=f"request:{case.id}",
                at=datetime.now(UTC),
                detail={"photo": index},
            )
            photo_id = stored_photo_id(refs[index])  # a platform id kept from before 0011 is not a stored photo
            return (
                None
                if photo_id is None
                else photo_of_request(session, request_id=persisted_id(case), photo_id=photo_id)
            )

    try:
        photo = await run_in_threadpool(load)
    except PermissionDenied:
        return not_found(runtime, request, staff)
    if photo is None:
        return render_page(
            runtime,
            request,
            staff,
            "dashboard/requests_photo_missing.html",
            {"request_id": request_id},
            status_code=404,
        )
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return Response(photo.data, media_type=photo.content_type, headers=headers)
