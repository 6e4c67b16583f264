"""First contact is when the counselor's message reached the citizen, not when it was written.

Why: a message written at 22:30 may wait for the morning (quiet hours, the citizen's safe time) or for
the citizen's "aman"; until it arrives nobody has been contacted, so the SLA clock and the claim lapse
keep running, and response times are measured to the arrival. What "reached" means on each channel:

- WhatsApp: Meta's `delivered` status (or `read`, whichever comes first). The channel cannot run without
  its webhook (WHATSAPP_APP_SECRET is required) and Meta posts statuses on the same `messages`
  subscription as the citizens' messages, so there is no set-up without statuses to fall back from. A
  message Meta accepted but could not hand over (a phone off for days, the 24-hour window closed) has
  not reached anyone.
- Telegram, which reports no delivery: when the Bot API took the message (the outbox marks it sent).
- Web chat, which has no receipt and no push: when the message stands in the citizen's thread, where
  the page shows it the next time it is open (written `unread`). Not while it waits for a safe time or
  for "aman": then it is not in the thread yet. Waiting for the citizen to open the page would measure
  the citizen, not the service.

A phone call the counselor records counts at once (bot/services/case_thread.py). A first-contact
deadline that passes while nothing has reached the citizen of a claimed request alerts the region's
coordinators like a missed claim does (`missed_deadline`, the one rule of the SLA check in
bot/scheduler/work.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.domain.contact_times import next_update_time
from bot.domain.statuses import ASSIGNED_STATUSES, FAILED_STATUSES, SENT_STATUSES, OutboxStatus, RequestStatus
from bot.services.claims import record_first_contact
from bot.services.notify import promised_contact_way
from bot.sla import Deadline
from storage.case_delivery import carried_by, lock_request, mark_delivered, outbox_statuses
from storage.casework import first_event
from storage.models import CaseMessage, Contact, Request, persisted_id

#: The outbox statuses at which a message has reached the citizen, per channel; any other channel: sent.
REACHED: dict[str, frozenset[OutboxStatus]] = {
    "whatsapp": frozenset({OutboxStatus.DELIVERED, OutboxStatus.READ}),
    "webchat": frozenset({OutboxStatus.UNREAD, OutboxStatus.DELIVERED}),
}
_SENT = frozenset(SENT_STATUSES)
_FAILED = frozenset(FAILED_STATUSES)


def reached(channel: str, status: str) -> bool:
    """Whether an outbox row in `status` on `channel` has reached its recipient."""
    return status in REACHED.get(channel, _SENT)


def record_arrivals(session: Session, *, outbox_ids: Iterable[int | None], now: datetime) -> int:
    """The counselor's messages among these outbox rows that reached the citizen: delivered now, first contact.

    Called wherever a row's status moves: the worker's send, a WhatsApp status, a web chat thread written.
    Returns how many messages arrived now (each counts once, however many statuses report it).
    """
    ids = [i for i in outbox_ids if i is not None]
    arrived = 0
    for carried in carried_by(session, outbox_ids=ids) if ids else []:
        if not reached(carried.channel, carried.status):
            continue
        if not mark_delivered(session, case_message_id=carried.case_message_id, now=now):
            continue
        lock_request(session, request_id=carried.request_id)
        request = session.get_one(Request, carried.request_id)
        actor = f"staff:{carried.staff_id}" if carried.staff_id is not None else "system"
        record_first_contact(session, request=request, actor=actor, how="chat", now=now)
        arrived += 1
    return arrived


def missed_deadline(session: Session, *, request: Request, deadline: Deadline) -> bool:
    """Whether `request` missed its claim or first-contact deadline, asked when the deadline passes.

    Claim: still unclaimed. First contact: held by a counselor, its reporter asked to be contacted, and
    nothing has reached them (no message delivered, no call recorded). An unclaimed request past both
    deadlines was reported at the claim deadline (and to the province at twice the SLA), and a lapsed
    claim is reported when it lapses: neither is reported again here.
    """
    if deadline == "claim":
        return request.status == RequestStatus.NEW
    return (
        request.status in ASSIGNED_STATUSES
        and promised_contact_way(request) is not None
        and first_event(session, request_id=persisted_id(request), kind="first_contact") is None
    )


class DeliveryState(StrEnum):
    """How far a counselor's message got, as the request page says it (`dash_requests.msg_<state>`)."""

    DELIVERED = "delivered"
    WAITING_TIME = "waiting_time"  # quiet hours or the citizen's safe time; `at`: when it may go
    WAITING_SAFE = "waiting_safe"  # until the citizen answers "aman"
    WAITING_REPLY = "waiting_reply"  # WhatsApp's 24-hour window: until the citizen writes again
    SENDING = "sending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    state: DeliveryState
    at: datetime | None = None  # delivered at, or goes from


def thread_deliveries(
    session: Session,
    *,
    request: Request,
    contact: Contact | None,
    messages: Sequence[CaseMessage],
    now: datetime,
    tz: ZoneInfo,
) -> dict[int, Delivery]:
    """How far each outgoing message of the thread got, by case message id."""
    outgoing = [m for m in messages if m.direction == "out"]
    statuses = outbox_statuses(session, case_message_ids=[persisted_id(m) for m in outgoing if m.delivered_at is None])
    goes_at = None
    if contact is not None:
        goes_at = next_update_time(
            now,
            urgent=request.urgency == "urgent",
            request_times=request.contact_times,
            contact_times=contact.contact_times,
            tz=tz,
        )
    return {persisted_id(m): _delivery(m, statuses.get(persisted_id(m)), contact, goes_at, now) for m in outgoing}


def _delivery(
    message: CaseMessage, status: str | None, contact: Contact | None, goes_at: datetime | None, now: datetime
) -> Delivery:
    if message.delivered_at is not None:
        return Delivery(DeliveryState.DELIVERED, message.delivered_at)
    if contact is None or contact.unreachable_at is not None or status in _FAILED:
        return Delivery(DeliveryState.FAILED)
    if status is None:  # still in scheduled work: it goes when the citizen may receive it
        if goes_at is not None and goes_at > now:
            return Delivery(DeliveryState.WAITING_TIME, goes_at)
        return Delivery(DeliveryState.SENDING)
    if status == OutboxStatus.HELD_SAFE:
        return Delivery(DeliveryState.WAITING_SAFE)
    if status == OutboxStatus.HELD:
        return Delivery(DeliveryState.WAITING_REPLY)
    return Delivery(DeliveryState.SENDING)
