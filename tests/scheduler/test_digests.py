"""Staff notices with time control: SLA breaches to coordinators, morning and weekly digests, missed digests.

What is checked is what staff see: the message queued to their linked Telegram chat, and the
coordinator's dashboard.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from bot.runtime import Runtime, build_runtime
from bot.services.appointments import offer_slots
from bot.services.case_thread import record_call
from bot.services.claims import claim_request
from storage.models import DueWork
from tests.helpers.casework import counseling_request, outbox_texts
from tests.helpers.chat import Chat
from tests.helpers.reports import act, dashboard_page, submit
from tests.helpers.staff import as_staff, link_on_telegram, make_staff
from tests.scheduler.test_due_work import _report

pytestmark = pytest.mark.clock(sql=True)  # dates pass through SQL too: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def _starting(texts: list[str], opening: str) -> list[str]:
    return [t for t in texts if t.startswith(opening)]


def _dashboard_breaches(runtime: Runtime, username: str) -> str:
    """The "breached now" section of the overview, as the staff member's browser gets it."""
    return dashboard_page(runtime, username, "/dashboard").split('id="breaches"')[1].split("</section>")[0]


@pytest.mark.parametrize(
    ("reported", "breach", "twice"),
    [
        (wib(2026, 11, 27, 15, 0), wib(2026, 11, 30, 15, 0), wib(2026, 12, 1, 15, 0)),  # Friday, over a weekend
        (
            wib(2026, 12, 23, 15, 0),
            wib(2026, 12, 28, 15, 0),
            wib(2026, 12, 29, 15, 0),
        ),  # cuti bersama, Christmas, weekend
    ],
    ids=["weekend", "holiday"],
)
def test_claim_sla_breach_reaches_coordinators_then_the_province(
    runtime: Runtime, chat: Chat, reported: datetime, breach: datetime, twice: datetime
) -> None:
    with time_machine.travel(reported, tick=False) as traveller:
        code = _report(chat)  # a normal sighting in the dinsos-kota-serang queue
        chats = {
            name: link_on_telegram(
                runtime, make_staff(runtime, name, role="coordinator", region=region), user_id=f"80{i}"
            )
            for i, (name, region) in enumerate(
                (("koord.serang", "kota-serang"), ("koord.banten", "provinsi"), ("koord.lebak", "kab-lebak"))
            )
        }
        alert = f"Batas waktu klaim terlewati: tiket {code} di antrean dinsos-kota-serang belum ditangani."

        def alerts() -> dict[str, list[str]]:
            runtime.due_work.run_due()
            return {name: _starting(outbox_texts(runtime, contact), "Batas waktu") for name, contact in chats.items()}

        traveller.move_to(breach - timedelta(minutes=1))
        assert alerts() == {"koord.serang": [], "koord.banten": [], "koord.lebak": []}
        assert code not in _dashboard_breaches(runtime, "koord.serang")
        traveller.move_to(breach)
        assert alerts() == {"koord.serang": [alert], "koord.banten": [], "koord.lebak": []}
        traveller.shift(timedelta(minutes=1))
        assert code in _dashboard_breaches(runtime, "koord.serang")
        assert code not in _dashboard_breaches(runtime, "koord.lebak")
        traveller.move_to(twice - timedelta(minutes=1))
        assert alerts()["koord.banten"] == []
        traveller.move_to(twice)
        assert alerts() == {"koord.serang": [alert], "koord.banten": [alert], "koord.lebak": []}


def _counselor_with_work(runtime: Runtime) -> int:
    """Siti (LK3 and P2TP2A Kota Serang), linked on Telegram: 3 waiting in her queues (1 urgent), one case of
    her own with an appointment on Tuesday 24 November, and a request of another region she does not see.
    Returns her Telegram contact id."""
    monday = wib(2026, 11, 23, 10, 0)
    for region, topic in (
        ("kota-serang", "konflik_keluarga"),
        ("kota-serang", "pengasuhan_anak"),
        ("kota-serang", "kdrt"),
        ("kab-lebak", "konflik_keluarga"),
    ):
        submit(runtime, at=monday, region=region, topic=topic)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang", "p2tp2a-kota-serang"))
    make_staff(runtime, "dewi", queues=("lk3-kota-serang",))  # not linked on Telegram: no digest
    with time_machine.travel(monday, tick=False):
        citizen = Chat(runtime.engine, user_id="warga-janji")
        own = counseling_request(citizen)
        as_staff(runtime, siti, claim_request, request_id=own.id, routing=runtime.routing)
        [slot] = as_staff(runtime, siti, offer_slots, request_id=own.id, slots=[(wib(2026, 11, 24, 13, 0), "office")])
        citizen.press(f"appt:{slot.id}")
        return link_on_telegram(runtime, siti, user_id="9001")


