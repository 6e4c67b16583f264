"""WhatsApp delivery statuses matched to outbox messages by wamid, whichever of the two is stored first.

Every WhatsApp message we send is a row of `outbox_wamid` pointing at its outbox message: a reply
split into several WhatsApp messages has several, each with its own status, and a failure of any
part is the message's failure (a 131047 on the first part holds the message like one on the last).

Meta may post a status before our send call has its answer, so before the worker has stored the
wamid. Such a status is kept as a row without an outbox id and applied when the worker stores the
wamid, in that same transaction. The wamid is the row's primary key: a webhook's insert and the
worker's insert of the same wamid wait for each other instead of missing each other. Statuses that
nothing claimed for a day (another system's messages on our number, a send whose answer never came)
are deleted whenever another unmatched one is recorded, so they never pile up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from sqlmodel import Session, col, delete, select

from bot.domain.statuses import SENT_STATUSES, WHATSAPP_STATUSES, OutboxStatus
from storage.database import dialect_of
from storage.delivery import mark_sent
from storage.models import Contact, OutboxMessage, OutboxWamid, persisted_id, table_of
from storage.whatsapp_window import WINDOW_CLOSED_ERROR, HeldContact, is_window_notice

UNMATCHED_LIFETIME = timedelta(days=1)
#: Forward-only order of a part's statuses (sent, delivered, read): a late "delivered" never overwrites "read".
_PROGRESS: dict[str, int] = {status: rank for rank, status in enumerate(SENT_STATUSES, start=1)}
_PROGRESS_NAMES = dict(enumerate(SENT_STATUSES, start=1))


def record_status(
    session: Session, *, wamid: str, status: OutboxStatus, error_code: int | None, error: str, now: datetime
) -> HeldContact | None:
    """Apply a status webhook to its message part; returns the contact when a 131047 failure held it.

    Statuses may arrive out of order or twice: a part only moves forward, and a failed part stays
    failed. A status for a wamid not stored yet is kept until the worker stores it.
    """
    if status not in WHATSAPP_STATUSES:
        return None
    unmatched = {
        "wamid": wamid,
        "outbox_id": None,
        "status": status,
        "error_code": error_code,
        "error": error[:300] or None,
        "updated_at": now,
    }
    if _upsert(session, unmatched, link=False):
        _expire_unmatched(session, now=now)
        return None
    query = select(OutboxWamid).where(OutboxWamid.wamid == wamid)
    if dialect_of(session) == "postgresql":
        query = query.with_for_update()
    part = session.exec(query).one()
    if not _move_part(part, status=status, error_code=error_code, error=error, now=now):
        return None
    return _apply(session, part) if part.outbox_id is not None else None


def record_sent(
    session: Session, *, outbox_id: int, wamids: Sequence[str], now: datetime, mark: bool = True
) -> HeldContact | None:
    """Store the wamids of a message just sent (and mark it sent); apply any status that came first.

    A message sent again (held, then released) drops its earlier parts: their statuses are history.
    `mark=False` for a row written as sent already (the window notice).
    """
    session.exec(
        delete(OutboxWamid).where(col(OutboxWamid.outbox_id) == outbox_id, col(OutboxWamid.wamid).notin_(wamids))
    )
    for wamid in wamids:  # before the outbox row: the same lock order as a webhook (part, then message)
        _upsert(
            session, {"wamid": wamid, "outbox_id": outbox_id, "status": OutboxStatus.SENT, "updated_at": now}, link=True
        )
    if mark:
        mark_sent(session, message_id=outbox_id, platform_message_id=wamids[-1] if wamids else None, now=now)
    early = session.exec(
        select(OutboxWamid).where(col(OutboxWamid.wamid).in_(wamids), OutboxWamid.status != OutboxStatus.SENT)
    ).all()
    held = None
    for part in early:
        held = _apply(session, part) or held
    return held


def outbox_id_of(session: Session, *, wamid: str) -> int | None:
    """The outbox message a WhatsApp message (part) belongs to; None while its send is not stored yet."""
    return session.exec(select(OutboxWamid.outbox_id).where(OutboxWamid.wamid == wamid)).first()


_PARTS = table_of(OutboxWamid)


def _part_insert(insert: Any, *, link: bool) -> sa.Insert:
    """INSERT of a part with bound parameters, compiled once per process: it runs on every status webhook.

    `link` points an existing (early) row at its message; otherwise an existing row wins.
    """
    columns = ("wamid", "outbox_id", "status", "error_code", "error", "updated_at")
    statement = insert(_PARTS).values({name: sa.bindparam(f"p_{name}") for name in columns})
    if link:
        statement = statement.on_conflict_do_update(
            index_elements=["wamid"], set_={"outbox_id": statement.excluded.outbox_id}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["wamid"])
    # RETURNING, not rowcount: through SQLAlchemy and psycopg this insert reports a rowcount of -1.
    return statement.returning(_PARTS.c.wamid)


_PART_INSERTS = {
    (dialect, link): _part_insert(insert, link=link)
    for dialect, insert in (("postgresql", sa.dialects.postgresql.insert), ("sqlite", sa.dialects.sqlite.insert))
    for link in (False, True)
}


def _upsert(session: Session, values: dict[str, Any], *, link: bool) -> bool:
    """Insert a part unless its wamid is there (`link`: or point the existing one at its message).

    Returns whether a row was inserted. On PostgreSQL a second insert of the same wamid waits for the
    first transaction to end, then sees its row: this is what keeps an early status from being lost.
    """
    params = {
        f"p_{name}": values.get(name) for name in ("wamid", "outbox_id", "status", "error_code", "error", "updated_at")
    }
    return session.connection().execute(_PART_INSERTS[dialect_of(session), link], params).first() is not None


def _move_part(part: OutboxWamid, *, status: OutboxStatus, error_code: int | None, error: str, now: datetime) -> bool:
    """A part's status moves forward only, and a failure after delivery is stale; True when it moved."""
    current = _PROGRESS.get(part.status)
    if current is None:  # failed: final
        return False
    if status == OutboxStatus.FAILED:
        if current >= _PROGRESS[OutboxStatus.DELIVERED]:
            return False
        part.status, part.error_code, part.error = OutboxStatus.FAILED, error_code, error[:300] or None
    elif _PROGRESS[status] > current:
        part.status = status
    else:
        return False
    part.updated_at = now
    return True


