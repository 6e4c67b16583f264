"""How far the counselor's messages got: the outbox rows that carry them, and when each reached the citizen.

A counselor's message (`CaseMessage`) goes to the citizen as an outbox row that points back at it
(`OutboxMessage.case_message_id`); what counts as having reached the citizen is decided in
bot/services/first_contact.py. Released "aman" messages are queued again as new rows, so a message's
newest row is the one that tells.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.database import dialect_of
from storage.models import CaseMessage, OutboxMessage, Request, id_column, table_of

_CASE = table_of(CaseMessage)


@dataclass(frozen=True, slots=True)
class Carried:
    """A counselor's message not yet delivered, and the channel and status of an outbox row carrying it."""

    case_message_id: int
    request_id: int
    staff_id: int | None
    channel: str
    status: str


def carried_by(session: Session, *, outbox_ids: Collection[int]) -> list[Carried]:
    """The undelivered counselor messages these outbox rows carry (most rows carry none)."""
    rows = session.execute(  # five columns: SQLModel's select is typed for up to four
        sa.select(
            id_column(CaseMessage),
            col(CaseMessage.request_id),
            col(CaseMessage.staff_id),
            col(OutboxMessage.channel),
            col(OutboxMessage.status),
        )
        .join(OutboxMessage, col(OutboxMessage.case_message_id) == col(CaseMessage.id))
        .where(col(OutboxMessage.id).in_(list(outbox_ids)), col(CaseMessage.delivered_at).is_(None))
        .order_by(col(CaseMessage.id))
    ).all()
    return [Carried(*row) for row in rows]


def mark_delivered(session: Session, *, case_message_id: int, now: datetime) -> bool:
    """Record when a message reached the citizen, once: True only for the caller that recorded it.

    Two deliveries of one message may be recorded at once (WhatsApp's `delivered` and `read` webhooks);
    the conditional UPDATE lets exactly one of them go on to record first contact.
    """
    done = session.execute(
        sa.update(_CASE)
        .where(_CASE.c.id == case_message_id, _CASE.c.delivered_at.is_(None))
        .values(delivered_at=now)
        .returning(_CASE.c.id)
    ).first()
    return done is not None


def lock_request(session: Session, *, request_id: int) -> None:
    """Serialise first contacts of one request (PostgreSQL row lock; SQLite has one writer anyway)."""
    query = select(Request.id).where(Request.id == request_id)
    if dialect_of(session) == "postgresql":
        query = query.with_for_update()
    session.exec(query).first()


def outbox_statuses(session: Session, *, case_message_ids: Collection[int]) -> dict[int, str]:
    """The status of the newest outbox row of each counselor message that has one."""
    if not case_message_ids:
        return {}
    newest = (
        select(sa.func.max(OutboxMessage.id))
        .where(col(OutboxMessage.case_message_id).in_(list(case_message_ids)))
        .group_by(col(OutboxMessage.case_message_id))
    )
    rows = session.exec(
        select(col(OutboxMessage.case_message_id), col(OutboxMessage.status)).where(col(OutboxMessage.id).in_(newest))
    ).all()
    # The column may be NULL in general, never in these rows: they were chosen by it.
    return {message_id: status for message_id, status in rows if message_id is not None}