def _digests(runtime: Runtime, contact_id: int) -> list[str]:
    return _starting(outbox_texts(runtime, contact_id), "Selamat pagi")


def test_morning_digest_on_working_days_only(runtime: Runtime) -> None:
    siti = _counselor_with_work(runtime)
    sent: dict[str, int] = {}
    with time_machine.travel(wib(2026, 11, 24, 7, 29), tick=False) as traveller:
        runtime.due_work.run_due()
        assert _digests(runtime, siti) == []
        traveller.move_to(wib(2026, 11, 24, 7, 30))
        runtime.due_work.run_due()
        assert _digests(runtime, siti) == [
            "Selamat pagi. Antrean Anda: 3 menunggu (1 mendesak). Kasus Anda yang terbuka: 1. "
            "Janji temu hari ini: 1. Ketik /antrian untuk melihat."
        ]
        for day in (
            wib(2026, 11, 28, 7, 30),
            wib(2026, 11, 29, 7, 30),
            wib(2026, 11, 30, 7, 30),
            wib(2026, 12, 24, 7, 30),
            wib(2026, 12, 25, 7, 30),
            wib(2026, 12, 28, 7, 30),
        ):
            before = len(_digests(runtime, siti))
            traveller.move_to(day)
            runtime.due_work.run_due()
            traveller.shift(timedelta(hours=3))
            runtime.due_work.run_due()
            sent[day.strftime("%a %d %b")] = len(_digests(runtime, siti)) - before
    # Thursday 24 December is cuti bersama (the routing file's list), Friday Christmas.
    assert sent == {
        "Sat 28 Nov": 0,
        "Sun 29 Nov": 0,
        "Mon 30 Nov": 1,
        "Thu 24 Dec": 0,
        "Fri 25 Dec": 0,
        "Mon 28 Dec": 1,
    }
    # By then her claim lapsed (no first contact within 2 business days): the case waits in the queue again.
    assert _digests(runtime, siti)[-1] == (
        "Selamat pagi. Antrean Anda: 4 menunggu (1 mendesak). Kasus Anda yang "
        "terbuka: 0. Janji temu hari ini: 0. Ketik /antrian untuk melihat."
    )


