"""The audit log as an admin reads it: who did what to which ticket, in names and ticket codes, and its export.

Rows store ids (`staff:3`, `request:42`) so they survive a renamed account or a re-coded queue; this page
puts names on them when it shows them. Filters are by person, ticket and action; pages go back by id
(keyset, like the other list pages), and the export takes the same filters, newest first, up to
MAX_EXPORT_ROWS. The log says who looked at whose data, across every region, so it stays with admins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from bot.runtime import Runtime
from bot.services.audit_log import audit, audit_page, party_names, request_id_of_ticket
from bot.services.dashboard_reads import PAGE_SIZE
from bot.services.records import AuditLog
from bot.web.dashboard.deps import AdminStaff, staff_text
from bot.web.dashboard.exports import MAX_EXPORT_ROWS, Sheet, csv_bytes, file_response, xlsx_bytes
from bot.web.dashboard.filters import normalise_ticket
from bot.web.dashboard.flash import render_page
from bot.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

Before = Annotated[int | None, Query(ge=1)]
Actor = Annotated[str, Query(max_length=64)]
Target = Annotated[str, Query(max_length=96)]
Ticket = Annotated[str, Query(max_length=16)]
Action = Annotated[str, Query(max_length=48)]


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """What the page is narrowed to: `actor` and `target` as stored ("staff:3", "request:42")."""

    actor: str | None
    target: str | None
    action: str | None
    ticket: str  # as typed, shown again in the form
    unknown_ticket: bool  # a typed ticket code that names no request: nothing matches

    def params(self) -> dict[str, str]:
        """The filters as query parameters, for the pager and the export links."""
        values = {"actor": self.actor, "ticket": self.ticket, "action": self.action}
        if not self.ticket and self.target:
            values["target"] = self.target
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One row in words; `request_id` links the ticket to its page."""

    at: datetime
    who: str
    actor: str
    action: str
    what: str
    target: str
    request_id: int | None
    detail: dict[str, Any]


class Names:
    """Names for the ids of a set of audit rows: staff display names and ticket codes, loaded once."""

    def __init__(self, runtime: Runtime, staff: dict[int, str], tickets: dict[int, str]) -> None:
        self.t = partial(staff_text, runtime)
        self.actions = runtime.catalog.section(runtime.settings.default_language, "dash_admin.audit_actions")
        self.staff = staff
        self.tickets = tickets

    @classmethod
    def load(cls, session: Session, runtime: Runtime, rows: list[AuditLog]) -> Names:
        request_ids = [ident for row in rows if (ident := _id_of(row.target, "request")) is not None]
        return cls(runtime, *party_names(session, request_ids=request_ids))

    def party(self, value: str) -> str:
        """ "Siti" for staff:3, "Warga #12" for citizen:12 or contact:12, "Sistem", a ticket code for request:42."""
        kind, _, ident = value.partition(":")
        number = int(ident) if ident.isdigit() else None
        if kind == "staff" and number is not None:
            return self.staff.get(number, value)
        if kind == "request" and number is not None:
            return self.tickets.get(number, value)
        if kind in ("citizen", "contact") and number is not None:
            return self.t("dash_admin.audit_citizen", id=ident)
        if kind == "user":
            return self.t("dash_admin.audit_account", username=ident)
        if value == "system":
            return self.t("dash_admin.audit_system")
        return value

    def line(self, row: AuditLog) -> AuditLine:
        return AuditLine(
            row.at,
            self.party(row.actor),
            row.actor,
            row.action,
            self.actions.get(row.action, row.action),
            self.party(row.target),
            _id_of(row.target, "request"),
            row.detail or {},
        )


def _id_of(value: str, kind: str) -> int | None:
    prefix, _, ident = value.partition(":")
    return int(ident) if prefix == kind and ident.isdigit() else None


def _filters(session: Session, actor: str, target: str, ticket: str, action: str) -> AuditFilters:
    """Read the form; a typed ticket code becomes the `request:<id>` target rows are stored under."""
    code = normalise_ticket(ticket) if ticket.strip() else ""
    found = request_id_of_ticket(session, ticket_code=code) if code else None
    return AuditFilters(
        actor=actor.strip() or None,
        target=f"request:{found}" if found is not None else (target.strip() or None),
        action=action.strip() or None,
        ticket=code,
        unknown_ticket=bool(code) and found is None,
    )


def _rows(session: Session, filters: AuditFilters, before: int | None, limit: int) -> tuple[list[AuditLog], int | None]:
    if filters.unknown_ticket:
        return [], None
    return audit_page(
        session, before_id=before, actor=filters.actor, target=filters.target, action=filters.action, limit=limit
    )


@router.get("/dashboard/admin/audit")
async def audit_log(
    request: Request,
    staff: AdminStaff,
    runtime: RuntimeDep,
    before: Before = None,
    actor: Actor = "",
    target: Target = "",
    ticket: Ticket = "",
    action: Action = "",
) -> Response:
    """Who viewed, changed or exported what, and when: newest first, narrowed by person, ticket and action."""

    def load() -> dict[str, Any]:
        with Session(runtime.db) as session:
            filters = _filters(session, actor, target, ticket, action)
            rows, next_before = _rows(session, filters, before, PAGE_SIZE)
            names = Names.load(session, runtime, rows)
            people = sorted(names.staff.items(), key=lambda item: item[1].casefold())
            return {
                "lines": [names.line(row) for row in rows],
                "next_before": next_before,
                "filters": filters,
                "people": people,
                "actions": sorted(names.actions.items(), key=lambda item: item[1].casefold()),
                "query": filters.params(),
            }

    return render_page(runtime, request, staff, "dashboard/admin_audit.html", await run_in_threadpool(load))


@router.get("/dashboard/admin/audit.{fmt}")
def export_audit_log(
    fmt: str,
    request: Request,
    staff: AdminStaff,
    runtime: RuntimeDep,
    actor: Actor = "",
    target: Target = "",
    ticket: Ticket = "",
    action: Action = "",
) -> Response:
    """The audit log as filtered on the page, newest first, as CSV or XLSX; the export is itself audited."""
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404)
    now = datetime.now(UTC)
    with Session(runtime.db) as session, session.begin():
        filters = _filters(session, actor, target, ticket, action)
        rows, more = _rows(session, filters, None, MAX_EXPORT_ROWS)
        names = Names.load(session, runtime, rows)
        lines = [names.line(row) for row in rows]
        audit(
            session,
            actor=staff.actor,
            action="export",
            target=f"audit.{fmt}",
            at=now,
            detail={"filters": filters.params(), "rows": len(lines), "personal": False, "truncated": more is not None},
        )
    headers = [
        staff_text(runtime, f"dash_admin.audit_col_{name}")
        for name in ("at", "who", "what", "target", "actor", "action", "detail")
    ]
    table = [
        [
            line.at,
            line.who,
            line.what,
            line.target,
            line.actor,
            line.action,
            json.dumps(line.detail, ensure_ascii=False, sort_keys=True) if line.detail else None,
        ]
        for line in lines
    ]
    sheet = Sheet(staff_text(runtime, "dash_admin.audit_title"), headers, table)
    content = csv_bytes(sheet, runtime) if fmt == "csv" else xlsx_bytes(sheet, runtime)
    stamp = now.astimezone(runtime.settings.tz).strftime("%Y%m%d-%H%M")
    return file_response(content, f"log-audit-{stamp}.{fmt}")
