"""Faults: the database away for a while, a transaction cut in the middle, a platform answering 5xx or hanging.

What must hold: citizens get the polite "coba lagi" (503 with Retry-After), webhooks answer a status the
platform retries, nothing is half-written, and once things are back every message is processed exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, select, update

from bot.engine import utc_now
from bot.handlers.telegram import SECRET_HEADER
from bot.handlers.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.i18n import load_catalog
from bot.messages import Channel
from bot.runtime import Runtime, build_runtime
from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound, Request
from tests.conftest import PG_URL
from tests.hardening.conftest import Service
from tests.helpers.chat import Chat
from tests.helpers.fake_bot_api import FakeBotApi
from tests.helpers.fake_graph_api import FakeGraphAPI
from tests.helpers.telegram_chat import (
    WEBHOOK_SECRET,
    message_update,
    telegram_line,
    telegram_settings,
)
from tests.helpers.whatsapp import message_payload, post_webhook, whatsapp_client, whatsapp_settings

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

TRY_AGAIN = load_catalog().text("id", "webchat.try_again")
REPORT = (
    {"choice": "menu:lapor"},
    {"choice": "grp:anak"},
    {"choice": "cat:anak_jalanan"},
    {"choice": "reg:kota-serang"},
    {"text": "kasemen"},
    {"text": "depan pasar rau"},
    {"text": "anak kecil tidur di trotoar"},
    {"choice": "skip"},
    {"choice": "contact:anonymous"},
    {"choice": "consent:yes"},
)


@contextmanager
def postgres_unreachable(database_url: str) -> Iterator[None]:
    """Refuse new connections to this test's database and cut the open ones, then let them back."""
    name = make_url(database_url).database
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
        yield
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        admin.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_database_away_for_a_while_then_back(service: Service, database_url: str, caplog) -> None:
    caplog.set_level(logging.INFO)
    client = service.client
    session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
    messages = f"/api/webchat/sessions/{session_id}/messages"
    whatsapp_body = message_payload({"type": "text", "text": {"body": "halo"}})
    telegram_update = message_update(81234567, text="/start")
    telegram_headers = {SECRET_HEADER: WEBHOOK_SECRET}
    before = {m: service.count(m) for m in (Contact, ProcessedInbound, OutboxMessage)}

    with postgres_unreachable(database_url):
        for answer in (
            await client.post(messages, json={"choice": "menu:lapor", "client_message_id": "retry-0001"}),
            await client.post("/api/webchat/sessions"),
        ):
            assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
            assert answer.json() == {"detail": TRY_AGAIN}  # the polite Indonesian text, no stack trace
        assert (await post_webhook(client, whatsapp_body)).status_code == 503  # Meta retries a 5xx
        assert (await client.post(TELEGRAM_PATH, json=telegram_update, headers=telegram_headers)).status_code == 503
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
        assert (await client.get("/healthz")).status_code == 200  # alive: do not restart it, wait
        assert "pmks_database_up 0.0" in (await client.get("/metrics")).text

    assert {m: service.count(m) for m in before} == before  # nothing half-written
    assert (await client.get("/readyz")).status_code == 200
    retried = await client.post(messages, json={"choice": "menu:lapor", "client_message_id": "retry-0001"})
    assert retried.status_code == 200 and retried.json()["replies"]
    for _ in range(2):  # the platforms re-send until they get a 2xx: each is processed once
        assert (await post_webhook(client, whatsapp_body)).status_code == 200
        assert (await client.post(TELEGRAM_PATH, json=telegram_update, headers=telegram_headers)).status_code == 200
    assert service.count(ProcessedInbound) == before[ProcessedInbound] + 3
    assert service.count(Contact) == before[Contact] + 2
    assert "request_failed" in caplog.text and "whatsapp_webhook_db_failed" in caplog.text
    assert session_id not in caplog.text and "halo" not in caplog.text


