"""Follow-ups to citizens with time control: status updates, appointment reminders, feedback, the resolved check.

Each test moves the clock, runs the due work as the scheduler tick would, and reads what reached the
citizen's (or the counselor's Telegram) outbox: the discreet text, at the time it may be sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.services.access import StaffView
from bot.services.appointments import mark_appointment, offer_slots
from bot.services.claims import claim_request, close_request
from storage.casework import request_events, thread_of
from storage.models import Contact, OutboxMessage, Request
from tests.helpers.casework import counseling_request, outbox_texts
from tests.helpers.chat import Chat
from tests.helpers.reports import dashboard_page
from tests.helpers.staff import as_staff, link_on_telegram, make_staff
from tests.scheduler.test_due_work import _report

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
OPENING = "Pesan dari layanan Dinas Sosial Provinsi Banten"
SENSITIVE = ("kekerasan", "konflik", "kdrt", "rumah tangga", "anak jalanan", "konseling")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def _new_texts(runtime: Runtime, contact_id: int, seen: int) -> list[str]:
    return outbox_texts(runtime, contact_id)[seen:]


def _arriving_at(runtime: Runtime, traveller, contact_id: int, due: datetime) -> list[str]:
    """Run the due work a minute before `due` (nothing may arrive) and at `due`; what arrived then."""
    seen = len(outbox_texts(runtime, contact_id))
    traveller.move_to(due - timedelta(minutes=1))
    runtime.due_work.run_due()
    assert _new_texts(runtime, contact_id, seen) == [], f"early, before {due}"
    traveller.move_to(due)
    runtime.due_work.run_due()
    return _new_texts(runtime, contact_id, seen)


def _assert_discreet(text: str) -> None:
    assert text.startswith((OPENING, "Pengingat dari layanan Dinas Sosial Provinsi Banten")), text
    assert not any(word in text.lower() for word in SENSITIVE), text


@pytest.mark.parametrize(
    ("contact_time", "reaches_at"),
    [
        ("anytime", wib(2026, 11, 25, 6, 0)),  # the end of quiet hours
        ("morning", wib(2026, 11, 25, 8, 0)),
        ("evening", wib(2026, 11, 25, 16, 0)),
    ],
)
def test_claim_at_night_reaches_a_normal_citizen_at_their_time(
    runtime: Runtime, chat: Chat, contact_time: str, reaches_at: datetime
) -> None:
    with time_machine.travel(wib(2026, 11, 24, 21, 40), tick=False) as traveller:
        request = counseling_request(chat, contact_time=contact_time)
        seen = len(outbox_texts(runtime, request.contact_id))
        siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
        traveller.move_to(wib(2026, 11, 24, 22, 0))
        assert as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing).won
        runtime.due_work.run_due()
        assert _new_texts(runtime, request.contact_id, seen) == []
        [update] = _arriving_at(runtime, traveller, request.contact_id, reaches_at)
    assert update == (
        f"{OPENING}: tiket {request.ticket_code} sudah ditangani petugas. Petugas akan menghubungi Anda lewat chat ini."
    )
    _assert_discreet(update)


def test_claim_of_an_urgent_case_waits_for_the_citizens_safe_time(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(wib(2026, 11, 24, 21, 40), tick=False) as traveller:
        request = counseling_request(chat, topic="kdrt", contact_time="morning")
        seen = len(outbox_texts(runtime, request.contact_id))
        rina = make_staff(runtime, "rina", queues=("p2tp2a-kota-serang",))
        traveller.move_to(wib(2026, 11, 24, 22, 0))
        as_staff(runtime, rina, claim_request, request_id=request.id, routing=runtime.routing)
        runtime.due_work.run_due()
        assert _new_texts(runtime, request.contact_id, seen) == []  # a message at the wrong hour can be the danger
        [update] = _arriving_at(runtime, traveller, request.contact_id, wib(2026, 11, 25, 8, 0))
    assert f"tiket {request.ticket_code} sudah ditangani petugas" in update
    _assert_discreet(update)


def test_appointment_offer_and_closing_wait_for_the_citizens_hours(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(wib(2026, 11, 24, 9, 0), tick=False) as traveller:
        request = counseling_request(chat, contact_time="morning")
        siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        runtime.due_work.run_due()
        seen = len(outbox_texts(runtime, request.contact_id))
        traveller.move_to(wib(2026, 11, 24, 13, 0))  # afternoon: outside "Pagi (08.00-12.00)"
        as_staff(runtime, siti, offer_slots, request_id=request.id, slots=[(wib(2026, 11, 26, 10, 0), "office")])
        runtime.due_work.run_due()
        assert _new_texts(runtime, request.contact_id, seen) == []
        [offer] = _arriving_at(runtime, traveller, request.contact_id, wib(2026, 11, 25, 8, 0))
        assert offer.startswith(f"{OPENING} (tiket {request.ticket_code}): petugas menawarkan waktu bertemu")
        traveller.move_to(wib(2026, 11, 25, 20, 30))
        as_staff(runtime, siti, close_request, request_id=request.id, outcome="resolved", note="selesai")
        runtime.due_work.run_due()
        assert len(_new_texts(runtime, request.contact_id, seen)) == 1
        traveller.move_to(wib(2026, 11, 26, 8, 0))
        runtime.due_work.run_due()
        closed = _new_texts(runtime, request.contact_id, seen)[-1]
    assert closed.startswith(f"{OPENING}: tiket {request.ticket_code} sudah selesai ditangani.")
    for text in (offer, closed):
        _assert_discreet(text)


def _confirmed_appointment(
    runtime: Runtime, chat: Chat, *, starts_at: datetime, contact_time: str = "anytime", mode: str = "phone"
) -> tuple[Request, int, StaffView, int]:
    """A counseling request claimed by a counselor linked on Telegram, with one confirmed appointment.

    Returns the request, the appointment id, the counselor and the counselor's Telegram contact id.
    """
    request = counseling_request(chat, contact_time=contact_time)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    counselor_chat = link_on_telegram(runtime, siti, user_id="7000001")
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    [slot] = as_staff(runtime, siti, offer_slots, request_id=request.id, slots=[(starts_at, mode)])
    chat.press(f"appt:{slot.id}")
    assert "Janji temu dikonfirmasi" in chat.text
    return request, slot.id, siti, counselor_chat


def test_reminders_24_and_2_hours_before_reach_citizen_and_counselor(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(wib(2026, 11, 23, 9, 0), tick=False) as traveller:
        request, _, _, counselor_chat = _confirmed_appointment(runtime, chat, starts_at=wib(2026, 11, 25, 14, 0))
        runtime.due_work.run_due()
        citizen_seen = len(outbox_texts(runtime, request.contact_id))
        counselor_seen = len(outbox_texts(runtime, counselor_chat))
        reminders: list[tuple[list[str], list[str]]] = []
        for due in (wib(2026, 11, 24, 14, 0), wib(2026, 11, 25, 12, 0)):
            traveller.move_to(due - timedelta(minutes=1))
            runtime.due_work.run_due()
            assert len(outbox_texts(runtime, request.contact_id)) == citizen_seen  # not early
            traveller.move_to(due)
            runtime.due_work.run_due()
            counselor = _new_texts(runtime, counselor_chat, counselor_seen)
            reminders.append(
                (
                    _new_texts(runtime, request.contact_id, citizen_seen),
                    [t for t in counselor if not t.startswith("Selamat pagi")],
                )
            )  # not the 07:30 digest
            citizen_seen += len(reminders[-1][0])
            counselor_seen += len(counselor)
    citizen = (
        f"Pengingat dari layanan Dinas Sosial Provinsi Banten (tiket {request.ticket_code}): "
        "janji temu Rabu, 25 Nov 2026 14.00 WIB, lewat telepon."
    )
    counselor = f"Pengingat: janji temu tiket {request.ticket_code}, Rabu, 25 Nov 2026 14.00 WIB."
    assert reminders == [([citizen], [counselor]), ([citizen], [counselor])]
    _assert_discreet(citizen)


def test_reminder_due_in_quiet_hours_for_an_early_appointment_still_goes(runtime: Runtime, chat: Chat) -> None:
    """07:00 appointment, citizen reachable 08:00-12:00: the 2 h reminder (05:00) cannot wait, so it goes."""
    with time_machine.travel(wib(2026, 11, 23, 9, 0), tick=False) as traveller:
        request, _, _, counselor_chat = _confirmed_appointment(
            runtime, chat, starts_at=wib(2026, 11, 26, 7, 0), contact_time="morning", mode="office"
        )
        runtime.due_work.run_due()
        seen = len(outbox_texts(runtime, request.contact_id))
        traveller.move_to(wib(2026, 11, 25, 7, 0))  # the 24 h reminder waits for the citizen's morning
        runtime.due_work.run_due()
        assert _new_texts(runtime, request.contact_id, seen) == []
        # ... but not the counselor's: theirs is due now
        assert sum("Pengingat: janji temu" in t for t in outbox_texts(runtime, counselor_chat)) == 1
        traveller.move_to(wib(2026, 11, 25, 8, 0))
        runtime.due_work.run_due()
        assert len(_new_texts(runtime, request.contact_id, seen)) == 1
        traveller.move_to(wib(2026, 11, 26, 5, 0))  # quiet hours, and outside the citizen's times
        runtime.due_work.run_due()
        texts = _new_texts(runtime, request.contact_id, seen)
    assert len(texts) == 2 and texts[1].endswith("janji temu Kamis, 26 Nov 2026 07.00 WIB, di kantor.")
    assert sum("Pengingat: janji temu" in t for t in outbox_texts(runtime, counselor_chat)) == 2


def test_counselor_is_reminded_even_when_the_citizen_blocked_the_bot(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(wib(2026, 11, 23, 9, 0), tick=False) as traveller:
        request, _, _, counselor_chat = _confirmed_appointment(runtime, chat, starts_at=wib(2026, 11, 25, 14, 0))
        runtime.due_work.run_due()
        citizen_seen = len(outbox_texts(runtime, request.contact_id))
        with Session(runtime.db) as session, session.begin():  # as the outbox worker records a 403 "blocked"
            session.get(Contact, request.contact_id).unreachable_at = datetime.now(UTC)
        traveller.move_to(wib(2026, 11, 24, 13, 0))
        runtime.due_work.run_due()  # the counselor's morning digest
        reminders = _arriving_at(runtime, traveller, counselor_chat, wib(2026, 11, 24, 14, 0))
    assert reminders == [f"Pengingat: janji temu tiket {request.ticket_code}, Rabu, 25 Nov 2026 14.00 WIB."]
    assert _new_texts(runtime, request.contact_id, citizen_seen) == []


def test_reminder_of_a_passed_appointment_is_not_sent_late(runtime: Runtime, chat: Chat) -> None:
    """The service was down from before the 2 h reminder until after the appointment began."""
    with time_machine.travel(wib(2026, 11, 23, 9, 0), tick=False) as traveller:
        request, _, _, counselor_chat = _confirmed_appointment(runtime, chat, starts_at=wib(2026, 11, 25, 14, 0))
        traveller.move_to(wib(2026, 11, 24, 14, 0))
        runtime.due_work.run_due()
        citizen_seen = len(outbox_texts(runtime, request.contact_id))
        counselor_seen = len(outbox_texts(runtime, counselor_chat))
        traveller.move_to(wib(2026, 11, 25, 14, 5))
        runtime.due_work.run_due()
        assert _new_texts(runtime, request.contact_id, citizen_seen) == []
        assert not any("Pengingat" in t for t in _new_texts(runtime, counselor_chat, counselor_seen))


def test_feedback_after_the_appointment_stores_rating_and_comment(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(wib(2026, 11, 23, 9, 0), tick=False) as traveller:
        request, appointment_id, siti, _ = _confirmed_appointment(runtime, chat, starts_at=wib(2026, 11, 25, 10, 0))
        traveller.move_to(wib(2026, 11, 25, 11, 5))
        as_staff(runtime, siti, mark_appointment, appointment_id=appointment_id, status="done")
        runtime.due_work.run_due()  # the claim update and the slot offer
        # The meeting ended at 11:00; the question comes 2 h later.
        [question] = _arriving_at(runtime, traveller, request.contact_id, wib(2026, 11, 25, 13, 0))
        assert question.startswith(f"{OPENING} (tiket {request.ticket_code}): bagaimana pertemuan tadi?")
        traveller.shift(timedelta(minutes=10))
        chat.press(f"rate:{appointment_id}:4")
        assert "Terima kasih atas penilaian" in chat.text
        chat.send("Petugasnya ramah, tapi saya menunggu 20 menit.")
        assert "Terima kasih atas komentar" in chat.text
        chat.send("Satu lagi: terima kasih.")  # one comment per question; this is not taken as another
        assert "Terima kasih atas komentar" not in chat.text
    with Session(runtime.db) as session:
        feedback = [e.detail for e in request_events(session, request_id=request.id) if e.kind == "feedback"]
        comments = [m.text for m in thread_of(session, request_id=request.id) if m.direction == "in"]
    assert feedback == [{"appointment": appointment_id, "rating": 4}, {"appointment": appointment_id, "comment": True}]
    assert comments == ["Petugasnya ramah, tapi saya menunggu 20 menit."]
    detail = dashboard_page(runtime, "siti", f"/dashboard/requests/{request.id}")
    assert "Warga memberi nilai 4 dari 5" in detail and "Warga memberi komentar tentang janji temu" in detail
    assert "Petugasnya ramah, tapi saya menunggu 20 menit." in detail  # in the thread the counselor reads


def test_resolved_sighting_is_checked_on_a_week_later_and_the_answer_stored(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(wib(2026, 11, 24, 10, 0), tick=False) as traveller:
        code = _report(chat)
        with Session(runtime.db) as session:
            request = session.exec(select(Request).where(Request.ticket_code == code)).one()
        ani = make_staff(runtime, "ani", queues=(request.queue_code,))
        as_staff(runtime, ani, claim_request, request_id=request.id, routing=runtime.routing)
        traveller.move_to(wib(2026, 11, 25, 15, 0))
        as_staff(runtime, ani, close_request, request_id=request.id, outcome="resolved", note="dirujuk ke panti")
        runtime.due_work.run_due()
        assert len(_arriving_at(runtime, traveller, request.contact_id, wib(2026, 12, 2, 15, 0))) == 1
        with Session(runtime.db) as session:
            check = (
                session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.contact_id == request.contact_id)
                    .order_by(OutboxMessage.id.desc())
                )
                .first()
                .payload
            )
        traveller.shift(timedelta(hours=1))
        chat.press(f"better:{request.id}:no")
        assert "Kami teruskan ke petugas" in chat.text
    assert check["text"] == (
        f"{OPENING} (tiket {code}): seminggu lalu laporan Anda ditangani. Apakah kondisinya sudah membaik?"
    )
    assert [(c["id"], c["label"]) for c in check["choices"]] == [
        (f"better:{request.id}:yes", "Sudah membaik"),
        (f"better:{request.id}:no", "Belum membaik"),
    ]
    _assert_discreet(check["text"])
    with Session(runtime.db) as session:
        answers = [
            (e.detail, e.at.astimezone(WIB))
            for e in request_events(session, request_id=request.id)
            if e.kind == "followup_answer"
        ]
    assert answers == [({"question": "condition_better", "answer": "no"}, wib(2026, 12, 2, 16, 0))]
