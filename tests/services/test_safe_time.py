"""An urgent case waits for the citizen's safe time: nothing unsolicited reaches them outside it.

A KDRT counseling request filed at 22:30 WIB whose citizen chose "Pagi": the claim notice and
"Apakah aman untuk bicara sekarang?" wait until 08:00 WIB, and then go before the messages of the
citizen's other, normal request. "Sekarang aman" lets them go at once. Staff see when the window opens.
Through the real form, services, scheduler and dashboard.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlmodel import Session

from bot.messages import Channel, Reply
from bot.runtime import Runtime
from bot.services.case_thread import message_citizen
from bot.services.claims import claim_request
from bot.services.staff_accounts import new_link_code
from storage.models import Staff
from storage.outbox import messages_after
from tests.helpers.casework import counseling_request
from tests.helpers.chat import Chat
from tests.helpers.dashboard import client, login  # noqa: F401 (client is a fixture)
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # outcome depends on the hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
NIGHT = datetime(2026, 12, 6, 22, 30, tzinfo=WIB)  # a Sunday night
MORNING = datetime(2026, 12, 7, 8, 0, tzinfo=WIB)  # "Pagi" opens: Monday 08.00 WIB
P2TP2A, LK3 = "p2tp2a-kota-serang", "lk3-kota-serang"
QUESTION = "Apakah aman untuk bicara sekarang?"
FIRST = "Ibu, saya Siti dari layanan. Kapan kita bisa bicara?"


def _run_due_at(runtime: Runtime, moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        runtime.due_work.run_due()


def _new_texts(runtime: Runtime, contact_id: int, before: int) -> list[str]:
    """What the citizen's page shows after the first `before` messages (held ones are never shown)."""
    with Session(runtime.db) as session:
        return [m.payload["text"] for m in messages_after(session, contact_id=contact_id, after_id=0)][before:]


def test_urgent_case_waits_for_the_morning_then_goes_first(runtime: Runtime) -> None:
    citizen = Chat(runtime.engine, user_id="warga-pagi")
    with time_machine.travel(NIGHT - timedelta(hours=1), tick=False):
        normal = counseling_request(citizen, topic="konflik_keluarga", contact_time="morning")
    with time_machine.travel(NIGHT, tick=False):
        urgent = counseling_request(citizen, topic="kdrt", contact_time="morning")
        assert urgent.urgency == "urgent" and urgent.contact_times == "morning"
        rina = make_staff(runtime, "rina", queues=(LK3,))
        siti = make_staff(runtime, "siti", queues=(P2TP2A,))
        as_staff(runtime, rina, claim_request, request_id=normal.id, routing=runtime.routing)
        as_staff(runtime, siti, claim_request, request_id=urgent.id, routing=runtime.routing)
        as_staff(runtime, siti, message_citizen, request_id=urgent.id, text=FIRST)
        before = len(_new_texts(runtime, urgent.contact_id, 0))
        runtime.due_work.run_due()

    assert _new_texts(runtime, urgent.contact_id, before) == []  # 22.30: nothing, urgent or not
    _run_due_at(runtime, MORNING - timedelta(minutes=1))
    assert _new_texts(runtime, urgent.contact_id, before) == []
    _run_due_at(runtime, MORNING)
    _run_due_at(runtime, MORNING + timedelta(minutes=2))
    sent = _new_texts(runtime, urgent.contact_id, before)
    assert len(sent) == 3, sent
    assert urgent.ticket_code in sent[0] and "sudah ditangani" in sent[0]  # the urgent request's first
    assert QUESTION in sent[1]
    assert normal.ticket_code in sent[2]
    assert not any(FIRST in text for text in sent)  # the counselor's message still waits for "aman"


def test_safe_now_sends_at_once(runtime: Runtime) -> None:
    citizen = Chat(runtime.engine, user_id="warga-sekarang")
    with time_machine.travel(NIGHT, tick=False):
        request = counseling_request(citizen, topic="kdrt", contact_time="now")
        assert request.contact_times == "now"
        siti = make_staff(runtime, "siti", queues=(P2TP2A,))
        before = len(_new_texts(runtime, request.contact_id, 0))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        as_staff(runtime, siti, message_citizen, request_id=request.id, text=FIRST)
        runtime.due_work.run_due()
    sent = _new_texts(runtime, request.contact_id, before)
    assert "sudah ditangani" in sent[0] and QUESTION in sent[1]


def _time_question(runtime: Runtime, topic: str, *, first: str = "menu:konseling") -> Reply:
    citizen = Chat(runtime.engine, user_id=f"warga-{topic}")
    citizen.start()
    for press in (first, f"topic:{topic}", "reg:kota-serang", "whom:self", "way:chat"):
        citizen.press(press)
    return next(r for r in reversed(citizen.last) if r.choices)


def test_only_the_urgent_form_asks_for_a_safe_time_and_offers_safe_now(runtime: Runtime) -> None:
    asked = _time_question(runtime, "kdrt")
    assert "Kapan aman bagi Anda menerima pesan" in asked.text
    assert [(c.id, c.label) for c in asked.choices][:2] == [
        ("time:now", "Sekarang aman"),
        ("time:morning", "Pagi (08.00–12.00)"),
    ]
    assert [c.id for c in asked.choices][1:] == ["time:morning", "time:afternoon", "time:evening", "time:anytime"]
    normal = _time_question(runtime, "konflik_keluarga")  # a normal form keeps its four options
    assert [c.id for c in normal.choices] == ["time:morning", "time:afternoon", "time:evening", "time:anytime"]


async def test_staff_see_when_the_safe_window_opens(runtime: Runtime, client: httpx.AsyncClient) -> None:
    citizen = Chat(runtime.engine, user_id="warga-dasbor")
    with time_machine.travel(NIGHT, tick=False):
        request = counseling_request(citizen, topic="kdrt", contact_time="morning")
        siti = make_staff(runtime, "siti", queues=(P2TP2A,))
        telegram = Chat(runtime.engine, user_id="tg-siti", channel=Channel.TELEGRAM)
        with Session(runtime.db, expire_on_commit=False) as session, session.begin():
            code = new_link_code(session, staff=session.get(Staff, siti.id), now=datetime.now(UTC))
        telegram.send(f"/tautkan {code}")
        telegram.press(f"sclaim:{request.id}")
        assert "Waktu aman berikutnya: Senin, 7 Des 2026 08.00 WIB" in telegram.text
        await login(client, "siti")
        page = (await client.get(f"/dashboard/requests/{request.id}")).text
    assert "Waktu aman berikutnya: Senin, 7 Des 2026 08.00 WIB" in page
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        page = (await client.get(f"/dashboard/requests/{request.id}")).text
    assert "Waktu aman: sekarang" in page
