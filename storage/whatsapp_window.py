"""WhatsApp's 24-hour window in the outbox: held messages and the window notice.

Meta accepts free-form messages only within 24 hours of the citizen's last message. A message that
cannot go out (the sender saw the window closed, or Meta answered 131047 later in a `failed` status)
is *held*: status `held`, never claimed, never lost. The citizen is told with one approved template
(the *window notice*), and their next message re-queues everything held, oldest first, before the
replies to what they just wrote.

The notice is itself an outbox row (status `sent`, payload marked with `template`), so its delivery
statuses are recorded like any other message and "was a notice sent since the citizen last wrote?"
is one query. Statuses reach the outbox by wamid through `storage.whatsapp_statuses`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.domain.statuses import SENT_STATUSES, OutboxStatus
from storage.models import OutboxMessage

CHANNEL = "whatsapp"
#: Meta's "re-engagement message" error: the 24-hour window had closed (at the send, or in a later status).
WINDOW_CLOSED_ERROR = 131047


@dataclass(frozen=True, slots=True)
class HeldContact:
    """Who to send the window notice to after a status webhook held one of their messages."""

    contact_id: int
    address: str
    language: str
    last_inbound_at: datetime | None


def notice_sent_since(session: Session, *, contact_id: int, since: datetime | None) -> bool:
    """Whether a window notice already went to this contact after their last message."""
    query = select(OutboxMessage.payload).where(
        OutboxMessage.contact_id == contact_id,
        OutboxMessage.channel == CHANNEL,
        col(OutboxMessage.status).in_(SENT_STATUSES),
    )
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    return any(is_window_notice(payload) for payload in session.exec(query))


def record_window_notice(
    session: Session, *, contact_id: int, payload: dict[str, Any], platform_message_id: str | None, now: datetime
) -> OutboxMessage:
    """Store the notice that was sent, so its statuses land somewhere and it is sent once per window."""
    row = OutboxMessage(
        contact_id=contact_id,
        channel=CHANNEL,
        payload=payload,
        status=OutboxStatus.SENT,
        attempts=1,
        next_attempt_at=now,
        created_at=now,
        sent_at=now,
        platform_message_id=platform_message_id,
    )
    session.add(row)
    session.flush()
    return row


def is_window_notice(payload: Mapping[str, Any]) -> bool:
    return bool(payload.get("template"))
