"""Operations: liveness, readiness, Prometheus metrics, JSON log lines without secrets or citizens' words."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, update

from bot.app import create_app
from bot.engine import utc_now
from bot.handlers.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.observability import JsonFormatter
from bot.runtime import Runtime, build_runtime
from storage.models import OutboxMessage, RequestEvent
from tests.hardening.conftest import Service, all_channels_settings
from tests.helpers.dashboard import seed
from tests.helpers.fake_bot_api import FakeBotApi
from tests.helpers.fake_graph_api import FakeGraphAPI
from tests.helpers.service_process import ServiceProcess
from tests.helpers.telegram_chat import WEBHOOK_SECRET, message_update
from tests.helpers.whatsapp import message_payload, post_webhook

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

one_engine = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def webchat_only(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_health_and_readiness_name_the_channels(service: Service, webchat_only: httpx.AsyncClient) -> None:
    assert (await service.client.get("/healthz")).json() == {"status": "ok"}
    ready = await service.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "database": "ok",
        "channels": ["webchat", "telegram", "whatsapp"],
        "pending": [],
    }
    assert (await webchat_only.get("/readyz")).json()["channels"] == ["webchat"]


async def test_starts_while_the_bot_api_fails_and_connects_telegram_when_it_answers(
    database_url: str, bot_api: FakeBotApi, graph_api: FakeGraphAPI
) -> None:
    """Issue 20: with the Bot API answering 502, start-up failed and took the web chat, WhatsApp and the
    dashboard down with it. Now they serve at once; Telegram is pending and connects in the background."""
    bot_api.outage(3600)
    runtime = build_runtime(all_channels_settings(database_url, bot_api, graph_api))
    app = create_app(runtime=runtime)
    started = time.monotonic()
    async with app.router.lifespan_context(app):
        assert time.monotonic() - started < 3  # the first try failed at once; nothing waited for Telegram
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json() == {
                "status": "ready",
                "database": "ok",
                "channels": ["webchat", "whatsapp"],
                "pending": ["telegram"],
            }
            session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
            answer = await client.post(
                f"/api/webchat/sessions/{session_id}/messages", json={"text": "halo", "client_message_id": "m-000001"}
            )
            assert answer.status_code == 200 and answer.json()["replies"]
            assert (await client.get("/login")).status_code == 200  # the dashboard's sign-in page
            update = message_update(81234567, text="/start")
            headers = {SECRET_HEADER: WEBHOOK_SECRET}
            assert (await client.post(WEBHOOK_PATH, json=update, headers=headers)).status_code == 503  # re-sent later

            bot_api.outage(0)  # Telegram answers again: the channel connects without a restart
            deadline = time.monotonic() + 15
            while "telegram" not in (await client.get("/readyz")).json()["channels"]:
                assert time.monotonic() < deadline, "Telegram did not connect after the outage"
                await asyncio.sleep(0.1)
            assert (await client.get("/readyz")).json()["pending"] == []
            await bot_api.wait_until(lambda fake: fake.webhook.get("url") and fake.commands.get(None), timeout=15)
            assert (await client.post(WEBHOOK_PATH, json=update, headers=headers)).status_code == 200


async def test_metrics_count_messages_queues_and_latency(service: Service) -> None:
    client = service.client
    before = _samples((await client.get("/metrics")).text)
    session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
    await client.post(
        f"/api/webchat/sessions/{session_id}/messages", json={"text": "halo", "client_message_id": "m-000001"}
    )
    await client.post(
        f"/api/webchat/sessions/{session_id}/messages", json={"text": "halo", "client_message_id": "m-000001"}
    )
    await service.runtime.delivery.stop()  # keep the WhatsApp replies in the outbox, to be counted there
    assert (await post_webhook(client, message_payload({"type": "text", "text": {"body": "halo"}}))).status_code == 200
    request_id = seed(service.runtime, queue="lk3-kota-serang").id
    with Session(service.runtime.db) as session, session.begin():
        session.add(
            RequestEvent(
                request_id=request_id,
                kind="sla_breach",
                actor="system",
                at=utc_now(),
                detail={"sla": "claim", "level": "province"},
            )
        )
        dead = OutboxMessage(
            contact_id=1,
            channel="webchat",
            payload={"text": "x"},
            status="dead",
            next_attempt_at=utc_now(),
            created_at=utc_now(),
        )
        session.add(dead)
    answer = await client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    now = _samples(answer.text)

    def grew(name: str, **labels: str) -> float:
        return _value(now, name, **labels) - _value(before, name, **labels)

    assert grew("pmks_inbound_messages_total", channel="webchat", outcome="processed") == 1
    assert grew("pmks_inbound_messages_total", channel="webchat", outcome="duplicate") == 1
    assert grew("pmks_inbound_messages_total", channel="whatsapp", outcome="processed") == 1
    assert _value(now, "pmks_outbox_depth", channel="whatsapp") >= 1
    assert _value(now, "pmks_outbox_oldest_age_seconds", channel="whatsapp") >= 0
    assert _value(now, "pmks_outbox_dead_letters", channel="webchat") == 1
    assert _value(now, "pmks_open_requests", queue="lk3-kota-serang", urgency="normal") == 1
    assert _value(now, "pmks_sla_breaches", queue="lk3-kota-serang", level="province") == 1
    assert _value(now, "pmks_database_up") == 1
    assert (
        grew(
            "pmks_http_request_duration_seconds_count",
            method="POST",
            status="200",
            route="/api/webchat/sessions/{session_id}/messages",
        )
        == 2
    )
    assert session_id not in answer.text  # routes by template, never by path


async def test_outbound_sends_are_counted_per_channel_and_outcome(service: Service, graph_api) -> None:
    await service.runtime.delivery.stop()  # this test drains by hand
    before = _samples((await service.client.get("/metrics")).text)
    graph_api.fail_next_with_server_error(502)
    await post_webhook(service.client, message_payload({"type": "text", "text": {"body": "halo"}}))
    await service.runtime.delivery.drain_once()
    with Session(service.runtime.db) as session, session.begin():  # the retry is due now
        session.exec(update(OutboxMessage).values(next_attempt_at=utc_now()))
    await service.runtime.delivery.drain_once()
    now = _samples((await service.client.get("/metrics")).text)
    assert (
        _value(now, "pmks_outbound_messages_total", channel="whatsapp", outcome="retry")
        - _value(before, "pmks_outbound_messages_total", channel="whatsapp", outcome="retry")
        == 1
    )
    assert _value(now, "pmks_outbound_messages_total", channel="whatsapp", outcome="sent") > _value(
        before, "pmks_outbound_messages_total", channel="whatsapp", outcome="sent"
    )


def test_json_log_lines_carry_event_and_ids_and_no_exception_message() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "bot.whatsapp", logging.INFO, __file__, 1, "whatsapp_message wamid=%s contact=%s", ("wamid.X", 7), None
    )
    assert json.loads(formatter.format(record)) | {"time": "-"} == {
        "time": "-",
        "level": "info",
        "logger": "bot.whatsapp",
        "event": "whatsapp_message",
        "wamid": "wamid.X",
        "contact": "7",
    }
    words = "saya dipukul suami"  # a citizen's words in a database error's message
    try:
        raise ValueError(f"INSERT ... parameters: ('{words}',)")
    except ValueError:
        import sys

        failed = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", (), sys.exc_info()
        )
    line = json.loads(formatter.format(failed))
    assert line["error"] == "ValueError" and words not in json.dumps(line) and "Traceback" not in line["trace"]


@one_engine
async def test_log_format_json_makes_every_service_log_line_json(database_url: str, tmp_path: Path) -> None:
    service = ServiceProcess(tmp_path, database_url, name="json", env={"LOG_FORMAT": "json"}).start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as client:
            session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
            assert (await client.get(f"/api/webchat/sessions/{session_id}x/messages")).status_code == 404
            await client.post(f"/api/webchat/sessions/{session_id}/messages", json={"text": "suami saya memukul"})
    finally:
        service.stop()
    lines = [line for line in service.log_path.read_text().splitlines() if line.startswith("{")]
    events = [json.loads(line) for line in lines]  # every log line parses
    assert {"time", "level", "logger", "event"} <= set(events[0])
    assert any(e["event"] == "request_refused" and e.get("status") == "404" for e in events)
    assert session_id not in "\n".join(lines) and "memukul" not in "\n".join(lines)
    plain = [line for line in service.log_path.read_text().splitlines() if not line.startswith("{")]
    assert all(not line[:4].isdigit() for line in plain)  # no plain log records: only the start-up prints


def test_production_refuses_placeholder_secrets() -> None:
    """SECURITY.md: production will not start with the development key or without data encryption keys."""
    from pydantic import ValidationError

    from bot.config import Settings
    from storage.crypto import derived_key

    strong = "s" * 40
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production", data_encryption_keys=derived_key("x"))
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key="short", data_encryption_keys=derived_key("x"))
    with pytest.raises(ValidationError, match="DATA_ENCRYPTION_KEYS"):
        Settings(_env_file=None, environment="production", secret_key=strong)
    assert Settings(
        _env_file=None, environment="production", secret_key=strong, data_encryption_keys=derived_key("x")
    ).cookies_secure