async def test_a_transaction_cut_in_the_middle_leaves_nothing_and_the_retry_counts_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails after the request row was written but before the replies were: all rolled back."""
    client = service.client
    session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
    messages = f"/api/webchat/sessions/{session_id}/messages"
    for n, body in enumerate(REPORT):
        assert (await client.post(messages, json={**body, "client_message_id": f"step-{n:04d}"})).status_code == 200
    with Session(service.runtime.db) as session:
        draft = session.exec(select(Conversation)).one().data
    import bot.engine

    real = bot.engine.enqueue_messages

    def failing(session, **kwargs):
        session.flush()  # the request, its events and the new conversation state are in the transaction ...
        assert session.exec(select(Request)).first() is not None
        raise sa.exc.OperationalError("INSERT INTO outbox_message ...", {}, ConnectionResetError())  # ... then this

    send = {"choice": "confirm:send", "client_message_id": "send-0001"}
    with monkeypatch.context() as patch:
        patch.setattr(bot.engine, "enqueue_messages", failing)
        cut = await client.post(messages, json=send)
    assert cut.status_code == 503 and cut.json()["detail"] == TRY_AGAIN
    with Session(service.runtime.db) as session:
        assert session.exec(select(Request)).first() is None
        assert session.exec(select(Conversation)).one().data == draft  # still at the summary, answers kept
        assert session.get(ProcessedInbound, ("webchat", f"{_hash16(session_id)}:send-0001")) is None
    assert bot.engine.enqueue_messages is real
    done = await client.post(messages, json=send)
    again = await client.post(messages, json=send)  # the page's own retry after a lost answer
    assert "Kode tiket" in done.json()["replies"][0]["text"] and again.json() == {"replies": []}
    assert service.count(Request) == 1


def _hash16(session_id: str) -> str:
    import hashlib

    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


# --- the platforms misbehave -------------------------------------------------------------------------------


def _unsent(runtime: Runtime) -> list[OutboxMessage]:
    with Session(runtime.db) as session:
        return list(
            session.exec(select(OutboxMessage).where(OutboxMessage.status != "sent").order_by(OutboxMessage.id))
        )


def _make_due(runtime: Runtime) -> None:
    with Session(runtime.db) as session, session.begin():
        session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(next_attempt_at=utc_now() - timedelta(seconds=1))
        )


async def test_bot_api_5xx_and_timeouts_go_back_to_pending_with_backoff(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.delivery.worker.SEND_TIMEOUT_SECONDS", 0.5)
    with FakeBotApi() as fake:
        runtime = build_runtime(telegram_settings(database_url, fake, webhook=False))
        try:
            async with telegram_line(runtime, fake):
                Chat(runtime.engine, user_id="81234567", channel=Channel.TELEGRAM).start()  # greeting + menu
                for failure in ("502", "stall"):
                    if failure == "502":
                        fake.fail_next("sendMessage", status=502, description="Bad Gateway")
                    else:
                        fake.stall_next("sendMessage", 2.0)
                    started = utc_now()
                    await runtime.delivery.drain_once()
                    first = _unsent(runtime)[0]
                    assert first.status == "pending" and first.attempts == 1 and first.last_error
                    assert first.next_attempt_at >= started + timedelta(seconds=1)  # backoff(1): 1-2 s, with jitter
                    assert await runtime.delivery.drain_once() == 0  # not before its time
                    _make_due(runtime)
                    with Session(runtime.db) as session, session.begin():  # a fresh try for the next failure
                        session.exec(update(OutboxMessage).values(attempts=0))
                await runtime.delivery.drain_once()
                for _ in range(2):  # greeting, then the menu after the chat's spacing
                    _make_due(runtime)
                    await runtime.delivery.drain_once()
                texts = [m["text"] for m in fake.messages_to(81234567)]
                assert texts[0].startswith("Halo!") and len([t for t in texts if t.startswith("Halo!")]) <= 2
                assert _unsent(runtime) == []
        finally:
            runtime.close()


async def test_graph_api_5xx_goes_back_to_pending_and_is_sent_later(database_url: str, graph_api: FakeGraphAPI) -> None:
    runtime = build_runtime(whatsapp_settings(database_url, graph_api))
    try:
        async with whatsapp_client(runtime) as (client, _channel):
            graph_api.fail_next_with_server_error(503)
            assert (
                await post_webhook(client, message_payload({"type": "text", "text": {"body": "halo"}}))
            ).status_code == 200
            await runtime.delivery.drain_once()
            failed = _unsent(runtime)
            assert failed and failed[0].status == "pending" and failed[0].attempts == 1
            assert failed[0].next_attempt_at > utc_now()
            _make_due(runtime)
            for _ in range(3):
                await runtime.delivery.drain_once()
                _make_due(runtime)
            assert _unsent(runtime) == []
            bodies = [json.dumps(m, sort_keys=True) for m in graph_api.messages]
            assert len(bodies) == len(set(bodies)) + 1  # the refused send was tried again, once; nothing else twice
    finally:
        runtime.close()
