"""The counselor's actions on a request, as CSRF-checked form POSTs answered with a 303 redirect.

Each POST is one transaction around one service call (as `tests/helpers/staff.py::as_staff` does):
the service decides, this module only reads the form. A refusal by the service (`CaseActionError`)
comes back as a notice with its catalog key; `PermissionDenied` as the same 404 as an unknown request;
`NotYourCase` (a counselor on a case a colleague holds, bot/services/case_rules.py) as a 403 page that
names the holder. A lead acting on someone else's case sends `reason`, which the forms then ask for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from bot.runtime import Runtime
from bot.services.access import PermissionDenied, StaffView, visible_request
from bot.services.appointments import MODES, cancel_appointment, mark_appointment, offer_slots, visible_appointment
from bot.services.bnba import record_person
from bot.services.case_rules import CaseActionError, NotYourCase
from bot.services.case_thread import add_case_note, message_citizen, record_call
from bot.services.claims import (
    claim_request,
    close_request,
    release_request,
    reopen_request,
    transfer_request,
)
from bot.services.classify import classify_request
from bot.services.duplicates import merge_requests
from bot.services.records import persisted_id
from bot.services.staff_directory import staff_account
from bot.web.dashboard.deps import CsrfChecked, CurrentStaff
from bot.web.dashboard.flash import not_found, redirect_with, render_page
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False, dependencies=[CsrfChecked])

Text = Annotated[str, Form(max_length=2000)]
Reason = Annotated[str, Form(max_length=500)]
MAX_SLOTS = 3


@dataclass(frozen=True, slots=True)
class Done:
    """What to tell the staff member; `left` when the request is no longer theirs to see (transferred away)."""

    key: str
    params: dict[str, str] = field(default_factory=dict)
    error: bool = False
    left: bool = False


Action = Callable[[Session, StaffView, datetime], Done]


async def perform(request: Request, runtime: Runtime, staff: StaffView, request_id: int, action: Action) -> Response:
    """Run `action` in one transaction and answer with a redirect and a notice (or the 404 page)."""

    def work() -> Done:
        with Session(runtime.db, expire_on_commit=False) as session, session.begin():
            visible_request(session, staff, request_id)  # first, so even a refused form never hints at existence
            return action(session, staff, datetime.now(UTC))

    try:
        done = await run_in_threadpool(work)
    except PermissionDenied:
        return not_found(runtime, request, staff)
    except NotYourCase as error:
        context = {"key": str(error.args[0]), "params": error.params, "request_id": request_id}
        return render_page(runtime, request, staff, "dashboard/requests_forbidden.html", context, status_code=403)
    except CaseActionError as error:
        done = Done(str(error.args[0]), error.params, error=True)
    url = "/dashboard/requests" if done.left else f"/dashboard/requests/{request_id}"
    return redirect_with(request, url, done.key, error=done.error, **done.params)


def _refused(key: str) -> Done:
    return Done(key, error=True)


@router.post("/dashboard/requests/{request_id}/claim")
async def claim(request: Request, request_id: int, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Claim the request; when a colleague was faster, say who has it."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        result = claim_request(session, view=view, request_id=request_id, routing=runtime.routing, now=now)
        if result.won:
            return Done("dash_requests.done_claim")
        if result.holder:
            return Done("dash_requests.claim_lost", {"name": result.holder}, error=True)
        return _refused("dash_requests.claim_not_open")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/release")
async def release(
    request: Request, request_id: int, staff: CurrentStaff, runtime: RuntimeDep, reason: Reason = ""
) -> Response:
    """Give the request back to its queue, with a reason."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        if not reason.strip():
            return _refused("dash_requests.error_reason")
        release_request(session, view=view, request_id=request_id, reason=reason.strip(), now=now)
        return Done("dash_requests.done_release")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/transfer")
async def transfer(
    request: Request,
    request_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    target: Annotated[str, Form(max_length=64)] = "",
    reason: Reason = "",
) -> Response:
    """Hand the request to another queue (`queue:CODE`) or to a colleague in its queue (`staff:ID`)."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        if not reason.strip():
            return _refused("dash_requests.error_reason")
        case = visible_request(session, view, request_id)
        case_id = persisted_id(case)
        kind, _, value = target.partition(":")
        if kind == "queue":
            transfer_request(
                session,
                view=view,
                request_id=case_id,
                reason=reason.strip(),
                now=now,
                to_queue=value,
                routing=runtime.routing,
            )
        elif kind == "staff" and value.isdigit():
            colleague = staff_account(session, staff_id=int(value))
            if colleague is None:
                return _refused("case.error_transfer_colleague")
            transfer_request(session, view=view, request_id=case_id, reason=reason.strip(), now=now, to_staff=colleague)
        else:
            return _refused("dash_requests.error_target")
        return Done("dash_requests.done_transfer", left=not view.can_see(case))

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/classify")
async def classify(
    request: Request,
    request_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Say what a request "belum ditentukan" is about; it is routed again as if the citizen had said so."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        case = classify_request(session, view=view, request_id=request_id, code=code, routing=runtime.routing, now=now)
        return Done("dash_requests.done_classify", left=not view.can_see(case))

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/person")
async def person(
    request: Request,
    request_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=200)] = "",
    nik: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    """Record the sighted person's name, NIK and address for the BNBA list (empty fields clear them)."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        changed = record_person(session, view=view, request_id=request_id, name=name, nik=nik, address=address, now=now)
        return Done("bnba.done" if changed else "bnba.unchanged")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/merge")
