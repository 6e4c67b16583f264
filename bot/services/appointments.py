"""Appointments: the counselor offers 1-3 slots, the citizen picks one, reminders follow.

A counselor is never double-booked: confirming takes a lock on the counselor's row (PostgreSQL)
or the single writer (SQLite), then checks for overlap, so two citizens picking overlapping slots
at once cannot both win.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlmodel import Session

from bot.domain.statuses import ATTENDANCE_STATUSES, OPEN_APPOINTMENT_STATUSES, AppointmentStatus
from bot.i18n.render import Renderer
from bot.messages import Reply
from bot.services.access import PermissionDenied, StaffView, visible_request
from bot.services.case_rules import MAX_MESSAGE, CaseAct, CaseActionError, authorize
from bot.services.notify import ChoiceSpec, notify_citizen, notify_merged_reporters, notify_staff
from storage import casework, due_work
from storage.models import Appointment, Contact, Request, Staff, persisted_id
from storage.requests import add_event

MODES = ("office", "home", "phone", "video")
REMINDERS_BEFORE = (timedelta(hours=24), timedelta(hours=2))
FEEDBACK_AFTER = timedelta(hours=2)
#: How long after the feedback question a citizen's free text is taken as the comment it invites.
COMMENT_WINDOW = timedelta(hours=24)
DEFAULT_MINUTES = 60


def visible_appointment(session: Session, view: StaffView, request_id: int, appointment_id: int) -> Appointment:
    """The appointment, if it belongs to this request the staff member may see; else PermissionDenied
    (another request's appointment id in a URL is "not found", not a way round the request's rules)."""
    case = visible_request(session, view, request_id)
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.request_id != case.id:
        raise PermissionDenied(request_id)
    return appointment


def offer_slots(
    session: Session,
    *,
    view: StaffView,
    request_id: int,
    slots: list[tuple[datetime, str]],
    now: datetime,
    minutes: int = DEFAULT_MINUTES,
    reason: str = "",
) -> list[Appointment]:
    """Offer 1 to 3 future slots; the citizen gets them as buttons, plus "other times"."""
    request = visible_request(session, view, request_id)
    if request.anonymous or request.contact_id is None:
        raise CaseActionError("case.error_anonymous")
    if not 1 <= len(slots) <= 3 or any(mode not in MODES for _, mode in slots):
        raise CaseActionError("appt.error_slots")
    if any(start <= now for start, _ in slots):
        raise CaseActionError("appt.error_past")
    if any(casework.overlapping_confirmed(session, staff_id=view.id, start=s, minutes=minutes) for s, _ in slots):
        raise CaseActionError("appt.error_overlap")
    authorize(session, view=view, request=request, act=CaseAct.CONTACT, reason=reason, now=now)
    proposal = secrets.token_hex(8)
    rows = casework.add_appointments(
        session,
        request_id=persisted_id(request),
        staff_id=view.id,
        proposal=proposal,
        slots=slots,
        duration_minutes=minutes,
        now=now,
    )
    choices: list[ChoiceSpec] = [
        [f"appt:{a.id}", "appt.slot", {"when": {"at": a.starts_at.isoformat()}, "mode": {"key": f"appt.mode_{a.mode}"}}]
        for a in rows
    ]
    choices.append([f"apptother:{proposal}", "appt.other_times"])
    notify_citizen(session, request=request, key="appt.offer", now=now, choices=choices)
    return rows


def pick_slot(session: Session, *, contact: Contact, appointment_id: int, renderer: Renderer, now: datetime) -> Reply:
    """The citizen picked a slot: confirm it unless it passed, lapsed or the counselor got booked.

    Every other slot still offered on the request, of this offer or an earlier one, is withdrawn: the
    citizen has chosen, and the page stops showing them as "Ditawarkan".
    """
    found = _citizen_appointment(session, contact, appointment_id)
    if found is None or found[0].status != AppointmentStatus.PROPOSED or found[0].starts_at <= now:
        return Reply(renderer.text(contact.language, "appt.not_available"))
    appointment, request = found
    casework.lock_staff(session, staff_id=appointment.staff_id)
    if casework.overlapping_confirmed(
        session, staff_id=appointment.staff_id, start=appointment.starts_at, minutes=appointment.duration_minutes
    ):
        return Reply(renderer.text(contact.language, "appt.slot_taken"))
    others = [
        persisted_id(a)
        for a in casework.appointments_of(session, request_id=persisted_id(request))
        if a.status == AppointmentStatus.PROPOSED and a.id != appointment.id
    ]
    casework.set_appointment_status(session, appointment_ids=others, status=AppointmentStatus.WITHDRAWN)
    casework.set_appointment_status(
        session, appointment_ids=[persisted_id(appointment)], status=AppointmentStatus.CONFIRMED
    )
    add_event(
        session,
        request_id=persisted_id(request),
        kind="appointment",
        actor=f"citizen:{contact.id}",
        at=now,
        detail={
            "appointment": appointment.id,
            "status": AppointmentStatus.CONFIRMED,
            "starts_at": appointment.starts_at.isoformat(),
        },
    )
    _schedule_reminders(session, request, appointment, now)
    notify_merged_reporters(session, request=request, key="update.appointment_set", now=now)
    counselor = session.get_one(Staff, appointment.staff_id)
    notify_staff(
        session,
        staff=[counselor],
        key="appt.staff_confirmed",
        renderer=renderer,
        now=now,
        params={"code": request.ticket_code, "when": {"at": appointment.starts_at.isoformat()}},
    )
    when = renderer.when(contact.language, appointment.starts_at)
    mode = renderer.text(contact.language, f"appt.mode_{appointment.mode}")
    return Reply(renderer.text(contact.language, "appt.confirmed", when=when, mode=mode))


def _reminder_key(who: str, appointment_id: int, before: timedelta) -> str:
    return f"{who}:{appointment_id}:{int(before.total_seconds())}"


def _feedback_key(appointment_id: int) -> str:
    return f"feedback:{appointment_id}"


def _schedule_reminders(session: Session, request: Request, appointment: Appointment, now: datetime) -> None:
    params = {"when": {"at": appointment.starts_at.isoformat()}, "mode": {"key": f"appt.mode_{appointment.mode}"}}
    for before in REMINDERS_BEFORE:
        due = appointment.starts_at - before
        if due > now:
            notify_citizen(
                session,
                request=request,
                key="appt.reminder",
                now=now,
                due_at=due,
                params=params,
                dedupe=_reminder_key("reminder", persisted_id(appointment), before),
                extra={"appointment": appointment.id, "reminder": True},
            )
            # The counselor's own item: it goes at its time, not at the citizen's contact times.
            due_work.schedule(
                session,
                kind="staff_reminder",
                now=now,
                due_at=due,
                request_id=persisted_id(request),
                dedupe_key=_reminder_key("staff_reminder", persisted_id(appointment), before),
                payload={"appointment": appointment.id},
            )
    end = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
    notify_citizen(
        session,
        request=request,
        key="appt.feedback",
        now=now,
        due_at=end + FEEDBACK_AFTER,
        dedupe=_feedback_key(persisted_id(appointment)),
        extra={"appointment": appointment.id},
        choices=[[f"rate:{appointment.id}:{n}", "appt.rating", {"n": n}] for n in range(1, 6)],
    )


def ask_other_times(session: Session, *, contact: Contact, proposal: str, renderer: Renderer, now: datetime) -> Reply:
    """The citizen wants other times: the offer lapses and the counselor is told."""
    siblings = list(casework.proposal_siblings(session, proposal=proposal))
    mine = [a for a in siblings if _citizen_appointment(session, contact, persisted_id(a)) is not None]
    open_slots = [persisted_id(a) for a in mine if a.status == AppointmentStatus.PROPOSED]
    if not open_slots:
        return Reply(renderer.text(contact.language, "appt.not_available"))
    casework.set_appointment_status(session, appointment_ids=open_slots, status=AppointmentStatus.WITHDRAWN)
    request = session.get_one(Request, mine[0].request_id)
    casework.add_case_message(
        session,
        request_id=persisted_id(request),
        direction="in",
        now=now,
        text=renderer.text("id", "appt.other_times_note"),
    )
    notify_staff(
        session,
        staff=[session.get_one(Staff, mine[0].staff_id)],
        key="appt.staff_other_times",
        renderer=renderer,
        now=now,
        params={"code": request.ticket_code},
    )
    return Reply(renderer.text(contact.language, "appt.other_requested"))


def cancel_appointment(
    session: Session, *, view: StaffView, appointment_id: int, now: datetime, reason: str = ""
) -> None:
    """Cancel an offered or agreed appointment; the citizen is told and hears no reminder of it."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise CaseActionError("appt.not_available")
    request = visible_request(session, view, appointment.request_id)
    if appointment.status not in OPEN_APPOINTMENT_STATUSES:
        raise CaseActionError("appt.not_available")
    authorize(session, view=view, request=request, act=CaseAct.APPOINTMENT, reason=reason, now=now)
    _cancel(session, [appointment], now)
    add_event(
        session,
        request_id=persisted_id(request),
        kind="appointment",
        actor=view.actor,
        at=now,
        detail={"appointment": appointment.id, "status": AppointmentStatus.CANCELLED},
    )
    notify_citizen(
        session,
        request=request,
        key="appt.cancelled",
        now=now,
        params={"when": {"at": appointment.starts_at.isoformat()}},
    )


