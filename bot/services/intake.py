"""Turn a finished form into a routed request with SLA deadlines, and answer with its ticket code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.domain.regions import PROVINCE
from bot.domain.text import MAX_FREE_TEXT
from bot.domain.tickets import new_ticket_code
from bot.i18n.render import Renderer
from bot.services.notify import notify_staff
from storage.staff import coordinators_of
from bot.flows.base import FlowContext, SubmitRequest
from bot.flows.menu import menu_reply
from bot.flows.steps import UNKNOWN
from bot.messages import Reply
from bot.routing import Route, RoutingTable
from bot.scheduler.plans import plan_sla_checks
from bot.sla import escalation_due, sla_deadlines, sla_wording
from storage.casework import add_case_message
from storage.models import OPEN_STATUSES, Contact, Request
from storage.requests import add_event, create_request, find_contact_request, get_queue


def submit_request(
    session: Session,
    *,
    contact: Contact,
    effect: SubmitRequest,
    routing: RoutingTable,
    ctx: FlowContext,
    renderer: Renderer,
    now: datetime,
) -> list[Reply]:
    """Create, route and log the request; reply with the ticket code, the promise, and the menu."""
    answers = effect.answers
    route = _route(effect.kind, answers, routing)
    urgency = "urgent" if effect.danger else route.urgency
    deadlines = sla_deadlines(urgency, now, routing.sla, routing.calendar)
    request = Request(
        kind=effect.kind,
        urgency=urgency,
        queue_code=route.queue_code,
        status="new",
        claim_due_at=deadlines.claim_due,
        first_contact_due_at=deadlines.first_contact_due,
        created_at=now,
        contact_id=contact.id,
        danger_flag=effect.danger,
        **_request_fields(effect.kind, answers),
    )
    create_request(session, request=request, new_code=new_ticket_code)
    plan_sla_checks(session, request=request, routing=routing, now=now)
    actor = f"citizen:{contact.id}"
    add_event(session, request_id=request.id, kind="created", actor=actor, at=now, to_status="new",
              detail={"queue": route.queue_code, "urgency": urgency})
    if effect.danger:
        _alert_coordinators(session, request, route.region, renderer, now)
    if answers.get("consent"):
        contact.consent_at = now
        contact.consent_version = ctx.t("consent.version")
    if answers.get("contact_time"):
        contact.contact_times = answers["contact_time"]
    return [_confirmation(session, effect.kind, request, ctx, routing), menu_reply(ctx, intro_key="menu.title")]


def escalate_request(
    session: Session, *, contact: Contact, ticket_code: str, text: str, routing: RoutingTable, renderer: Renderer,
    now: datetime,
) -> Reply | None:
    """Danger written after the request was sent: urgent now, coordinators alerted, the words in its thread.

    A request already urgent keeps its deadlines; a normal one gets the urgent ones from now, where they
    come sooner, and its SLA checks move with them. None when the request is no longer open.
    """
    request = find_contact_request(session, ticket_code=ticket_code, contact_id=contact.id)
    if request is None or request.status not in OPEN_STATUSES:
        return None
    was = request.urgency
    if was != "urgent":
        urgent = sla_deadlines("urgent", now, routing.sla, routing.calendar)
        request.urgency = "urgent"
        request.claim_due_at = min(request.claim_due_at, urgent.claim_due)
        request.first_contact_due_at = min(request.first_contact_due_at, urgent.first_contact_due)
        escalate_at = escalation_due("urgent", now, routing.sla, routing.calendar)
        plan_sla_checks(session, request=request, routing=routing, now=now, escalate_at=escalate_at, replace=True)
    request.danger_flag = True
    add_event(session, request_id=request.id, kind="danger", actor=f"citizen:{contact.id}", at=now,
              detail={"urgency_was": was})
    add_case_message(session, request_id=request.id, direction="in", text=text[:MAX_FREE_TEXT], now=now)
    queue = get_queue(session, code=request.queue_code)
    _alert_coordinators(session, request, queue.region if queue else PROVINCE, renderer, now)
    return Reply(renderer.text(contact.language, "safety.escalated", code=request.ticket_code))


def _alert_coordinators(session: Session, request: Request, region: str, renderer: Renderer, now: datetime) -> None:
    """Danger words in the conversation: the queue's coordinators hear of it at once."""
    regions = {region, PROVINCE}
    notify_staff(session, staff=coordinators_of(session, regions=regions), key="staff.danger_alert",
                 renderer=renderer, now=now, params={"code": request.ticket_code, "queue": request.queue_code})


def _route(kind: str, answers: Mapping[str, Any], routing: RoutingTable) -> Route:
    region = answers.get("region")
    region = None if region == UNKNOWN else region
    if kind == "sighting":
        return routing.route_sighting(answers["category"], region)
    return routing.route_counseling(answers["topic"], region)


def _request_fields(kind: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Map form answers onto request columns; an anonymous sighting keeps no way to reach anyone."""
    region = answers.get("region")
    kecamatan = answers.get("kecamatan")
    common = {
        "region": None if region == UNKNOWN else region,
        "kecamatan_code": None if kecamatan in (None, UNKNOWN) else kecamatan,
        "phone": answers.get("phone"),
    }
    said = answers.get("region_said")  # a place the citizen named that we could not place: staff read it
    if kind == "sighting":
        place = answers["place"]
        landmark = " ".join(part for part in (place.get("landmark"), f"(wilayah: {said})" if said else None) if part)
        return {
            **common,
            "category": answers["category"],
            "latitude": place.get("latitude"),
            "longitude": place.get("longitude"),
            "landmark": landmark or None,
            "description": answers["description"],
            "photo_refs": list(answers.get("photos") or []),
            "anonymous": answers["contact_mode"] == "anonymous",
            "contact_way": answers["contact_mode"],
        }
    return {
        **common,
        "topic": answers["topic"],
        "for_whom": answers["for_whom"],
        "contact_way": answers["contact_way"],
        "contact_times": answers["contact_time"],
        "description": "\n\n".join(part for part in (answers.get("story"), f"(wilayah: {said})" if said else None)
                                   if part) or None,
    }


def _confirmation(
    session: Session, kind: str, request: Request, ctx: FlowContext, routing: RoutingTable
) -> Reply:
    queue = get_queue(session, code=request.queue_code)
    key, count = sla_wording(request.urgency, routing.sla)
    return Reply(
        ctx.t(
            f"submit.{kind}_done",
            code=request.ticket_code,
            agency=queue.name if queue else request.queue_code,
            sla=ctx.t(key, count=count),
        )
    )
