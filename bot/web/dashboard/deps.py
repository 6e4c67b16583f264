"""Dashboard dependencies: the logged-in staff member, CSRF-checked forms, templates with texts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from bot.runtime import Runtime
from bot.services.access import StaffView, staff_view
from bot.web.dashboard.security import csrf_token, csrf_valid
from bot.web.deps import RuntimeDep
from storage.models import Staff

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class LoginRequired(Exception):
    """Raised by `current_staff`; answered with a redirect to /login (see bot/web/dashboard/auth.py)."""


def _current_staff(request: Request, runtime: RuntimeDep) -> StaffView:
    staff_id = request.session.get("staff")
    if not isinstance(staff_id, int):
        raise LoginRequired
    with Session(runtime.db) as session:
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.active:
            request.session.clear()
            raise LoginRequired
        return staff_view(session, staff)


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


def templates_for(runtime: Runtime) -> Jinja2Templates:
    """Jinja2 with `t(key, **params)` from the staff-facing catalog and `when(dt)` in WIB."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    language = runtime.settings.default_language
    templates.env.globals["t"] = lambda key, **params: runtime.renderer.text(language, key, **params)
    templates.env.globals["when"] = lambda moment: runtime.renderer.when(language, moment) if moment else "-"
    templates.env.globals["csrf_token"] = csrf_token
    return templates


def render(runtime: Runtime, request: Request, name: str, context: dict[str, Any], status_code: int = 200):
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)