def end_with_case(session: Session, *, request: Request, actor: str, now: datetime) -> None:
    """The request is closed: its open offers and coming meetings are cancelled, with every reminder.

    The citizen was just told the case is closed; a reminder or a feedback question afterwards would
    contradict it. A meeting whose time has passed stays as it is, to be marked done or no-show.
    """
    ending = [
        a
        for a in casework.appointments_of(session, request_id=persisted_id(request))
        if a.status == AppointmentStatus.PROPOSED or (a.status == AppointmentStatus.CONFIRMED and a.starts_at > now)
    ]
    agreed = [
        persisted_id(a) for a in ending if a.status == AppointmentStatus.CONFIRMED
    ]  # an offer nobody took leaves no event
    _cancel(session, ending, now)
    for appointment_id in agreed:
        add_event(
            session,
            request_id=persisted_id(request),
            kind="appointment",
            actor=actor,
            at=now,
            detail={"appointment": appointment_id, "status": AppointmentStatus.CANCELLED, "why": "closed"},
        )


def _cancel(session: Session, appointments: list[Appointment], now: datetime) -> None:
    """Cancelled, and the reminders, the counselor's reminders and the feedback question with it."""
    casework.set_appointment_status(
        session, appointment_ids=[persisted_id(a) for a in appointments], status=AppointmentStatus.CANCELLED
    )
    for appointment in appointments:
        keys = [
            _feedback_key(persisted_id(appointment)),
            *(
                _reminder_key(who, persisted_id(appointment), before)
                for who in ("reminder", "staff_reminder")
                for before in REMINDERS_BEFORE
            ),
        ]
        for key in keys:
            due_work.cancel(session, dedupe_key=key, now=now, outcome="appointment cancelled")


