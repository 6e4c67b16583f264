"""An in-process channel sender that records what it was asked to send and can fail on demand.

For the outbox worker's own rules (order, retries, dead letters, rates). Channel tests use the
real client libraries against fake platform servers instead (fake_bot_api, fake_graph_api).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from bot.delivery.base import Recipient
from bot.messages import Channel, Reply


@dataclass
class FakeSender:
    channel: Channel = Channel.TELEGRAM
    clock: object = None
    sent: list[tuple[str, str, object]] = field(default_factory=list)  # (address, text, clock() at send)
    failures: deque[Exception] | list[Exception] = field(
        default_factory=deque
    )  # raised, one per send, before succeeding
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.failures = deque(self.failures)

    async def send(self, recipient: Recipient, reply: Reply) -> str:
        if self.failures:
            raise self.failures.popleft()
        self.sent.append((recipient.address, reply.text, self.clock() if self.clock else None))
        return f"platform-{next(self._ids)}"
