"""Staff actions from a linked Telegram chat, through the same services and checks as the dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.domain.contact_times import next_safe_time
from bot.domain.statuses import RequestStatus
from bot.flows.base import StaffAction
from bot.i18n.render import Renderer
from bot.messages import Choice, Reply
from bot.routing import RoutingTable
from bot.services.access import PermissionDenied, StaffView, staff_view, visible_request
from bot.services.case_rules import CaseAct, CaseActionError, Verdict, decide, holder_name
from bot.services.case_thread import add_case_note, message_citizen, record_call
from bot.services.claims import claim_request, close_request
from storage.casework import cases_by_claim_due, unclaimed_in_queues
from storage.models import Contact, Request, persisted_id
from storage.staff import audit, staff_by_contact

LIST_LIMIT = 8
PREVIEW = 300


def run_staff_action(
    session: Session, *, contact: Contact, action: StaffAction, routing: RoutingTable, renderer: Renderer, now: datetime
) -> list[Reply]:
    """Carry out one staff action; another queue's request reads as "not found", never as a leak.

    The rules are the dashboard's (bot/services/case_rules.py): a counselor is told who holds a colleague's
    case; a lead, who needs a reason to act on it, is sent to the dashboard, where the forms ask for one.
    """
    staff = staff_by_contact(session, contact_id=persisted_id(contact))
    language = contact.language
    if staff is None:
        return [Reply(renderer.text(language, "staff_chat.not_linked"))]
    view = staff_view(session, staff)
    try:
        return _dispatch(session, view, action, routing, renderer, language, now)
    except PermissionDenied:
        return [Reply(renderer.text(language, "staff_chat.not_found"))]
    except CaseActionError as error:
        key = "case.error_reason_telegram" if error.args[0] == "case.error_reason_needed" else str(error.args[0])
        return [Reply(renderer.text(language, key, **error.params))]


def _dispatch(
    session: Session,
    view: StaffView,
    action: StaffAction,
    routing: RoutingTable,
    renderer: Renderer,
    language: str,
    now: datetime,
) -> list[Reply]:
    t = renderer.text
    if action.action == "queue":
        return [_queue(session, view, renderer, language, now)]
    if action.action == "cases":
        return [_cases(session, view, renderer, language)]
    if action.action == "case":
        return [_case(session, view, action.request_id, renderer, language, now)]
    if action.action == "claim":
        result = claim_request(session, view=view, request_id=action.request_id, routing=routing, now=now)
        if not result.won:
            return [Reply(t(language, "staff_chat.claim_lost", name=result.holder or "-"))]
        return [
            Reply(t(language, "staff_chat.claim_won")),
            _case(session, view, action.request_id, renderer, language, now),
        ]
    if action.action == "message":
        held = message_citizen(session, view=view, request_id=action.request_id, text=action.text, now=now)
        return [Reply(t(language, "case.staff_safe_held" if held else "staff_chat.message_sent"))]
    if action.action == "note":
        add_case_note(session, view=view, request_id=action.request_id, text=action.text, now=now)
        return [Reply(t(language, "staff_chat.note_saved"))]
    if action.action == "call":
        record_call(session, view=view, request_id=action.request_id, now=now)
        return [Reply(t(language, "staff_chat.call_recorded"))]
    if action.action == RequestStatus.REFERRED:  # the flow asked where to; the text is the answer
        close_request(
            session, view=view, request_id=action.request_id, outcome=RequestStatus.REFERRED, note=action.text, now=now
        )
        return [Reply(t(language, "staff_chat.closed"))]
    note = (
        "" if action.text == RequestStatus.REFERRED else t(language, "staff_chat.closed_note")
    )  # a referral names where to
    close_request(session, view=view, request_id=action.request_id, outcome=action.text, note=note, now=now)
    return [Reply(t(language, "staff_chat.closed"))]


def _queue(session: Session, view: StaffView, renderer: Renderer, language: str, now: datetime) -> Reply:
    waiting = unclaimed_in_queues(session, queue_codes=view.queues, limit=LIST_LIMIT)
    if not waiting:
        return Reply(renderer.text(language, "staff_chat.queue_empty"))
    choices = tuple(Choice(f"sclaim:{r.id}", _line(r, renderer, language, now)) for r in waiting)
    return Reply(renderer.text(language, "staff_chat.queue_title", count=len(waiting)), choices)


def _cases(session: Session, view: StaffView, renderer: Renderer, language: str) -> Reply:
    mine = cases_by_claim_due(session, staff_id=view.id, limit=LIST_LIMIT)
    if not mine:
        return Reply(renderer.text(language, "staff_chat.cases_empty"))
    choices = tuple(Choice(f"scase:{r.id}", f"{r.ticket_code} · {_what(r, renderer, language)}") for r in mine)
    return Reply(renderer.text(language, "staff_chat.cases_title"), choices)


def _case(
    session: Session, view: StaffView, request_id: int, renderer: Renderer, language: str, now: datetime
) -> Reply:
    request = visible_request(session, view, request_id)
    audit(
        session,
        actor=view.actor,
        action="view_request",
        target=f"request:{request.id}",
        at=now,
        detail={"via": "telegram"},
    )
    t = renderer.text
    description = (request.description or "-")[:PREVIEW]
    text = t(
        language,
        "staff_chat.case",
        code=request.ticket_code,
        what=_what(request, renderer, language),
        status=t(language, f"status.names.{request.status}"),
        created=renderer.when(language, request.created_at),
        description=description,
        contact=t(language, "staff_chat.anonymous") if request.anonymous else request.contact_way or "-",
    )
    text = "\n".join((text, safe)) if (safe := _safe_time_line(session, request, renderer, language, now)) else text
    if request.assigned_staff_id not in (None, view.id):
        text = "\n".join((text, t(language, "staff_chat.held_by", name=holder_name(session, request))))
    buttons = (
        (CaseAct.CONTACT, "smsg", "do_message"),
        (CaseAct.CONTACT, "scall", "do_call"),
        (CaseAct.NOTE, "snote", "do_note"),
        (CaseAct.CLOSE, "sclose", "do_close"),
    )
    # Only what the rules allow without a reason: a reason is asked on the dashboard, not here.
    choices = tuple(
        Choice(f"{prefix}:{request.id}", t(language, f"staff_chat.{label}"))
        for act, prefix, label in buttons
        if decide(view, request, act).verdict is Verdict.ALLOWED
    )
    return Reply(text, choices)


def _safe_time_line(session: Session, request: Request, renderer: Renderer, language: str, now: datetime) -> str:
    """When the citizen's safe time next opens (messages wait for it), or "" when they chose no time."""
    contact = session.get(Contact, request.contact_id) if request.contact_id else None
    opens = next_safe_time(now, request.contact_times, contact.contact_times, renderer.tz) if contact else None
    if opens is None:
        return ""
    if opens <= now:
        return renderer.text(language, "dash_requests.safe_now")
    return renderer.text(language, "dash_requests.next_safe_time", when=renderer.when(language, opens))


def _what(request: Request, renderer: Renderer, language: str) -> str:
    if request.category:
        return renderer.text(language, f"pmks.{request.category}")
    return renderer.text(language, f"topic.{request.topic}")


def _line(request: Request, renderer: Renderer, language: str, now: datetime) -> str:
    hours = int((request.claim_due_at - now).total_seconds() // 3600)
    left = (
        renderer.text(language, "staff_chat.late")
        if hours < 0
        else renderer.text(language, "staff_chat.hours_left", hours=hours)
    )
    urgent = "‼ " if request.urgency == "urgent" else ""
    return f"{urgent}{request.ticket_code} · {_what(request, renderer, language)} · {left}"