def mark_appointment(
    session: Session, *, view: StaffView, appointment_id: int, status: str, now: datetime, reason: str = ""
) -> None:
    """After the time: the meeting took place (`done`) or the citizen did not come (`no_show`)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or status not in ATTENDANCE_STATUSES:
        raise CaseActionError("appt.not_available")
    attended = AppointmentStatus(status)
    request = visible_request(session, view, appointment.request_id)
    if appointment.status != AppointmentStatus.CONFIRMED or appointment.starts_at > now:
        raise CaseActionError("appt.error_not_yet")
    authorize(session, view=view, request=request, act=CaseAct.APPOINTMENT, reason=reason, now=now)
    casework.set_appointment_status(session, appointment_ids=[persisted_id(appointment)], status=attended)
    add_event(
        session,
        request_id=persisted_id(request),
        kind="appointment",
        actor=view.actor,
        at=now,
        detail={"appointment": appointment.id, "status": attended},
    )


def record_rating(
    session: Session, *, contact: Contact, appointment_id: int, rating: int, renderer: Renderer, now: datetime
) -> Reply:
    found = _citizen_appointment(session, contact, appointment_id)
    if found is None or not 1 <= rating <= 5:
        return Reply(renderer.text(contact.language, "appt.not_available"))
    appointment, request = found
    add_event(
        session,
        request_id=persisted_id(request),
        kind="feedback",
        actor=f"citizen:{contact.id}",
        at=now,
        detail={"appointment": appointment.id, "rating": rating},
    )
    return Reply(renderer.text(contact.language, "appt.thanks_rating"))


def record_feedback_comment(
    session: Session, *, contact: Contact, text: str, renderer: Renderer, now: datetime
) -> Reply | None:
    """Free text after the feedback question is the optional comment it invites; None when none is awaited.

    Only the newest question counts, and only once: later text goes to the counselor as usual. The
    comment is kept as an inbound case message (encrypted, erased with the citizen's data) so the
    counselor reads it in the thread; the event only records that it came.
    """
    asked = casework.feedback_asked_since(session, contact_id=persisted_id(contact), since=now - COMMENT_WINDOW)
    found = _citizen_appointment(session, contact, asked[0]) if asked else None
    if found is None:
        return None
    appointment, request = found
    if any(
        e.detail.get("comment") and e.detail.get("appointment") == appointment.id
        for e in casework.events_of_kind(session, request_id=persisted_id(request), kind="feedback")
    ):
        return None
    casework.add_case_message(
        session, request_id=persisted_id(request), direction="in", text=text[:MAX_MESSAGE], now=now
    )
    add_event(
        session,
        request_id=persisted_id(request),
        kind="feedback",
        actor=f"citizen:{contact.id}",
        at=now,
        detail={"appointment": appointment.id, "comment": True},
    )
    return Reply(renderer.text(contact.language, "appt.thanks_comment"))


def appointment_ics(appointment: Appointment, request: Request, summary: str) -> bytes:
    """An .ics file a counselor can add to their phone's calendar (no personal data in it)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Layanan PMKS Banten//id")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@layanan-pmks-banten")
    event.add("summary", summary)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.starts_at + timedelta(minutes=appointment.duration_minutes))
    event.add("dtstamp", appointment.created_at)
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics


def _citizen_appointment(session: Session, contact: Contact, appointment_id: int) -> tuple[Appointment, Request] | None:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        return None
    request = session.get(Request, appointment.request_id)
    if request is None or request.contact_id != contact.id:
        return None
    return appointment, request
