"""Contacts, their conversations, and the record of inbound messages already handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from storage.database import dialect_of
from storage.models import Contact, Conversation, ProcessedInbound

# The engine runs these on every inbound message. Built once with bound parameters, each is compiled and
# cache-keyed once per process instead of on every call (bench/inbound.py: about a tenth of a message's CPU).
_CONTACT_BY_PLATFORM_ID = select(Contact).where(
    Contact.channel == sa.bindparam("channel"), Contact.platform_user_id == sa.bindparam("platform_user_id")
)
_CONVERSATION_OF = select(Conversation).where(Conversation.contact_id == sa.bindparam("contact_id"))
_MARK_PROCESSED = {
    dialect: insert(ProcessedInbound.__table__)
    .values(channel=sa.bindparam("p_channel"), message_id=sa.bindparam("p_message_id"),
            processed_at=sa.bindparam("p_processed_at"))
    .on_conflict_do_nothing(index_elements=["channel", "message_id"])
    .returning(ProcessedInbound.message_id)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def mark_inbound_processed(session: Session, *, channel: str, message_id: str, now: datetime) -> bool:
    """Record a platform message id; False when it was seen before (a re-delivery to ignore).

    An INSERT .. ON CONFLICT DO NOTHING .. RETURNING keeps this one round trip and race-free across
    instances; RETURNING, because the driver's rowcount is not reliable for it on every engine.
    """
    statement = _MARK_PROCESSED[dialect_of(session)]
    params = {"p_channel": channel, "p_message_id": message_id, "p_processed_at": now}
    # Core, not the ORM's bulk-insert path: nothing in the session depends on this row.
    return session.connection().execute(statement, params).first() is not None


def get_or_create_contact(
    session: Session, *, channel: str, platform_user_id: str, language: str, now: datetime, known_as: str = ""
) -> Contact:
    """The contact for a platform user, created on first contact with the given language.

    `known_as` is another id the platform gives the same person (a WhatsApp wa_id beside the newer
    business-scoped user id). A contact first keyed on it takes the new key, so a citizen whose
    payloads start carrying the new id mid-conversation keeps their draft, requests and consent.
    """
    contact = find_contact(session, channel=channel, platform_user_id=platform_user_id)
    if contact is None and known_as and known_as != platform_user_id:
        contact = find_contact(session, channel=channel, platform_user_id=known_as)
        if contact is not None:
            contact.platform_user_id = platform_user_id
    if contact is None:
        contact = Contact(channel=channel, platform_user_id=platform_user_id, language=language, created_at=now)
        session.add(contact)
        session.flush()
    return contact


def find_contact(session: Session, *, channel: str, platform_user_id: str) -> Contact | None:
    params = {"channel": channel, "platform_user_id": platform_user_id}
    return session.exec(_CONTACT_BY_PLATFORM_ID, params=params).first()


def load_conversation(session: Session, *, contact_id: int) -> Conversation | None:
    return session.exec(_CONVERSATION_OF, params={"contact_id": contact_id}).first()


def save_conversation(
    session: Session,
    *,
    conversation: Conversation | None,
    contact_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Store where the contact is; a new dict is assigned so the JSON column is always written."""
    if conversation is None:
        conversation = Conversation(contact_id=contact_id)
        session.add(conversation)
    conversation.flow = flow
    conversation.step = step
    conversation.data = dict(data)
    conversation.updated_at = now
    sa.orm.attributes.flag_modified(conversation, "data")
