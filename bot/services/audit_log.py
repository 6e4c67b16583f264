"""The audit log: who viewed, changed or exported what, written by every page and read by admins.

Rows store ids (`staff:3`, `request:42`); the admin's page puts names on them with `party_names`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import dashboard_queries, requests, staff
from storage.models import AuditLog


def audit(
    session: Session, *, actor: str, action: str, target: str, at: datetime, detail: dict[str, Any] | None = None
) -> None:
    """Add one audit row to the caller's transaction (it commits with the work it records)."""
    staff.audit(session, actor=actor, action=action, target=target, at=at, detail=detail)


def audit_page(
    session: Session,
    *,
    before_id: int | None,
    actor: str | None = None,
    target: str | None = None,
    action: str | None = None,
    limit: int = dashboard_queries.PAGE_SIZE,
) -> tuple[list[AuditLog], int | None]:
    """Rows newest first, optionally of one actor, target and action; and where the next page starts."""
    return dashboard_queries.audit_page(
        session, before_id=before_id, actor=actor, target=target, action=action, limit=limit
    )


def request_id_of_ticket(session: Session, *, ticket_code: str) -> int | None:
    """The id rows name a request by (`request:<id>`), for a ticket code typed into the filter."""
    found = requests.find_request(session, ticket_code=ticket_code)
    return None if found is None else found.id


def party_names(session: Session, *, request_ids: Iterable[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Every account's display name (people who left too) and the ticket codes of these requests."""
    return dashboard_queries.all_staff_names(session), dashboard_queries.ticket_codes(session, ids=request_ids)
