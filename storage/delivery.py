"""Claiming outbox messages for delivery and recording results; the shared send rate is storage/send_rate.py.

Claims are safe with several instances on PostgreSQL (`FOR UPDATE SKIP LOCKED`), and keep each
contact's messages in order: only a contact's oldest unsent message can be claimed, and only once
the chat's spacing since its last send has passed. A claim is a lease, and its attempt number a fencing
token: a message whose lease ran out may be claimed by another instance, and then the first one can no
longer start sending it (`send_rate.take_send_turn` checks the attempt), so a lease running out never
sends twice. A send begins with its turn, which marks the message in flight (`send_started_at`, a short
lease) before the platform call. After a crash a message that was claimed but not started is sent once,
after its claim's lease; one whose send had begun may have reached the platform and is sent again after
the short in-flight lease (`ClaimedMessage.may_have_arrived`): these are the only duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, delete, select, update

from bot.domain.statuses import SENT_STATUSES, UNSENT_STATUSES, OutboxStatus
from storage.database import one_of
from storage.models import Contact, OutboxMessage, Staff, id_column, table_of
from storage.outbox import enqueue_messages

_WORD = re.compile(r"[\w-]+")

_OUTBOX = table_of(OutboxMessage)
_MARK_SENT = (
    sa.update(_OUTBOX)
    .where(_OUTBOX.c.id == sa.bindparam("sent_id"))
    .values(
        status=OutboxStatus.SENT,
        sent_at=sa.bindparam("sent_now"),
        platform_message_id=sa.bindparam("sent_platform_id"),
        last_error=None,
    )
)


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: int
    contact_id: int
    address: str
    language: str
    last_inbound_at: datetime | None
    payload: dict
    attempts: int  # this claim's attempt number: the fencing token of `take_send_turn`
    case_message_id: int | None = None  # a counselor's message: its delivery is first contact
    #: Claimed again after a send had begun and its in-flight lease ran out: it may already have arrived.
    may_have_arrived: bool = False
    #: The contact has a later unsent message: it falls due once this one is sent and the chat's spacing passed.
    has_next: bool = True


def _claim_query(dialect: str) -> sa.Select:
    """Due messages of a channel, at most one per contact (its oldest unsent, after the chat's spacing)."""
    earlier = aliased(OutboxMessage)
    recent = aliased(OutboxMessage)
    later = aliased(OutboxMessage)
    # Columns, not entities: this runs beside sends in flight, and every millisecond it holds the GIL
    # delays them (bench/delivery.py).
    query = (
        sa.select(  # eleven columns: SQLModel's select is typed for up to four
            col(OutboxMessage.id),
            col(OutboxMessage.contact_id),
            col(OutboxMessage.payload),
            col(OutboxMessage.attempts),
            col(OutboxMessage.case_message_id),
            col(OutboxMessage.send_started_at),
            col(Contact.address),
            col(Contact.platform_user_id),
            col(Contact.language),
            col(Contact.last_inbound_at),
            sa.exists()
            .where(
                col(later.contact_id) == OutboxMessage.contact_id,
                col(later.id) > OutboxMessage.id,
                one_of(col(later.status), UNSENT_STATUSES),
            )
            .label("has_next"),
        )
        .join(Contact, col(Contact.id) == col(OutboxMessage.contact_id))
        .where(
            col(OutboxMessage.channel) == sa.bindparam("claim_channel"),
            one_of(col(OutboxMessage.status), UNSENT_STATUSES),
            col(OutboxMessage.next_attempt_at) <= sa.bindparam("claim_now"),
            ~sa.exists().where(
                col(earlier.contact_id) == OutboxMessage.contact_id,
                col(earlier.id) < OutboxMessage.id,
                one_of(col(earlier.status), UNSENT_STATUSES),
            ),
            ~sa.exists().where(
                col(recent.contact_id) == OutboxMessage.contact_id,
                one_of(col(recent.status), SENT_STATUSES),
                col(recent.sent_at) > sa.bindparam("claim_spaced_since"),
            ),
        )
        .order_by(col(OutboxMessage.id))
        .limit(sa.bindparam("claim_limit"))
    )
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    return query


# Built once: the worker claims after every round, mostly finding one or two messages, and building
# this statement anew cost more CPU than running it.
_CLAIM = {dialect: _claim_query(dialect) for dialect in ("postgresql", "sqlite")}
_LEASE = (
    sa.update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(sa.bindparam("lease_ids", expanding=True)))
    .values(
        status=OutboxStatus.SENDING,
        attempts=_OUTBOX.c.attempts + 1,
        next_attempt_at=sa.bindparam("lease_until"),
        send_started_at=None,
    )
)


