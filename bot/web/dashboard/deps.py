"""Dashboard dependencies: the logged-in staff member, CSRF-checked forms, templates with texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from bot.domain.statuses import ASSIGNED_STATUSES, OPEN_APPOINTMENT_STATUSES, AppointmentStatus
from bot.runtime import Runtime
from bot.services.access import StaffView, staff_view
from bot.services.staff_sessions import session_staff
from bot.web.dashboard.security import csrf_token, csrf_valid, session_token
from bot.web.deps import RuntimeDep

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
PASSWORD_PAGE = "/dashboard/account/password"


class LoginRequired(Exception):
    """Raised by `current_staff`; answered with a redirect to /login (see bot/web/dashboard/auth.py)."""


class PasswordChangeRequired(Exception):
    """Raised by `current_staff` until an admin's temporary password is replaced; answered with a redirect
    to the password page (see bot/web/errors.py), so nothing else can be done first."""


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """A live session: who, and whether a new password must be set before anything else."""

    view: StaffView
    must_change_password: bool


def _logged_in(request: Request, runtime: RuntimeDep) -> LoggedIn:
    """The session's staff member, checked against the database on every request (ended sessions are out)."""
    token = session_token(request)
    if token is None:
        raise LoginRequired
    with Session(runtime.db) as session:
        staff = session_staff(session, token=token, now=datetime.now(UTC))
        if staff is None:
            request.session.clear()
            raise LoginRequired
        return LoggedIn(staff_view(session, staff), staff.must_change_password)


LoggedInStaff = Annotated[LoggedIn, Depends(_logged_in)]


def _current_staff(logged_in: LoggedInStaff) -> StaffView:
    if logged_in.must_change_password:
        raise PasswordChangeRequired
    return logged_in.view


CurrentStaff = Annotated[StaffView, Depends(_current_staff)]


def _require_admin(staff: CurrentStaff) -> StaffView:
    if staff.role != "admin":
        raise HTTPException(403, "Admin only.")
    return staff


AdminStaff = Annotated[StaffView, Depends(_require_admin)]


async def _checked_csrf(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> None:
    """Every dashboard form POST carries the session's token; a missing or wrong one is 403."""
    if not csrf_valid(request, csrf_token):
        raise HTTPException(403, "Invalid or missing CSRF token.")


CsrfChecked = Depends(_checked_csrf)


def staff_text(runtime: Runtime, key: str, /, **params: object) -> str:
    """The staff-facing text of a catalog key: staff read the service's default language, on pages and in exports."""
    return runtime.renderer.text(runtime.settings.default_language, key, **params)


def templates_for(runtime: Runtime) -> Jinja2Templates:
    """Jinja2 with `t(key, **params)` from the staff-facing catalog, `when(dt)` in WIB, and the status vocabularies."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    language = runtime.settings.default_language
    templates.env.globals["t"] = partial(staff_text, runtime)
    templates.env.globals["when"] = lambda moment: runtime.renderer.when(language, moment) if moment else "-"
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals.update(
        AppointmentStatus=AppointmentStatus,
        ASSIGNED_STATUSES=ASSIGNED_STATUSES,
        OPEN_APPOINTMENT_STATUSES=OPEN_APPOINTMENT_STATUSES,
    )
    return templates


def render(runtime: Runtime, request: Request, name: str, context: dict[str, Any], status_code: int = 200):
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)
