"""The outbox: replies committed with the state change that caused them, then delivered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.domain.statuses import OutboxStatus
from storage.models import OutboxMessage, table_of

_TABLE = table_of(OutboxMessage)
_INSERT_RETURNING_ID = sa.insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


def enqueue_messages(
    session: Session,
    *,
    contact_id: int,
    channel: str,
    payloads: Iterable[dict[str, Any]],
    now: datetime,
    hold_until_safe: bool = False,
    answered: bool = False,
    case_message_id: int | None = None,
) -> list[int]:
    """Queue messages for one contact, in order, and return their ids (web chat sequence numbers).

    Only ids come back, not rows: the INSERT bypasses the unit of work, so there is no persistent
    object to change; a caller that needs to alter a row does it by id. No sender runs for the web
    chat: the page reads its messages from here. Replies that go back in the HTTP answer to the page's
    own request (`answered`) count as delivered at once; any other web chat message is unread until
    the page fetches it (`fetch_for_page`). Held messages wait for `storage.delivery.release_until_safe`.
    `case_message_id`: the counselor's message these rows carry (its delivery is first contact).
    """
    status = OutboxStatus.PENDING
    if channel == "webchat":
        status = OutboxStatus.DELIVERED if answered else OutboxStatus.UNREAD
    if hold_until_safe:
        status = OutboxStatus.HELD_SAFE
    values = [
        {
            "contact_id": contact_id,
            "channel": channel,
            "payload": p,
            "status": status,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "case_message_id": case_message_id,
        }
        for p in payloads
    ]
    if not values:
        return []
    # One INSERT .. RETURNING id for all, instead of the unit of work: every inbound message comes here.
    return list(session.execute(_INSERT_RETURNING_ID, values).scalars().all())


def messages_after(session: Session, *, contact_id: int, after_id: int, limit: int = 200) -> list[OutboxMessage]:
    """A contact's messages newer than `after_id`, and every one not fetched yet, oldest first (web chat).

    An unread message may be older than the page's newest: the counselor's messages released by "aman"
    are queued before the reply to it, which the page already drew from its own request's answer.
    """
    return list(
        session.exec(
            select(OutboxMessage)
            .where(
                OutboxMessage.contact_id == contact_id,
                sa.or_(col(OutboxMessage.id) > after_id, col(OutboxMessage.status) == OutboxStatus.UNREAD),
                OutboxMessage.status != OutboxStatus.HELD_SAFE,
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
    )


def mark_fetched(session: Session, *, ids: Iterable[int], now: datetime) -> None:
    """The page has these messages: the unread among them count as delivered now (and are pruned later)."""
    fetched = list(ids)
    if fetched:
        session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id.in_(fetched), _TABLE.c.status == OutboxStatus.UNREAD)
            .values(status=OutboxStatus.DELIVERED, sent_at=now)
        )


def close_unshown(session: Session, *, contact_id: int) -> None:
    """A web chat session ended: what its page never showed never will be; finished, it is pruned like the rest."""
    session.execute(
        sa.update(_TABLE)
        .where(_TABLE.c.contact_id == contact_id, _TABLE.c.status.in_((OutboxStatus.UNREAD, OutboxStatus.HELD_SAFE)))
        .values(status=OutboxStatus.UNREACHABLE, last_error="web chat session ended")
    )
