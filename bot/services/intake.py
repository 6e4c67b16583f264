"""Turn a finished form into a routed request with SLA deadlines, and answer with its ticket code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.domain.contact_times import SAFE_NOW, WINDOWS
from bot.domain.statuses import RequestStatus
from bot.domain.tickets import new_ticket_code
from bot.flows.base import FlowContext, SubmitRequest
from bot.flows.menu import menu_reply
from bot.flows.steps import UNKNOWN
from bot.i18n.render import Renderer
from bot.messages import Reply
from bot.routing import Route, RoutingTable
from bot.scheduler.plans import plan_sla_checks
from bot.services.escalation import alert_coordinators
from bot.services.notify import promised_contact_way
from bot.services.photos import attach_request_photos
from bot.sla import Deadline, sla_deadlines, sla_wording
from storage.models import Contact, Queue, Request, persisted_id
from storage.requests import add_event, create_request, get_queue


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
        status=RequestStatus.NEW,
        claim_due_at=deadlines.claim_due,
        first_contact_due_at=deadlines.first_contact_due,
        created_at=now,
        contact_id=contact.id,
        danger_flag=effect.danger,
        **_request_fields(effect.kind, answers),
    )
    create_request(session, request=request, new_code=new_ticket_code)
    attach_request_photos(
        session, contact_id=persisted_id(contact), request_id=persisted_id(request), refs=request.photo_refs or ()
    )
    plan_sla_checks(session, request=request, routing=routing, now=now)
    actor = f"citizen:{contact.id}"
    add_event(
        session,
        request_id=persisted_id(request),
        kind="created",
        actor=actor,
        at=now,
        to_status=RequestStatus.NEW,
        detail={"queue": route.queue_code, "urgency": urgency},
    )
    if effect.danger:
        alert_coordinators(session, request=request, renderer=renderer, now=now)
    if answers.get("consent"):
        contact.consent_at = now
        contact.consent_version = ctx.t("consent.version")
        if request.contact_times and request.contact_times != SAFE_NOW:
            contact.contact_times = request.contact_times  # "Sekarang aman" holds for this request only
    return [_confirmation(session, effect.kind, request, ctx, routing), menu_reply(ctx, intro_key="menu.title")]


def _route(kind: str, answers: Mapping[str, Any], routing: RoutingTable) -> Route:
    region = answers.get("region")
    region = None if region == UNKNOWN else region
    if kind == "sighting":
        return routing.route_sighting(answers["category"], region)
    return routing.route_counseling(answers["topic"], region)


def _request_fields(kind: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Map form answers onto request columns; an anonymous sighting keeps no way to reach anyone.

    Contact data is stored only with consent, whatever path the answers took (UU PDP No. 27/2022).
    """
    region = answers.get("region")
    kecamatan = answers.get("kecamatan")
    consented = answers.get("consent") is True
    common = {
        "region": None if region == UNKNOWN else region,
        "kecamatan_code": None if kecamatan in (None, UNKNOWN) else kecamatan,
        "phone": answers.get("phone") if consented else None,
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
            "anonymous": answers["contact_mode"] == "anonymous" or not consented,
            "contact_way": answers["contact_mode"] if consented else "anonymous",
            # said unasked at the contact question ("telp aja abis jam 4 sore"): when to call, with consent
            "contact_times": answers.get("contact_time")
            if consented and answers["contact_mode"] != "anonymous"
            else None,
        }
    return {
        **common,
        "topic": answers["topic"],
        "for_whom": answers["for_whom"],
        "contact_way": answers["contact_way"],
        "contact_times": answers["contact_time"],
        "description": "\n\n".join(
            part for part in (answers.get("story"), f"(wilayah: {said})" if said else None) if part
        )
        or None,
    }


def _confirmation(session: Session, kind: str, request: Request, ctx: FlowContext, routing: RoutingTable) -> Reply:
    """The ticket code and a promise the service keeps, as the routing file sets its deadlines.

    The claim deadline says when an officer takes the request up; a promise of contact names the
    first-contact deadline and the way the citizen chose. An anonymous reporter is promised no contact.
    """
    queue = get_queue(session, code=request.queue_code)
    way = promised_contact_way(request)
    key = f"submit.promise_{kind}" if way else "submit.promise_anonymous"
    times = ""
    if kind == "counseling" and request.urgency == "urgent" and request.contact_times in WINDOWS:
        key = "submit.promise_counseling_safe_time"  # an urgent call waits for the window the citizen chose
        times = ctx.t(
            "submit.anytime_hours" if request.contact_times == "anytime" else f"contact_time.{request.contact_times}"
        )
    promise = ctx.t(
        key,
        times=times,
        agency=_agency(queue, request, ctx),
        claim_sla=_within(request.urgency, routing, "claim", ctx),
        contact_sla=_within(request.urgency, routing, "first_contact", ctx),
        way=ctx.t(f"contact_way.{way}") if way else "",
    )
    return Reply(ctx.t(f"submit.{kind}_done", code=request.ticket_code, promise=promise))


def _within(urgency: str, routing: RoutingTable, deadline: Deadline, ctx: FlowContext) -> str:
    key, count = sla_wording(urgency, routing.sla, deadline)
    return ctx.t(f"{key}_one" if count == 1 else key, count=count)


def _agency(queue: Queue | None, request: Request, ctx: FlowContext) -> str:
    """The queue's name, with what its agency is in plain words where the catalog says ("LK3 ..., ...")."""
    if queue is None:
        return request.queue_code
    about = f"agency_about.{queue.agency}"
    if about not in ctx.catalog.keys(ctx.language):
        return queue.name
    return ctx.t("submit.agency_with_about", name=queue.name, about=ctx.t(about))
