"""WhatsApp's delivery bookkeeping: statuses, the wamids of a sent message, the 24-hour window notice.

The channel adapter (bot/handlers/whatsapp*.py) only talks to Meta; what a status or a send means for
the outbox, the held messages and the citizen's first contact is decided here, in one transaction each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.domain.statuses import OutboxStatus
from bot.messages import Channel
from bot.services.first_contact import REACHED, record_arrivals
from storage import whatsapp_statuses, whatsapp_window
from storage.whatsapp_window import WINDOW_CLOSED_ERROR, HeldContact

__all__ = [
    "WINDOW_CLOSED_ERROR",
    "HeldContact",
    "apply_status",
    "record_sent",
    "record_window_notice",
    "window_notice_sent_since",
]


def apply_status(
    db: sa.Engine, *, wamid: str, status: OutboxStatus, error_code: int | None, error: str, now: datetime
) -> HeldContact | None:
    """Apply Meta's status of one message part; a counselor's message delivered is the citizen's first
    contact. Returns the contact whose message a late 131047 put on hold, to be told with the template."""
    with Session(db) as session, session.begin():
        held = whatsapp_statuses.record_status(
            session, wamid=wamid, status=status, error_code=error_code, error=error, now=now
        )
        if status in REACHED[Channel.WHATSAPP.value]:
            record_arrivals(session, outbox_ids=[whatsapp_statuses.outbox_id_of(session, wamid=wamid)], now=now)
        return held


def record_sent(session: Session, *, message_id: int, wamids: Sequence[str], now: datetime) -> HeldContact | None:
    """Mark the outbox message sent with every part's wamid, applying statuses that overtook the send."""
    return whatsapp_statuses.record_sent(session, outbox_id=message_id, wamids=wamids, now=now)


def window_notice_sent_since(db: sa.Engine, *, contact_id: int, since: datetime | None) -> bool:
    """Whether the window notice already went to this contact since they last wrote."""
    with Session(db) as session:
        return whatsapp_window.notice_sent_since(session, contact_id=contact_id, since=since)


def record_window_notice(db: sa.Engine, *, contact_id: int, payload: dict[str, Any], wamid: str, now: datetime) -> None:
    """Keep the window notice that was sent, as a sent outbox row whose statuses are tracked too."""
    with Session(db) as session, session.begin():
        row = whatsapp_window.record_window_notice(
            session, contact_id=contact_id, payload=payload, platform_message_id=wamid, now=now
        )
        assert row.id is not None
        whatsapp_statuses.record_sent(session, outbox_id=row.id, wamids=[wamid], now=now, mark=False)
