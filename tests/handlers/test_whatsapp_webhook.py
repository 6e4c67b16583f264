"""The WhatsApp webhook: Meta's handshake, signatures, recorded payloads, duplicates, statuses."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from bot.app import create_app
from bot.config import Settings
from bot.engine import utc_now
from bot.handlers.whatsapp import WEBHOOK_PATH, WhatsAppChannel
from bot.i18n import load_catalog
from bot.runtime import Runtime, build_runtime
from storage import whatsapp_statuses
from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound
from storage.outbox import enqueue_messages
from tests.helpers.fake_graph_api import FakeGraphAPI, graph_api, graph_api_server  # noqa: F401 (fixtures)
from tests.helpers.whatsapp import (
    BSUID,
    LEGACY_PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    WA_ID,
    Citizen,
    body_text,
    fixture_bytes,
    message_payload,
    post_webhook,
    sign,
    status_payload,
    whatsapp_client,
    whatsapp_settings,
)

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

T = load_catalog()


@pytest.fixture
def settings(database_url: str, graph_api: FakeGraphAPI) -> Settings:
    return whatsapp_settings(database_url, graph_api)


@pytest.fixture
async def wa(runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, WhatsAppChannel]]:
    async with whatsapp_client(runtime) as pair:
        yield pair


def _count(runtime: Runtime, model: type) -> int:
    with Session(runtime.db) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _contact(runtime: Runtime) -> Contact:
    with Session(runtime.db) as session:
        return session.exec(select(Contact)).one()


# --- handshake and signatures ------------------------------------------------------------------


async def test_verification_handshake_echoes_the_challenge(wa) -> None:
    client, _ = wa
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await client.get(WEBHOOK_PATH, params=params)
    assert response.status_code == 200 and response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")
    for wrong in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"}, {"hub.challenge": ""}):
        assert (await client.get(WEBHOOK_PATH, params=params | wrong)).status_code == 403
    assert (await client.get(WEBHOOK_PATH)).status_code == 403


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", "forged"])
async def test_missing_or_forged_signature_is_refused_and_nothing_stored(wa, runtime: Runtime, signature) -> None:
    client, _ = wa
    response = await post_webhook(client, fixture_bytes("whatsapp_webhook_text.json"), signature=signature)
    assert response.status_code == 403
    assert _count(runtime, ProcessedInbound) == _count(runtime, Contact) == _count(runtime, OutboxMessage) == 0


async def test_signature_covers_the_exact_bytes(wa, runtime: Runtime) -> None:
    """Re-serialising the body (here: compact JSON) breaks the signature of the original bytes."""
    client, _ = wa
    original = fixture_bytes("whatsapp_webhook_text.json")
    compact = json.dumps(json.loads(original), separators=(",", ":")).encode()
    response = await post_webhook(client, compact, signature=sign(original))
    assert response.status_code == 403 and _count(runtime, ProcessedInbound) == 0


async def test_the_service_app_serves_whatsapp_when_configured(runtime: Runtime, graph_api: FakeGraphAPI) -> None:
    """`make run` with a token and phone number id: the route is mounted and the running worker sends."""
    app = create_app(runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
            assert (await client.get(WEBHOOK_PATH, params=params)).text == "42"
            response = await post_webhook(client, message_payload({"type": "text", "text": {"body": "menu"}}))
            assert response.status_code == 200
            deadline = time.monotonic() + 10
            while not graph_api.messages:
                assert time.monotonic() < deadline, "the outbox worker sent nothing within 10 s"
                await asyncio.sleep(0.05)
    assert graph_api.messages[0]["to"] == WA_ID


# --- recorded payloads ---------------------------------------------------------------------------


async def test_text_fixture_is_answered_and_keyed_on_the_bsuid(wa, runtime: Runtime, graph_api: FakeGraphAPI) -> None:
    client, _ = wa
    response = await post_webhook(client, fixture_bytes("whatsapp_webhook_text.json"))
    assert response.status_code == 200
    contact = _contact(runtime)
    assert (contact.platform_user_id, contact.address) == ("US.13491208655302741918", "972987654321")
    assert contact.last_inbound_at is not None
    await runtime.delivery.drain_once()
    sent = graph_api.take_messages()
    assert sent and all(m["to"] == "972987654321" and "recipient" not in m for m in sent)
    assert all(r.authorization == "Bearer test-token-not-real" for r in graph_api.requests)


async def test_legacy_payload_without_user_id_is_keyed_on_wa_id(database_url: str, graph_api: FakeGraphAPI) -> None:
    """Courier's 2016 location payload: no BSUID (pywa 4.5 raises KeyError on it); still served."""
    settings = whatsapp_settings(database_url, graph_api, whatsapp_phone_number_id=LEGACY_PHONE_NUMBER_ID)
    runtime = build_runtime(settings)
    try:
        runtime.sync_queues()
        async with whatsapp_client(runtime) as (client, _):
            response = await post_webhook(client, fixture_bytes("whatsapp_webhook_location_legacy_no_bsuid.json"))
            assert response.status_code == 200
            contact = _contact(runtime)
            assert (contact.platform_user_id, contact.address) == ("5678", "5678")
            with Session(runtime.db) as session:
                assert session.get(ProcessedInbound, ("whatsapp", "external_id")) is not None
            await runtime.delivery.drain_once()
            sent = graph_api.take_messages()
            assert sent and all(m["to"] == "5678" for m in sent)
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("fixture", "expected_wamid"),
    [
        ("whatsapp_webhook_interactive_button_reply.json", "wamid.xyzxyz"),
        ("whatsapp_webhook_interactive_list_reply.json", "wamid.zyzxyz"),
        ("whatsapp_webhook_template_quick_reply_button.json", "wamid.xsidjw"),
        ("whatsapp_webhook_image.json", "wamid.xyzxyz"),
        ("whatsapp_webhook_location.json", "wamid.xyzxyz"),
    ],
)
async def test_recorded_message_types_reach_the_engine(wa, runtime: Runtime, fixture: str, expected_wamid: str) -> None:
    client, _ = wa
    assert (await post_webhook(client, fixture_bytes(fixture))).status_code == 200
    with Session(runtime.db) as session:
        assert session.get(ProcessedInbound, ("whatsapp", expected_wamid)) is not None
    assert _count(runtime, OutboxMessage) >= 1  # answered (a stale choice, the menu: the flow decides)


