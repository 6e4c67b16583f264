"""A staff member's own password: changed at will, and at once after an admin's reset.

After a reset every other dashboard page redirects here (bot/web/dashboard/deps.py) until a new password
is set. A change ends every session of the person, on every device, and starts a fresh one here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from bot.services.records import persisted_id
from bot.services.staff_accounts import StaffInputError, change_password
from bot.services.staff_directory import existing_staff_account
from bot.services.staff_sessions import start_session as start_staff_session
from bot.web.dashboard.deps import PASSWORD_PAGE, CsrfChecked, LoggedIn, LoggedInStaff, render, staff_text
from bot.web.dashboard.flash import redirect_with, render_page
from bot.web.dashboard.security import start_session
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
Secret = Annotated[str, Form(max_length=256)]


def _page(
    request: Request, runtime: RuntimeDep, logged_in: LoggedIn, *, error: str | None = None, status_code: int = 200
) -> Response:
    context = {"forced": logged_in.must_change_password, "error": error}
    if logged_in.must_change_password:  # no menu: nothing else can be done yet
        return render(
            runtime, request, "dashboard/account_password.html", {"staff": None, **context}, status_code=status_code
        )
    return render_page(
        runtime, request, logged_in.view, "dashboard/account_password.html", context, status_code=status_code
    )


@router.get(PASSWORD_PAGE)
async def password_page(request: Request, logged_in: LoggedInStaff, runtime: RuntimeDep) -> Response:
    """The form to set a new password (the current one is asked unless a temporary one was just used)."""
    return _page(request, runtime, logged_in)


@router.post(PASSWORD_PAGE, dependencies=[CsrfChecked])
async def set_password(
    request: Request,
    logged_in: LoggedInStaff,
    runtime: RuntimeDep,
    new_password: Secret,
    new_password_again: Secret,
    current_password: Secret = "",
) -> Response:
    """Set the new password; every session of the person ends and this one starts afresh."""
    if new_password != new_password_again:
        reason = staff_text(runtime, "staff_account.password_mismatch")
        return _page(request, runtime, logged_in, error=reason, status_code=422)

    def work() -> str:
        now = datetime.now(UTC)
        with Session(runtime.db) as session, session.begin():
            staff = existing_staff_account(session, staff_id=logged_in.view.id)
            change_password(
                session,
                staff=staff,
                current=current_password,
                new=new_password,
                forced=staff.must_change_password,
                now=now,
            )
            return start_staff_session(session, staff_id=persisted_id(staff), now=now)

    try:
        token = await run_in_threadpool(work)
    except StaffInputError as error:
        reason = staff_text(runtime, error.key, **error.params)
        return _page(request, runtime, logged_in, error=reason, status_code=422)
    start_session(request, token=token)
    return redirect_with(request, "/dashboard", "staff_account.password_changed")
