"""The overview: what needs attention now in the queues this staff member can see.

Open requests per queue, the urgent ones, the claim or first-contact deadlines already missed, today's
appointments (WIB) and the oldest unclaimed requests. Only ticket codes and categories are shown, no
personal data, so the page itself needs no audit row; opening a request does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from bot.services import dashboard_reads as reads
from bot.services.deadlines import pending_deadline, sla_state
from bot.services.records import Appointment
from bot.services.records import Request as CaseRequest
from bot.web.dashboard.deps import CurrentStaff
from bot.web.dashboard.flash import render_page
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
WAITING_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Overview:
    loads: list[reads.QueueLoad]
    urgent: list[CaseRequest]
    breached: list[CaseRequest]
    appointments: list[tuple[Appointment, CaseRequest]]
    waiting: list[CaseRequest]
    queue_names: dict[str, str]


@router.get("/dashboard")
async def overview(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Open requests per queue, urgent ones, breaches now, today's appointments, who waits longest."""
    now = datetime.now(UTC)
    day = now.astimezone(runtime.settings.tz).date()
    start = datetime.combine(day, time(0), tzinfo=runtime.settings.tz)

    def load() -> Overview:
        with Session(runtime.db) as session:
            visible = staff.queues
            return Overview(
                loads=reads.queue_loads(session, visible=visible, now=now),
                urgent=reads.urgent_open(session, visible=visible),
                breached=reads.breached_now(session, visible=visible, now=now),
                appointments=reads.appointments_between(
                    session, visible=visible, start=start, end=start + timedelta(days=1)
                ),
                waiting=reads.unclaimed(session, queue_codes=visible, limit=WAITING_SHOWN),
                queue_names=reads.queue_names(session),
            )

    data = await run_in_threadpool(load)
    context = {"o": data, "sla_state": sla_state, "deadline": pending_deadline}
    return render_page(runtime, request, staff, "dashboard/overview.html", context)
