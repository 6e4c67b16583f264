"""The whole app in process with every channel on (Telegram in webhook mode, WhatsApp), against fakes on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import Session, func, select

from bot.app import create_app
from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from tests.helpers.fake_bot_api import TOKEN, FakeBotApi
from tests.helpers.fake_graph_api import FakeGraphAPI, graph_api, graph_api_server  # noqa: F401 (fixtures)
from tests.helpers.telegram_chat import WEBHOOK_SECRET
from tests.helpers.whatsapp import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN

CLIENT_TIMEOUT = httpx.Timeout(10.0)


def all_channels_settings(database_url: str, bot_api: FakeBotApi, graph: FakeGraphAPI, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": bot_api.api_base_url,
        "telegram_file_base_url": bot_api.file_base_url,
        "telegram_webhook_url": "https://pmks.example.go.id/webhooks/telegram",
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "whatsapp_token": "test-token-not-real",
        "whatsapp_phone_number_id": PHONE_NUMBER_ID,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_api_base_url": graph.base_url,
        "telegram_messages_per_second": 1e6,
        "telegram_chat_messages_per_second": 1e6,
        "whatsapp_messages_per_second": 1e6,
    }
    return Settings(_env_file=None, **(values | overrides))


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@dataclass
class Service:
    client: httpx.AsyncClient
    runtime: Runtime

    def count(self, model: type) -> int:
        with Session(self.runtime.db) as session:
            return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
async def service(database_url: str, bot_api: FakeBotApi, graph_api: FakeGraphAPI) -> AsyncIterator[Service]:
    """The real app (lifespan, middleware, every router), all channels on, in process."""
    runtime = build_runtime(all_channels_settings(database_url, bot_api, graph_api))
    app = create_app(runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=CLIENT_TIMEOUT
        ) as client:
            yield Service(client, runtime)


def telegram_instance_env(fake: FakeBotApi, rate: float) -> dict[str, str]:
    """A service subprocess's Telegram settings: webhook mode against `fake`, `rate` sends a second, 5 s claims."""
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.api_base_url,
        "TELEGRAM_FILE_BASE_URL": fake.file_base_url,
        "TELEGRAM_WEBHOOK_URL": "https://pmks.example.go.id/webhooks/telegram",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_MESSAGES_PER_SECOND": str(rate),
        "DELIVERY_LEASE_SECONDS": "5",
    }
