"""Many Telegram citizens at once against service instances behind a round-robin balancer (issue 20's storm).

Each citizen walks the shortest sighting report (`STEPS`) in its own private chat. Every update is POSTed
to the webhook of the next instance; a refused connection (a killed instance) or a 5xx (an instance whose
Telegram is not connected yet) is re-sent, with the same update id, to the next one, as Telegram re-sends
a webhook until it gets a 2xx. After each 2xx the citizen waits (bounded) until the fake Bot API has
accepted the bot's answer in its chat: a message offering the next button, or a given text. The fake's
record of sends is read once for all citizens, a few new entries at a time (`ChatLog`), so sixty
waiting citizens cost one scan, not sixty.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import httpx

from bot.handlers.telegram import SECRET_HEADER, WEBHOOK_PATH
from tests.helpers.fake_bot_api import FakeBotApi, Send
from tests.helpers.telegram_chat import WEBHOOK_SECRET, button_update, message_update

#: (what the citizen does, with what, what the bot then shows: a button's data, or "text:" and words).
STEPS: tuple[tuple[str, str, str], ...] = (
    ("text", "/lapor", "grp:anak"),
    ("press", "grp:anak", "cat:anak_jalanan"),
    ("press", "cat:anak_jalanan", "reg:unknown"),
    ("press", "reg:unknown", "text:Di mana tepatnya"),
    ("text", "depan pasar rau", "text:Ceritakan"),
    ("text", "anak kecil tidur di trotoar", "skip"),
    ("press", "skip", "contact:anonymous"),
    ("press", "contact:anonymous", "consent:yes"),
    ("press", "consent:yes", "confirm:send"),
    ("press", "confirm:send", "text:Kode tiket"),
)
POLL_S = 0.05
RESEND_AFTER_S = 0.2


class ChatLog:
    """The messages the fake accepted, per chat, read incrementally from its record."""

    def __init__(self, fake: FakeBotApi) -> None:
        self._fake = fake
        self._read = 0
        self._accepted: dict[int, list[Send]] = defaultdict(list)

    def accepted(self, chat_id: int) -> list[Send]:
        for send in self._fake.sends_since(self._read):
            self._read += 1
            if send.accepted:
                self._accepted[send.chat_id].append(send)
        return self._accepted[chat_id]


class TelegramBurst:
    """Citizens walking `STEPS` against the instances at `base_urls`, each update to the next instance."""

    def __init__(self, fake: FakeBotApi, base_urls: list[str], *, reply_within_s: float) -> None:
        self.fake = fake
        self.base_urls = base_urls
        self.reply_within_s = reply_within_s
        self.log = ChatLog(fake)
        self.resent = 0  # updates re-sent to another instance
        self.finished: list[int] = []  # chats that got their ticket code
        self._turn = 0

    async def citizen(self, client: httpx.AsyncClient, chat_id: int) -> None:
        for step, (action, value, expected) in enumerate(STEPS):
            seen = len(self.log.accepted(chat_id))
            if action == "text":
                update = message_update(chat_id, text=value)
            else:
                update = button_update(chat_id, self._message_offering(chat_id, value), value)
            await self._deliver(client, update)
            await self._answered(chat_id, seen, expected, f"chat {chat_id} step {step} ({value!r})")
        self.finished.append(chat_id)

    async def _deliver(self, client: httpx.AsyncClient, update: dict) -> None:
        deadline = time.monotonic() + self.reply_within_s
        while True:
            base_url = self.base_urls[self._turn % len(self.base_urls)]
            self._turn += 1
            try:
                answer = await client.post(
                    f"{base_url}{WEBHOOK_PATH}", json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
                )
                if answer.status_code == 200:
                    return
                assert answer.status_code >= 500, f"update refused: {answer.status_code} {answer.text}"
            except httpx.TransportError:
                pass  # killed, or not listening yet
            self.resent += 1
            assert time.monotonic() < deadline, f"no instance took update {update['update_id']}"
            await asyncio.sleep(RESEND_AFTER_S)

    async def _answered(self, chat_id: int, seen: int, expected: str, what: str) -> None:
        deadline = time.monotonic() + self.reply_within_s
        while not any(_shows(send, expected) for send in self.log.accepted(chat_id)[seen:]):
            assert time.monotonic() < deadline, f"no answer within {self.reply_within_s:.0f} s: {what}"
            await asyncio.sleep(POLL_S)

    def _message_offering(self, chat_id: int, data: str) -> dict:
        """The bot's newest message in the chat with a button `data`, as the Telegram client holds it."""
        for message in reversed(self.fake.messages_to(chat_id)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                if any(button.get("callback_data") == data for button in row):
                    return message
        raise AssertionError(f"no message in chat {chat_id} offers {data!r}")


def _shows(send: Send, expected: str) -> bool:
    if expected.startswith("text:"):
        return expected[5:] in send.text
    return expected in send.buttons
