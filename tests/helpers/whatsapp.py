"""WhatsApp test helpers: signed webhook payloads, the channel on a test app, a citizen who taps.

Payloads are Meta's documented `messages` webhook shape (the recorded fixtures under
tests/data/whatsapp are the templates); every POST is signed over the exact bytes sent, as Meta does.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from bot.config import Settings
from bot.handlers.whatsapp import WEBHOOK_PATH, WhatsAppChannel
from bot.runtime import Runtime
from bot.web import errors
from tests.helpers.fake_graph_api import FakeGraphAPI
from tests.helpers.images import jpeg

DATA = Path(__file__).resolve().parent.parent / "data" / "whatsapp"
APP_SECRET = "test-app-secret-0123456789abcdef"
VERIFY_TOKEN = "test-verify-token"
PHONE_NUMBER_ID = "1122334455667"  # the business number in the recorded fixtures
LEGACY_PHONE_NUMBER_ID = "1234567890"  # ... and in courier's legacy fixture
WA_ID = "6281234567890"
BSUID = "ID.4839201746573820195"
_wamids = itertools.count(1)


def whatsapp_settings(database_url: str, graph_api: FakeGraphAPI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "whatsapp_token": "test-token-not-real",
        "whatsapp_phone_number_id": PHONE_NUMBER_ID,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_api_base_url": graph_api.base_url,
        "whatsapp_messages_per_second": 1000.0,
    }
    return Settings(_env_file=None, **(values | overrides))


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_webhook(client: httpx.AsyncClient, body: bytes, *, signature: str | None = "sign") -> httpx.Response:
    """POST raw bytes as Meta does; `signature="sign"` signs them, None sends no signature header."""
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = sign(body) if signature == "sign" else signature
    return await client.post(WEBHOOK_PATH, content=body, headers=headers)


@asynccontextmanager
async def whatsapp_client(runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, WhatsAppChannel]]:
    """The channel's routes on a test app, its sender registered with the outbox worker, started."""
    channel = WhatsAppChannel(runtime)
    app = FastAPI()
    app.state.runtime = runtime
    errors.install(app)
    assert channel.router is not None
    app.include_router(channel.router)
    runtime.delivery.register(channel.sender)
    await channel.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, channel
    finally:
        await channel.stop()


def message_payload(message: dict[str, Any], *, wa_id: str | None = WA_ID, bsuid: str | None = BSUID) -> bytes:
    """A `messages` webhook carrying one message from the citizen (text fixture as the template)."""
    payload = json.loads(fixture_bytes("whatsapp_webhook_text.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    contact: dict[str, Any] = {"profile": {"name": "Warga Uji"}}
    if wa_id:
        contact["wa_id"] = wa_id
    if bsuid:
        contact["user_id"] = bsuid
    value["contacts"] = [contact]
    body = {"id": f"wamid.TEST{next(_wamids):06d}", "timestamp": "1767225600", **message}
    if wa_id:
        body["from"] = wa_id
    if bsuid:
        body["from_user_id"] = bsuid
    value["messages"] = [body]
    return json.dumps(payload).encode()


def status_payload(wamid: str, status: str, *, error_code: int | None = None) -> bytes:
    """A status webhook for a message we sent (delivered fixture as the template)."""
    payload = json.loads(fixture_bytes("whatsapp_webhook_status_delivered.json"))
    entry = copy.deepcopy(payload["entry"][0]["changes"][0]["value"]["statuses"][0])
    entry.update(id=wamid, status=status, recipient_id=WA_ID)
    if error_code is not None:
        entry.pop("conversation", None)
        entry.pop("pricing", None)
        entry["errors"] = [{"code": error_code, "title": "Re-engagement message" if error_code == 131047 else "Error"}]
    payload["entry"][0]["changes"][0]["value"]["statuses"] = [entry]
    return json.dumps(payload).encode()


class Citizen:
    """A WhatsApp user who types and taps; each step returns the messages the service sent back."""

    def __init__(self, client: httpx.AsyncClient, runtime: Runtime, graph_api: FakeGraphAPI, **identity: Any) -> None:
        self.client = client
        self.runtime = runtime
        self.graph_api = graph_api
        self.identity = identity

    async def send(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        response = await post_webhook(self.client, message_payload(message, **self.identity))
        assert response.status_code == 200, response.text
        await self.runtime.delivery.drain_once()
        return self.graph_api.take_messages()

    async def text(self, body: str) -> list[dict[str, Any]]:
        return await self.send({"type": "text", "text": {"body": body}})

    async def tap_button(self, choice_id: str, title: str = "x") -> list[dict[str, Any]]:
        reply = {"type": "button_reply", "button_reply": {"id": choice_id, "title": title}}
        return await self.send({"type": "interactive", "interactive": reply})

    async def pick_row(self, choice_id: str, title: str = "x") -> list[dict[str, Any]]:
        reply = {"type": "list_reply", "list_reply": {"id": choice_id, "title": title}}
        return await self.send({"type": "interactive", "interactive": reply})

    async def location(self, latitude: float, longitude: float) -> list[dict[str, Any]]:
        return await self.send({"type": "location", "location": {"latitude": latitude, "longitude": longitude}})

    async def photo(self, media_id: str, content: bytes | None = None) -> list[dict[str, Any]]:
        """A photo; the fake Graph API serves `content` (a small JPEG unless given) under `media_id`."""
        self.graph_api.media[media_id] = jpeg() if content is None else content
        image = {"id": media_id, "mime_type": "image/jpeg", "sha256": "abc="}
        return await self.send({"type": "image", "image": image})

    async def document(self, media_id: str, content: bytes, *, filename: str, mime_type: str) -> list[dict[str, Any]]:
        """A file sent as a document (a photo in full quality, or anything else)."""
        self.graph_api.media[media_id] = content
        document = {"id": media_id, "filename": filename, "mime_type": mime_type, "sha256": "abc="}
        return await self.send({"type": "document", "document": document})


def interactive_kind(message: dict[str, Any]) -> str:
    """ "text", "button", "list", "location_request_message" or "template"."""
    if message["type"] == "interactive":
        return message["interactive"]["type"]
    return message["type"]


def offered_ids(message: dict[str, Any]) -> list[str]:
    """The choice ids a button or list message offers."""
    interactive = message["interactive"]
    if interactive["type"] == "button":
        return [b["reply"]["id"] for b in interactive["action"]["buttons"]]
    return [row["id"] for section in interactive["action"]["sections"] for row in section["rows"]]


def body_text(message: dict[str, Any]) -> str:
    if message["type"] == "text":
        return message["text"]["body"]
    return message["interactive"]["body"]["text"]


def assert_within_limits(message: dict[str, Any]) -> None:
    """Meta's limits for what we send: text 4096; body 1024; 3 buttons of 20; 10 rows of 24/72."""
    if message["type"] == "text":
        assert len(message["text"]["body"]) <= 4096
        return
    if message["type"] != "interactive":
        return
    interactive = message["interactive"]
    assert 0 < len(interactive["body"]["text"]) <= 1024
    action = interactive["action"]
    if interactive["type"] == "button":
        titles = [b["reply"]["title"] for b in action["buttons"]]
        assert 1 <= len(titles) <= 3 and all(0 < len(t) <= 20 for t in titles) and len(set(titles)) == len(titles)
    elif interactive["type"] == "list":
        assert 0 < len(action["button"]) <= 20
        rows = [row for section in action["sections"] for row in section["rows"]]
        assert 1 <= len(rows) <= 10
        assert all(len(s["title"]) <= 24 for s in action["sections"])
        assert all(0 < len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
