"""The web chat JSON API as the page uses it, on both engines."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, func, select

from bot.runtime import Runtime
from storage.models import Contact, Request
from tests.helpers.app_client import client  # noqa: F401 (a fixture)


async def _send(client: httpx.AsyncClient, session_id: str, **body) -> list[dict]:
    response = await client.post(f"/api/webchat/sessions/{session_id}/messages", json=body)
    assert response.status_code == 200, response.text
    return response.json()["replies"]


async def test_whole_report_over_http_and_history_after_reload(client: httpx.AsyncClient, runtime: Runtime) -> None:
    created = await client.post("/api/webchat/sessions", json={})
    assert created.status_code == 201
    session_id = created.json()["session_id"]
    greeting = created.json()["replies"]
    assert greeting[0]["text"].startswith("Halo!") and greeting[1]["choices"][0]["id"] == "menu:lapor"
    for body in (
        {"choice": "menu:lapor"}, {"text": "anak jalanan"}, {"choice": "reg:kota-serang"}, {"text": "kasemen"},
    ):
        await _send(client, session_id, **body)
    place = await _send(client, session_id, location={"latitude": -6.05, "longitude": 106.17})
    assert "Ceritakan" in place[0]["text"]
    await _send(client, session_id, text="anak kecil tidur di trotoar")
    await _send(client, session_id, choice="skip")
    await _send(client, session_id, choice="contact:anonymous")
    await _send(client, session_id, choice="consent:yes")
    done = await _send(client, session_id, choice="confirm:send")
    assert "Kode tiket" in done[0]["text"]
    last_seq = done[-1]["seq"]
    history = (await client.get(f"/api/webchat/sessions/{session_id}/messages", params={"after": 0})).json()["replies"]
    assert [r["seq"] for r in history] == sorted(r["seq"] for r in history) and history[-1]["seq"] == last_seq
    assert (await client.get(f"/api/webchat/sessions/{session_id}/messages", params={"after": last_seq})).json() == {
        "replies": []
    }
    with Session(runtime.db) as session:
        assert session.exec(select(Request)).one().queue_code == "dinsos-kota-serang"
        # the database never holds the session id itself, only its hash
        assert session.exec(select(Contact)).one().platform_user_id != session_id


async def test_retried_send_with_same_client_id_is_processed_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
    first = await _send(client, session_id, choice="menu:lapor", client_message_id="retry-0001")
    again = await _send(client, session_id, choice="menu:lapor", client_message_id="retry-0001")
    assert first and again == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "exactly one"),
        ({"text": "a", "choice": "b"}, "exactly one"),
        ({"location": {"latitude": 200, "longitude": 0}}, "latitude"),
        ({"text": 5}, "text"),
    ],
)
async def test_malformed_bodies_get_readable_422(client: httpx.AsyncClient, body: dict, fragment: str) -> None:
    session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
    response = await client.post(f"/api/webchat/sessions/{session_id}/messages", json=body)
    assert response.status_code == 422 and fragment in response.json()["detail"]


async def test_unknown_or_forged_session_is_404(client: httpx.AsyncClient) -> None:
    for session_id in ("x", "A" * 32, "../../etc/passwd"):
        response = await client.post(f"/api/webchat/sessions/{session_id}/messages", json={"text": "halo"})
        assert response.status_code == 404
    assert (await client.get("/api/webchat/sessions/" + "B" * 32 + "/messages")).status_code == 404


async def test_oversized_body_is_413_and_stores_nothing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
    response = await client.post(
        f"/api/webchat/sessions/{session_id}/messages",
        content=b'{"text": "' + b"a" * 300_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    with Session(runtime.db) as session:
        assert session.exec(select(func.count()).select_from(Request)).one() == 0


async def test_page_is_served_in_indonesian_with_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and 'lang="id"' in page.text
    assert "Layanan PMKS" in page.text and "http" not in page.text.split("<body", 1)[0].replace("http-equiv", "")
    assert (await client.get("/static/webchat.js")).status_code == 200
    assert (await client.get("/?lang=en")).text.count("Banten PMKS") >= 1
