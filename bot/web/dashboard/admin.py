"""Admin pages: staff accounts, Telegram link codes, the audit log and the outbox's dead letters.

A generated password and a link code are secrets shown exactly once: they are rendered into the answer
of the POST that made them (with `Cache-Control: no-store`), never put in the session cookie (signed,
not encrypted) or a URL. Creating an account and issuing a code are audit-log rows like data views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from bot.domain.regions import PROVINCE, load_regions
from bot.runtime import Runtime
from bot.services import dashboard_reads as reads
from bot.services.access import StaffView
from bot.services.audit_log import audit
from bot.services.records import Staff
from bot.services.staff_accounts import LINK_CODE_LIFETIME, ROLES, StaffInputError, create_staff, new_link_code
from bot.services.staff_directory import staff_account
from bot.web.dashboard.deps import AdminStaff, CsrfChecked, CurrentStaff, staff_text
from bot.web.dashboard.flash import render_page
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store"}
Short = Annotated[str, Form(max_length=96)]
Before = Annotated[int | None, Query(ge=1)]


@dataclass(frozen=True, slots=True)
class LinkCode:
    username: str
    display_name: str
    code: str
    expires_at: datetime


def region_choices() -> list[tuple[str, str]]:
    """(code, name) of each kabupaten/kota, for an account's region (the province is offered besides)."""
    return [(r.code, r.name) for r in load_regions().regions]


async def _staff_page(
    runtime: Runtime,
    request: Request,
    staff: StaffView,
    *,
    error: str | None = None,
    form: Mapping[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    def load() -> tuple[list[tuple[Staff, list[str]]], list]:
        with Session(runtime.db) as session:
            return reads.staff_with_queues(session), reads.all_queues(session)

    accounts, queues = await run_in_threadpool(load)
    context = {
        "accounts": accounts,
        "queues": queues,
        "roles": ROLES,
        "regions": region_choices(),
        "province": PROVINCE,
        "error": error,
        "form": form or {},
    }
    return render_page(runtime, request, staff, "dashboard/admin_staff.html", context, status_code=status_code)


@router.get("/dashboard/admin/staff")
async def staff_accounts(request: Request, staff: AdminStaff, runtime: RuntimeDep) -> Response:
    """Every account with its role, region, queues and Telegram link; the form to add one."""
    return await _staff_page(runtime, request, staff)


@router.post("/dashboard/admin/staff", dependencies=[CsrfChecked])
async def add_staff_account(
    request: Request,
    staff: AdminStaff,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=16)],
    display_name: Short = "",
    region: Annotated[str, Form(max_length=32)] = "",
    queues: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
) -> Response:
    """Create an account with a generated password, shown on this answer only."""
    now = datetime.now(UTC)

    def work() -> tuple[str, str | None]:
        with Session(runtime.db) as session, session.begin():
            created, password = create_staff(
                session,
                username=username.strip(),
                role=role,
                queues=queues,
                region=region or None,
                now=now,
                display_name=display_name.strip() or None,
            )
            audit(
                session,
                actor=staff.actor,
                action="create_staff",
                target=f"staff:{created.id}",
                at=now,
                detail={"role": role},
            )
            return created.username, password

    try:
        created, password = await run_in_threadpool(work)
    except StaffInputError as error:
        form = {"username": username, "display_name": display_name, "role": role, "region": region, "queues": queues}
        reason = staff_text(runtime, error.key, **error.params)
        return await _staff_page(runtime, request, staff, error=reason, form=form, status_code=422)
    response = render_page(
        runtime, request, staff, "dashboard/admin_staff_created.html", {"username": created, "password": password}
    )
    response.headers.update(NO_STORE)
    return response


def _issue_link_code(runtime: Runtime, actor: StaffView, staff_id: int) -> LinkCode | None:
    """A fresh `/tautkan` code for account `staff_id` (the previous one stops working)."""
    now = datetime.now(UTC)
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        target = staff_account(session, staff_id=staff_id)
        if target is None or not target.active:
            return None
        code = new_link_code(session, staff=target, now=now)
        audit(session, actor=actor.actor, action="link_code", target=f"staff:{target.id}", at=now)
        return LinkCode(target.username, target.display_name, code, now + LINK_CODE_LIFETIME)  # as new_link_code set


async def _link_code_page(runtime: Runtime, request: Request, staff: StaffView, staff_id: int) -> Response:
    issued = await run_in_threadpool(_issue_link_code, runtime, staff, staff_id)
    if issued is None:
        return render_page(runtime, request, staff, "dashboard/admin_link_code.html", {"issued": None}, status_code=404)
    response = render_page(runtime, request, staff, "dashboard/admin_link_code.html", {"issued": issued})
    response.headers.update(NO_STORE)
    return response


@router.post("/dashboard/admin/staff/{staff_id}/link-code", dependencies=[CsrfChecked])
async def staff_link_code(request: Request, staff_id: int, staff: AdminStaff, runtime: RuntimeDep) -> Response:
    """A one-time Telegram link code for a colleague's account, valid 15 minutes."""
    return await _link_code_page(runtime, request, staff, staff_id)


@router.post("/dashboard/account/link-code", dependencies=[CsrfChecked])
async def own_link_code(request: Request, staff: CurrentStaff, runtime: RuntimeDep) -> Response:
    """Any staff member links their own Telegram account: `/tautkan KODE` in the bot."""
    return await _link_code_page(runtime, request, staff, staff.id)


@router.get("/dashboard/admin/dead-letters")
async def dead_letters(request: Request, staff: AdminStaff, runtime: RuntimeDep, before: Before = None) -> Response:
    """Replies the outbox gave up on, with the platform's last error (never the message text)."""

    def load():
        with Session(runtime.db) as session:
            return reads.dead_letters(session, before_id=before)

    rows, next_before = await run_in_threadpool(load)
    return render_page(
        runtime, request, staff, "dashboard/admin_dead_letters.html", {"rows": rows, "next_before": next_before}
    )
