"""What the request detail page shows, and to whom: fields, timeline, thread, notes, appointments.

Loading a detail is a view of personal data, so it writes the audit row in the same transaction.
Texts are resolved here through the catalog (`t`) so the template only lays them out; Jinja still
escapes every one of them, including a citizen's words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.domain.contact_times import next_safe_time
from bot.domain.pmks import PMKS_CATEGORIES
from bot.domain.statuses import ATTENDANCE_STATUSES, CLOSED_STATUSES, AppointmentStatus, RequestStatus
from bot.services import case_rules
from bot.services import dashboard_reads as reads
from bot.services.access import StaffView, may_see_personal, visible_request
from bot.services.audit_log import audit
from bot.services.bnba import may_record_person
from bot.services.case_file import appointments_of, contact_of, notes_of, thread_of, timeline_of
from bot.services.case_rules import CaseAct
from bot.services.classify import choices_for, may_classify
from bot.services.deadlines import pending_deadline, sla_state
from bot.services.duplicates import PossibleDuplicate, merge_target, merged_from, possible_duplicates
from bot.services.first_contact import Delivery, thread_deliveries
from bot.services.records import (
    Appointment,
    Queue,
    Request,
    RequestEvent,
    Staff,
    persisted_id,
)
from bot.services.safe_to_talk import EVENT as SAFE_TO_TALK
from bot.services.staff_directory import queue_members

Translate = Callable[..., str]
_CATEGORIES = frozenset(PMKS_CATEGORIES)
#: The appointment events told by their own status; any other (a cancellation, a withdrawn offer) as cancelled.
_APPOINTMENT_EVENTS = (AppointmentStatus.CONFIRMED, *ATTENDANCE_STATUSES)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    text: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One message of the thread or one case note, with who wrote it."""

    at: datetime
    author: str
    text: str
    outgoing: bool = False
    delivery: Delivery | None = None  # an outgoing message: delivered, or what it waits for
    id: int = 0  # a thread message's id: the page asks for those after the last (bot/web/dashboard/casework.py)


@dataclass(frozen=True, slots=True)
class Allowed:
    """Which action forms make sense now; the services still decide and refuse what does not fit."""

    claim: bool
    release: bool
    transfer: bool
    contact: bool  # message the citizen, offer slots
    call: bool
    note: bool
    close: bool
    reopen: bool
    classify: bool  # the category or topic is "belum ditentukan": staff say what it is
    person: bool = False  # record the sighted person's name, NIK and address for the BNBA list
    appointment: bool = False  # cancel an appointment, mark one done or no-show
    reason: bool = False  # a lead on a case someone else holds: each form asks why (bot/services/case_rules.py)


@dataclass(frozen=True, slots=True)
class RequestDetail:
    request: Request
    queue_name: str
    personal: bool
    show_contact: bool
    channel: str | None
    assigned: str | None
    sla: str | None
    deadline: datetime | None
    timeline: list[TimelineEntry]
    safe_to_talk: str | None  # catalog text of the citizen's last answer to "aman untuk bicara?", if asked
    next_safe: datetime | None  # when the citizen's safe time next opens (now, if open); None: no time chosen
    safe_now: bool  # the safe time is open now, so a message goes at once
    thread: list[Line]
    notes: list[Line]
    appointments: list[Appointment]
    colleagues: list[Staff]
    queues: list[Queue]
    allowed: Allowed
    duplicates: list[PossibleDuplicate]
    merged_into: Request | None
    merged_from: list[Request]
    subjects: tuple[str, ...]  # the categories or topics staff may set, when `allowed.classify`


