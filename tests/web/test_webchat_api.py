"""The web chat JSON API as the page uses it, on both engines."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import Session, func, select

from bot.domain.photos import MAX_PHOTO_BYTES, MAX_PHOTO_MB
from bot.runtime import Runtime
from storage.models import Contact, Request, StoredPhoto
from tests.helpers.app_client import client  # noqa: F401 (a fixture)
from tests.helpers.images import gif, jpeg


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
        {"choice": "menu:lapor"},
        {"text": "anak jalanan"},
        {"choice": "reg:kota-serang"},
        {"text": "kasemen"},
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


async def test_a_photo_is_uploaded_through_the_same_checks_as_any_channel(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The file is the body; what it says it is decides nothing; a refusal is an answer in the chat."""
    session_id = (await client.post("/api/webchat/sessions")).json()["session_id"]
    for body in (
        {"choice": "menu:lapor"},
        {"text": "anak jalanan"},
        {"choice": "reg:kota-serang"},
        {"text": "kasemen"},
        {"text": "depan pasar rau"},
    ):
        await _send(client, session_id, **body)
    asked = await _send(client, session_id, text="anak kecil tidur di trotoar")
    assert asked[-1]["request_photo"] is True  # the page shows its photo button
    url = f"/api/webchat/sessions/{session_id}/photos"
    t = runtime.catalog.text

    async def upload(data: bytes, **params: str) -> list[dict]:
        response = await client.post(url, content=data, params=params, headers={"content-type": "image/jpeg"})
        assert response.status_code == 200, response.text
        return response.json()["replies"]

    assert (await upload(gif()))[0]["text"].startswith(t("id", "sighting.photo_refused_not_a_photo"))
    over = await upload(b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024))  # past MAX_BODY_BYTES too: no 413
    assert over[0]["text"].startswith(t("id", "sighting.photo_refused_too_large", max_mb=5))
    absurd = await client.post(url, content=b"x", headers={"content-length": "9" * 5000})  # not even read
    assert absurd.json()["replies"][0]["text"].startswith(t("id", "sighting.photo_refused_too_large", max_mb=5))
    taken = await upload(jpeg(), client_message_id="photo-0001")
    assert taken[0]["text"] == t("id", "sighting.photo_received", count=1, max=3)
    assert [c["id"] for c in taken[0]["choices"]] == ["photo:another", "photo:done"]
    assert await upload(jpeg(), client_message_id="photo-0001") == []  # a retried upload is taken once
    assert (await client.post("/api/webchat/sessions/" + "C" * 32 + "/photos", content=jpeg())).status_code == 404
    for body in (
        {"choice": "photo:done"},
        {"choice": "contact:anonymous"},
        {"choice": "consent:yes"},
        {"choice": "confirm:send"},
    ):
        await _send(client, session_id, **body)
    with Session(runtime.db) as session:
        request, photo = session.exec(select(Request)).one(), session.exec(select(StoredPhoto)).one()
    assert request.photo_refs == [f"photo:{photo.id}"] and photo.request_id == request.id


async def test_page_is_served_in_indonesian_with_local_assets(client: httpx.AsyncClient, runtime: Runtime) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and 'lang="id"' in page.text
    texts = json.loads(page.text.split('<script type="application/json" id="texts">', 1)[1].split("</script>", 1)[0])
    too_large = runtime.catalog.text("id", "sighting.photo_refused_too_large", max_mb=MAX_PHOTO_MB)
    assert texts["photo_too_large"] == too_large and f'data-max-photo-bytes="{MAX_PHOTO_BYTES}"' in page.text
    assert "Layanan PMKS" in page.text and "http" not in page.text.split("<body", 1)[0].replace("http-equiv", "")
    assert (await client.get("/static/webchat.js")).status_code == 200
    assert (await client.get("/?lang=en")).text.count("Banten PMKS") >= 1
