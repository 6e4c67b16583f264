"""Bounding the tables that would otherwise grow for ever: finished messages, finished work, handled inbound ids.

Each call deletes at most `batch` rows, picked by key in a subquery, and the caller commits between
calls: no DELETE runs long enough to hold a write lock that inbound messages wait behind (SQLite has
one writer; on PostgreSQL a long transaction also holds back vacuum). Only rows that nothing reads any
more go: pending, in-flight and held messages stay whatever their age, as does work not yet finished; a
web chat message the page never fetched stays until its session has surely ended.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.domain.statuses import FINISHED_STATUSES, FINISHED_WORK, OutboxStatus
from storage.models import DueWork, OutboxMessage, ProcessedInbound


def prune_messages(session: Session, *, before: datetime, batch: int, unread_before: datetime | None = None) -> int:
    """Delete up to `batch` finished outbox messages sent (or failed) before `before`, oldest first.

    With `unread_before`, also web chat messages never fetched and written before it: a session unused for
    that long has ended, so no page can show them any more.
    """
    finished_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    done = sa.and_(col(OutboxMessage.status).in_(FINISHED_STATUSES), finished_at < before)
    if unread_before is not None:
        done = sa.or_(
            done,
            sa.and_(col(OutboxMessage.status) == OutboxStatus.UNREAD, col(OutboxMessage.created_at) < unread_before),
        )
    oldest = select(OutboxMessage.id).where(done).order_by(col(OutboxMessage.id)).limit(batch)
    # Their outbox_wamid rows go with them (ON DELETE CASCADE).
    return _delete(session, sa.delete(OutboxMessage).where(col(OutboxMessage.id).in_(oldest.scalar_subquery())))


def prune_work(session: Session, *, before: datetime, batch: int) -> int:
    """Delete up to `batch` due-work items that finished before `before`, oldest first."""
    oldest = (
        select(DueWork.id)
        .where(col(DueWork.state).in_(FINISHED_WORK), col(DueWork.finished_at) < before)
        .order_by(col(DueWork.id))
        .limit(batch)
    )
    return _delete(session, sa.delete(DueWork).where(col(DueWork.id).in_(oldest.scalar_subquery())))


def prune_inbound_ids(session: Session, *, before: datetime, batch: int) -> int:
    """Forget up to `batch` platform message ids handled before `before`: re-deliveries stop long before.

    No ORDER BY: the table has no index on the time, and the oldest rows are found first by a scan
    anyway (they were written first); sorting every batch would read the whole table each time.
    """
    keys = sa.tuple_(ProcessedInbound.channel, ProcessedInbound.message_id)
    old = (
        select(ProcessedInbound.channel, ProcessedInbound.message_id)
        .where(ProcessedInbound.processed_at < before)
        .limit(batch)
    )
    return _delete(session, sa.delete(ProcessedInbound).where(keys.in_(old)))


def _delete(session: Session, statement: sa.Delete) -> int:
    # Core, not the ORM's bulk delete: no pruned row is loaded in a session to synchronize.
    return session.connection().execute(statement).rowcount or 0
