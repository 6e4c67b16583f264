"""Staff set the category or topic of a request whose words did not settle it ("belum ditentukan").

A citizen not understood twice still gets their request through (bot/flows/form.py takes the words as
they are); it waits in the region's Dinas Sosial queue until someone reads it and says what it is. Then it
is routed as if the citizen had said so: to P2TP2A for violence, urgent where the routing file says.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES, UNCLASSIFIED
from bot.domain.statuses import CLOSED_STATUSES, RequestStatus
from bot.routing import RoutingTable
from bot.services.access import StaffView, visible_request
from bot.services.case_rules import CaseActionError
from bot.services.escalation import make_urgent
from storage.casework import set_request_state, set_request_subject
from storage.models import Request, persisted_id
from storage.requests import add_event


def subject_of(request: Request) -> str | None:
    return request.category if request.kind == "sighting" else request.topic


def may_classify(request: Request) -> bool:
    """Only an open request whose category or topic is still "belum ditentukan"."""
    return subject_of(request) == UNCLASSIFIED and request.status not in CLOSED_STATUSES


def choices_for(request: Request) -> tuple[str, ...]:
    return PMKS_CATEGORIES if request.kind == "sighting" else COUNSELING_TOPICS


def classify_request(
    session: Session, *, view: StaffView, request_id: int, code: str, routing: RoutingTable, now: datetime
) -> Request:
    """Set the category or topic; a request that now belongs to another queue goes there, unclaimed."""
    request = visible_request(session, view, request_id)
    if not may_classify(request):
        raise CaseActionError("case.error_closed" if request.status in CLOSED_STATUSES else "case.error_classified")
    if code not in choices_for(request):
        raise CaseActionError("case.error_subject")
    sighting = request.kind == "sighting"
    route = routing.route_sighting(code, request.region) if sighting else routing.route_counseling(code, request.region)
    set_request_subject(
        session, request_id=persisted_id(request), category=code if sighting else None, topic=None if sighting else code
    )
    detail = {"code": code, "from_queue": request.queue_code, "to_queue": route.queue_code}
    add_event(session, request_id=persisted_id(request), kind="classified", actor=view.actor, at=now, detail=detail)
    if route.queue_code != request.queue_code:
        set_request_state(
            session,
            request_id=persisted_id(request),
            status=RequestStatus.NEW,
            assigned_staff_id=None,
            queue_code=route.queue_code,
        )
        add_event(
            session,
            request_id=persisted_id(request),
            kind="status",
            actor=view.actor,
            at=now,
            from_status=request.status,
            to_status=RequestStatus.NEW,
            detail={"action": "transfer", **detail},
        )
    session.refresh(request)
    if route.urgency == "urgent":
        make_urgent(session, request=request, routing=routing, now=now)
    return request
