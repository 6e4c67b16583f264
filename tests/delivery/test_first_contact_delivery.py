"""First contact on the real delivery path: when the outbox worker's send went out (Telegram), and when
Meta reports the message delivered (WhatsApp), never when the counselor wrote it.

The citizens fill in the counseling form through the real engine; the worker sends through the real
senders (python-telegram-bot, pywa) to the fake Bot API and Graph API on 127.0.0.1; WhatsApp's statuses
come as signed webhooks. Both engines. The web chat and the request page: tests/services/test_first_contact.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select
from telegram import Bot

from bot.config import Settings
from bot.handlers.telegram import build_application
from bot.handlers.telegram_sender import TelegramSender
from bot.messages import Channel
from bot.runtime import Runtime
from bot.services.case_thread import message_citizen
from bot.services.claims import claim_request
from storage.casework import events_of_kind
from storage.models import CaseMessage, OutboxMessage, Request
from tests.helpers.casework import counseling_request
from tests.helpers.chat import Chat
from tests.helpers.fake_bot_api import FakeBotApi, fake  # noqa: F401 (fixture)
from tests.helpers.fake_graph_api import FakeGraphAPI, graph_api, graph_api_server  # noqa: F401 (fixtures)
from tests.helpers.staff import as_staff, make_staff
from tests.helpers.telegram_chat import telegram_settings
from tests.helpers.whatsapp import WA_ID, post_webhook, status_payload, whatsapp_client, whatsapp_settings

pytestmark = pytest.mark.clock  # pinned weekday hours: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
CREATED = datetime(2026, 12, 8, 10, 0, tzinfo=WIB)  # a Tuesday morning: nothing waits for a safe time
WRITTEN = CREATED + timedelta(minutes=30)
SENT = WRITTEN + timedelta(minutes=1)
TEXT = "Selamat pagi, Bu. Saya Siti dari LK3. Kapan Ibu bisa bicara?"


@pytest.fixture
def settings(database_url: str, fake: FakeBotApi, graph_api: FakeGraphAPI) -> Settings:
    """Both channels configured, each against its fake."""
    telegram = telegram_settings(database_url, fake, webhook=False)
    return whatsapp_settings(
        database_url,
        graph_api,
        **{
            name: getattr(telegram, name)
            for name in (
                "telegram_bot_token",
                "telegram_api_base_url",
                "telegram_file_base_url",
                "telegram_messages_per_second",
                "telegram_chat_messages_per_second",
            )
        },
    )


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[Bot]:
    async with build_application(settings).bot as bot:
        yield bot


def _written_and_queued(runtime: Runtime, citizen: Chat) -> Request:
    """A counseling request from `citizen`, claimed, and the counselor's message handed to the outbox."""
    with time_machine.travel(CREATED, tick=False):
        request = counseling_request(citizen)
        siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    with time_machine.travel(WRITTEN, tick=False):
        as_staff(runtime, siti, message_citizen, request_id=request.id, text=TEXT)
        runtime.due_work.run_due()
    assert _contact_state(runtime, request) == ([], "claimed", None)  # written and queued, not contacted
    return request


def _contact_state(runtime: Runtime, request: Request) -> tuple[list[datetime], str, datetime | None]:
    """(first-contact event times, the request's status, when the counselor's message was delivered)."""
    with Session(runtime.db) as session:
        events = events_of_kind(session, request_id=request.id, kind="first_contact")
        message = session.exec(select(CaseMessage).where(CaseMessage.request_id == request.id)).one()
        return [e.at for e in events], session.get(Request, request.id).status, message.delivered_at


def _carrier(runtime: Runtime, request: Request) -> OutboxMessage:
    """The outbox row that carries the counselor's message."""
    with Session(runtime.db) as session:
        return session.exec(
            select(OutboxMessage)
            .join(CaseMessage, CaseMessage.id == OutboxMessage.case_message_id)
            .where(CaseMessage.request_id == request.id)
        ).one()


async def test_telegram_counts_first_contact_when_the_worker_sent_it(
    runtime: Runtime, bot: Bot, fake: FakeBotApi
) -> None:
    runtime.delivery.register(TelegramSender(bot, runtime.catalog))
    request = _written_and_queued(runtime, Chat(runtime.engine, user_id="81234567", channel=Channel.TELEGRAM))
    with time_machine.travel(SENT, tick=False):
        await runtime.delivery.drain_once()
    assert TEXT in fake.messages_to(81234567)[-1]["text"]
    assert _contact_state(runtime, request) == ([SENT], "in_progress", SENT)


async def test_whatsapp_counts_first_contact_when_meta_reports_it_delivered(
    runtime: Runtime, graph_api: FakeGraphAPI
) -> None:
    async with whatsapp_client(runtime) as (client, _channel):
        request = _written_and_queued(runtime, Chat(runtime.engine, user_id=WA_ID, channel=Channel.WHATSAPP))
        with time_machine.travel(SENT, tick=False):
            await runtime.delivery.drain_once()
        assert TEXT in graph_api.messages[-1]["text"]["body"]
        wamid = _carrier(runtime, request).platform_message_id
        assert _contact_state(runtime, request) == ([], "claimed", None)  # Meta took it: not yet on her phone

        delivered = SENT + timedelta(minutes=9)  # her phone was off for a while
        with time_machine.travel(delivered, tick=False):
            assert (await post_webhook(client, status_payload(wamid, "delivered"))).status_code == 200
        with time_machine.travel(delivered + timedelta(minutes=5), tick=False):  # read later: counted once
            assert (await post_webhook(client, status_payload(wamid, "read"))).status_code == 200
    assert _contact_state(runtime, request) == ([delivered], "in_progress", delivered)
