"""Who may do what to a request in which state: the one table every staff action asks.

The dashboard's pages (which forms to show) and its POSTs, and the Telegram staff mode (which buttons a
case card has, and the action itself) all ask `decide`; the case services call `authorize` before they
write, so a rule cannot be kept in one place and forgotten in another.

A staff member who sees a request stands in one of three relations to it:

- its **holder**, who claimed it or was handed it (a closed request keeps its last holder);
- a **lead**: a coordinator of the request's region, the provincial coordinator or an admin;
- a **colleague**: another counselor of the request's queue.

A verdict is *allowed*, *allowed with a reason*, or *refused* with the catalog key that says why. A lead
acting on a case someone else holds needs a reason: it goes into the case's history (an `acted_for`
event, the reason as its encrypted note) and the holder is told on Telegram. A colleague cannot act on
a case another counselor holds at all, except adding a note. A request nobody holds (waiting in its
queue, or closed unclaimed) is nobody else's: no reason is asked and no holder refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import assert_never

from sqlmodel import Session

from bot.domain.statuses import ASSIGNED_STATUSES, CLOSED_STATUSES
from bot.services.access import StaffView
from bot.services.notify import queue_staff_notice
from storage.models import Request, Staff, persisted_id
from storage.requests import add_event

MAX_REASON = 500
#: The longest text staff write into a case: a message to the citizen, a note.
MAX_MESSAGE = 2000
EVENT = "acted_for"


class CaseActionError(ValueError):
    """The action does not fit the request's state or the actor; `args[0]` is a catalog key that says why."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.params = params


class NotYourCase(CaseActionError):
    """A counselor tried to act on a case a colleague holds: answered 403 on the dashboard, in words in Telegram."""


class CaseAct(StrEnum):
    """What staff do to a case, grouped by what the rules treat alike."""

    CLAIM = "claim"
    RELEASE = "release"
    TRANSFER = "transfer"
    CONTACT = "contact"  # message the citizen, record a call, offer appointment slots
    APPOINTMENT = "appointment"  # cancel one, mark it done or no-show
    NOTE = "note"
    CLOSE = "close"
    REOPEN = "reopen"


class Phase(StrEnum):
    WAITING = "waiting"  # new: in its queue, nobody holds it
    HELD = "held"  # claimed or in progress
    CLOSED = "closed"


class Relation(StrEnum):
    HOLDER = "holder"
    LEAD = "lead"
    COLLEAGUE = "colleague"


class Verdict(StrEnum):
    ALLOWED = "allowed"
    NEEDS_REASON = "needs_reason"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Rule:
    verdict: Verdict
    refusal: str | None = None  # catalog key, for a refusal


_A = Rule(Verdict.ALLOWED)
_R = Rule(Verdict.NEEDS_REASON)
_NOT_HOLDER = Rule(Verdict.REFUSED, "case.error_not_holder")
_NOT_CLAIMED = Rule(Verdict.REFUSED, "case.error_not_claimed")
_TAKEN = Rule(Verdict.REFUSED, "dash_requests.claim_not_open")
_CLOSED = Rule(Verdict.REFUSED, "case.error_closed")
_OPEN = Rule(Verdict.REFUSED, "case.error_not_closed")
_HOLDERS_ONLY = (_A, _R, _NOT_HOLDER)

