"""Contacts, their conversations, and the record of inbound messages already handled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.database import dialect_of
from storage.models import Contact, Conversation, ProcessedInbound, table_of

# The engine runs these on every inbound message. Built once with bound parameters, each is compiled and
# cache-keyed once per process instead of on every call (bench/inbound.py: about a tenth of a message's CPU).
_CONTACT_BY_PLATFORM_ID = select(Contact).where(
    Contact.channel == sa.bindparam("channel"), Contact.platform_user_id == sa.bindparam("platform_user_id")
)
_CONTACTS = table_of(Contact)
_CONVERSATIONS = table_of(Conversation)
_CONVERSATION_OF = sa.select(
    _CONVERSATIONS.c.flow, _CONVERSATIONS.c.step, _CONVERSATIONS.c.data, _CONVERSATIONS.c.updated_at
).where(_CONVERSATIONS.c.contact_id == sa.bindparam("contact_id"))


def _save_conversation_statement(insert: Any) -> sa.Insert:
    """INSERT .. ON CONFLICT (contact_id) DO UPDATE with bound parameters: compiled once per process."""
    statement = insert(_CONVERSATIONS).values(
        contact_id=sa.bindparam("c_contact_id"),
        flow=sa.bindparam("c_flow"),
        step=sa.bindparam("c_step"),
        data=sa.bindparam("c_data"),
        updated_at=sa.bindparam("c_updated_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=["contact_id"],
        set_={name: statement.excluded[name] for name in ("flow", "step", "data", "updated_at")},
    )


_SAVE_CONVERSATION = {
    "postgresql": _save_conversation_statement(pg_insert),
    "sqlite": _save_conversation_statement(sqlite_insert),
}
_RECORD_INBOUND = {
    with_address: sa.update(_CONTACTS)
    .where(_CONTACTS.c.id == sa.bindparam("contact_id"))
    .values(
        last_inbound_at=sa.bindparam("now"),
        unreachable_at=None,
        **({"address": sa.bindparam("new_address")} if with_address else {}),
    )
    for with_address in (False, True)
}
_MARK_PROCESSED = {
    dialect: insert(table_of(ProcessedInbound))
    .values(
        channel=sa.bindparam("p_channel"),
        message_id=sa.bindparam("p_message_id"),
        processed_at=sa.bindparam("p_processed_at"),
    )
    .on_conflict_do_nothing(index_elements=["channel", "message_id"])
    .returning(col(ProcessedInbound.message_id))
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


_CREATE_CONTACT = {
    dialect: insert(_CONTACTS)
    .values(
        channel=sa.bindparam("c_channel"),
        platform_user_id=sa.bindparam("c_user"),
        language=sa.bindparam("c_language"),
        created_at=sa.bindparam("c_now"),
    )
    .on_conflict_do_nothing(index_elements=["channel", "platform_user_id"])
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
        # Two first messages of a new citizen may arrive together (two instances, or a retried webhook):
        # the second waits for the first's row and takes it, instead of failing on the unique key.
        params = {"c_channel": channel, "c_user": platform_user_id, "c_language": language, "c_now": now}
        session.connection().execute(_CREATE_CONTACT[dialect_of(session)], params)
        contact = find_contact(session, channel=channel, platform_user_id=platform_user_id)
        assert contact is not None  # inserted now, or by the transaction it waited for
    return contact


def find_contact(session: Session, *, channel: str, platform_user_id: str) -> Contact | None:
    params = {"channel": channel, "platform_user_id": platform_user_id}
    return session.exec(_CONTACT_BY_PLATFORM_ID, params=params).first()


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """Where a contact was left: read as plain values, since nothing changes it through the ORM."""

    flow: str
    step: str
    data: dict[str, Any]
    updated_at: datetime


def record_inbound(session: Session, *, contact: Contact, now: datetime, address: str = "") -> None:
    """The contact wrote: note when, take them as reachable again, and keep the address they wrote from.

    One Core UPDATE on every inbound message instead of the unit of work's flush; the loaded contact is
    given the same values as committed state, so effects later in the transaction read them.
    """
    values: dict[str, Any] = {"last_inbound_at": now, "unreachable_at": None}
    if address and contact.address != address:
        values["address"] = address
    session.connection().execute(
        _RECORD_INBOUND["address" in values], {"contact_id": contact.id, "now": now, "new_address": address}
    )
    for name, value in values.items():
        sa.orm.attributes.set_committed_value(contact, name, value)


def load_conversation(session: Session, *, contact_id: int) -> StoredConversation | None:
    row = session.connection().execute(_CONVERSATION_OF, {"contact_id": contact_id}).first()
    return None if row is None else StoredConversation(row.flow, row.step, row.data, row.updated_at)


def save_conversation(
    session: Session, *, contact_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
) -> None:
    """Store where the contact is: one INSERT .. ON CONFLICT, whether the conversation is new or not."""
    session.connection().execute(
        _SAVE_CONVERSATION[dialect_of(session)],
        {
            "c_contact_id": contact_id,
            "c_flow": flow,
            "c_step": step,
            "c_data": dict(data),
            "c_updated_at": now,
        },
    )
