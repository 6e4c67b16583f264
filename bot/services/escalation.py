"""Making a request urgent after it was sent: danger written later, or a category staff set that is urgent.

Urgent requests are claimed within hours, around the clock (DESIGN.md section 3): the deadlines move to
the urgent ones from now where those come sooner, and the SLA checks move with them.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.domain.regions import PROVINCE
from bot.domain.statuses import OPEN_STATUSES
from bot.domain.text import MAX_FREE_TEXT
from bot.i18n.render import Renderer
from bot.messages import Reply
from bot.routing import RoutingTable
from bot.scheduler.plans import plan_sla_checks
from bot.services.notify import notify_staff
from bot.sla import escalation_due, sla_deadlines
from storage.casework import add_case_message
from storage.models import Contact, Request, persisted_id
from storage.requests import add_event, find_contact_request, get_queue
from storage.staff import coordinators_of


def make_urgent(session: Session, *, request: Request, routing: RoutingTable, now: datetime) -> bool:
    """Urgent from now on; False when it already was (its deadlines stay)."""
    if request.urgency == "urgent":
        return False
    urgent = sla_deadlines("urgent", now, routing.sla, routing.calendar)
    request.urgency = "urgent"
    request.claim_due_at = min(request.claim_due_at, urgent.claim_due)
    request.first_contact_due_at = min(request.first_contact_due_at, urgent.first_contact_due)
    escalate_at = escalation_due("urgent", now, routing.sla, routing.calendar)
    plan_sla_checks(session, request=request, routing=routing, now=now, escalate_at=escalate_at, replace=True)
    return True


def escalate_request(
    session: Session,
    *,
    contact: Contact,
    ticket_code: str,
    text: str,
    routing: RoutingTable,
    renderer: Renderer,
    now: datetime,
) -> Reply | None:
    """Danger written after the request was sent: urgent now, coordinators alerted, the words in its thread.

    None when the request is no longer open (the flow then says nothing it cannot keep).
    """
    request = find_contact_request(session, ticket_code=ticket_code, contact_id=persisted_id(contact))
    if request is None or request.status not in OPEN_STATUSES:
        return None
    was = request.urgency
    make_urgent(session, request=request, routing=routing, now=now)
    request.danger_flag = True
    add_event(
        session,
        request_id=persisted_id(request),
        kind="danger",
        actor=f"citizen:{contact.id}",
        at=now,
        detail={"urgency_was": was},
    )
    add_case_message(session, request_id=persisted_id(request), direction="in", text=text[:MAX_FREE_TEXT], now=now)
    alert_coordinators(session, request=request, renderer=renderer, now=now)
    return Reply(renderer.text(contact.language, "safety.escalated", code=request.ticket_code))


def alert_coordinators(session: Session, *, request: Request, renderer: Renderer, now: datetime) -> None:
    """Danger in a request: the coordinators of its region and of the province hear of it at once."""
    queue = get_queue(session, code=request.queue_code)
    regions = {queue.region if queue else PROVINCE, PROVINCE}
    notify_staff(
        session,
        staff=coordinators_of(session, regions=regions),
        key="staff.danger_alert",
        renderer=renderer,
        now=now,
        params={"code": request.ticket_code, "queue": request.queue_code},
    )