def test_missed_digest_is_sent_once_on_start_by_two_instances(runtime: Runtime) -> None:
    """Down from Friday 06:00 to Tuesday 09:10 (three digests missed); two instances start at once."""
    siti = _counselor_with_work(runtime)
    with time_machine.travel(wib(2026, 11, 20, 6, 0), tick=False) as traveller:
        runtime.due_work.run_due()
        traveller.move_to(wib(2026, 11, 24, 9, 10))
        other = build_runtime(runtime.settings)
        try:
            barrier = threading.Barrier(2)

            def start(instance: Runtime) -> None:
                barrier.wait(timeout=30)
                instance.due_work.run_due()

            threads = [threading.Thread(target=start, args=(r,)) for r in (runtime, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            other.due_work.run_due()  # and a later tick of either plans nothing new
            runtime.due_work.run_due()
        finally:
            other.close()
    assert _digests(runtime, siti) == [
        "Selamat pagi. Antrean Anda: 3 menunggu (1 mendesak). Kasus Anda yang terbuka: 1. "
        "Janji temu hari ini: 1. Ketik /antrian untuk melihat."
    ]
    with Session(runtime.db) as session:
        rows = session.exec(select(DueWork).where(DueWork.kind == "counselor_digest")).all()
    assert [(r.payload["fire_time"], r.state) for r in rows if r.state == "done"] == [
        (wib(2026, 11, 24, 7, 30).astimezone(ZoneInfo("UTC")).isoformat(), "done")
    ]


def test_coordinator_weekly_digest_on_monday_morning(runtime: Runtime) -> None:
    """Week 16-23 November: counts per region match what happened in it, breaches counted per request."""
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang", "p2tp2a-kota-serang"))
    serang = link_on_telegram(
        runtime, make_staff(runtime, "koord.serang", role="coordinator", region="kota-serang"), user_id="8101"
    )
    banten = link_on_telegram(
        runtime, make_staff(runtime, "koord.banten", role="coordinator", region="provinsi"), user_id="8102"
    )
    submit(runtime, at=wib(2026, 11, 16, 7, 0), region="kota-serang")  # before the week; breaches in it
    contacted = submit(runtime, at=wib(2026, 11, 17, 10, 0), region="kota-serang")
    act(runtime, siti, wib(2026, 11, 17, 10, 30), claim_request, request_id=contacted.id, routing=runtime.routing)
    act(runtime, siti, wib(2026, 11, 17, 11, 0), record_call, request_id=contacted.id)
    submit(runtime, at=wib(2026, 11, 18, 10, 0), region="kota-serang", topic="kdrt")  # urgent, never claimed
    submit(runtime, at=wib(2026, 11, 19, 10, 0), region="kab-lebak")
    with time_machine.travel(wib(2026, 11, 20, 12, 0), tick=False) as traveller:
        runtime.due_work.run_due()  # the SLA checks of the week
        traveller.move_to(wib(2026, 11, 23, 7, 59))
        runtime.due_work.run_due()
        assert _starting(outbox_texts(runtime, serang), "Ringkasan") == []
        traveller.move_to(wib(2026, 11, 23, 8, 0))
        runtime.due_work.run_due()
        traveller.move_to(wib(2026, 11, 24, 8, 0))  # Tuesday: no weekly digest
        runtime.due_work.run_due()
    assert _starting(outbox_texts(runtime, serang), "Ringkasan") == [
        "Ringkasan minggu lalu: 2 permintaan baru, 1 kontak pertama, 2 pelanggaran batas waktu. "
        "Sekarang menunggu: 2 (1 mendesak)."
    ]
    assert _starting(outbox_texts(runtime, banten), "Ringkasan") == [
        "Ringkasan minggu lalu: 3 permintaan baru, 1 kontak pertama, 3 pelanggaran batas waktu. "
        "Sekarang menunggu: 3 (1 mendesak)."
    ]


def test_weekly_digest_waits_for_the_first_working_day(runtime: Runtime) -> None:
    """Monday 23 and Tuesday 24 March 2026 are cuti bersama after Lebaran: the digest comes on Wednesday 08:00,
    with the week to Monday 08:00; on 17 August (a Monday holiday) it comes on Tuesday."""
    serang = link_on_telegram(
        runtime, make_staff(runtime, "koord.serang", role="coordinator", region="kota-serang"), user_id="8101"
    )
    submit(runtime, at=wib(2026, 3, 19, 10, 0), region="kota-serang")  # last week; due Wednesday 25, 10:00
    submit(runtime, at=wib(2026, 3, 24, 10, 0), region="kota-serang")  # this week, reported on the holiday

    def digests_at(*moments: datetime) -> list[str]:
        for moment in moments:
            traveller.move_to(moment)
            runtime.due_work.run_due()
        return _starting(outbox_texts(runtime, serang), "Ringkasan")

    with time_machine.travel(wib(2026, 3, 22, 12, 0), tick=False) as traveller:
        assert digests_at(wib(2026, 3, 23, 8, 0), wib(2026, 3, 24, 8, 0), wib(2026, 3, 25, 7, 59)) == []
        assert digests_at(wib(2026, 3, 25, 8, 0), wib(2026, 3, 26, 8, 0)) == [
            "Ringkasan minggu lalu: 1 permintaan baru, 0 kontak pertama, 0 pelanggaran batas waktu. "
            "Sekarang menunggu: 2 (0 mendesak)."
        ]
        assert len(digests_at(wib(2026, 8, 17, 8, 0))) == 1  # Monday 17 August: Independence Day
        assert len(digests_at(wib(2026, 8, 18, 8, 0))) == 2
