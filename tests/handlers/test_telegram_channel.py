"""The channel as the service runs it: started by the app's lifespan, the webhook route's answers, the
polling start, and what reaches the logs. Real PTB against the fake Bot API, on both engines.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from bot.config import Settings
from bot.handlers.telegram import COMMANDS, SECRET_HEADER, WEBHOOK_PATH
from bot.handlers.telegram_inbound import ALLOWED_UPDATES
from bot.i18n import load_catalog
from bot.messages import Inbound
from bot.runtime import Runtime
from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound
from tests.helpers.app_client import client  # noqa: F401 (a fixture: the whole app, webhook mode by these settings)
from tests.helpers.fake_bot_api import TOKEN, FakeBotApi, fake  # noqa: F401 (fake is a fixture)
from tests.helpers.telegram_chat import (
    WEBHOOK_SECRET,
    TelegramCitizen,
    message_update,
    telegram_line,
    telegram_settings,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "telegram"
LEGACY = sorted(DATA.glob("*_tgdocs_legacy.json"))


@pytest.fixture
def settings(database_url: str, fake: FakeBotApi) -> Settings:
    return telegram_settings(database_url, fake, webhook=True)


async def _post(client: httpx.AsyncClient, body: dict | bytes, secret: str | None = WEBHOOK_SECRET) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if isinstance(body, bytes):
        return await client.post(WEBHOOK_PATH, content=body, headers={**headers, "content-type": "application/json"})
    return await client.post(WEBHOOK_PATH, json=body, headers=headers)


def _count(runtime: Runtime, table: type) -> int:
    with Session(runtime.db) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _database_down(_inbound: Inbound) -> None:
    raise sa.exc.OperationalError("INSERT INTO processed_inbound ...", {}, ConnectionRefusedError())


def _nothing_stored(runtime: Runtime) -> bool:
    return all(_count(runtime, table) == 0 for table in (Contact, ProcessedInbound, Conversation, OutboxMessage))


async def test_start_sets_the_webhook_and_the_command_menu_in_both_languages(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeBotApi
) -> None:
    assert fake.webhook == {
        "url": "https://pmks.example.go.id/webhooks/telegram",
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": list(ALLOWED_UPDATES),
    }
    catalog = runtime.catalog
    for language_code, language in ((None, "id"), ("en", "en")):  # Indonesian for everyone, English for "en"
        menu = {c["command"]: c["description"] for c in fake.commands[language_code]}
        assert list(menu) == list(COMMANDS)
        assert menu["lapor"] == catalog.text(language, "telegram.commands.lapor")
    assert fake.calls_to("getUpdates") == []  # webhook mode never polls


async def test_an_update_is_answered_after_commit_and_the_reply_goes_out(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeBotApi
) -> None:
    response = await _post(client, message_update(81234567, text="/start"))
    assert response.status_code == 200
    assert _count(runtime, ProcessedInbound) == 1 and _count(runtime, OutboxMessage) == 2  # committed first
    # the lifespan's outbox worker, woken by the handler, sends without being asked
    await fake.wait_until(lambda f: len(f.calls_to("sendMessage")) == 2)
    assert fake.calls_to("sendMessage")[0].params["text"].startswith("Halo!")


async def test_a_forged_or_missing_secret_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeBotApi
) -> None:
    for secret in (None, "", "wrong-secret-0123456789", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]):
        response = await _post(client, message_update(81234567, text="/start"), secret=secret)
        assert response.status_code == 403, secret
    assert _nothing_stored(runtime) and fake.calls_to("sendMessage") == []


async def test_updates_we_cannot_read_are_acknowledged_and_ignored(client: httpx.AsyncClient, runtime: Runtime) -> None:
    bodies = [*(path.read_bytes() for path in LEGACY), b"not json", b"[]", b"null", b'{"update_id": 5}']
    assert len(LEGACY) == 3
    for body in bodies:
        response = await _post(client, body)
        assert response.status_code == 200, body  # a 5xx would make Telegram re-send it forever
    assert _nothing_stored(runtime)


async def test_a_database_failure_is_503_and_the_resend_is_processed_once(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    update = message_update(81234567, text="/start")
    with monkeypatch.context() as patch:
        patch.setattr(runtime.engine, "handle", _database_down)
        failed = await _post(client, update)
    assert failed.status_code == 503 and failed.headers["retry-after"] == "5"
    assert _nothing_stored(runtime)
    assert [(await _post(client, update)).status_code for _ in range(2)] == [200, 200]  # Telegram re-sends
    assert _count(runtime, ProcessedInbound) == 1 and _count(runtime, OutboxMessage) == 2


async def test_logs_carry_ids_but_not_the_token_or_the_citizens_words(
    client: httpx.AsyncClient, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    words = "anak tetangga saya dipukuli ayahnya"
    assert (await _post(client, message_update(81234567, text=words))).status_code == 200
    await fake.wait_until(lambda f: len(f.calls_to("sendMessage")) >= 2)
    assert "telegram_update_handled" in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert "dipukuli" not in caplog.text


# --- polling -----------------------------------------------------------------------------------------


async def test_polling_clears_any_webhook_and_asks_only_for_the_updates_it_reads(
    runtime: Runtime, fake: FakeBotApi, database_url: str
) -> None:
    polling_settings = telegram_settings(database_url, fake, webhook=False)
    polling = dataclasses.replace(runtime, settings=polling_settings)
    async with telegram_line(polling, fake) as line:
        assert line.mode == "polling" and line.channel.router is None
        texts = await TelegramCitizen(line).send("/bantuan")
        assert any(text.startswith(polling.catalog.text("id", "help.text").split("\n", 1)[0]) for text in texts)
    assert not line.channel.application.running
    assert fake.calls_to("deleteWebhook") and fake.calls_to("setWebhook") == []
    polls = fake.calls_to("getUpdates")
    assert polls and all(c.params["allowed_updates"] == list(ALLOWED_UPDATES) for c in polls)
    assert [c["command"] for c in fake.commands[None]] == list(COMMANDS)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING  # its INFO lines carry the token


async def test_polling_logs_a_failed_update_by_id_and_goes_on(
    runtime: Runtime,
    fake: FakeBotApi,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Polling cannot ask Telegram to re-send (PTB confirmed the update on fetch): log it, keep going."""
    polling = dataclasses.replace(runtime, settings=telegram_settings(database_url, fake, webhook=False))
    async with telegram_line(polling, fake) as line:
        citizen = TelegramCitizen(line)
        lost = citizen.message(text="tolong, ada anak dipukuli")
        with monkeypatch.context() as patch:
            patch.setattr(runtime.engine, "handle", _database_down)
            await line.deliver(lost)
        assert f"telegram_update_failed update_id={lost['update_id']} error=OperationalError" in caplog.text
        assert "dipukuli" not in caplog.text
        assert (await citizen.send("/start"))[0].startswith("Halo!")


def test_the_catalogs_hold_the_channels_texts() -> None:
    """Every command in the menu has a description, and the group notice exists, in both languages."""
    catalog = load_catalog()
    for language in ("id", "en"):
        needed = {f"telegram.commands.{command}" for command in COMMANDS} | {"telegram.private_only"}
        missing = sorted(needed - catalog.keys(language))
        assert not missing, f"add to bot/i18n/{language}.yaml: {missing}"
        assert "{bot_username}" in catalog.text(language, "telegram.private_only")