async def merge(
    request: Request,
    request_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    into: Annotated[int, Form()] = 0,
) -> Response:
    """Merge this request into an earlier possible duplicate; from then on its reporter follows that one."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        earlier = merge_requests(session, view=view, request_id=request_id, into_id=into, now=now)
        return Done("dup.done_merge", {"code": earlier.ticket_code})

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/message")
async def message(
    request: Request,
    request_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    text: Text = "",
    reason: Reason = "",
) -> Response:
    """Write to the citizen through the bot, on their own channel; the first message is first contact."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        held = message_citizen(session, view=view, request_id=request_id, text=text, now=now, reason=reason)
        return Done("case.staff_safe_held" if held else "dash_requests.done_message")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/call")
async def call(
    request: Request, request_id: int, staff: CurrentStaff, runtime: RuntimeDep, reason: Reason = ""
) -> Response:
    """Record a phone call made outside the bot (it counts as first contact)."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        record_call(session, view=view, request_id=request_id, now=now, reason=reason)
        return Done("dash_requests.done_call")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/slots")
async def slots(request: Request, request_id: int, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Offer 1 to 3 slots (date and time in WIB, and how to meet); the citizen picks one in the chat."""
    form = await request.form()
    offered = parse_slots({k: str(v) for k, v in form.items()}, runtime.settings.tz)
    reason = str(form.get("reason", ""))[:500]

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        if offered is None:
            return _refused("appt.error_slots")
        offer_slots(session, view=view, request_id=request_id, slots=offered, now=now, reason=reason)
        return Done("dash_requests.done_slots", {"count": str(len(offered))})

    return await perform(request, runtime, staff, request_id, act)


def parse_slots(form: dict[str, str], tz: ZoneInfo) -> list[tuple[datetime, str]] | None:
    """Slots from fields date1/time1/mode1 .. date3/time3/mode3; blank rows are skipped, a half row is an error."""
    slots: list[tuple[datetime, str]] = []
    for n in range(1, MAX_SLOTS + 1):
        day, clock, mode = (form.get(f"{name}{n}", "").strip() for name in ("date", "time", "mode"))
        if not day and not clock:
            continue
        try:
            start = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=tz)
        except ValueError:
            return None
        if mode not in MODES:
            return None
        slots.append((start.astimezone(UTC), mode))
    return slots or None


@router.post("/dashboard/requests/{request_id}/appointments/{appointment_id}/cancel")
async def cancel(
    request: Request,
    request_id: int,
    appointment_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    reason: Reason = "",
) -> Response:
    """Cancel an offered or confirmed appointment; the citizen is told."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        visible_appointment(session, view, request_id, appointment_id)
        cancel_appointment(session, view=view, appointment_id=appointment_id, now=now, reason=reason)
        return Done("dash_requests.done_cancel")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/appointments/{appointment_id}/mark")
async def mark(
    request: Request,
    request_id: int,
    appointment_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    status: Annotated[str, Form(max_length=16)] = "",
    reason: Reason = "",
) -> Response:
    """After its time: the meeting took place (`done`) or the citizen did not come (`no_show`)."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        visible_appointment(session, view, request_id, appointment_id)
        mark_appointment(session, view=view, appointment_id=appointment_id, status=status, now=now, reason=reason)
        return Done("dash_requests.done_mark")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/note")
async def note(
    request: Request, request_id: int, staff: CurrentStaff, runtime: RuntimeDep, text: Text = ""
) -> Response:
    """Add a case note (seen by the queue's staff only)."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        add_case_note(session, view=view, request_id=request_id, text=text, now=now)
        return Done("dash_requests.done_note")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/close")
async def close(
    request: Request,
    request_id: int,
    staff: CurrentStaff,
    runtime: RuntimeDep,
    outcome: Annotated[str, Form(max_length=16)] = "",
    note: Reason = "",
    reason: Reason = "",
) -> Response:
    """Close with an outcome; "referred" needs where to, written in the note (the service checks it)."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        close_request(session, view=view, request_id=request_id, outcome=outcome, note=note, now=now, reason=reason)
        return Done("dash_requests.done_close")

    return await perform(request, runtime, staff, request_id, act)


@router.post("/dashboard/requests/{request_id}/reopen")
async def reopen(
    request: Request, request_id: int, staff: CurrentStaff, runtime: RuntimeDep, reason: Reason = ""
) -> Response:
    """Reopen a closed request, with a reason."""

    def act(session: Session, view: StaffView, now: datetime) -> Done:
        if not reason.strip():
            return _refused("dash_requests.error_reason")
        reopen_request(session, view=view, request_id=request_id, reason=reason.strip(), now=now)
        return Done("dash_requests.done_reopen")

    return await perform(request, runtime, staff, request_id, act)
