"""Issue 16 point 4 over the web chat API: a session that outlives a closed tab, ends when the citizen
says so or after 90 days unused, shows what was written while no page was open, and `status KODE` of
someone else's ticket (state only, limited per network address). On both engines."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.services.case_thread import message_citizen
from bot.services.claims import claim_request
from bot.services.webchat_sessions import new_session_token, session_key
from storage.models import Contact, OutboxMessage, Queue, Request
from tests.helpers.app_client import client  # noqa: F401 (a fixture)
from tests.helpers.casework import deliver_citizen_updates
from tests.helpers.chat import TICKET
from tests.helpers.database_scan import traces
from tests.helpers.reports import submit
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # sessions end after days unused; counselor messages wait out quiet hours

COUNSELOR_SAYS = "Selamat siang, saya Siti. Kapan Ibu bisa kami telepon?"


async def _send(client: httpx.AsyncClient, session_id: str, **body) -> list[dict]:
    response = await client.post(f"/api/webchat/sessions/{session_id}/messages", json=body)
    assert response.status_code == 200, response.text
    return response.json()["replies"]


async def _read(client: httpx.AsyncClient, session_id: str, after: int = 0) -> list[dict]:
    response = await client.get(f"/api/webchat/sessions/{session_id}/messages", params={"after": after})
    assert response.status_code == 200, response.text
    return response.json()["replies"]


async def _new_session(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/webchat/sessions", json={})
    assert created.status_code == 201
    return created.json()["session_id"]


def _on_the_web(runtime: Runtime, request: Request) -> str:
    """The request's citizen as a web chat page holding a session id (the request made through intake)."""
    token = new_session_token()
    with Session(runtime.db) as session, session.begin():
        session.get(Contact, request.contact_id).platform_user_id = session_key(token)
    return token


def _handled_by(runtime: Runtime, request: Request) -> str:
    """The queue's name: the owner's full answer says who handles the ticket."""
    with Session(runtime.db) as session:
        return session.get(Queue, request.queue_code).name


def _claimed_and_written_to(runtime: Runtime, request: Request, text: str = COUNSELOR_SAYS) -> None:
    siti = make_staff(runtime, "siti", queues=(request.queue_code,))
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    as_staff(runtime, siti, message_citizen, request_id=request.id, text=text)
    deliver_citizen_updates(runtime)


