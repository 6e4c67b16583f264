"""The outbox: replies committed with the state change that caused them, then delivered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import OutboxMessage

_TABLE = OutboxMessage.__table__
_INSERT_RETURNING_ID = sa.insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


def enqueue_messages(
    session: Session, *, contact_id: int, channel: str, payloads: Iterable[dict[str, Any]], now: datetime
) -> list[int]:
    """Queue messages for one contact, in order, and return their ids (web chat sequence numbers).

    Only ids come back, not rows: the INSERT bypasses the unit of work, so there is no persistent
    object to change; a caller that needs to alter a row does it by id. Web chat messages count as
    delivered at once: the page reads them from here, no sender runs.
    """
    status = "delivered" if channel == "webchat" else "pending"
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
            .where(OutboxMessage.contact_id == contact_id, OutboxMessage.id > after_id)
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
    )
