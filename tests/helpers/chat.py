"""A test citizen: sends messages through the real engine and reads back the replies."""

from __future__ import annotations

import itertools
import re

from bot.engine import ConversationEngine
from bot.messages import Channel, Inbound, InboundKind, Location, Reply
from bot.services.photos import checked_photo
from tests.helpers.images import jpeg

TICKET = re.compile(r"\b([A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3})\b")
_ids = itertools.count(1)


class Chat:
    """One contact's conversation; every call returns the replies it caused, as the citizen sees them."""

    def __init__(
        self, engine: ConversationEngine, *, user_id: str = "citizen-1", channel: Channel = Channel.WEBCHAT
    ) -> None:
        self.engine = engine
        self.user_id = user_id
        self.channel = channel
        self.last: list[Reply] = []

    def start(self) -> list[Reply]:
        result = self.engine.start(channel=self.channel, user_id=self.user_id)
        self.last = [q.reply for q in result.replies]
        return self.last

    def send(self, text: str, *, message_id: str | None = None) -> list[Reply]:
        return self._inbound(InboundKind.TEXT, message_id, text=text)

    def press(self, choice: str) -> list[Reply]:
        return self._inbound(InboundKind.CHOICE, None, choice=choice)

    def location(self, latitude: float, longitude: float) -> list[Reply]:
        return self._inbound(InboundKind.LOCATION, None, location=Location(latitude, longitude))

    def photo(self, data: bytes | None = None) -> list[Reply]:
        """A photo (a small JPEG unless given), checked and cleaned as every channel does before the engine."""
        inbound = self._message(InboundKind.PHOTO, None)
        return self._handle(checked_photo(inbound, jpeg() if data is None else data))

    def voice(self) -> list[Reply]:
        return self._inbound(InboundKind.UNSUPPORTED, None, unsupported_what="voice")

    def _inbound(self, kind: InboundKind, message_id: str | None, **fields) -> list[Reply]:
        return self._handle(self._message(kind, message_id, **fields))

    def _message(self, kind: InboundKind, message_id: str | None, **fields) -> Inbound:
        return Inbound(
            channel=self.channel,
            user_id=self.user_id,
            message_id=message_id or f"m{next(_ids)}",
            kind=kind,
            **fields,
        )

    def _handle(self, inbound: Inbound) -> list[Reply]:
        result = self.engine.handle(inbound)
        self.last = [q.reply for q in result.replies]
        return self.last

    @property
    def text(self) -> str:
        """All texts of the last answer, joined: what the citizen just read."""
        return "\n".join(r.text for r in self.last)

    @property
    def choice_ids(self) -> list[str]:
        """The options offered by the last reply that has any."""
        with_choices = [r for r in self.last if r.choices]
        return [c.id for c in with_choices[-1].choices] if with_choices else []

    def ticket_code(self) -> str:
        match = TICKET.search(self.text)
        assert match, f"no ticket code in: {self.text!r}"
        return match.group(1)