def load_detail(
    session: Session, *, view: StaffView, request_id: int, now: datetime, t: Translate, tz: ZoneInfo
) -> RequestDetail:
    """The page's data for `view`, or PermissionDenied; writes the `view_request` audit row."""
    request = visible_request(session, view, request_id)
    personal = may_see_personal(view, request)
    audit(
        session,
        actor=view.actor,
        action="view_request",
        target=f"request:{request.id}",
        at=now,
        detail={"personal": personal},
    )
    case_id = persisted_id(request)
    events = timeline_of(session, request_id=case_id)
    thread = thread_of(session, request_id=case_id) if personal else []
    notes = notes_of(session, request_id=case_id) if personal else []
    names = reads.staff_names(
        session,
        ids=[
            *_staff_ids(events),
            *(m.staff_id for m in thread),
            *(n.staff_id for n in notes),
            request.assigned_staff_id,
        ],
    )
    queue_names = reads.queue_names(session)
    contact = contact_of(session, request)
    citizen = t("dash_requests.actor_citizen")
    next_safe = next_safe_time(now, request.contact_times, contact.contact_times, tz) if contact else None
    deliveries = thread_deliveries(session, request=request, contact=contact, messages=thread, now=now, tz=tz)
    return RequestDetail(
        request=request,
        queue_name=queue_names.get(request.queue_code, request.queue_code),
        personal=personal,
        show_contact=personal and not request.anonymous,
        channel=contact.channel if contact else None,
        assigned=names.get(request.assigned_staff_id) if request.assigned_staff_id else None,
        sla=sla_state(request, now),
        deadline=pending_deadline(request),
        timeline=[_entry(e, names, queue_names, t, personal) for e in events],
        safe_to_talk=next((_safe_text(e, t) for e in reversed(events) if e.kind == SAFE_TO_TALK), None),
        next_safe=next_safe,
        safe_now=next_safe is not None and next_safe <= now,
        thread=[
            Line(
                m.created_at,
                reads.name_of(names, m.staff_id) if m.direction == "out" else citizen,
                m.text,
                m.direction == "out",
                deliveries.get(persisted_id(m)),
                id=persisted_id(m),
            )
            for m in thread
        ],
        notes=[Line(n.created_at, reads.name_of(names, n.staff_id), n.text) for n in notes],
        appointments=appointments_of(session, request_id=case_id),
        colleagues=[
            s for s in queue_members(session, queue_code=request.queue_code) if s.id != request.assigned_staff_id
        ],
        queues=[q for q in reads.all_queues(session) if q.code != request.queue_code],
        allowed=_allowed(view, request, personal),
        duplicates=possible_duplicates(session, view=view, request=request),
        merged_into=_visible(view, merge_target(session, request)),
        merged_from=[r for r in merged_from(session, request_id=case_id) if view.can_see(r)],
        subjects=choices_for(request),
    )


def _visible(view: StaffView, request: Request | None) -> Request | None:
    return request if request is not None and view.can_see(request) else None


def _allowed(view: StaffView, request: Request, personal: bool) -> Allowed:
    """The forms to show, as the case rules decide (bot/services/case_rules.py); the POSTs ask them again."""
    reachable = personal and not request.anonymous and request.contact_id is not None
    contact = case_rules.may(view, request, CaseAct.CONTACT)
    return Allowed(
        claim=case_rules.may(view, request, CaseAct.CLAIM),
        release=case_rules.may(view, request, CaseAct.RELEASE),
        transfer=case_rules.may(view, request, CaseAct.TRANSFER),
        contact=contact and reachable,
        call=contact,
        note=personal and case_rules.may(view, request, CaseAct.NOTE),
        close=case_rules.may(view, request, CaseAct.CLOSE),
        reopen=case_rules.may(view, request, CaseAct.REOPEN) and request.merged_into_id is None,
        classify=may_classify(request),
        person=personal and may_record_person(view, request),
        appointment=case_rules.may(view, request, CaseAct.APPOINTMENT),
        reason=case_rules.acts_for_holder(view, request),
    )


def _staff_ids(events: list[RequestEvent]) -> list[int]:
    ids = [int(e.actor.split(":", 1)[1]) for e in events if e.actor.startswith("staff:") and e.actor[6:].isdigit()]
    return ids + [e.detail[key] for e in events for key in ("to_staff", "holder") if isinstance(e.detail.get(key), int)]


def _actor(actor: str, names: dict[int, str], t: Translate) -> str:
    kind, _, ident = actor.partition(":")
    if kind == "staff" and ident.isdigit():
        return names.get(int(ident), actor)
    if kind == "citizen":
        return t("dash_requests.actor_citizen")
    return t("dash_requests.actor_system")