async def test_the_database_holds_only_the_hash_and_ending_the_session_replaces_even_that(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    session_id = await _new_session(client)
    await _send(client, session_id, text="halo")
    hashed = hashlib.sha256(session_id.encode()).hexdigest()
    with Session(runtime.db) as session:
        assert session.exec(select(Contact.platform_user_id)).one() == hashed
    assert traces(runtime.db, [session_id]) == []  # in no table, no column, not even encrypted

    ended = await client.delete(f"/api/webchat/sessions/{session_id}")

    assert ended.status_code == 204
    assert traces(runtime.db, [session_id, hashed]) == []
    assert (await client.get(f"/api/webchat/sessions/{session_id}/messages")).status_code == 404
    assert (await client.post(f"/api/webchat/sessions/{session_id}/messages", json={"text": "halo"})).status_code == 404
    assert (await client.delete(f"/api/webchat/sessions/{session_id}")).status_code == 404


async def test_ending_keeps_the_requests_and_nothing_more_is_queued_for_the_ended_chat(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = submit(runtime, at=datetime.now(UTC), region="kota-serang")
    session_id = _on_the_web(runtime, request)
    assert (await client.delete(f"/api/webchat/sessions/{session_id}")).status_code == 204

    _claimed_and_written_to(runtime, request)

    with Session(runtime.db) as session:
        kept = session.get(Request, request.id)
        assert kept.description == "perlu bantuan"  # erasing is /hapusdata's
        assert kept.status == "claimed"  # the counselor's message reached nobody: no first contact
        contact = session.get(Contact, request.contact_id)
        assert contact.unreachable_at is not None and contact.platform_user_id.startswith("ended:")
        texts = [
            m.payload["text"] for m in session.exec(select(OutboxMessage).where(OutboxMessage.contact_id == contact.id))
        ]
    assert not any(COUNSELOR_SAYS in text or "sudah ditangani" in text for text in texts)


async def test_what_staff_wrote_while_no_page_was_open_is_there_when_it_opens_again(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = submit(runtime, at=datetime.now(UTC), region="kota-serang")
    session_id = _on_the_web(runtime, request)
    last_seen = max([r["seq"] for r in await _read(client, session_id)], default=0)

    _claimed_and_written_to(runtime, request)  # the browser is closed meanwhile

    reopened = await _read(client, session_id, after=last_seen)
    assert [r["unread"] for r in reopened] == [True, True]
    assert "sudah ditangani petugas" in reopened[0]["text"] and COUNSELOR_SAYS in reopened[1]["text"]
    # Fetched once, they are history like any other message, no longer new.
    again = await _read(client, session_id)
    assert [r["seq"] for r in again][-2:] == [r["seq"] for r in reopened] and not any(r["unread"] for r in again)
    with Session(runtime.db) as session:
        statuses = set(session.exec(select(OutboxMessage.status).where(OutboxMessage.contact_id == request.contact_id)))
    assert statuses == {"delivered"}


async def test_counselor_messages_released_by_aman_reach_the_page_though_queued_before_its_reply(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = submit(runtime, at=datetime.now(UTC), region="kota-serang", topic="kdrt")
    assert request.urgency == "urgent"
    session_id = _on_the_web(runtime, request)
    _claimed_and_written_to(runtime, request)  # held until the citizen says it is safe to talk
    shown = await _read(client, session_id)
    assert not any(COUNSELOR_SAYS in r["text"] for r in shown)

    answer = await _send(client, session_id, choice=f"safe:{request.id}:yes")

    # The page asks for what is newer than the reply it just drew; the released message was queued first.
    later = await _read(client, session_id, after=answer[-1]["seq"])
    assert [COUNSELOR_SAYS in r["text"] for r in later] == [True]
    assert later[0]["seq"] < answer[-1]["seq"]


async def test_a_session_ends_after_90_days_without_the_page_being_opened(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    start = datetime.now(UTC)
    session_id = await _new_session(client)
    with time_machine.travel(start + timedelta(days=89), tick=False):
        assert await _read(client, session_id)  # opened on day 89: 90 more days from here
    with time_machine.travel(start + timedelta(days=89 + 89), tick=False):
        assert await _read(client, session_id)
    with time_machine.travel(start + timedelta(days=89 + 89 + 91), tick=False):
        assert (await client.get(f"/api/webchat/sessions/{session_id}/messages")).status_code == 404
    with Session(runtime.db) as session:
        contact = session.exec(select(Contact)).one()
        assert contact.platform_user_id.startswith("ended:") and contact.unreachable_at is not None


async def test_status_from_another_session_shows_the_state_only(client: httpx.AsyncClient, runtime: Runtime) -> None:
    request = submit(
        runtime,
        at=datetime.now(UTC),
        kind="sighting",
        category="anak_jalanan",
        region="kota-serang",
        description="anak kecil mengamen",
        landmark="depan pasar rau",
        phone="081234567890",
    )
    owner = _on_the_web(runtime, request)
    stranger = await _new_session(client)

    mine = "\n".join(r["text"] for r in await _send(client, owner, text=f"status {request.ticket_code}"))
    theirs = "\n".join(r["text"] for r in await _send(client, stranger, text=f"status {request.ticket_code}"))

    assert _handled_by(runtime, request) == "Dinas Sosial Kota Serang" and "Dinas Sosial Kota Serang" in mine
    assert f"Tiket {request.ticket_code}\nStatus: Diterima, menunggu petugas\nTerakhir diperbarui: " in theirs
    for detail in ("laporan", "Serang", "pasar rau", "mengamen", "0812", "Anak jalanan", "Dinas Sosial"):
        assert detail not in theirs


async def test_lookups_of_others_tickets_are_limited_per_network_address(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """New sessions cost nothing: 20 lookups per address per 10 minutes, whichever sessions make them."""
    request = submit(runtime, at=datetime.now(UTC), region="kota-serang")
    owner = _on_the_web(runtime, request)
    for _ in range(5):  # five sessions, four guesses each: within each session's own limit of five
        guesser = await _new_session(client)
        for code in ("AAA-AAA", "BBB-BBB", "CCC-CCC", "DDD-DDD"):
            assert "tidak ditemukan" in (await _send(client, guesser, text=f"status {code}"))[0]["text"]

    fresh = await _new_session(client)
    refused = (await _send(client, fresh, text=f"status {request.ticket_code}"))[0]["text"]

    assert refused == runtime.catalog.text("id", "status_lookup.too_many", minutes=10)
    assert TICKET.search(refused) is None
    # The reporter's own ticket is never limited.
    own = await _send(client, owner, text=f"status {request.ticket_code}")
    assert any(_handled_by(runtime, request) in r["text"] for r in own)
