"""The counselor's day: "Kasus saya" (the cases I hold) and the request page's thread as it grows.

"Kasus saya" shows ticket codes, categories, deadlines and whether the citizen wrote last, no personal
data, so it writes no audit row (as the overview). The thread poll does show the citizen's words: it
answers only those who may see the request's personal data, and writes a `view_request` audit row when
it hands over new messages (an empty answer shows nothing, so a page left open does not fill the log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from bot.services.access import PermissionDenied, may_see_personal, visible_request
from bot.services.audit_log import audit
from bot.services.case_file import awaiting_answer, held_requests, next_appointments, thread_after
from bot.services.dashboard_reads import name_of, queue_names, staff_names
from bot.services.deadlines import pending_deadline, sla_state
from bot.services.records import Appointment, persisted_id
from bot.services.records import Request as CaseRequest
from bot.web.dashboard.deps import CurrentStaff, staff_text
from bot.web.dashboard.flash import not_found, render_page
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class HeldCase:
    request: CaseRequest
    next_appointment: Appointment | None
    citizen_waiting: bool  # the thread ends with the citizen's message


@router.get("/dashboard/cases")
async def my_cases(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """The cases the signed-in staff member holds: the most pressing first, one card each (a phone's width)."""
    now = datetime.now(UTC)

    def load() -> tuple[list[HeldCase], dict[str, str]]:
        with Session(runtime.db) as session:
            held = held_requests(session, staff_id=staff.id)
            ids = [persisted_id(r) for r in held]
            upcoming = next_appointments(session, request_ids=ids, now=now)
            waiting = awaiting_answer(session, request_ids=ids)
            cases = [HeldCase(r, upcoming.get(i), i in waiting) for r, i in zip(held, ids, strict=True)]
            return sorted(cases, key=lambda c: _urgency_order(c, now)), queue_names(session)

    cases, names = await run_in_threadpool(load)
    context = {"cases": cases, "queue_names": names, "sla_state": sla_state, "deadline": pending_deadline}
    return render_page(runtime, request, staff, "dashboard/my_cases.html", context)


def _urgency_order(case: HeldCase, now: datetime) -> tuple:
    """Urgent first, then a citizen waiting for an answer, then the nearest deadline or appointment."""
    soonest = min(
        (
            t
            for t in (
                pending_deadline(case.request),
                case.next_appointment.starts_at if case.next_appointment else None,
            )
            if t
        ),
        default=None,
    )
    return (
        case.request.urgency != "urgent",
        not case.citizen_waiting,
        soonest or datetime.max.replace(tzinfo=UTC),
        case.request.id,
    )


@router.get("/dashboard/requests/{request_id}/thread")
async def thread_since(
    request: Request,
    request_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The thread's messages after message `after`, for the open request page to add (JSON, no caching)."""
    now = datetime.now(UTC)
    language = runtime.settings.default_language
    citizen = staff_text(runtime, "dash_requests.actor_citizen")

    def load() -> list[dict[str, object]]:
        with Session(runtime.db, expire_on_commit=False) as session, session.begin():
            case = visible_request(session, staff, request_id)
            if not may_see_personal(staff, case):
                raise PermissionDenied(request_id)
            messages = thread_after(session, request_id=persisted_id(case), after_id=after)
            if not messages:
                return []
            audit(
                session,
                actor=staff.actor,
                action="view_request",
                target=f"request:{case.id}",
                at=now,
                detail={"personal": True, "thread_after": after},
            )
            names = staff_names(session, ids=[m.staff_id for m in messages if m.staff_id])
            return [
                {
                    "id": m.id,
                    "outgoing": m.direction == "out",
                    "text": m.text,
                    "author": name_of(names, m.staff_id) if m.direction == "out" else citizen,
                    "when": runtime.renderer.when(language, m.created_at),
                }
                for m in messages
            ]

    try:
        messages = await run_in_threadpool(load)
    except PermissionDenied:
        return not_found(runtime, request, staff)
    return JSONResponse({"messages": messages}, headers={"Cache-Control": "private, no-store"})
