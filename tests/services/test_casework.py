"""Counselor work through the real services and engine: claims, thread, appointments, closing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.services.access import PermissionDenied
from bot.services.appointments import offer_slots
from bot.services.case_thread import add_case_note, message_citizen
from bot.services.claims import (
    CaseActionError,
    claim_request,
    close_request,
    release_request,
    reopen_request,
    transfer_request,
)
from bot.services.staff_accounts import new_link_code
from storage.casework import request_events
from storage.models import Appointment, OutboxMessage, Request, Staff
from tests.helpers.casework import counseling_request, outbox_texts
from tests.helpers.chat import Chat
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")


def test_claim_race_has_exactly_one_winner(runtime: Runtime, chat: Chat) -> None:
    """Twenty-four counselors press "klaim" at once, each on their own connection."""
    request = counseling_request(chat)
    views = [make_staff(runtime, f"konselor{i}", queues=("lk3-kota-serang",)) for i in range(24)]
    results: dict[int, object] = {}
    barrier = threading.Barrier(len(views))

    def press(view) -> None:
        barrier.wait(timeout=30)
        results[view.id] = as_staff(runtime, view, claim_request, request_id=request.id, routing=runtime.routing)

    threads = [threading.Thread(target=press, args=(v,)) for v in views]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [staff_id for staff_id, result in results.items() if result.won]
    assert len(results) == 24 and len(winners) == 1
    winner = next(v for v in views if v.id == winners[0])
    assert {r.holder for r in results.values()} == {winner.display_name}  # every loser is told who has it
    with Session(runtime.db) as session:
        claimed = session.get(Request, request.id)
        assert (claimed.status, claimed.assigned_staff_id) == ("claimed", winner.id)
        claims = [e for e in request_events(session, request_id=request.id) if e.to_status == "claimed"]
        assert len(claims) == 1 and claims[0].actor == f"staff:{winner.id}"


def test_counselor_cannot_touch_another_queues_request(runtime: Runtime, chat: Chat) -> None:
    request = counseling_request(chat, topic="kdrt", region="kab-lebak")  # p2tp2a-kab-lebak
    outsider = make_staff(runtime, "andi", queues=("lk3-kota-serang",))
    for action, kwargs in (
        (claim_request, {"routing": runtime.routing}),
        (message_citizen, {"text": "halo"}),
        (add_case_note, {"text": "catatan"}),
        (close_request, {"outcome": "resolved", "note": "-"}),
    ):
        with pytest.raises(PermissionDenied):
            as_staff(runtime, outsider, action, request_id=request.id, **kwargs)
    lebak = make_staff(runtime, "koordinator.lebak", role="coordinator", region="kab-lebak")
    assert as_staff(runtime, lebak, claim_request, request_id=request.id, routing=runtime.routing).won
    province = make_staff(runtime, "koordinator.banten", role="coordinator", region="provinsi")
    as_staff(runtime, province, add_case_note, request_id=request.id, text="dipantau provinsi")


def test_claim_without_first_contact_lapses_and_coordinator_is_told(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=WIB), tick=False) as traveller:
        request = counseling_request(chat, topic="kdrt")  # urgent: lapses after 4 hours
        counselor = make_staff(runtime, "rina", queues=("p2tp2a-kota-serang",))
        coordinator = make_staff(runtime, "koord", role="coordinator", region="kota-serang")
        telegram = Chat(runtime.engine, user_id="5550001", channel=__import__("bot.messages").messages.Channel.TELEGRAM)
        telegram.start()
        with Session(runtime.db) as session, session.begin():
            code = new_link_code(session, staff=session.get(Staff, coordinator.id), now=datetime.now(UTC))
        telegram.send(f"/tautkan {code}")
        assert "sudah ditautkan ke Koord" in telegram.text
        as_staff(runtime, counselor, claim_request, request_id=request.id, routing=runtime.routing)
        traveller.shift(timedelta(hours=4, minutes=1))
        runtime.due_work.run_due()
        with Session(runtime.db) as session:
            lapsed = session.get(Request, request.id)
            assert (lapsed.status, lapsed.assigned_staff_id) == ("new", None)
            coordinator_contact = session.get(Staff, coordinator.id).telegram_contact_id
        assert any("kembali ke antrean" in t for t in outbox_texts(runtime, coordinator_contact))


def test_counselor_is_never_double_booked(runtime: Runtime) -> None:
    first, second = (Chat(runtime.engine, user_id=f"warga{i}") for i in (1, 2))
    requests = [counseling_request(first), counseling_request(second)]
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    when = datetime.now(UTC) + timedelta(days=2)
    offers = []
    for request in requests:
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        offers.append(as_staff(runtime, siti, offer_slots, request_id=request.id, slots=[(when, "office")]))
    first.press(f"appt:{offers[0][0].id}")
    assert "dikonfirmasi" in first.text
    second.press(f"appt:{offers[1][0].id}")
    assert "baru saja terisi" in second.text
    with Session(runtime.db) as session:
        assert [a.status for a in session.exec(select(Appointment).order_by(Appointment.id))] == [
            "confirmed",
            "proposed",
        ]


def test_reminder_of_a_cancelled_or_passed_appointment_is_dropped(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=WIB), tick=False) as traveller:
        request = counseling_request(chat)
        siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        offer = as_staff(
            runtime,
            siti,
            offer_slots,
            request_id=request.id,
            slots=[(datetime(2026, 11, 26, 10, 0, tzinfo=WIB), "office")],
        )
        chat.press(f"appt:{offer[0].id}")
        before = len(outbox_texts(runtime, request.contact_id))
        with Session(runtime.db) as session, session.begin():  # the appointment was called off
            session.get(Appointment, offer[0].id).status = "cancelled"
        traveller.move_to(datetime(2026, 11, 26, 12, 0, tzinfo=WIB))
        runtime.due_work.run_due()
        texts = outbox_texts(runtime, request.contact_id)[before:]
        assert not any("Pengingat" in t for t in texts)


def test_closed_request_can_be_reopened_with_a_reason(runtime: Runtime, chat: Chat) -> None:
    request = counseling_request(chat)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    as_staff(runtime, siti, close_request, request_id=request.id, outcome="unreachable", note="3x telepon")
    as_staff(runtime, siti, reopen_request, request_id=request.id, reason="warga menghubungi lagi")
    with Session(runtime.db) as session:
        events = request_events(session, request_id=request.id)
        assert [e.to_status for e in events if e.kind == "status"] == [
            "claimed",
            "unreachable",
            "in_progress",
        ]  # same counselor carries on
        assert events[-1].note == "warga menghubungi lagi"


def test_feedback_question_follows_a_meeting_that_took_place(runtime: Runtime, chat: Chat) -> None:
    from bot.services.appointments import mark_appointment

    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=WIB), tick=False) as traveller:
        request = counseling_request(chat)
        siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        offer = as_staff(
            runtime,
            siti,
            offer_slots,
            request_id=request.id,
            slots=[(datetime(2026, 11, 25, 10, 0, tzinfo=WIB), "phone")],
        )
        chat.press(f"appt:{offer[0].id}")
        traveller.move_to(datetime(2026, 11, 25, 11, 30, tzinfo=WIB))
        as_staff(runtime, siti, mark_appointment, appointment_id=offer[0].id, status="done")
        traveller.move_to(datetime(2026, 11, 25, 13, 5, tzinfo=WIB))
        runtime.due_work.run_due()
        with Session(runtime.db) as session:
            last = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.contact_id == request.contact_id)
                .order_by(OutboxMessage.id.desc())
            ).first()
        assert "bagaimana pertemuan tadi" in last.payload["text"]
        assert [c["id"] for c in last.payload["choices"]] == [f"rate:{offer[0].id}:{n}" for n in range(1, 6)]
        chat.press(f"rate:{offer[0].id}:5")
        assert "Terima kasih atas penilaian" in chat.text


def test_refusals_name_their_reason(runtime: Runtime, chat: Chat) -> None:
    """Release by a colleague who only sees it, transfers to a wrong target, a claim of a closed request."""
    request = counseling_request(chat)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    rina = make_staff(runtime, "rina", queues=("lk3-kota-serang",))
    outsider = make_staff(runtime, "joko", queues=("lk3-kab-lebak",))
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    with Session(runtime.db) as session:
        outsider_row, rina_row = session.get(Staff, outsider.id), session.get(Staff, rina.id)
    attempts = [
        (rina, release_request, {"reason": "cuti"}, "case.error_not_holder"),
        (siti, transfer_request, {"reason": "x", "to_queue": "lk3-kota-entah"}, "case.error_transfer_queue"),
        (siti, transfer_request, {"reason": "x", "to_queue": "lk3-kota-serang"}, "case.error_transfer_queue"),
        (siti, transfer_request, {"reason": "x", "to_staff": outsider_row}, "case.error_transfer_colleague"),
        (siti, transfer_request, {"reason": "x"}, "case.error_transfer_target"),
        (
            siti,
            transfer_request,
            {"reason": "x", "to_queue": "lk3-kab-lebak", "to_staff": rina_row},
            "case.error_transfer_target",
        ),
    ]
    for view, action, kwargs, key in attempts:
        with pytest.raises(CaseActionError) as refused:
            as_staff(runtime, view, action, request_id=request.id, **kwargs)
        assert refused.value.args[0] == key, action.__name__
    with Session(runtime.db) as session:
        unchanged = session.get(Request, request.id)
        assert (unchanged.status, unchanged.assigned_staff_id, unchanged.queue_code) == (
            "claimed",
            siti.id,
            "lk3-kota-serang",
        )
    as_staff(runtime, siti, transfer_request, request_id=request.id, reason="cuti", to_staff=rina_row)
    as_staff(runtime, rina, close_request, request_id=request.id, outcome="resolved", note="selesai")
    with pytest.raises(CaseActionError) as refused:
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    assert refused.value.args[0] == "case.error_closed"


def _sighting(chat: Chat, contact: str, consent: str = "yes") -> Request:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:anak")
    chat.press("cat:anak_jalanan")
    chat.press("reg:kota-serang")
    chat.press("kec:unknown")
    chat.send("depan pasar rau")
    chat.send("anak mengamen sampai malam")
    chat.press("skip")
    chat.press(f"contact:{contact}")
    if contact == "phone":
        chat.send("0812 3456 7890")
    chat.press(f"consent:{consent}")
    chat.press("confirm:send")
    code = chat.ticket_code()
    with Session(chat.engine._db) as session:
        return session.exec(select(Request).where(Request.ticket_code == code)).one()


CLAIMED = "Pesan dari layanan Dinas Sosial Provinsi Banten: tiket {code} sudah ditangani petugas."


@pytest.mark.parametrize(
    ("contact", "consent", "promise"),
    [
        ("chat", "yes", " Petugas akan menghubungi Anda lewat chat ini."),
        ("phone", "yes", " Petugas akan menghubungi Anda lewat telepon di nomor yang Anda berikan."),
        ("anonymous", "yes", ""),
        ("chat", "no", ""),  # declined consent: the report went anonymous, so nobody will contact them
    ],
)
def test_the_claimed_notice_promises_contact_only_the_way_the_reporter_chose(
    runtime: Runtime, chat: Chat, contact: str, consent: str, promise: str
) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=WIB), tick=False):
        request = _sighting(chat, contact, consent)
        seen = len(outbox_texts(runtime, request.contact_id))
        siti = make_staff(runtime, "siti", queues=("dinsos-kota-serang",))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        runtime.due_work.run_due()
        [notice] = outbox_texts(runtime, request.contact_id)[seen:]
    assert notice == CLAIMED.format(code=request.ticket_code) + promise