#: (phase, act) -> the rule for (holder, lead, colleague). Nobody holds a waiting request.
RULES: dict[tuple[Phase, CaseAct], tuple[Rule, Rule, Rule]] = {
    (Phase.WAITING, CaseAct.CLAIM): (_A, _A, _A),
    (Phase.WAITING, CaseAct.RELEASE): (_NOT_CLAIMED,) * 3,
    (Phase.WAITING, CaseAct.TRANSFER): (_A, _A, _A),  # a misrouted request moves on before anyone claims it
    (Phase.WAITING, CaseAct.CONTACT): (_NOT_CLAIMED,) * 3,
    (Phase.WAITING, CaseAct.APPOINTMENT): (_A, _A, _NOT_CLAIMED),  # one left from before a release
    (Phase.WAITING, CaseAct.NOTE): (_A, _A, _A),
    (Phase.WAITING, CaseAct.CLOSE): (_A, _A, _A),  # a test message, a duplicate nobody merged
    (Phase.WAITING, CaseAct.REOPEN): (_OPEN,) * 3,
    (Phase.HELD, CaseAct.CLAIM): (_TAKEN,) * 3,
    (Phase.HELD, CaseAct.RELEASE): _HOLDERS_ONLY,
    (Phase.HELD, CaseAct.TRANSFER): _HOLDERS_ONLY,
    (Phase.HELD, CaseAct.CONTACT): _HOLDERS_ONLY,
    (Phase.HELD, CaseAct.APPOINTMENT): _HOLDERS_ONLY,
    (Phase.HELD, CaseAct.NOTE): (_A, _A, _A),  # colleagues share what they know
    (Phase.HELD, CaseAct.CLOSE): _HOLDERS_ONLY,
    (Phase.HELD, CaseAct.REOPEN): (_OPEN,) * 3,
    (Phase.CLOSED, CaseAct.CLAIM): (_CLOSED,) * 3,
    (Phase.CLOSED, CaseAct.RELEASE): (_CLOSED,) * 3,
    (Phase.CLOSED, CaseAct.TRANSFER): (_CLOSED,) * 3,
    (Phase.CLOSED, CaseAct.CONTACT): (_CLOSED,) * 3,
    (Phase.CLOSED, CaseAct.APPOINTMENT): _HOLDERS_ONLY,  # a meeting that took place is still marked
    (Phase.CLOSED, CaseAct.NOTE): (_A, _A, _CLOSED),
    (Phase.CLOSED, CaseAct.CLOSE): (_CLOSED,) * 3,
    (Phase.CLOSED, CaseAct.REOPEN): _HOLDERS_ONLY,
}


def phase_of(request: Request) -> Phase:
    if request.status in CLOSED_STATUSES:
        return Phase.CLOSED
    return Phase.HELD if request.status in ASSIGNED_STATUSES else Phase.WAITING


def relation_of(view: StaffView, request: Request) -> Relation:
    if request.assigned_staff_id is not None and request.assigned_staff_id == view.id:
        return Relation.HOLDER
    return Relation.COLLEAGUE if view.role == "counselor" else Relation.LEAD


def decide(view: StaffView, request: Request, act: CaseAct) -> Rule:
    """The rule for `view` doing `act` to `request` now (the caller has checked that `view` sees it)."""
    holder, lead, colleague = RULES[(phase_of(request), act)]
    relation = relation_of(view, request)
    match relation:
        case Relation.HOLDER:
            rule = holder
        case Relation.LEAD:
            rule = lead
        case Relation.COLLEAGUE:
            rule = colleague
        case _:
            assert_never(relation)
    if request.assigned_staff_id is None and rule in (_R, _NOT_HOLDER):
        return _A  # nobody else's case: nothing to explain, nobody to defer to
    return rule


def may(view: StaffView, request: Request, act: CaseAct) -> bool:
    """Whether a form or button for `act` makes sense (perhaps with a reason)."""
    return decide(view, request, act).verdict is not Verdict.REFUSED


def acts_for_holder(view: StaffView, request: Request) -> bool:
    """Whether `view` is a lead on a case someone else holds: every action of theirs there needs a reason."""
    return any(decide(view, request, act) == _R for act in CaseAct)


def holder_name(session: Session, request: Request) -> str:
    holder = session.get(Staff, request.assigned_staff_id) if request.assigned_staff_id else None
    return holder.display_name if holder else "-"


def authorize(session: Session, *, view: StaffView, request: Request, act: CaseAct, reason: str, now: datetime) -> None:
    """Refuse what `decide` refuses; for a lead on someone else's case, record the reason and tell the holder.

    Called by each case service after its own input checks and before it writes, in the same transaction.
    """
    rule = decide(view, request, act)
    if rule == _NOT_HOLDER:
        raise NotYourCase("case.error_not_holder", name=holder_name(session, request))
    if rule.verdict is Verdict.REFUSED:
        raise CaseActionError(rule.refusal or "case.error_closed")
    if rule.verdict is Verdict.ALLOWED:
        return
    reason = reason.strip()[:MAX_REASON]
    if not reason:
        raise CaseActionError("case.error_reason_needed", name=holder_name(session, request))
    add_event(
        session,
        request_id=persisted_id(request),
        kind=EVENT,
        actor=view.actor,
        at=now,
        detail={"act": act.value, "holder": request.assigned_staff_id},
        note=reason,
    )
    queue_staff_notice(
        session,
        staff_ids=[request.assigned_staff_id],
        request_id=request.id,
        now=now,
        key="case.staff_acted_for",
        params={
            "code": request.ticket_code,
            "name": view.display_name,
            "what": {"key": f"case.act_{act.value}"},
            "text": reason,
        },
    )
