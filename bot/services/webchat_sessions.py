"""Web chat sessions: a random token kept by the citizen's browser, only its SHA-256 kept here.

The page keeps the token in `localStorage`, so closing the tab or the browser loses nothing: the
conversation, `status KODE` of the citizen's own tickets, and what staff wrote meanwhile (counselor
messages, appointment offers, the 7-day check, the feedback question) are there when the page is opened
again. A session ends `WEBCHAT_SESSION_DAYS` after the page was last opened, at once when the citizen
presses "Akhiri dan hapus percakapan di perangkat ini" (a shared phone), and with /hapusdata. An ended
token opens nothing: its hash is replaced, so a copy of the token left anywhere is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.domain.statuses import OutboxStatus
from bot.messages import Channel, Reply
from bot.services.photos import forget_draft_photos
from storage.contacts import find_contact, save_conversation
from storage.models import Contact, persisted_id
from storage.outbox import close_unshown, mark_fetched, messages_after

TOKEN_BYTES = 24
#: `session_seen_at` is written at most this often: the page polls every few seconds.
SEEN_PRECISION = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PageMessage:
    """A message as the page shows it; `unread` when it was written while no page had fetched it."""

    seq: int
    reply: Reply
    unread: bool


def new_session_token() -> str:
    """192 random bits: unguessable, so a fast unsalted hash is enough to store it by."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def session_key(token: str) -> str:
    """The contact's platform id for a token: its SHA-256, so a copy of the database opens no chat."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, *, token: str, now: datetime, lifetime: timedelta) -> Contact | None:
    """The contact behind a token, or None: unknown, ended, or unused for `lifetime` (then ended now)."""
    contact = find_contact(session, channel=Channel.WEBCHAT.value, platform_user_id=session_key(token))
    if contact is None:
        return None
    used = [moment for moment in (contact.session_seen_at, contact.last_inbound_at, contact.created_at) if moment]
    if max(used) < now - lifetime:
        end_session(session, contact=contact, now=now)
        return None
    if contact.session_seen_at is None or contact.session_seen_at < now - SEEN_PRECISION:
        contact.session_seen_at = now
    return contact


def end_session(session: Session, *, contact: Contact, now: datetime) -> None:
    """End a web chat session for good; the citizen's requests stay (erasing them is /hapusdata).

    The token's hash is replaced, so the token is refused from now on. Nothing more is queued for a chat
    nobody can open (the contact is unreachable: updates and counselor messages are dropped when due), an
    unfinished form is forgotten with its photos, and messages never shown are finished, to be pruned with the others.
    """
    contact.platform_user_id = f"ended:{secrets.token_hex(16)}"
    contact.unreachable_at = now
    save_conversation(session, contact_id=persisted_id(contact), flow="menu", step="", data={}, now=now)
    forget_draft_photos(session, contact_id=persisted_id(contact))
    close_unshown(session, contact_id=persisted_id(contact))


def page_messages(session: Session, *, contact_id: int, after: int, now: datetime) -> list[PageMessage]:
    """What the page has not drawn: newer than `after`, and any never fetched; those count as delivered now."""
    rows = messages_after(session, contact_id=contact_id, after_id=after)
    unread = {persisted_id(row) for row in rows if row.status == OutboxStatus.UNREAD}
    mark_fetched(session, ids=unread, now=now)
    return [PageMessage(persisted_id(row), Reply.from_json(row.payload), row.id in unread) for row in rows]