def _entry(
    event: RequestEvent, names: dict[int, str], queue_names: dict[str, str], t: Translate, personal: bool
) -> TimelineEntry:
    """One event in words; reasons and closing notes are staff's free text, shown only with personal data."""
    text, note = _event_text(event, names, queue_names, t)
    return TimelineEntry(event.at, _actor(event.actor, names, t), text, note if personal else None)


def _event_text(
    event: RequestEvent, names: dict[int, str], queue_names: dict[str, str], t: Translate
) -> tuple[str, str | None]:
    """What happened, in words; the reason or closing note (a staff member's words) kept apart."""
    detail = event.detail or {}
    note = event.note or None
    if event.kind == "status":
        return _status_text(event, names, queue_names, t), note
    if event.kind == "created":
        queue = detail.get("queue")
        return t("dash_requests.ev_created", queue=queue_names.get(queue, queue) if queue is not None else "-"), None
    if event.kind == "first_contact":
        return t(
            "dash_requests.ev_first_contact_phone"
            if detail.get("how") == "phone"
            else "dash_requests.ev_first_contact_chat"
        ), None
    if event.kind == "appointment":
        status = detail.get("status") if detail.get("status") in _APPOINTMENT_EVENTS else AppointmentStatus.CANCELLED
        return t(f"dash_requests.ev_appt_{status}"), None
    if event.kind == case_rules.EVENT:
        return t(
            "dash_requests.ev_acted_for",
            name=reads.name_of(names, detail.get("holder")),
            what=t(f"case.act_{detail.get('act')}"),
        ), note
    if event.kind == "feedback" and detail.get("comment"):
        return t("dash_requests.ev_feedback_comment"), None
    if event.kind == "feedback":
        return t("dash_requests.ev_feedback", rating=str(detail.get("rating", "-"))), None
    if event.kind == "merge":
        return t("dup.ev_merged_from", ticket=str(detail.get("ticket", "-"))), None
    if event.kind == "sla_breach":
        return t(
            "dash_requests.ev_sla_breach_first_contact"
            if detail.get("sla") == "first_contact"
            else "dash_requests.ev_sla_breach"
        ), None
    if event.kind == "person_recorded":
        return t("bnba.ev_recorded"), None
    if event.kind == SAFE_TO_TALK:
        return _safe_text(event, t), None
    if event.kind == "classified":
        what = (
            t(f"pmks.{detail.get('code')}") if detail.get("code") in _CATEGORIES else t(f"topic.{detail.get('code')}")
        )
        return t("dash_requests.ev_classified", what=what), None
    if event.kind in ("erased", "purged", "followup_answer", "danger"):
        suffix = (
            f"_{detail.get('answer')}"
            if event.kind == "followup_answer" and detail.get("answer") in ("yes", "no")
            else ""
        )
        return t(f"dash_requests.ev_{event.kind}{suffix}"), None
    return t("dash_requests.ev_other", kind=event.kind), None


def _safe_text(event: RequestEvent, t: Translate) -> str:
    return t(f"case.safe_state_{event.detail.get('state')}")


def _status_text(event: RequestEvent, names: dict[int, str], queue_names: dict[str, str], t: Translate) -> str:
    detail = event.detail or {}
    action = detail.get("action")
    if action == "transfer" and detail.get("to_queue"):
        return t("dash_requests.ev_transferred_queue", queue=queue_names.get(detail["to_queue"], detail["to_queue"]))
    if action == "transfer":
        return t("dash_requests.ev_transferred_staff", name=reads.name_of(names, detail.get("to_staff")))
    if action == "merge":
        return t("dup.ev_merged_into", ticket=str(detail.get("ticket", "-")))
    if action in ("release", "lapse", "reopen"):
        return t(f"dash_requests.ev_{action}")
    if event.to_status == RequestStatus.CLAIMED:
        return t("dash_requests.ev_claimed")
    if event.to_status in CLOSED_STATUSES:
        return t(f"dash_requests.ev_closed_{event.to_status}")
    return t(
        "dash_requests.ev_status",
        status=t(f"dash_requests.status_{event.to_status}")
        if event.to_status in tuple(RequestStatus)
        else str(event.to_status),
    )