async def test_duplicate_wamid_is_processed_once(wa, runtime: Runtime, graph_api: FakeGraphAPI) -> None:
    client, _ = wa
    body = message_payload({"type": "text", "text": {"body": "lapor"}})
    assert (await post_webhook(client, body)).status_code == 200
    replies = _count(runtime, OutboxMessage)
    assert (await post_webhook(client, body)).status_code == 200  # Meta retried
    assert _count(runtime, OutboxMessage) == replies and _count(runtime, ProcessedInbound) == 1


async def test_unsupported_types_get_the_indonesian_answer(wa, runtime: Runtime, graph_api: FakeGraphAPI) -> None:
    client, _ = wa
    citizen = Citizen(client, runtime, graph_api)
    await citizen.text("lapor")
    expected = T.text("id", "common.unsupported")
    for message in (
        {"type": "sticker", "sticker": {"id": "st1", "mime_type": "image/webp", "animated": False}},
        {"type": "audio", "audio": {"id": "au1", "mime_type": "audio/ogg", "voice": True}},
        {"type": "document", "document": {"id": "doc1", "filename": "a.pdf", "mime_type": "application/pdf"}},
        {"type": "reaction", "reaction": {"message_id": "wamid.OLD", "emoji": "👍"}},
        {"type": "video", "video": {"id": "vid1", "mime_type": "video/mp4"}},
        {"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]},
    ):
        sent = await citizen.send(message)
        assert expected in body_text(sent[0]), message["type"]


async def test_unreadable_payloads_are_acknowledged_and_ignored(wa, runtime: Runtime) -> None:
    client, _ = wa
    for body in (b"not json", b"[]", b'{"object": "page"}', b'{"object": "whatsapp_business_account", "entry": 5}'):
        assert (await post_webhook(client, body)).status_code == 200
    broken = json.loads(message_payload({"type": "location", "location": {"latitude": "north"}}))
    assert (await post_webhook(client, json.dumps(broken).encode())).status_code == 200
    assert _count(runtime, ProcessedInbound) == 0


async def test_other_phone_number_is_ignored(wa, runtime: Runtime) -> None:
    client, _ = wa
    legacy = fixture_bytes("whatsapp_webhook_location_legacy_no_bsuid.json")  # another business number
    assert (await post_webhook(client, legacy)).status_code == 200
    assert _count(runtime, Contact) == 0


async def test_database_failure_answers_503_so_meta_retries(wa, runtime: Runtime, monkeypatch) -> None:
    client, _ = wa

    def broken(_inbound):
        raise sa.exc.OperationalError("INSERT ...", {}, Exception("connection lost"))

    monkeypatch.setattr(runtime.engine, "handle", broken)
    response = await post_webhook(client, message_payload({"type": "text", "text": {"body": "halo"}}))
    assert response.status_code == 503 and response.headers["retry-after"] == "5"


async def test_bsuid_only_citizen_is_answered_through_recipient(wa, runtime: Runtime, graph_api: FakeGraphAPI) -> None:
    """A citizen with a username and hidden number: key and address are the BSUID."""
    client, _ = wa
    citizen = Citizen(client, runtime, graph_api, wa_id=None)
    sent = await citizen.text("menu")
    assert sent and all(m.get("recipient") == BSUID and "to" not in m for m in sent)
    assert (_contact(runtime).platform_user_id, _contact(runtime).address) == (BSUID, BSUID)


# --- statuses ------------------------------------------------------------------------------------


async def test_statuses_are_recorded_forward_only(wa, runtime: Runtime, graph_api: FakeGraphAPI) -> None:
    client, _ = wa
    await Citizen(client, runtime, graph_api).text("menu")
    with Session(runtime.db) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.status == "sent")).first()
        assert row is not None and row.platform_message_id.startswith("wamid.FAKE")
        wamid, row_id = row.platform_message_id, row.id
    for status in ("delivered", "read", "delivered", "sent"):  # late and repeated ones do not go back
        assert (await post_webhook(client, status_payload(wamid, status))).status_code == 200
    with Session(runtime.db) as session:
        assert session.get(OutboxMessage, row_id).status == "read"


