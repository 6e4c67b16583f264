"""The outbox: replies committed with the state change that caused them, then delivered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import OutboxMessage

#: A counselor's message to an urgent case, kept until the citizen answers that it is safe to talk
#: (bot/services/safe_to_talk.py). Never claimed for sending, never shown by the web chat.
HELD_UNTIL_SAFE = "held_safe"

_TABLE = OutboxMessage.__table__
_INSERT_RETURNING_ID = sa.insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


def enqueue_messages(
    session: Session, *, contact_id: int, channel: str, payloads: Iterable[dict[str, Any]], now: datetime,
    hold_until_safe: bool = False,
) -> list[int]:
    """Queue messages for one contact, in order, and return their ids (web chat sequence numbers).

    Only ids come back, not rows: the INSERT bypasses the unit of work, so there is no persistent
    object to change; a caller that needs to alter a row does it by id. Web chat messages count as
    delivered at once: the page reads them from here, no sender runs. Held messages wait for
    `storage.delivery.release_until_safe`.
    """
    status = "delivered" if channel == "webchat" else "pending"
    if hold_until_safe:
        status = HELD_UNTIL_SAFE
    values = [
        {"contact_id": contact_id, "channel": channel, "payload": p, "status": status, "attempts": 0,
         "next_attempt_at": now, "created_at": now}
        for p in payloads
    ]
    if not values:
        return []
    # One INSERT .. RETURNING id for all, instead of the unit of work: every inbound message comes here.
    return list(session.execute(_INSERT_RETURNING_ID, values).scalars().all())


def messages_after(session: Session, *, contact_id: int, after_id: int, limit: int = 200) -> list[OutboxMessage]:
    """A contact's messages newer than `after_id`, oldest first (web chat polling)."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.contact_id == contact_id, OutboxMessage.id > after_id,
                   OutboxMessage.status != HELD_UNTIL_SAFE)
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
    )
