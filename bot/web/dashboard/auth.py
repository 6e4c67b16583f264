"""Login and logout for staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from bot.services.staff_accounts import authenticate
from bot.web.dashboard.deps import CsrfChecked, render
from bot.web.dashboard.security import client_address, end_session, login_throttled, start_session
from bot.web.deps import RuntimeDep
from storage.staff import audit

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_page(request: Request, runtime: RuntimeDep) -> Response:
    """Show the login form."""
    return render(runtime, request, "dashboard/login.html", {"error": None})


@router.post("/login", dependencies=[CsrfChecked])
async def login(
    request: Request, runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Check the password (argon2); throttle repeated failures; start a fresh session."""
    client = client_address(request)

    def check() -> tuple[int | None, str | None]:
        now = datetime.now(UTC)
        with Session(runtime.db) as session, session.begin():
            if login_throttled(session, username=username, client=client, now=now):
                audit(session, actor=f"ip:{client}", action="login_throttled", target=f"user:{username}", at=now)
                return None, "dash.login_throttled"
            staff = authenticate(session, username=username, password=password)
            if staff is None:
                audit(session, actor=f"ip:{client}", action="login_failed", target=f"user:{username}", at=now)
                return None, "dash.login_failed"
            audit(session, actor=f"staff:{staff.id}", action="login", target=f"user:{username}", at=now,
                  detail={"client": client})
            return staff.id, None

    staff_id, error = await run_in_threadpool(check)
    if staff_id is None:
        status = 429 if error == "dash.login_throttled" else 401
        return render(runtime, request, "dashboard/login.html", {"error": error}, status_code=status)
    start_session(request, staff_id=staff_id, now=datetime.now(UTC))
    return RedirectResponse("/dashboard", status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request) -> Response:
    """End the session."""
    end_session(request)
    return RedirectResponse("/login", status_code=303)
