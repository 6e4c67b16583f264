"""What a channel sender promises the outbox worker, and how it reports trouble.

A sender turns one `Reply` into platform calls for one recipient. It never retries or sleeps on
its own: it raises, and the worker decides (retry with backoff, wait for `retry_after`, mark the
contact unreachable, dead-letter), so every channel gets the same, tested delivery rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlmodel import Session

from bot.messages import Channel, Reply


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where to send: the contact's platform address (Telegram chat id, WhatsApp wa_id or user id)."""

    contact_id: int
    address: str
    language: str
    last_inbound_at: datetime | None  # WhatsApp: free text only within 24 h of this


class RetryLater(Exception):
    """The platform asked us to slow down (Telegram 429, WhatsApp 130429/131056).

    `per_recipient`: the limit is on messages to this one person (WhatsApp 131056), so only this
    message waits; otherwise the whole channel's next send slot moves back too.
    """

    def __init__(self, after_seconds: float, reason: str = "rate limited", *, per_recipient: bool = False) -> None:
        super().__init__(reason)
        self.after_seconds = after_seconds
        self.reason = reason
        self.per_recipient = per_recipient


class HoldUntilReply(Exception):
    """The platform takes this message only after the person writes again (WhatsApp's 24-hour window).

    The sender has already told them (an approved template); the message waits, unretried, and goes
    out as soon as they write.
    """


class TemporaryFailure(Exception):
    """Network error, timeout or 5xx: worth another try after a backoff."""


class RecipientUnreachable(Exception):
    """The person blocked the bot or no longer exists (Telegram 403): never retry this contact."""


class PermanentFailure(Exception):
    """The platform refused this message for good (bad request): dead-letter it with the reason."""


class Sender(Protocol):
    """One channel's outbound half.

    `send` returns the platform id of the message sent, or the ids of all the messages a reply was
    split into, in order: a status for any of them must find the outbox message.
    """

    channel: Channel

    async def send(self, recipient: Recipient, reply: Reply) -> str | Sequence[str] | None: ...


@runtime_checkable
class TracksStatuses(Protocol):
    """A sender whose platform reports each message's fate later, by id (WhatsApp's status webhooks).

    Such a status can overtake the send call's answer. So the sender marks the message sent itself,
    in the worker's transaction, storing its ids and applying what came first; `record_sent` returns
    True when that held the message (the window had closed), and the worker then has `notify_held`
    tell the person.
    """

    def record_sent(self, session: Session, *, message_id: int, platform_ids: Sequence[str], now: datetime) -> bool: ...

    async def notify_held(self, recipient: Recipient) -> None: ...


def platform_ids(sent: str | Sequence[str] | None) -> list[str]:
    """What `Sender.send` returned, as a list of ids."""
    if sent is None:
        return []
    return [sent] if isinstance(sent, str) else list(sent)
