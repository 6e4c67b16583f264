"""A citizen on Telegram: real updates into the real TelegramChannel, replies read back from the fake Bot API.

`telegram_line` starts the channel in whatever mode the runtime's settings say and gives one way to
deliver an update: polling (queued on the fake server for PTB's Updater to fetch) or webhook (POSTed
to the channel's route with the secret header). `TelegramCitizen` builds updates shaped as Telegram
sends them, delivers them, lets the outbox worker send what the engine queued, and returns the texts
that reached the fake server for that chat: what the citizen reads.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import Session, col, func, select

from bot.config import Settings
from bot.engine import utc_now
from bot.handlers.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.runtime import Runtime
from storage.models import OutboxMessage, ProcessedInbound
from tests.helpers.fake_bot_api import TOKEN, FakeBotApi
from tests.helpers.images import jpeg

WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"
WAIT_SECONDS = 5.0
_update_ids = itertools.count(700_000_000)
_message_ids = itertools.count(1)


def telegram_settings(database_url: str, fake: FakeBotApi, *, webhook: bool) -> Settings:
    """Settings for a bot talking to the fake server; no rate or chat spacing, so drains are immediate."""
    extra = (
        {
            "telegram_webhook_url": "https://pmks.example.go.id/webhooks/telegram",
            "telegram_webhook_secret": WEBHOOK_SECRET,
        }
        if webhook
        else {}
    )
    return Settings(
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.api_base_url,
        telegram_file_base_url=fake.file_base_url,
        telegram_messages_per_second=1e9,
        telegram_chat_messages_per_second=1e9,
        **extra,
    )


class TelegramLine:
    """The running channel and the one way an update reaches it in this mode."""

    def __init__(
        self, channel: TelegramChannel, fake: FakeBotApi, runtime: Runtime, client: httpx.AsyncClient | None
    ) -> None:
        self.channel = channel
        self.fake = fake
        self.runtime = runtime
        self.client = client

    @property
    def mode(self) -> str:
        return "polling" if self.client is None else "webhook"

    async def deliver(self, *updates: dict) -> list[int]:
        """Hand updates to the bot and return once it processed them and answered the presses; the HTTP
        statuses (polling: 200s)."""
        if self.client is not None:
            statuses = [await self.post(update) for update in updates]
        else:
            self.fake.queue_updates(*updates)
            last = max(u["update_id"] for u in updates)
            await self.fake.wait_until(lambda fake: fake.confirmed_offset > last)  # fetched and queued by PTB
            await asyncio.wait_for(self.channel.application.update_queue.join(), WAIT_SECONDS)  # dispatched
            await self._committed({str(u["update_id"]) for u in updates})
            statuses = [200] * len(updates)
        await asyncio.wait_for(self.channel.settle(), WAIT_SECONDS)  # presses are answered in the background
        return statuses

    async def _committed(self, update_ids: set[str]) -> None:
        """Wait (bounded) until the engine committed these updates: PTB may still be running a handler
        after its queue reports the update done, and a busy machine makes that window real."""
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            with Session(self.runtime.db) as session:
                done = set(
                    session.exec(
                        select(ProcessedInbound.message_id).where(
                            ProcessedInbound.channel == "telegram", col(ProcessedInbound.message_id).in_(update_ids)
                        )
                    )
                )
            if done == update_ids:
                return
            await asyncio.sleep(0.02)

    async def post(self, update: dict | bytes, *, secret: str | None = WEBHOOK_SECRET) -> int:
        assert self.client is not None, "webhook mode only"
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        body = {"content": update} if isinstance(update, bytes) else {"json": update}
        response = await self.client.post(WEBHOOK_PATH, headers=headers, **body)
        if response.status_code == 200 and response.content:
            await self._run_method_from_response(response.json())
        return response.status_code

    async def _run_method_from_response(self, call: dict[str, Any]) -> None:
        """As Telegram does with a webhook response that names a method: call it on the Bot API."""
        method = call.pop("method")
        async with httpx.AsyncClient() as bot_api:
            answer = await bot_api.post(f"{self.fake.api_base_url}{TOKEN}/{method}", json=call)
        assert answer.status_code == 200, answer.text


@asynccontextmanager
async def telegram_line(runtime: Runtime, fake: FakeBotApi) -> AsyncIterator[TelegramLine]:
    """Start the channel (webhook mode when the settings have a webhook URL) and stop it afterwards."""
    channel = TelegramChannel(runtime)
    await channel.start()
    try:
        if channel.router is None:
            yield TelegramLine(channel, fake, runtime, None)
        else:
            app = FastAPI()
            app.include_router(channel.router)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield TelegramLine(channel, fake, runtime, client)
    finally:
        await channel.stop()


# --- updates as Telegram sends them --------------------------------------------------------------


def user(chat_id: int, language_code: str | None = "id") -> dict[str, Any]:
    data: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Siti"}
    if language_code:
        data["language_code"] = language_code
    return data


def message_update(
    chat_id: int,
    *,
    language_code: str | None = "id",
    chat_type: str = "private",
    field: str = "message",
    **content: Any,
) -> dict[str, Any]:
    chat = (
        {"id": chat_id, "type": chat_type, "first_name": "Siti"}
        if chat_type == "private"
        else {"id": chat_id, "type": chat_type, "title": "Grup RT 05"}
    )
    message = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user(abs(chat_id), language_code),
        **content,
    }
    return {"update_id": next(_update_ids), field: message}


def photo_sizes(file_id: str) -> list[dict[str, Any]]:
    """Four sizes, smallest first, as Telegram sends a photo; the largest has `file_id` itself."""
    sizes = [(90, 1_500), (320, 20_000), (800, 120_000), (1280, 480_000)]
    return [
        {
            "file_id": file_id if side == 1280 else f"{file_id}-{side}",
            "file_unique_id": f"u{side}",
            "width": side,
            "height": side,
            "file_size": size,
        }
        for side, size in sizes
    ]


def button_update(chat_id: int, message: dict[str, Any], data: str, *, language_code: str = "id") -> dict[str, Any]:
    """A press on an inline button of `message` (the bot's message as the client holds it)."""
    query = {
        "id": f"q{next(_update_ids)}",
        "from": user(chat_id, language_code),
        "message": message,
        "chat_instance": "-4242",
        "data": data,
    }
    return {"update_id": next(_update_ids), "callback_query": query}


# --- the citizen -----------------------------------------------------------------------------------


class TelegramCitizen:
    """One person in a private chat with the bot; each action returns the texts they then read."""

    def __init__(self, line: TelegramLine, *, chat_id: int = 81234567, language_code: str = "id") -> None:
        self.line = line
        self.chat_id = chat_id
        self.language_code = language_code
        self.last: list[str] = []

    async def send(self, text: str) -> list[str]:
        return await self.deliver(self.message(text=text))

    async def share_location(self, latitude: float, longitude: float) -> list[str]:
        return await self.deliver(self.message(location={"latitude": latitude, "longitude": longitude}))

    async def send_photo(self, file_id: str, content: bytes | None = None) -> list[str]:
        """A photo; the fake Bot API serves `content` (a small JPEG unless given) as its largest size."""
        self.line.fake.add_file(file_id, jpeg() if content is None else content)
        return await self.deliver(self.message(photo=photo_sizes(file_id)))

    async def send_file(self, file_id: str, content: bytes, *, file_name: str, mime_type: str) -> list[str]:
        """A file ("send as file" in the app), as Telegram describes a document."""
        self.line.fake.add_file(file_id, content, path=f"documents/{file_name}")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id[-6:]}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        return await self.deliver(self.message(document=document))

    async def press(self, data: str, *, on: dict[str, Any] | None = None) -> list[str]:
        """Press the button `data` on `on`, or on the newest message that shows it."""
        return await self.deliver(self.button(data, on=on))

    def message(self, **content: Any) -> dict[str, Any]:
        return message_update(self.chat_id, language_code=self.language_code, **content)

    def button(self, data: str, *, on: dict[str, Any] | None = None) -> dict[str, Any]:
        return button_update(self.chat_id, on or self.message_with_button(data), data, language_code=self.language_code)

    async def deliver(self, *updates: dict[str, Any]) -> list[str]:
        before = len(self.sent())
        statuses = await self.line.deliver(*updates)
        assert statuses == [200] * len(updates), statuses
        await self._drained()
        self.last = [call["text"] for call in self.sent()[before:]]
        return self.last

    async def _drained(self) -> None:
        """Drain the outbox until nothing is left to send (bounded): a background worker may hold a
        message in flight while this drain finds nothing to claim."""
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.wait_for(self.line.runtime.delivery.drain_once(), WAIT_SECONDS)
            with Session(self.line.runtime.db) as session:
                unsent = session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(
                        OutboxMessage.channel == "telegram",
                        col(OutboxMessage.status).in_(("pending", "sending")),
                        OutboxMessage.next_attempt_at <= utc_now(),
                    )
                ).one()  # a retry due later is not waited for
            if not unsent:
                return
            await asyncio.sleep(0.02)

    def sent(self) -> list[dict[str, Any]]:
        """Every sendMessage the bot made to this chat that Telegram accepted, oldest first."""
        calls = self.line.fake.calls_to("sendMessage")
        return [c.params for c in calls if c.status == 200 and int(c.params["chat_id"]) == self.chat_id]

    def message_with_button(self, data: str) -> dict[str, Any]:
        for message in reversed(self.line.fake.messages_to(self.chat_id)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                if any(button.get("callback_data") == data for button in row):
                    return message
        raise AssertionError(f"no message in chat {self.chat_id} shows a button {data!r}")

    @property
    def text(self) -> str:
        return "\n".join(self.last)
