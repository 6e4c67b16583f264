"""First contact counts when the counselor's message reached the citizen, not when it was written.

An urgent KDRT request from the web chat at 21:00 WIB whose citizen chose "Pagi": the counselor writes
at 22:30 from the dashboard. The message waits for 08:00 and then for the citizen's "aman"; meanwhile
the request page says so, the SLA clock and the claim lapse keep running, and at the first-contact
deadline (01:00) the coordinators are alerted as for a missed claim. When it arrives at 08:05 first
contact is recorded then, and the response-time export measures to it. Through the real form, services,
scheduler and dashboard (HTTP), on both engines. Telegram and WhatsApp: tests/delivery/test_first_contact_delivery.py.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.services.claims import claim_request
from storage.casework import first_event
from storage.models import Request, RequestEvent, ResponseTime
from storage.outbox import messages_after
from tests.helpers.casework import counseling_request, outbox_texts
from tests.helpers.chat import Chat
from tests.helpers.dashboard import login
from tests.helpers.reports import report_app
from tests.helpers.staff import as_staff, link_on_telegram, make_staff

pytestmark = pytest.mark.clock(sql=True)  # pinned moments; the export's dates pass through SQL

WIB = ZoneInfo("Asia/Jakarta")
CREATED = datetime(2026, 12, 6, 21, 0, tzinfo=WIB)  # a Sunday night; first contact due 01:00, lapse 01:10
WRITTEN = datetime(2026, 12, 6, 22, 30, tzinfo=WIB)
MORNING = datetime(2026, 12, 7, 8, 0, tzinfo=WIB)  # "Pagi" opens
P2TP2A = "p2tp2a-kota-serang"
FIRST = "Ibu, saya Siti dari layanan. Kapan kita bisa bicara?"
ALERT = "Batas waktu kontak pertama terlewati: tiket {code}"


@asynccontextmanager
async def _dashboard(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app as served, without its lifespan: no scheduler ticks behind the test's pinned clock."""
    transport = httpx.ASGITransport(app=report_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _page(client: httpx.AsyncClient, request: Request) -> str:
    """The request page's text as a reader sees it: tags dropped, entities read, spaces collapsed."""
    answer = await client.get(f"/dashboard/requests/{request.id}")
    assert answer.status_code == 200, answer.status_code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


def _run_due_at(runtime: Runtime, moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        runtime.due_work.run_due()


def _thread(runtime: Runtime, request: Request) -> list[str]:
    """What the citizen's web chat page shows (held messages never are)."""
    with Session(runtime.db) as session:
        return [m.payload["text"] for m in messages_after(session, contact_id=request.contact_id, after_id=0)]


def _first_contact(runtime: Runtime, request: Request) -> RequestEvent | None:
    with Session(runtime.db) as session:
        return first_event(session, request_id=request.id, kind="first_contact")


async def test_a_message_waiting_for_the_morning_does_not_stop_the_clock(runtime: Runtime) -> None:
    citizen = Chat(runtime.engine, user_id="warga-malam")
    with time_machine.travel(CREATED, tick=False):
        request = counseling_request(citizen, topic="kdrt", contact_time="morning")
        siti = make_staff(runtime, "siti", queues=(P2TP2A,))
        coordinator = make_staff(runtime, "koord", role="coordinator", region="kota-serang")
        coordinator_chat = link_on_telegram(runtime, coordinator, user_id="tg-koord")
    with time_machine.travel(CREATED + timedelta(minutes=10), tick=False):
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    alert = ALERT.format(code=request.ticket_code)

    async with _dashboard(runtime) as client:
        with time_machine.travel(WRITTEN, tick=False):
            token = await login(client, "siti")
            posted = await client.post(
                f"/dashboard/requests/{request.id}/message", data={"csrf_token": token, "text": FIRST}
            )
            assert posted.status_code == 303, posted.text
            runtime.due_work.run_due()
            page = await _page(client, request)
        assert "Pesan disimpan" in page and "Pesan dikirim ke warga" not in page
        assert f"{FIRST}" in page and "menunggu waktu aman (dikirim mulai Senin, 7 Des 2026 08.00 WIB)" in page
        assert _first_contact(runtime, request) is None  # written is not contacted: the clock runs on

        _run_due_at(runtime, CREATED + timedelta(hours=4) - timedelta(minutes=1))
        assert not any(alert in text for text in outbox_texts(runtime, coordinator_chat))
        _run_due_at(runtime, CREATED + timedelta(hours=4, minutes=15))  # past the deadline and the lapse
        assert any(alert in text for text in outbox_texts(runtime, coordinator_chat))
        with Session(runtime.db) as session:
            assert session.get(Request, request.id).status == "new"  # the claim lapsed: nothing reached her

        _run_due_at(runtime, MORNING)  # the question goes; the message waits for "aman"
        with time_machine.travel(MORNING + timedelta(minutes=1), tick=False):
            page = await _page(client, request)
        assert 'menunggu waktu aman (dikirim setelah warga menjawab "Aman")' in page
        assert _first_contact(runtime, request) is None

        with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
            citizen.press(f"safe:{request.id}:yes")
            assert any(FIRST in text for text in _thread(runtime, request))  # what her page shows now
            page = await _page(client, request)
        assert "terkirim Senin, 7 Des 2026 08.05 WIB" in page
        assert "Kontak pertama: pesan petugas sampai ke warga" in page
        assert "Batas waktu kontak pertama terlewati" in page  # the breach stays on the timeline

        with time_machine.travel(MORNING + timedelta(minutes=10), tick=False):
            await login(client, "koord")
            exported = (await client.get("/dashboard/exports/metrics.csv")).content.decode("utf-8-sig")
    contact = _first_contact(runtime, request)
    assert contact is not None and contact.at == MORNING + timedelta(minutes=5)
    assert contact.actor == siti.actor
    with Session(runtime.db) as session:
        assert session.get(ResponseTime, request.id).contacted_at == MORNING + timedelta(minutes=5)
        breaches = session.exec(select(RequestEvent).where(RequestEvent.kind == "sla_breach")).all()
    assert [(e.detail["sla"], e.at) for e in breaches] == [("first_contact", CREATED + timedelta(hours=4, minutes=15))]
    header, overall = list(csv.reader(io.StringIO(exported)))[:2]
    assert overall[header.index("Kontak pertama: median (menit)")] == str(11 * 60 + 5)  # 21.00 -> 08.05
