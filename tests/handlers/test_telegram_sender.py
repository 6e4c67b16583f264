"""TelegramSender with the real python-telegram-bot client against the fake Bot API server.

First the sender alone (what it sends, how each Bot API failure is reported), then through the real
outbox worker on both database engines (a 429 waits its retry_after, a blocked user is unreachable).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.delivery.base import PermanentFailure, Recipient, RecipientUnreachable, RetryLater, TemporaryFailure
from bot.handlers.telegram import build_application
from bot.handlers.telegram_sender import TelegramSender
from bot.i18n import load_catalog
from bot.messages import Channel, Choice, Reply
from bot.runtime import Runtime
from storage.models import Contact, OutboxMessage
from tests.helpers.chat import Chat
from tests.helpers.fake_bot_api import TOKEN, FakeBotApi, fake  # noqa: F401 (fake is a fixture)
from tests.helpers.telegram_chat import telegram_settings

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

CHAT = 81234567
RECIPIENT = Recipient(contact_id=1, address=str(CHAT), language="id", last_inbound_at=None)
BLOCKED = "Forbidden: bot was blocked by the user"


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    """The bot exactly as the channel builds it (rate limiter included)."""
    application = build_application(telegram_settings("sqlite://", fake, webhook=True))
    async with application.bot as bot:
        yield bot


@pytest.fixture
def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot, load_catalog())


async def test_sends_text_with_buttons_and_returns_the_message_id(sender: TelegramSender, fake: FakeBotApi) -> None:
    reply = Reply("Apakah data ini sudah benar?", (Choice("confirm:send", "Kirim"), Choice("confirm:edit", "Ubah")))
    message_id = await sender.send(RECIPIENT, reply)
    [call] = fake.calls_to("sendMessage")
    assert message_id == str(fake.messages_to(CHAT)[-1]["message_id"])
    assert call.params["chat_id"] == CHAT and call.params["text"] == reply.text
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Kirim", "callback_data": "confirm:send"}, {"text": "Ubah", "callback_data": "confirm:edit"}]
        ]
    }


async def test_location_request_and_its_removal(sender: TelegramSender, fake: FakeBotApi) -> None:
    await sender.send(RECIPIENT, Reply("Di mana tepatnya?", request_location=True))
    await sender.send(RECIPIENT, Reply("Ceritakan apa yang Anda lihat."))
    asked, removed = (c.params["reply_markup"] for c in fake.calls_to("sendMessage"))
    assert asked["keyboard"] == [[{"text": "Kirim lokasi saya", "request_location": True}]]
    assert asked["one_time_keyboard"] is True and asked["resize_keyboard"] is True
    assert removed == {"remove_keyboard": True}


async def test_long_text_goes_out_in_parts(sender: TelegramSender, fake: FakeBotApi) -> None:
    text = "\n".join(f"Catatan {i}: " + "x" * 90 for i in range(100))
    message_id = await sender.send(RECIPIENT, Reply(text, (Choice("ok", "OK"),)))
    calls = fake.calls_to("sendMessage")
    assert len(calls) == 3 and "\n".join(c.params["text"] for c in calls) == text
    assert [("reply_markup" in c.params and "inline_keyboard" in c.params["reply_markup"]) for c in calls] == [
        False,
        False,
        True,
    ]
    assert message_id == str(fake.messages_to(CHAT)[-1]["message_id"])


async def test_flood_control_is_reported_with_its_retry_after(sender: TelegramSender, fake: FakeBotApi) -> None:
    fake.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryLater) as raised:
        await sender.send(RECIPIENT, Reply("Halo"))
    assert raised.value.after_seconds == 7.0
    assert len(fake.calls_to("sendMessage")) == 1  # no retry of its own: the worker decides


@pytest.mark.parametrize(
    ("status", "description", "expected"),
    [
        (403, BLOCKED, RecipientUnreachable),
        (400, "Bad Request: chat not found", PermanentFailure),
        (500, "Internal Server Error", TemporaryFailure),
        (502, "Bad Gateway", TemporaryFailure),
        (401, "Unauthorized", TemporaryFailure),  # our token: fixable by an operator, so retried
    ],
)
async def test_bot_api_failures_map_to_delivery_outcomes(
    sender: TelegramSender, fake: FakeBotApi, status: int, description: str, expected: type[Exception]
) -> None:
    fake.fail_next("sendMessage", status=status, description=description)
    with pytest.raises(expected):
        await sender.send(RECIPIENT, Reply("Halo"))


async def test_a_timeout_is_temporary(fake: FakeBotApi) -> None:
    fake.stall_next("sendMessage", 3.0)
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=fake.api_base_url, request=request) as bot:
        with pytest.raises(TemporaryFailure):
            await TelegramSender(bot, load_catalog()).send(RECIPIENT, Reply("Halo"))


async def test_overlong_choice_id_is_a_permanent_failure_and_nothing_is_sent(
    sender: TelegramSender, fake: FakeBotApi
) -> None:
    with pytest.raises(PermanentFailure):
        await sender.send(RECIPIENT, Reply("Pilih", (Choice("x" * 65, "Terlalu panjang"),)))
    assert fake.calls_to("sendMessage") == []


# --- through the outbox worker, on both engines ---------------------------------------------------


@pytest.fixture
def settings(database_url: str, fake: FakeBotApi) -> Settings:
    return telegram_settings(database_url, fake, webhook=False)


async def _queue_greeting(runtime: Runtime, sender: TelegramSender) -> None:
    runtime.delivery.register(sender)
    Chat(runtime.engine, user_id=str(CHAT), channel=Channel.TELEGRAM).send("/start")


def _outbox(runtime: Runtime) -> list[OutboxMessage]:
    with Session(runtime.db) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_worker_honours_429_retry_after(runtime: Runtime, sender: TelegramSender, fake: FakeBotApi) -> None:
    await _queue_greeting(runtime, sender)
    fake.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7)
    before = datetime.now(UTC)
    await runtime.delivery.drain_once()
    first = _outbox(runtime)[0]
    assert first.status == "pending" and first.attempts == 0  # a rate limit does not use up an attempt
    assert first.next_attempt_at >= before + timedelta(seconds=7)
    assert len(fake.calls_to("sendMessage")) == 1  # nothing more was tried before retry_after


async def test_worker_marks_a_blocking_user_unreachable(
    runtime: Runtime, sender: TelegramSender, fake: FakeBotApi
) -> None:
    await _queue_greeting(runtime, sender)
    fake.fail_next("sendMessage", status=403, description=BLOCKED)
    await runtime.delivery.drain_once()
    assert {m.status for m in _outbox(runtime)} == {"unreachable"}
    with Session(runtime.db) as session:
        assert session.exec(select(Contact)).one().unreachable_at is not None
    assert len(fake.calls_to("sendMessage")) == 1  # never retried
