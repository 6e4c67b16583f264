"""A request's life in staff hands: claim, release, transfer, first contact, close, reopen.

Every step is a request event with actor and time; response times are computed from those events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.domain.statuses import CLOSED_STATUSES, RequestStatus
from bot.routing import RoutingTable
from bot.services.access import StaffView, visible_request
from bot.services.appointments import end_with_case
from bot.services.case_rules import CaseAct, CaseActionError, authorize
from bot.services.notify import claimed_update_key, notify_citizen, notify_merged_reporters, queue_staff_notice
from bot.sla import escalation_due, sla_deadlines
from storage import due_work
from storage.casework import first_event, has_event_since, set_request_state, try_claim
from storage.models import Queue, Request, Staff, persisted_id
from storage.requests import add_event, get_queue
from storage.staff import queue_members, staff_queue_codes

URGENT_CLAIM_LAPSE = timedelta(hours=4)
NORMAL_CLAIM_LAPSE_BUSINESS_DAYS = 2
RESOLVED_CHECK_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    won: bool
    holder: str | None  # display name of whoever has it


def claim_request(
    session: Session, *, view: StaffView, request_id: int, routing: RoutingTable, now: datetime
) -> ClaimResult:
    """Claim for `view`; exactly one of many concurrent callers wins, the others learn who did.

    A closed request is refused with a reason: its former holder did not "win" it.
    """
    request = visible_request(session, view, request_id)
    if not try_claim(session, request_id=persisted_id(request), staff_id=view.id):
        session.refresh(request)
        if request.status in CLOSED_STATUSES:
            raise CaseActionError("case.error_closed")
        holder = session.get(Staff, request.assigned_staff_id) if request.assigned_staff_id else None
        return ClaimResult(False, holder.display_name if holder else None)
    event = add_event(
        session,
        request_id=persisted_id(request),
        kind="status",
        actor=view.actor,
        at=now,
        from_status=RequestStatus.NEW,
        to_status=RequestStatus.CLAIMED,
        detail={"staff": view.id},
    )
    session.flush()
    due_work.schedule(
        session,
        kind="claim_lapse",
        dedupe_key=f"claim_lapse:{request.id}:{event.id}",
        due_at=_lapse_at(request, routing, now),
        now=now,
        request_id=request.id,
        payload={"staff": view.id, "claimed_at": now.isoformat()},
    )
    notify_citizen(session, request=request, key=claimed_update_key(request), now=now)
    notify_merged_reporters(session, request=request, key="update.merged_claimed", now=now)
    return ClaimResult(True, view.display_name)


def _lapse_at(request: Request, routing: RoutingTable, now: datetime) -> datetime:
    if request.urgency == "urgent":
        return now + URGENT_CLAIM_LAPSE
    hours = NORMAL_CLAIM_LAPSE_BUSINESS_DAYS * routing.calendar.business_day_hours
    return routing.calendar.add_business_hours(now, hours)


def record_first_contact(session: Session, *, request: Request, actor: str, how: str, now: datetime) -> None:
    """The first message to reach the citizen, or a call: an event once, and the request is in progress.

    A message counts when it arrives, not when it is written (bot/services/first_contact.py).
    """
    if first_event(session, request_id=persisted_id(request), kind="first_contact") is None:
        add_event(
            session, request_id=persisted_id(request), kind="first_contact", actor=actor, at=now, detail={"how": how}
        )
    if request.status == RequestStatus.CLAIMED:
        _transition(session, request, RequestStatus.IN_PROGRESS, actor, now, assigned=request.assigned_staff_id)


def release_request(session: Session, *, view: StaffView, request_id: int, reason: str, now: datetime) -> None:
    """Give a claimed request back to its queue; its holder, or a lead with a reason (bot/services/case_rules.py)."""
    request = visible_request(session, view, request_id)
    authorize(session, view=view, request=request, act=CaseAct.RELEASE, reason=reason, now=now)
    _transition(
        session, request, RequestStatus.NEW, view.actor, now, assigned=None, detail={"action": "release"}, note=reason
    )


def transfer_request(
    session: Session,
    *,
    view: StaffView,
    request_id: int,
    reason: str,
    now: datetime,
    to_queue: str | None = None,
    to_staff: Staff | None = None,
    routing: RoutingTable | None = None,
) -> None:
    """Hand a request to another queue (back to unclaimed there) or to a colleague (claimed by them).

    The target is checked here, whoever calls: an existing other queue, or an active member of the
    request's queue (anyone else could not even see it). The receiving side is told on Telegram: the
    colleague, or the members of the queue. In another queue the request is new there: its claim deadline
    starts again from now by its urgency's SLA (`routing`), and the breach checks move with it.
    """
    request = visible_request(session, view, request_id)
    if (to_queue is None) == (to_staff is None):
        raise CaseActionError("case.error_transfer_target")
    if to_queue is not None and (to_queue == request.queue_code or get_queue(session, code=to_queue) is None):
        raise CaseActionError("case.error_transfer_queue")
    if to_staff is not None and not (
        to_staff.active and request.queue_code in staff_queue_codes(session, staff_id=persisted_id(to_staff))
    ):
        raise CaseActionError("case.error_transfer_colleague")
    authorize(session, view=view, request=request, act=CaseAct.TRANSFER, reason=reason, now=now)
    detail: dict[str, Any] = {"action": "transfer", "from_queue": request.queue_code}
    params = {"code": request.ticket_code, "name": view.display_name}
    if to_queue is not None:
        if routing is None:
            raise ValueError("a transfer to another queue restarts its claim deadline: pass the routing table")
        previous = request.status  # read before the update, which the session applies to `request` too
        detail["to_queue"] = to_queue
        _restart_claim_deadline(session, request, routing, now)
        set_request_state(
            session,
            request_id=persisted_id(request),
            status=RequestStatus.NEW,
            assigned_staff_id=None,
            queue_code=to_queue,
        )
        add_event(
            session,
            request_id=persisted_id(request),
            kind="status",
            actor=view.actor,
            at=now,
            from_status=previous,
            to_status=RequestStatus.NEW,
            detail=detail,
            note=reason,
        )
        members = [s.id for s in queue_members(session, queue_code=to_queue) if s.id != view.id]
        queue_staff_notice(
            session,
            staff_ids=members,
            key="case.staff_transferred_queue",
            request_id=request.id,
            params={**params, "queue": session.get_one(Queue, to_queue).name},
            now=now,
        )
    elif to_staff is not None:  # one of the two, checked above
        detail["to_staff"] = to_staff.id
        status = RequestStatus(request.status) if request.status != RequestStatus.NEW else RequestStatus.CLAIMED
        _transition(session, request, status, view.actor, now, assigned=to_staff.id, detail=detail, note=reason)
        if to_staff.id != view.id:
            queue_staff_notice(
                session,
                staff_ids=[to_staff.id],
                key="case.staff_transferred_to_you",
                request_id=request.id,
                params=params,
                now=now,
            )
    session.refresh(request)


def _restart_claim_deadline(session: Session, request: Request, routing: RoutingTable, now: datetime) -> None:
    """A request arriving in another queue gets a claim deadline from now, and its breach checks, as a new one."""
    from bot.scheduler.plans import plan_sla_checks  # not at the top: bot.scheduler.work imports this module

    request.claim_due_at = sla_deadlines(request.urgency, now, routing.sla, routing.calendar).claim_due
    escalate_at = escalation_due(request.urgency, now, routing.sla, routing.calendar)
    plan_sla_checks(session, request=request, routing=routing, now=now, escalate_at=escalate_at, replace=True)


def close_request(
    session: Session,
    *,
    view: StaffView,
    request_id: int,
    outcome: str,
    note: str,
    now: datetime,
    reason: str = "",
) -> None:
    """Close with an outcome (resolved, referred, unreachable, cancelled); a referral's note says where to.

    The request's open offers and coming appointments end with it (bot/services/appointments.py), so the
    citizen told "sudah selesai ditangani" hears no reminder afterwards.
    """
    request = visible_request(session, view, request_id)
    if outcome not in CLOSED_STATUSES:
        raise CaseActionError("case.error_outcome")
    closing = RequestStatus(outcome)
    note = note.strip()
    if closing == RequestStatus.REFERRED and not note:
        raise CaseActionError("case.error_referred_where")
    authorize(session, view=view, request=request, act=CaseAct.CLOSE, reason=reason, now=now)
    _transition(
        session,
        request,
        closing,
        view.actor,
        now,
        assigned=request.assigned_staff_id,
        note=note[:500],
        outcome_note=note[:500],
    )
    end_with_case(session, request=request, actor=view.actor, now=now)
    notify_citizen(session, request=request, key="update.closed", now=now)
    notify_merged_reporters(session, request=request, key="update.closed", now=now)
    if closing == RequestStatus.RESOLVED and request.kind == "sighting":
        notify_citizen(
            session,
            request=request,
            key="followup.resolved_check",
            now=now,
            due_at=now + RESOLVED_CHECK_AFTER,
            dedupe=f"resolved_check:{request.id}",
            choices=[
                (f"better:{request.id}:yes", "followup.better_yes"),
                (f"better:{request.id}:no", "followup.better_no"),
            ],
        )


def reopen_request(session: Session, *, view: StaffView, request_id: int, reason: str, now: datetime) -> None:
    """Open a closed request again, with a reason: in progress with its last holder, or new in its queue."""
    request = visible_request(session, view, request_id)
    if request.status in CLOSED_STATUSES and request.merged_into_id is not None:
        raise CaseActionError("dup.error_merged")
    authorize(session, view=view, request=request, act=CaseAct.REOPEN, reason=reason, now=now)
    status = RequestStatus.IN_PROGRESS if request.assigned_staff_id else RequestStatus.NEW
    _transition(
        session,
        request,
        status,
        view.actor,
        now,
        assigned=request.assigned_staff_id,
        detail={"action": "reopen"},
        note=reason,
    )


def lapse_claim(session: Session, *, request: Request, staff_id: int, claimed_at: datetime, now: datetime) -> bool:
    """Return a claim with no first contact to the queue; True when it lapsed."""
    if request.status != RequestStatus.CLAIMED or request.assigned_staff_id != staff_id:
        return False
    if has_event_since(session, request_id=persisted_id(request), kind="first_contact", since=claimed_at):
        return False
    _transition(
        session, request, RequestStatus.NEW, "system", now, assigned=None, detail={"action": "lapse", "staff": staff_id}
    )
    return True


def _transition(
    session: Session,
    request: Request,
    status: RequestStatus,
    actor: str,
    now: datetime,
    *,
    assigned: int | None,
    detail: dict[str, Any] | None = None,
    note: str | None = None,
    outcome_note: str | None = None,
) -> None:
    previous = request.status
    set_request_state(
        session, request_id=persisted_id(request), status=status, assigned_staff_id=assigned, outcome_note=outcome_note
    )
    add_event(
        session,
        request_id=persisted_id(request),
        kind="status",
        actor=actor,
        at=now,
        from_status=previous,
        to_status=status,
        detail=detail or {},
        note=note,
    )
    session.refresh(request)