def claim_due_messages(
    db: Session | sa.Connection, *, channel: str, now: datetime, limit: int, lease: timedelta, chat_spacing: timedelta
) -> list[ClaimedMessage]:
    """Lease up to `limit` due messages of one channel, at most one per contact, oldest first.

    The worker claims on a Core connection in a transaction of its own: mostly the claim finds nothing,
    and a Session's set-up and commit cost more than the query (about 0.3 vs 0.2 ms on SQLite). A
    Session is flushed first: Core statements do not autoflush, and the claim must see its own changes.
    """
    if isinstance(db, Session):
        db.flush()
        connection = db.connection()
    else:
        connection = db
    params = {
        "claim_channel": channel,
        "claim_now": now,
        "claim_spaced_since": now - chat_spacing,
        "claim_limit": limit,
    }
    dialect = "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
    rows = connection.execute(_CLAIM[dialect], params).all()
    if not rows:
        return []
    connection.execute(_LEASE, {"lease_ids": [row.id for row in rows], "lease_until": now + lease})
    return [
        ClaimedMessage(
            id=row.id,
            contact_id=row.contact_id,
            address=row.address or row.platform_user_id,
            language=row.language,
            last_inbound_at=row.last_inbound_at,
            payload=row.payload,
            attempts=row.attempts + 1,
            case_message_id=row.case_message_id,
            may_have_arrived=row.send_started_at is not None,
            has_next=bool(row.has_next),
        )
        for row in rows
    ]


def mark_sent(session: Session, *, message_id: int, platform_message_id: str | None, now: datetime) -> None:
    # Core and built once (below): it runs once per message sent, beside the sends still in flight.
    params = {"sent_id": message_id, "sent_platform_id": platform_message_id, "sent_now": now}
    session.connection().execute(_MARK_SENT, params)


def schedule_retry(session: Session, *, message_id: int, at: datetime, error: str, count_attempt: bool = True) -> None:
    """Put a message back for another try at `at`; a rate limit does not use up an attempt."""
    values: dict = {"status": OutboxStatus.PENDING, "next_attempt_at": at, "last_error": error[:500]}
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values))


def mark_dead(session: Session, *, message_id: int, error: str) -> None:
    """The last try failed, or the platform refused for good: keep it visible as a dead letter."""
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OutboxStatus.DEAD, last_error=error[:500])
    )


def mark_contact_unreachable(session: Session, *, contact_id: int, now: datetime, error: str) -> None:
    """The person blocked the bot: stop sending; their waiting messages are dead letters too."""
    session.exec(update(Contact).where(col(Contact.id) == contact_id).values(unreachable_at=now))
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.contact_id) == contact_id, col(OutboxMessage.status).in_(UNSENT_STATUSES))
        .values(status=OutboxStatus.UNREACHABLE, last_error=error[:500])
    )


def hold_message(session: Session, *, message_id: int, reason: str) -> None:
    """Keep a claimed message until the citizen writes again; holding does not use up an attempt."""
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OutboxStatus.HELD, last_error=reason[:500], attempts=OutboxMessage.attempts - 1)
    )


