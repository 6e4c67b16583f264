"""What each kind of due work does. Each handler runs inside one transaction and says how it ended.

Messages to citizens are discreet (a neutral opening, never the category or words like
"kekerasan") and wait for a time the citizen can receive them: quiet hours and their chosen
contact times. An urgent request waits too when its citizen gave a safe time (for someone living with
the person they fear, a message at the wrong hour can be the danger); when the window opens its
messages go first. Only an urgent request without any chosen time, or with "Sekarang aman", goes at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.domain.contact_times import next_allowed_time, next_update_time
from bot.domain.regions import PROVINCE
from bot.domain.statuses import AppointmentStatus
from bot.flows.state import from_row
from bot.i18n.render import Renderer
from bot.messages import Reply
from bot.services.claims import lapse_claim
from bot.services.first_contact import missed_deadline, record_arrivals
from bot.services.notify import notify_staff, render_update
from bot.services.photos import forget_draft_photos
from bot.services.privacy import forget_platform_ids, purge_closed_requests
from bot.services.pruning import KeepWindows, prune_finished_rows
from bot.services.safe_to_talk import must_hold
from bot.sla import BusinessCalendar, Deadline
from storage.contacts import load_conversation, save_conversation
from storage.digests import appointments_between, open_cases_of, queue_waiting, week_counts
from storage.due_work import ClaimedWork
from storage.models import Appointment, Contact, Request, Staff, persisted_id
from storage.outbox import enqueue_messages
from storage.requests import add_event, get_queue
from storage.staff import coordinators_of, linked_staff, queue_codes, staff_queue_codes

REMINDER_MARGIN = timedelta(minutes=30)
DRAFT_NUDGE_AFTER = timedelta(hours=1)
DRAFT_EXPIRES_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Done:
    outcome: str


@dataclass(frozen=True, slots=True)
class Dropped:
    outcome: str


@dataclass(frozen=True, slots=True)
class Later:
    until: datetime
    outcome: str


Result = Done | Dropped | Later


@dataclass(frozen=True)
class WorkContext:
    """What handlers need besides the row: the clock's now and a renderer (texts, WIB times)."""

    now: datetime
    renderer: Renderer
    calendar: BusinessCalendar
    retention_days: int
    keep: KeepWindows

    @property
    def tz(self) -> ZoneInfo:
        return self.renderer.tz


