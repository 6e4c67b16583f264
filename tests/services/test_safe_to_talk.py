""" "Apakah aman untuk bicara sekarang?" before a counselor's first message in an urgent case.

Through the real services, engine, scheduler and dashboard: what the citizen's chat shows (for the web
chat, what its page reads from the outbox; for Telegram, what the delivery worker may claim), what the
counselor is told on Telegram, and what the request page says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlmodel import Session

from bot.messages import Channel
from bot.runtime import Runtime
from bot.services.case_thread import message_citizen
from bot.services.claims import claim_request
from bot.services.staff_accounts import new_link_code
from storage.delivery import claim_due_messages
from storage.models import Contact, OutboxMessage, Request, Staff
from storage.outbox import mark_fetched, messages_after
from tests.helpers.chat import Chat
from tests.helpers.dashboard import client, login  # noqa: F401 (client is a fixture)
from tests.helpers.reports import submit
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

P2TP2A = "p2tp2a-kota-serang"
QUESTION = "Pesan dari layanan Dinas Sosial. Apakah aman untuk bicara sekarang?"
FIRST = "Ibu, saya Siti dari layanan. Kapan kita bisa bicara?"


def _urgent_case(runtime: Runtime) -> tuple[Request, Chat]:
    """A domestic-violence counseling request (urgent, P2TP2A) and its web chat citizen, who said contact is safe
    now (a safe time still to come makes everything wait: tests/services/test_safe_time.py)."""
    request = submit(runtime, at=datetime.now(UTC), region="kota-serang", topic="kdrt", contact_time="now")
    assert request.urgency == "urgent" and request.queue_code == P2TP2A
    with Session(runtime.db) as session:
        user_id = session.get(Contact, request.contact_id).platform_user_id
    return request, Chat(runtime.engine, user_id=user_id)


def _linked_counselor(runtime: Runtime, username: str = "siti"):
    view = make_staff(runtime, username, queues=(P2TP2A,))
    telegram = Chat(runtime.engine, user_id=f"tg-{username}", channel=Channel.TELEGRAM)
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        code = new_link_code(session, staff=session.get(Staff, view.id), now=datetime.now(UTC))
    telegram.send(f"/tautkan {code}")
    with Session(runtime.db) as session:
        return view, session.get(Staff, view.id).telegram_contact_id


def _web_chat_shows(runtime: Runtime, contact_id: int) -> list[OutboxMessage]:
    """What the citizen's web chat page reads (GET .../messages?after=0); read, it no longer counts as unread."""
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        shown = messages_after(session, contact_id=contact_id, after_id=0)
        mark_fetched(session, ids=[m.id for m in shown], now=datetime.now(UTC))
        return shown


def _texts(runtime: Runtime, contact_id: int) -> list[str]:
    return [m.payload["text"] for m in _web_chat_shows(runtime, contact_id)]


