"""Login and logout for staff."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from bot.services.audit_log import audit
from bot.services.login_throttle import LoginOutcome, login_limits, try_login
from bot.services.records import persisted_id
from bot.services.staff_sessions import log_out
from bot.services.staff_sessions import start_session as start_staff_session
from bot.web.dashboard.deps import PASSWORD_PAGE, CsrfChecked, render
from bot.web.dashboard.security import client_address, end_session, session_token, start_session
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_page(request: Request, runtime: RuntimeDep) -> Response:
    """Show the login form."""
    return render(runtime, request, "dashboard/login.html", {"error": None, "error_params": {}})


@router.post("/login", dependencies=[CsrfChecked])
async def login(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Check the password (argon2) unless the account or the address is locked; start a fresh session."""
    client = client_address(request)
    previous = session_token(request)  # a session this browser had: replaced, so it ends too
    settings = runtime.settings
    limits = login_limits(
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        secret=settings.secret_key,
    )

    def check() -> tuple[LoginOutcome, str | None]:
        now = datetime.now(UTC)
        with Session(runtime.db, expire_on_commit=False) as session, session.begin():
            outcome = try_login(session, username=username, password=password, address=client, limits=limits, now=now)
            if outcome.locked_by is not None:
                audit(
                    session,
                    actor=f"ip:{client}",
                    action="login_throttled",
                    target=f"user:{username}",
                    at=now,
                    detail={"locked": outcome.locked_by.value},
                )
                return outcome, None
            if outcome.staff is None:
                audit(session, actor=f"ip:{client}", action="login_failed", target=f"user:{username}", at=now)
                return outcome, None
            audit(
                session,
                actor=f"staff:{outcome.staff.id}",
                action="login",
                target=f"user:{username}",
                at=now,
                detail={"client": client},
            )
            if previous is not None:
                log_out(session, token=previous)
            return outcome, start_staff_session(session, staff_id=persisted_id(outcome.staff), now=now)

    outcome, token = await run_in_threadpool(check)
    if outcome.locked_by is not None:
        minutes = str(max(1, math.ceil(outcome.wait.total_seconds() / 60)))
        answer = render(
            runtime,
            request,
            "dashboard/login.html",
            {"error": f"dash.login_throttled_{outcome.locked_by.value}", "error_params": {"minutes": minutes}},
            status_code=429,
        )
        answer.headers["Retry-After"] = str(math.ceil(outcome.wait.total_seconds()))
        return answer
    if outcome.staff is None or token is None:
        return render(
            runtime,
            request,
            "dashboard/login.html",
            {"error": "dash.login_failed", "error_params": {}},
            status_code=401,
        )
    start_session(request, token=token)
    return RedirectResponse(PASSWORD_PAGE if outcome.staff.must_change_password else "/dashboard", status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    """End the session in the database too: this cookie, and any copy of it, stops working on every instance."""
    token = session_token(request)
    end_session(request)

    def forget(token: str) -> None:
        now = datetime.now(UTC)
        with Session(runtime.db) as session, session.begin():
            staff_id = log_out(session, token=token)
            if staff_id is not None:
                audit(session, actor=f"staff:{staff_id}", action="logout", target=f"staff:{staff_id}", at=now)

    if token is not None:
        await run_in_threadpool(forget, token)
    return RedirectResponse("/login", status_code=303)