def draft_nudge(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """Remind a citizen, once, of a form left halfway for an hour."""
    if item.contact_id is None:
        return Dropped("no draft in progress")
    contact = session.get(Contact, item.contact_id)
    conversation = load_conversation(session, contact_id=item.contact_id)
    if contact is None or conversation is None:
        return Dropped("no draft in progress")
    if ctx.now - conversation.updated_at < DRAFT_NUDGE_AFTER:
        # Answers do not move the nudge (bot/scheduler/plans.py): it moves itself to an hour after the last.
        return Later(conversation.updated_at + DRAFT_NUDGE_AFTER, "citizen came back")
    if from_row(conversation.flow, conversation.step, conversation.data).form is None:
        return Dropped("no draft in progress")
    allowed = next_allowed_time(ctx.now, contact.contact_times, ctx.tz)
    if allowed > ctx.now:
        return Later(allowed, "waiting for contact time")
    message = Reply(ctx.renderer.text(contact.language, "followup.draft_nudge"))
    enqueue_messages(
        session, contact_id=persisted_id(contact), channel=contact.channel, payloads=[message.to_json()], now=ctx.now
    )
    return Done("nudged")


def draft_expiry(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """Forget a draft untouched for a week, and its photos: it holds personal data nobody sent."""
    if item.contact_id is None:
        return Dropped("no draft")
    conversation = load_conversation(session, contact_id=item.contact_id)
    if conversation is None:
        return Dropped("no draft")
    if ctx.now - conversation.updated_at < DRAFT_EXPIRES_AFTER:
        return Later(conversation.updated_at + DRAFT_EXPIRES_AFTER, "conversation active")  # as the nudge
    if not from_row(conversation.flow, conversation.step, conversation.data).has_draft:
        return Dropped("no draft")
    save_conversation(session, contact_id=item.contact_id, flow="menu", step="", data={}, now=conversation.updated_at)
    forget_draft_photos(session, contact_id=item.contact_id)
    return Done("draft expired")


#: The SLA each kind of check watches; both are one rule (`sla_check`), with their own words.
SLA_CHECKS: dict[str, Deadline] = {"sla_claim": "claim", "sla_first_contact": "first_contact"}
_BREACH_NOTICE: dict[Deadline, str] = {"claim": "staff.sla_breach", "first_contact": "staff.sla_breach_first_contact"}


def sla_check(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """A deadline passed: if the request missed it, record the breach and alert the coordinators.

    The claim deadline is missed by a request still unclaimed, the first-contact one by a request whose
    citizen nothing has reached yet (bot/services/first_contact.py). The queue's region hears at the
    deadline; at twice the claim SLA, the province.
    """
    sla, level = SLA_CHECKS[item.kind], item.payload.get("level", "queue")
    request = session.get(Request, item.request_id)
    if request is None or not missed_deadline(session, request=request, deadline=sla):
        return Dropped(f"{sla} in time")
    add_event(
        session,
        request_id=persisted_id(request),
        kind="sla_breach",
        actor="system",
        at=ctx.now,
        detail={"sla": sla, "level": level, "queue": request.queue_code},
    )
    queue = get_queue(session, code=request.queue_code)
    regions = [PROVINCE] if level == "province" else [queue.region if queue else PROVINCE]
    notify_staff(
        session,
        staff=coordinators_of(session, regions=regions),
        key=_BREACH_NOTICE[sla],
        renderer=ctx.renderer,
        now=ctx.now,
        params={"code": request.ticket_code, "queue": request.queue_code},
    )
    return Done(f"{sla} SLA breached ({level})")


def citizen_update(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """A discreet update, follow-up or reminder, at a time the citizen can receive it."""
    contact = session.get(Contact, item.contact_id)
    if contact is None or contact.unreachable_at is not None:
        return Dropped("contact unreachable")
    appointment = session.get(Appointment, item.payload["appointment"]) if "appointment" in item.payload else None
    reminder = bool(item.payload.get("reminder")) and appointment is not None
    if reminder and appointment is not None and not _still_ahead(appointment, ctx.now):
        return Dropped("appointment passed or cancelled")  # a reminder is never sent late
    if (
        appointment is not None
        and not reminder
        and appointment.status not in (AppointmentStatus.CONFIRMED, AppointmentStatus.DONE)
    ):
        return Dropped("appointment did not happen")
    request = session.get(Request, item.request_id) if item.request_id is not None else None
    urgent = bool(item.payload.get("urgent"))
    allowed = next_update_time(
        ctx.now,
        urgent=urgent,
        request_times=request.contact_times if request else None,
        contact_times=contact.contact_times,
        tz=ctx.tz,
    )
    if allowed > ctx.now:
        too_late = appointment is not None and allowed >= appointment.starts_at - REMINDER_MARGIN
        if urgent and reminder and too_late:
            return Dropped("no safe time before the appointment")  # never outside an urgent case's safe time
        if not (reminder and too_late):
            return Later(allowed, "waiting for contact time")  # due together: the runner takes urgent first
    reply = render_update(ctx.renderer, contact.language, item.payload)
    # Decided now, not when the counselor wrote: the citizen may have said "aman" in between.
    hold = bool(item.payload.get("hold_until_safe")) and (
        item.request_id is None or must_hold(session, request_id=item.request_id)
    )
    case_message = item.payload.get("case_message")  # a counselor's message: its arrival is first contact
    ids = enqueue_messages(
        session,
        contact_id=persisted_id(contact),
        channel=contact.channel,
        payloads=[reply.to_json()],
        now=ctx.now,
        hold_until_safe=hold,
        case_message_id=case_message,
    )
    if case_message is not None:
        record_arrivals(session, outbox_ids=ids, now=ctx.now)  # in a web chat thread it has arrived
    return Done("held until safe to talk" if hold else "sent")


def staff_reminder(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """The counselor's appointment reminder: on time, whatever the citizen's contact times or reachability."""
    appointment = session.get(Appointment, item.payload["appointment"])
    if appointment is None or not _still_ahead(appointment, ctx.now):
        return Dropped("appointment passed or cancelled")
    request = session.get_one(Request, item.request_id)
    notify_staff(
        session,
        staff=[session.get_one(Staff, appointment.staff_id)],
        key="appt.staff_reminder",
        renderer=ctx.renderer,
        now=ctx.now,
        params={"code": request.ticket_code, "when": {"at": appointment.starts_at.isoformat()}},
    )
    return Done("counselor reminded")


def staff_notice(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """A notice a case service queued for staff (a colleague acted on their case, a transfer to them)."""
    staff = [s for s in (session.get(Staff, staff_id) for staff_id in item.payload["staff"]) if s is not None]
    told = notify_staff(
        session, staff=staff, key=item.payload["key"], renderer=ctx.renderer, now=ctx.now, params=item.payload["params"]
    )
    return Done(f"told {told}")


def _still_ahead(appointment: Appointment, now: datetime) -> bool:
    return appointment.status == AppointmentStatus.CONFIRMED and appointment.starts_at > now


def claim_lapse(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """A claim with no first contact in time goes back to the queue; the coordinators hear of it."""
    request = session.get(Request, item.request_id)
    claimed_at = datetime.fromisoformat(item.payload["claimed_at"])
    if request is None or not lapse_claim(
        session, request=request, staff_id=item.payload["staff"], claimed_at=claimed_at, now=ctx.now
    ):
        return Dropped("contacted in time")
    queue = get_queue(session, code=request.queue_code)
    notify_staff(
        session,
        staff=coordinators_of(session, regions=[queue.region if queue else PROVINCE]),
        key="staff.claim_lapsed",
        renderer=ctx.renderer,
        now=ctx.now,
        params={"code": request.ticket_code},
    )
    return Done("claim lapsed")


def forget_ids(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """The second half of an erasure: platform ids go once the confirmation had time to go out."""
    contact = session.get(Contact, item.contact_id)
    if contact is None:
        return Dropped("no contact")
    forget_platform_ids(session, contact=contact)
    return Done("platform ids forgotten")


def retention_purge(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    purged = purge_closed_requests(session, now=ctx.now, retention_days=ctx.retention_days)
    return Done(f"purged {purged}")


def table_pruning(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """One batch per table and transaction; the item comes back on the next tick while rows are left."""
    pruned = prune_finished_rows(session, now=ctx.now, keep=ctx.keep)
    outcome = f"pruned {pruned.messages} messages, {pruned.work} work, {pruned.inbound_ids} inbound ids"
    return Later(ctx.now, outcome) if pruned.more_left else Done(outcome)


def _digest_day(item: ClaimedWork, ctx: WorkContext) -> Dropped | None:
    """Why a digest must not go now, or None: a missed digest goes once on start the same day only.

    The first run after an outage plans the latest missed fire time; one from an earlier day is stale
    (its "today" has passed) and the next digest replaces it.
    """
    fire_day = datetime.fromisoformat(item.payload["fire_time"]).astimezone(ctx.tz).date()
    if fire_day != ctx.now.astimezone(ctx.tz).date():
        return Dropped("missed on an earlier day")
    return None


def counselor_digest(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """07:30 WIB on working days: what waits in each linked counselor's queues today."""
    if (stale := _digest_day(item, ctx)) is not None:
        return stale
    if not ctx.calendar.is_business_day(ctx.now.astimezone(ctx.tz).date()):
        return Dropped("not a working day")
    day_start = ctx.now.astimezone(ctx.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    sent = 0
    for staff in linked_staff(session, role="counselor"):
        staff_id = persisted_id(staff)
        waiting, urgent = queue_waiting(session, queue_codes=staff_queue_codes(session, staff_id=staff_id))
        sent += notify_staff(
            session,
            staff=[staff],
            key="staff.digest_counselor",
            renderer=ctx.renderer,
            now=ctx.now,
            params={
                "waiting": waiting,
                "urgent": urgent,
                "open": open_cases_of(session, staff_id=staff_id),
                "appointments": appointments_between(
                    session, staff_id=staff_id, start=day_start, end=day_start + timedelta(days=1)
                ),
            },
        )
    return Done(f"digests {sent}")


def first_working_day_of_week(calendar: BusinessCalendar, day: date) -> date | None:
    """The first day from the Monday of `day`'s week up to `day` on which the offices open, if any."""
    monday = day - timedelta(days=day.weekday())
    return next(
        (d for d in (monday + timedelta(days=n) for n in range(day.weekday() + 1)) if calendar.is_business_day(d)), None
    )


def coordinator_digest(session: Session, item: ClaimedWork, ctx: WorkContext) -> Result:
    """08:00 WIB on the week's first working day: last week's figures for each linked coordinator's region.

    That is Monday, unless Monday is a public holiday or cuti bersama: then the digest waits for the first
    day the office opens, when a coordinator is there to read it (Tuesday after a Monday holiday, Wednesday
    after Lebaran's Monday and Tuesday). "Last week" stays the seven days to Monday 08:00, whenever it goes.
    """
    if (stale := _digest_day(item, ctx)) is not None:
        return stale
    today = ctx.now.astimezone(ctx.tz).date()
    if first_working_day_of_week(ctx.calendar, today) != today:
        return Dropped("not the week's first working day")
    fire = datetime.fromisoformat(item.payload["fire_time"]).astimezone(ctx.tz)
    end = (fire - timedelta(days=today.weekday())).astimezone(UTC)
    start = end - timedelta(days=7)
    sent = 0
    for staff in linked_staff(session, role="coordinator"):
        queues = None if staff.region == PROVINCE else queue_codes(session, region=staff.region)
        counts = week_counts(session, queue_codes=queues, start=start, end=end)
        waiting, urgent = queue_waiting(session, queue_codes=queues)
        sent += notify_staff(
            session,
            staff=[staff],
            key="staff.digest_coordinator",
            renderer=ctx.renderer,
            now=ctx.now,
            params={**counts, "waiting": waiting, "urgent": urgent},
        )
    return Done(f"digests {sent}")


HANDLERS: dict[str, Callable[[Session, ClaimedWork, WorkContext], Result]] = {
    "forget_platform_ids": forget_ids,
    "retention_purge": retention_purge,
    "table_pruning": table_pruning,
    "counselor_digest": counselor_digest,
    "coordinator_digest": coordinator_digest,
    "draft_nudge": draft_nudge,
    "draft_expiry": draft_expiry,
    "sla_claim": sla_check,
    "sla_first_contact": sla_check,
    "citizen_update": citizen_update,
    "staff_reminder": staff_reminder,
    "staff_notice": staff_notice,
    "claim_lapse": claim_lapse,
}