# Run on every inbound message: built once, so it is compiled and cache-keyed once (see storage/contacts.py).
_RELEASE_HELD = (
    sa.update(_OUTBOX)
    .where(_OUTBOX.c.contact_id == sa.bindparam("held_for"), _OUTBOX.c.status == OutboxStatus.HELD)
    .values(status=OutboxStatus.PENDING, next_attempt_at=sa.bindparam("released_at"))
)


def release_held_messages(session: Session, *, contact_id: int, now: datetime) -> int:
    """The citizen wrote: their held messages are due at once (ids keep them before newer replies)."""
    # Core, not an ORM-enabled UPDATE: no outbox row is loaded in the engine's session to synchronize.
    result = session.connection().execute(_RELEASE_HELD, {"held_for": contact_id, "released_at": now})
    return result.rowcount or 0


def release_until_safe(session: Session, *, contact_id: int, channel: str, now: datetime) -> list[int]:
    """The citizen said it is safe to talk: their held messages go out now, in the order written; their new ids.

    They are queued again as new rows rather than set free in place, so they come after everything the
    citizen already received: a web chat page only asks for messages newer than the last one it showed.
    """
    held = session.exec(
        select(id_column(OutboxMessage), col(OutboxMessage.payload), col(OutboxMessage.case_message_id))
        .where(OutboxMessage.contact_id == contact_id, OutboxMessage.status == OutboxStatus.HELD_SAFE)
        .order_by(col(OutboxMessage.id))
    ).all()
    if not held:
        return []
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.id).in_([message_id for message_id, _, _ in held])))
    return [
        new_id
        for _, payload, case_message_id in held  # one by one: each keeps the counselor's message it carries
        for new_id in enqueue_messages(
            session,
            contact_id=contact_id,
            channel=channel,
            payloads=[payload],
            now=now,
            case_message_id=case_message_id,
        )
    ]


def forget_messages(
    session: Session,
    *,
    drop: Collection[OutboxStatus],
    blank: Collection[OutboxStatus],
    blank_with: dict[str, Any],
    contact_id: int | None = None,
    ids: Collection[int] | None = None,
    drop_created_before: datetime | None = None,
) -> None:
    """Erasure and retention: delete the messages in `drop` statuses, put `blank_with` in place of those in `blank`.

    Either one contact's messages or the given ids. A message never received is deleted rather than
    blanked, so a "[dihapus]" is never sent later; `drop_created_before` spares the newer ones.
    Statuses in neither set are left as they are (a reply in flight, a message held for the citizen).
    """
    if ids is not None and not ids:
        return
    which = col(OutboxMessage.contact_id) == contact_id if ids is None else col(OutboxMessage.id).in_(list(ids))
    dropping = [which, col(OutboxMessage.status).in_(list(drop))]
    if drop_created_before is not None:
        dropping.append(col(OutboxMessage.created_at) < drop_created_before)
    session.exec(delete(OutboxMessage).where(*dropping))
    blanking = [which, col(OutboxMessage.status).in_(list(blank))]
    session.exec(update(OutboxMessage).where(*blanking).values(payload=blank_with))


def staff_notices_naming(session: Session, *, words: Collection[str]) -> list[int]:
    """Messages to staff members' linked chats whose text names one of `words` (whole words: ticket codes).

    Staff notices quote the citizen (a case card with its description, a citizen's reply) and always
    name the ticket. Payloads are encrypted, so the match runs here, over chats the pruning keeps short;
    a set lookup per word of a text, so a night's purge of many tickets reads each message once.
    """
    wanted = set(words)
    if not wanted:
        return []
    staff_chats = select(Staff.telegram_contact_id).where(col(Staff.telegram_contact_id).is_not(None))
    rows = session.exec(
        select(id_column(OutboxMessage), col(OutboxMessage.payload)).where(
            col(OutboxMessage.contact_id).in_(staff_chats)
        )
    ).all()
    return [
        message_id for message_id, payload in rows if not wanted.isdisjoint(_WORD.findall(str(payload.get("text", ""))))
    ]