def _apply(session: Session, part: OutboxWamid) -> HeldContact | None:
    """What a part's new status means for its message: failed, held for the window, or further along."""
    session.flush()
    row = session.get(OutboxMessage, part.outbox_id, with_for_update=dialect_of(session) == "postgresql")
    if row is None or row.status not in SENT_STATUSES:  # final already, or waiting to be sent again
        return None
    if part.status != OutboxStatus.FAILED:
        statuses = session.exec(select(OutboxWamid.status).where(OutboxWamid.outbox_id == row.id)).all()
        if OutboxStatus.FAILED not in statuses:  # the message is as far along as its slowest part
            reached = _PROGRESS_NAMES[min(_PROGRESS[s] for s in statuses)]
            if _PROGRESS[reached] > _PROGRESS.get(row.status, 0):
                row.status = reached
        return None
    row.last_error = (part.error or str(part.error_code))[:500]
    if part.error_code != WINDOW_CLOSED_ERROR or is_window_notice(row.payload):
        row.status = OutboxStatus.FAILED
        return None
    row.status = OutboxStatus.HELD
    contact = session.get(Contact, row.contact_id)
    assert contact is not None
    return HeldContact(
        persisted_id(contact), contact.address or contact.platform_user_id, contact.language, contact.last_inbound_at
    )


def _expire_unmatched(session: Session, *, now: datetime) -> None:
    session.exec(
        delete(OutboxWamid).where(
            col(OutboxWamid.outbox_id).is_(None), col(OutboxWamid.updated_at) < now - UNMATCHED_LIFETIME
        )
    )
