"""One staff account, for admins: queues and region, a password reset, deactivation and reactivation.

Every action is a service call (bot/services/staff_accounts.py, staff_handover.py) that checks the rules
and writes the audit row; the page only gathers the form. A temporary password is a secret shown once:
rendered into the POST's answer with `Cache-Control: no-store`, never put in the cookie or a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from bot.domain.regions import PROVINCE
from bot.runtime import Runtime
from bot.services import dashboard_reads as reads
from bot.services import staff_directory
from bot.services.case_file import held_requests
from bot.services.records import Queue, Staff, persisted_id
from bot.services.records import Request as CaseRequest
from bot.services.staff_accounts import StaffInputError, reset_password
from bot.services.staff_directory import queue_members, staff_queue_codes
from bot.services.staff_handover import Handover, change_assignment, deactivate_staff, reactivate_staff
from bot.web.dashboard.admin import region_choices
from bot.web.dashboard.deps import AdminStaff, CsrfChecked
from bot.web.dashboard.flash import redirect_with, render_page
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

NO_STORE = {"Cache-Control": "no-store"}
Reason = Annotated[str, Form(max_length=500)]


@dataclass(frozen=True, slots=True)
class AccountPage:
    account: Staff
    queue_codes: set[str]
    held: list[CaseRequest]
    colleagues: list[Staff]  # who may take over: active members of the queues involved
    queues: list[Queue]
    queue_names: dict[str, str]


def _url(staff_id: int) -> str:
    return f"/dashboard/admin/staff/{staff_id}"


def _load(runtime: Runtime, staff_id: int) -> AccountPage | None:
    with Session(runtime.db, expire_on_commit=False) as session:
        account = staff_directory.staff_account(session, staff_id=staff_id)
        if account is None:
            return None
        codes = staff_queue_codes(session, staff_id=persisted_id(account))
        held = held_requests(session, staff_id=persisted_id(account))
        colleagues = {
            s.id: s
            for code in sorted(codes | {r.queue_code for r in held})
            for s in queue_members(session, queue_code=code)
            if s.id != account.id
        }
        return AccountPage(
            account,
            codes,
            held,
            sorted(colleagues.values(), key=lambda s: s.display_name),
            reads.all_queues(session),
            reads.queue_names(session),
        )


@router.get("/dashboard/admin/staff/{staff_id}")
async def staff_account(request: Request, staff_id: int, staff: AdminStaff, runtime: RuntimeDep) -> Response:
    """One account: what it holds and the forms to change its queues, reset its password, deactivate it."""
    page = await run_in_threadpool(_load, runtime, staff_id)
    context = {"p": page, "regions": region_choices(), "province": PROVINCE}
    return render_page(
        runtime, request, staff, "dashboard/admin_staff_account.html", context, status_code=404 if page is None else 200
    )


def _in_transaction(runtime: Runtime, work: Callable[[Session], T]) -> T:
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        return work(session)


def _refused(request: Request, staff_id: int, error: StaffInputError) -> Response:
    """Why the service refused, as a notice on the account page (nothing was changed)."""
    return redirect_with(request, _url(staff_id), error.key, error=True, **error.params)


def _moved(request: Request, staff_id: int, key: str, moved: Handover) -> Response:
    return redirect_with(request, _url(staff_id), key, handed=str(moved.handed), released=str(moved.released))


@router.post("/dashboard/admin/staff/{staff_id}/assignment", dependencies=[CsrfChecked])
async def set_assignment(
    request: Request,
    staff_id: int,
    staff: AdminStaff,
    runtime: RuntimeDep,
    region: Annotated[str, Form(max_length=32)] = "",
    reason: Reason = "",
    queues: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
) -> Response:
    """Set the queues and region; open cases now out of sight go back to their queue with the reason."""

    def work(session: Session) -> Handover:
        return change_assignment(
            session,
            view=staff,
            staff_id=staff_id,
            queues=queues,
            region=region or None,
            reason=reason,
            now=datetime.now(UTC),
        )

    try:
        moved = await run_in_threadpool(_in_transaction, runtime, work)
    except StaffInputError as error:
        return _refused(request, staff_id, error)
    return _moved(request, staff_id, "staff_account.assignment_saved", moved)


@router.post("/dashboard/admin/staff/{staff_id}/deactivate", dependencies=[CsrfChecked])
async def deactivate(
    request: Request,
    staff_id: int,
    staff: AdminStaff,
    runtime: RuntimeDep,
    reason: Reason = "",
    hand_to: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Deactivate: sessions end now; open cases go to the chosen colleague or back to their queue."""

    def work(session: Session) -> Handover:
        return deactivate_staff(
            session,
            view=staff,
            staff_id=staff_id,
            reason=reason,
            now=datetime.now(UTC),
            hand_to=int(hand_to) if hand_to.isdigit() else None,
        )

    try:
        moved = await run_in_threadpool(_in_transaction, runtime, work)
    except StaffInputError as error:
        return _refused(request, staff_id, error)
    return _moved(request, staff_id, "staff_account.deactivated", moved)


@router.post("/dashboard/admin/staff/{staff_id}/reactivate", dependencies=[CsrfChecked])
async def reactivate(request: Request, staff_id: int, staff: AdminStaff, runtime: RuntimeDep) -> Response:
    """Open a deactivated account again."""

    def work(session: Session) -> None:
        reactivate_staff(session, view=staff, staff_id=staff_id, now=datetime.now(UTC))

    try:
        await run_in_threadpool(_in_transaction, runtime, work)
    except StaffInputError as error:
        return _refused(request, staff_id, error)
    return redirect_with(request, _url(staff_id), "staff_account.reactivated")


@router.post("/dashboard/admin/staff/{staff_id}/reset-password", dependencies=[CsrfChecked])
async def reset(request: Request, staff_id: int, staff: AdminStaff, runtime: RuntimeDep) -> Response:
    """A one-time temporary password, shown on this answer only; it must be changed at the next login."""

    def work(session: Session) -> tuple[str, str]:
        account, temporary = reset_password(session, view=staff, staff_id=staff_id, now=datetime.now(UTC))
        return account.username, temporary

    try:
        username, temporary = await run_in_threadpool(_in_transaction, runtime, work)
    except StaffInputError as error:
        return _refused(request, staff_id, error)
    response = render_page(
        runtime,
        request,
        staff,
        "dashboard/admin_staff_reset.html",
        {"username": username, "password": temporary, "account_id": staff_id},
    )
    response.headers.update(NO_STORE)
    return response
