"""When someone leaves or moves: deactivation, reactivation, and a change of queues or region.

A departing counselor's open cases must not wait for a person who is gone: they go to a named colleague
or back to their queue. The moves are made by the case services (bot/services/claims.py) as the acting
admin, so each one is an ordinary event in the request's history with the admin's reason as its note,
and the rules of who may take a request stay in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.services.access import StaffView, staff_view
from bot.services.case_rules import CaseActionError
from bot.services.claims import release_request, transfer_request
from bot.services.staff_accounts import StaffInputError, check_assignment, require_admin
from bot.services.staff_sessions import end_all_sessions
from storage.casework import held_requests
from storage.models import Request, Staff, persisted_id
from storage.staff import active_admin_count, audit, set_staff_queues


@dataclass(frozen=True, slots=True)
class Handover:
    """What happened to the person's open cases."""

    handed: int = 0  # now held by the named colleague
    released: int = 0  # back in their queue, unclaimed


def deactivate_staff(
    session: Session,
    *,
    view: StaffView,
    staff_id: int,
    reason: str,
    now: datetime,
    hand_to: int | None = None,
) -> Handover:
    """Close an account: no more logins, every session ends, open cases go to `hand_to` or back to the queue.

    A case in a queue the colleague does not work in goes back to its queue (someone there claims it).
    Refused: no reason, oneself, the last active admin, an unknown or inactive colleague.
    """
    require_admin(view)
    staff = _account(session, staff_id, active=True)
    reason = reason.strip()
    if not reason:
        raise StaffInputError("staff_account.reason_needed")
    if staff.id == view.id:
        raise StaffInputError("staff_account.not_yourself")
    if staff.role == "admin" and active_admin_count(session) <= 1:
        raise StaffInputError("staff_account.last_admin")
    colleague = session.get(Staff, hand_to) if hand_to is not None else None
    if hand_to is not None and (colleague is None or not colleague.active or colleague.id == staff.id):
        raise StaffInputError("staff_account.colleague_invalid")
    moved = _move(
        session, view, held_requests(session, staff_id=persisted_id(staff)), reason=reason, to=colleague, now=now
    )
    staff.active = False
    staff.link_code_hash = None
    staff.link_code_expires_at = None
    end_all_sessions(session, staff_id=persisted_id(staff))
    audit(
        session,
        actor=view.actor,
        action="deactivate_staff",
        target=f"staff:{staff.id}",
        at=now,
        detail={"handed": moved.handed, "released": moved.released, "to_staff": hand_to},
    )
    return moved


def reactivate_staff(session: Session, *, view: StaffView, staff_id: int, now: datetime) -> Staff:
    """Open a closed account again (a mistaken deactivation, someone coming back); the password is unchanged."""
    require_admin(view)
    staff = _account(session, staff_id, active=False)
    staff.active = True
    audit(session, actor=view.actor, action="reactivate_staff", target=f"staff:{staff.id}", at=now)
    return staff


def change_assignment(
    session: Session,
    *,
    view: StaffView,
    staff_id: int,
    queues: list[str],
    region: str | None,
    reason: str,
    now: datetime,
) -> Handover:
    """Set a person's queues and region; the open cases they can no longer see go back to their queue.

    Those cases need a reason (it is their history's note); without one, the change is refused and says how
    many cases it would release.
    """
    require_admin(view)
    staff = _account(session, staff_id, active=None)
    check_assignment(session, role=staff.role, queues=queues, region=region)
    set_staff_queues(session, staff_id=persisted_id(staff), queues=queues)
    staff.region = region
    session.flush()
    after = staff_view(session, staff)
    lost = [r for r in held_requests(session, staff_id=persisted_id(staff)) if not after.can_see(r)]
    if lost and not reason.strip():
        raise StaffInputError("staff_account.reason_needed_release", count=str(len(lost)))
    moved = _move(session, view, lost, reason=reason.strip(), to=None, now=now)
    audit(
        session,
        actor=view.actor,
        action="change_assignment",
        target=f"staff:{staff.id}",
        at=now,
        detail={"queues": sorted(set(queues)), "region": region, "released": moved.released},
    )
    return moved


def _account(session: Session, staff_id: int, *, active: bool | None) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffInputError("dash_admin.no_such_staff")
    if active is True and not staff.active:
        raise StaffInputError("staff_account.already_inactive")
    if active is False and staff.active:
        raise StaffInputError("staff_account.already_active")
    return staff


def _move(
    session: Session,
    view: StaffView,
    requests: list[Request],
    *,
    reason: str,
    to: Staff | None,
    now: datetime,
) -> Handover:
    handed = released = 0
    for request in requests:
        if to is not None:
            try:
                transfer_request(
                    session, view=view, request_id=persisted_id(request), reason=reason, now=now, to_staff=to
                )
                handed += 1
                continue
            except CaseActionError:  # the colleague does not work in this queue: checked before any write
                pass
        release_request(session, view=view, request_id=persisted_id(request), reason=reason, now=now)
        released += 1
    return Handover(handed, released)