async def test_urgent_case_asks_first_holds_on_later_and_sends_on_safe(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    request, citizen = _urgent_case(runtime)
    siti, siti_telegram = _linked_counselor(runtime)
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    as_staff(runtime, siti, message_citizen, request_id=request.id, text=FIRST)
    runtime.due_work.run_due()

    shown = _web_chat_shows(runtime, request.contact_id)
    assert shown[-1].payload["text"] == QUESTION
    assert [c["id"] for c in shown[-1].payload["choices"]] == [f"safe:{request.id}:yes", f"safe:{request.id}:later"]
    assert [c["label"] for c in shown[-1].payload["choices"]] == ["Aman", "Nanti saja"]
    assert not any(FIRST in text for text in _texts(runtime, request.contact_id))

    citizen.press(f"safe:{request.id}:later")
    assert "pesan petugas kami simpan dulu" in citizen.text
    assert citizen.choice_ids == [f"safe:{request.id}:yes"]  # "aman" can be pressed whenever it is safe
    assert any(
        f"Tiket {request.ticket_code}: warga meminta menunggu" in text for text in _texts(runtime, siti_telegram)
    )
    token = await login(client, "siti")
    page = (await client.get(f"/dashboard/requests/{request.id}")).text
    assert "Warga meminta menunggu (belum aman untuk bicara); pesan petugas ditahan" in page

    citizen.send("siapa ini?")  # writing again does not release it: only "aman" does
    answer = await client.post(
        f"/dashboard/requests/{request.id}/message", data={"csrf_token": token, "text": "Saya tunggu kabar Ibu."}
    )
    notice = (await client.get(answer.headers["location"])).text
    assert "Pesan disimpan. Kasus mendesak: warga ditanya dulu apakah aman untuk bicara" in notice
    runtime.due_work.run_due()
    texts = _texts(runtime, request.contact_id)
    assert not any(FIRST in t or "Saya tunggu kabar Ibu." in t for t in texts)
    assert texts.count(QUESTION) == 1  # asked once, not on every message

    before = max(m.id for m in _web_chat_shows(runtime, request.contact_id))
    citizen.press(f"safe:{request.id}:yes")
    assert "Pesan dari petugas kami kirimkan sekarang" in citizen.text
    with Session(runtime.db) as session:  # the page asks for what is newer than it last showed
        newer = [m.payload["text"] for m in messages_after(session, contact_id=request.contact_id, after_id=before)]
    assert FIRST in newer[0] and "Saya tunggu kabar Ibu." in newer[1] and "kami kirimkan sekarang" in newer[2]

    as_staff(runtime, siti, message_citizen, request_id=request.id, text="Besok jam 10 bisa, Bu?")
    runtime.due_work.run_due()
    texts = _texts(runtime, request.contact_id)
    assert "Besok jam 10 bisa, Bu?" in texts[-1] and texts.count(QUESTION) == 1
    page = (await client.get(f"/dashboard/requests/{request.id}")).text
    assert "Warga menjawab aman untuk bicara; pesan petugas dikirim" in page


def test_held_message_is_never_claimed_for_sending_on_telegram(runtime: Runtime) -> None:
    request = submit(runtime, at=datetime.now(UTC), region="kota-serang", topic="kdrt", contact_time="now")
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        contact = session.get(Contact, request.contact_id)
        contact.channel, contact.platform_user_id = Channel.TELEGRAM.value, "880011"
    citizen = Chat(runtime.engine, user_id="880011", channel=Channel.TELEGRAM)
    siti = make_staff(runtime, "siti", queues=(P2TP2A,))
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    as_staff(runtime, siti, message_citizen, request_id=request.id, text=FIRST)
    runtime.due_work.run_due()

    def sendable() -> list[str]:
        """Everything the delivery worker would send to the citizen, in order, marking each as sent."""
        texts = []
        with Session(runtime.db) as session, session.begin():
            while claimed := claim_due_messages(
                session,
                channel="telegram",
                now=datetime.now(UTC) + timedelta(seconds=1),
                limit=10,
                lease=timedelta(minutes=1),
                chat_spacing=timedelta(0),
            ):
                for message in claimed:
                    session.get(OutboxMessage, message.id).status = "sent"
                    texts += [message.payload["text"]] if message.contact_id == request.contact_id else []
        return texts

    sent = sendable()
    assert QUESTION in sent and not any(FIRST in text for text in sent)
    citizen.press(f"safe:{request.id}:later")
    citizen.send("nanti ya")
    assert not any(FIRST in text for text in sendable())
    citizen.press(f"safe:{request.id}:yes")
    sent = sendable()
    assert FIRST in sent[0] and "kami kirimkan sekarang" in sent[1]


def test_a_stranger_cannot_answer_for_the_citizen(runtime: Runtime) -> None:
    request, _ = _urgent_case(runtime)
    siti = make_staff(runtime, "siti", queues=(P2TP2A,))
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    as_staff(runtime, siti, message_citizen, request_id=request.id, text=FIRST)
    runtime.due_work.run_due()
    stranger = Chat(runtime.engine, user_id="someone-else")
    stranger.start()
    stranger.press(f"safe:{request.id}:yes")
    assert "sudah tidak berlaku" in stranger.text
    assert not any(FIRST in text for text in _texts(runtime, request.contact_id))


@time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta")), tick=False)
def test_normal_case_is_not_asked(runtime: Runtime) -> None:
    request = submit(runtime, at=datetime.now(UTC), region="kota-serang", topic="konflik_keluarga")
    rina = make_staff(runtime, "rina", queues=("lk3-kota-serang",))
    as_staff(runtime, rina, claim_request, request_id=request.id, routing=runtime.routing)
    as_staff(runtime, rina, message_citizen, request_id=request.id, text=FIRST)
    runtime.due_work.run_due()  # a Tuesday morning: within the citizen's contact times
    texts = _texts(runtime, request.contact_id)
    assert FIRST in texts[-1] and QUESTION not in texts
