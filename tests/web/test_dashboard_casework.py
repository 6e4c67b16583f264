"""Whose case it is, and the counselor's day, through HTTP as a staff member's browser sends it (issue 17).

One rule set (bot/services/case_rules.py): a counselor cannot act on a colleague's case (403, the holder
named); a coordinator can, with a reason that goes into the history while the holder is told on Telegram.
"Kasus saya", the holder filter, the thread a page asks for as it grows, appointments marked and ended with
the case, and transfers that restart the claim clock in the queue they reach.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.services.case_thread import message_citizen, record_call
from bot.services.claims import claim_request
from bot.sla import sla_deadlines
from storage.casework import request_events
from storage.models import Appointment, AuditLog, CaseMessage, DueWork, Request, RequestNote
from tests.helpers.casework import counseling_request, outbox_texts
from tests.helpers.chat import Chat
from tests.helpers.dashboard import LK3, client, login, seed  # noqa: F401 (client is a fixture)
from tests.helpers.staff import as_staff, link_on_telegram, make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
TICKET_LINK = re.compile(r'class="ticket" href="/dashboard/requests/(\d+)">([A-Z0-9-]+)<')


def load(runtime: Runtime, request_id: int) -> Request:
    with Session(runtime.db) as session:
        return session.get(Request, request_id)


async def post(client: httpx.AsyncClient, token: str, url: str, **form: str) -> httpx.Response:
    """A form POST; after a redirect, the page it leads to (with its notice)."""
    answer = await client.post(url, data={"csrf_token": token, **form})
    return await client.get(answer.headers["location"]) if answer.status_code == 303 else answer


async def test_a_colleagues_case_is_refused_and_a_coordinator_acts_with_a_reason(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = seed(runtime, contact=True, contact_way="chat")
    siti = make_staff(runtime, "siti", queues=(LK3,))
    make_staff(runtime, "rina", queues=(LK3,))
    budi = make_staff(runtime, "budi", role="coordinator", region="kota-serang")
    siti_chat = link_on_telegram(runtime, siti, user_id="70001")
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    url = f"/dashboard/requests/{request.id}"

    token = await login(client, "rina")
    page = (await client.get(url)).text
    assert "Kasus ini ditangani Siti" in page and 'id="close-outcome"' not in page and 'id="message-text"' not in page
    tomorrow = (datetime.now(WIB) + timedelta(days=1)).date().isoformat()
    for action, form in (
        ("close", {"outcome": "resolved"}),
        ("message", {"text": "Halo Bu"}),
        ("slots", {"date1": tomorrow, "time1": "10:00", "mode1": "office"}),
        ("call", {}),
    ):
        refused = await post(client, token, f"{url}/{action}", **form)
        assert refused.status_code == 403, action
        assert "Tiket ini sedang ditangani Siti" in refused.text and "Bukan kasus Anda" in refused.text
    assert "Catatan disimpan" in (await post(client, token, f"{url}/note", text="Warga juga pernah ke LK3")).text

    token = await login(client, "budi")
    assert "Alasan bertindak atas kasus Siti" in (await client.get(url)).text
    unexplained = await post(client, token, f"{url}/close", outcome="resolved")
    assert "Tuliskan alasan Anda bertindak atas kasus ini; Siti akan diberi tahu" in unexplained.text
    assert load(runtime, request.id).status == "claimed"
    closed = await post(
        client, token, f"{url}/close", outcome="resolved", reason="Siti cuti sakit, warga sudah dibantu"
    )
    assert "Permintaan ditutup" in closed.text
    assert "Bertindak atas kasus yang ditangani Siti: menutup permintaan" in closed.text  # the history
    assert load(runtime, request.id).status == "resolved"
    with Session(runtime.db) as session:
        assert session.exec(select(CaseMessage)).all() == [] and session.exec(select(Appointment)).all() == []
        assert [n.text for n in session.exec(select(RequestNote))] == ["Warga juga pernah ke LK3"]
        acted = [
            (e.actor, e.detail, e.note) for e in request_events(session, request_id=request.id) if e.kind == "acted_for"
        ]
    assert acted == [(budi.actor, {"act": "close", "holder": siti.id}, "Siti cuti sakit, warga sudah dibantu")]
    runtime.due_work.run_due()
    assert outbox_texts(runtime, siti_chat)[-1] == (
        f"Tiket {request.ticket_code} yang Anda tangani: Budi menutup permintaan. Alasan: Siti cuti sakit, warga sudah dibantu"
    )


async def test_my_cases_the_holder_filter_and_the_thread_as_it_grows(
    client: httpx.AsyncClient, runtime: Runtime, chat: Chat
) -> None:
    request = counseling_request(chat)
    siti = make_staff(runtime, "siti", queues=(LK3,))
    rina = make_staff(runtime, "rina", queues=(LK3,))
    make_staff(runtime, "lebak", queues=("lk3-kab-lebak",))
    theirs, waiting, closed = seed(runtime), seed(runtime), seed(runtime, status="resolved")
    for view, case in ((siti, request), (rina, theirs)):
        as_staff(runtime, view, claim_request, request_id=case.id, routing=runtime.routing)
    with Session(runtime.db) as session, session.begin():
        session.get(Request, closed.id).assigned_staff_id = siti.id  # closed: no longer on her desk
    as_staff(runtime, siti, message_citizen, request_id=request.id, text="Selamat pagi, Bu. Kapan bisa ditelepon?")

    await login(client, "siti")
    url = f"/dashboard/requests/{request.id}"
    shown = re.search(r'id="thread-list"[^>]*data-after="(\d+)"', (await client.get(url)).text)
    chat.send("Sore saja bu, setelah jam 4")  # the citizen answers while the page is open
    mine = (await client.get("/dashboard/cases")).text
    assert [code for _id, code in TICKET_LINK.findall(mine)] == [request.ticket_code]
    assert "Ada balasan warga" in mine

    listed = (await client.get("/dashboard/requests", params={"holder": str(siti.id)})).text
    assert {code for _id, code in TICKET_LINK.findall(listed)} == {request.ticket_code, closed.ticket_code}
    unheld = (await client.get("/dashboard/requests", params={"holder": "none"})).text
    assert [code for _id, code in TICKET_LINK.findall(unheld)] == [waiting.ticket_code]
    everyone = (await client.get("/dashboard/requests")).text
    card = everyone.split(f">{theirs.ticket_code}<")[1].split("</li>")[0]
    assert 'Ditangani oleh: <span class="holder">Rina</span>' in card

    fresh = (await client.get(f"{url}/thread", params={"after": shown.group(1)})).json()["messages"]
    assert [(m["author"], m["text"], m["outgoing"]) for m in fresh] == [("Warga", "Sore saja bu, setelah jam 4", False)]
    assert (await client.get(f"{url}/thread", params={"after": str(fresh[0]["id"])})).json() == {"messages": []}
    with Session(runtime.db) as session:
        polls = [
            a.detail
            for a in session.exec(select(AuditLog).where(AuditLog.action == "view_request"))
            if "thread_after" in a.detail
        ]
    assert polls == [{"personal": True, "thread_after": int(shown.group(1))}]  # only the answer that showed words
    await login(client, "lebak")
    assert (await client.get(f"{url}/thread", params={"after": "0"})).status_code == 404


def _appointments(runtime: Runtime) -> list[Appointment]:
    with Session(runtime.db) as session:
        return list(session.exec(select(Appointment).order_by(Appointment.id)))


async def test_appointments_are_marked_withdrawn_and_end_with_the_case(
    client: httpx.AsyncClient, runtime: Runtime, chat: Chat
) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=WIB), tick=False) as traveller:  # a Tuesday
        request = counseling_request(chat)
        siti = make_staff(runtime, "siti", queues=(LK3,))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        token = await login(client, "siti")
        url = f"/dashboard/requests/{request.id}"
        await post(
            client,
            token,
            f"{url}/slots",
            date1="2026-11-25",
            time1="10:00",
            mode1="office",
            date2="2026-11-25",
            time2="13:00",
            mode2="phone",
        )
        picked, _other = _appointments(runtime)
        chat.press(f"appt:{picked.id}")
        assert "dikonfirmasi" in chat.text
        assert [a.status for a in _appointments(runtime)] == ["confirmed", "withdrawn"]
        page = (await client.get(url)).text
        assert "Tidak dipilih warga" in page and "Ditawarkan" not in page and "/mark" not in page  # not yet

        traveller.move_to(datetime(2026, 11, 25, 11, 30, tzinfo=WIB))  # the meeting took place
        token = await login(client, "siti")  # a new working day, a new login
        marked = await post(client, token, f"{url}/appointments/{picked.id}/mark", status="done")
        assert "Janji temu dicatat" in marked.text and "Janji temu terlaksana" in marked.text
        await post(client, token, f"{url}/slots", date1="2026-11-27", time1="10:00", mode1="home")
        coming = _appointments(runtime)[-1]
        chat.press(f"appt:{coming.id}")
        closed = await post(client, token, f"{url}/close", outcome="resolved", note="Sudah dikunjungi")
        assert "Permintaan ditutup" in closed.text
        assert [a.status for a in _appointments(runtime)] == ["done", "withdrawn", "cancelled"]
        with Session(runtime.db) as session:
            work = {
                w.dedupe_key: w.state
                for w in session.exec(select(DueWork))
                if w.dedupe_key.split(":")[0] in ("reminder", "staff_reminder", "feedback")
                and w.dedupe_key.split(":")[1] == str(coming.id)
            }
        assert work and set(work.values()) == {"dropped"}, work

        for reminder_due in (datetime(2026, 11, 26, 10, 1, tzinfo=WIB), datetime(2026, 11, 27, 8, 1, tzinfo=WIB)):
            traveller.move_to(reminder_due)  # 24 h and 2 h before the meeting that no longer is
            runtime.due_work.run_due()
    texts = outbox_texts(runtime, request.contact_id)
    assert any("sudah selesai ditangani" in t for t in texts)
    assert not any(t.startswith("Pengingat") for t in texts), texts


async def test_a_transfer_tells_the_queue_it_reaches_and_restarts_the_claim_clock(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    moment = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # a Tuesday morning
    with time_machine.travel(moment, tick=False):
        request = seed(runtime, contact=True, contact_way="chat", created_at=moment - timedelta(days=3))  # long due
        siti = make_staff(runtime, "siti", queues=(LK3,))
        andi = make_staff(runtime, "andi", queues=("p2tp2a-kota-serang",))
        andi_chat = link_on_telegram(runtime, andi, user_id="70002")
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        as_staff(runtime, siti, record_call, request_id=request.id)  # in progress now
        token = await login(client, "siti")
        moved = await client.post(
            f"/dashboard/requests/{request.id}/transfer",
            data={"csrf_token": token, "target": "queue:p2tp2a-kota-serang", "reason": "Ternyata ada kekerasan"},
        )
        assert moved.headers["location"] == "/dashboard/requests"
        runtime.due_work.run_due()
    due = sla_deadlines("normal", moment, runtime.routing.sla, runtime.routing.calendar).claim_due
    with Session(runtime.db) as session:
        now_there = session.get(Request, request.id)
        assert (now_there.queue_code, now_there.status, now_there.claim_due_at) == ("p2tp2a-kota-serang", "new", due)
        [check] = session.exec(select(DueWork).where(DueWork.dedupe_key == f"sla_claim:{request.id}")).all()
        assert (check.state, check.due_at) == ("pending", due)  # the new queue's breach check, at its deadline
        transfer = request_events(session, request_id=request.id)[-1]
    assert (transfer.from_status, transfer.to_status, transfer.detail["to_queue"]) == (
        "in_progress",
        "new",
        "p2tp2a-kota-serang",
    )
    assert outbox_texts(runtime, andi_chat)[-1] == (
        f"Tiket {request.ticket_code} dialihkan ke antrean UPTD PPA (P2TP2A) "
        "Kota Serang oleh Siti dan menunggu klaim. Ketik /antrian untuk melihatnya."
    )