async def test_failed_status_is_recorded_with_code_and_title(wa, runtime: Runtime) -> None:
    client, _ = wa
    with Session(runtime.db) as session, session.begin():
        contact = Contact(channel="whatsapp", platform_user_id=WA_ID, address=WA_ID, created_at=utc_now())
        session.add(contact)
        session.flush()
        row_id = enqueue_messages(
            session, contact_id=contact.id, channel="whatsapp", payloads=[{"text": "x"}], now=utc_now()
        )[0]
        # sent as the worker records it, with the id in the recorded fixture
        whatsapp_statuses.record_sent(session, outbox_id=row_id, wamids=["wamid.xyzxyz"], now=utc_now())
    assert (await post_webhook(client, fixture_bytes("whatsapp_webhook_status_failed.json"))).status_code == 200
    with Session(runtime.db) as session:
        row = session.get(OutboxMessage, row_id)
        assert row.status == "failed" and row.last_error == "130472 User's number is part of an experiment"
    # a status for a message we do not know is acknowledged and ignored
    assert (await post_webhook(client, status_payload("wamid.UNKNOWN", "read"))).status_code == 200


async def test_a_citizen_whose_payloads_start_carrying_a_bsuid_keeps_their_draft(wa, runtime: Runtime) -> None:
    """Meta's rollout: the same person first arrives keyed on wa_id, then with a user_id; one contact, one draft."""
    client, _ = wa
    await post_webhook(client, message_payload({"type": "text", "text": {"body": "lapor"}}, bsuid=None))
    first = _contact(runtime)
    assert first.platform_user_id == WA_ID
    with Session(runtime.db) as session:
        step_before = session.exec(select(Conversation.step).where(Conversation.contact_id == first.id)).one()
    assert step_before  # the sighting form is open at its first question
    await post_webhook(client, message_payload({"type": "text", "text": {"body": "anak jalanan"}}))
    assert _count(runtime, Contact) == 1
    contact = _contact(runtime)
    assert (contact.id, contact.platform_user_id, contact.address) == (first.id, BSUID, WA_ID)
    with Session(runtime.db) as session:
        conversation = session.exec(select(Conversation).where(Conversation.contact_id == contact.id)).one()
    assert conversation.flow == "report_sighting" and conversation.step != step_before
