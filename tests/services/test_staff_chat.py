"""Staff mode in a linked Telegram chat, through the real engine: queue, claim, message, close."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from bot.messages import Channel
from bot.runtime import Runtime
from bot.services.staff_accounts import new_link_code
from storage.models import AuditLog, OutboxMessage, Request, Staff
from tests.helpers.chat import Chat
from tests.helpers.staff import make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py


def _linked_chat(runtime: Runtime, staff_id: int, chat_id: str) -> Chat:
    with Session(runtime.db) as session, session.begin():
        code = new_link_code(session, staff=session.get(Staff, staff_id), now=datetime.now(UTC))
    chat = Chat(runtime.engine, user_id=chat_id, channel=Channel.TELEGRAM)
    chat.send(f"/tautkan {code.lower()}")
    assert "sudah ditautkan" in chat.text
    return chat


def _citizen_request(runtime: Runtime) -> tuple[Chat, Request]:
    citizen = Chat(runtime.engine, user_id="citizen-9")
    citizen.start()
    for step in (
        "menu:konseling",
        "topic:perceraian",
        "reg:kota-serang",
        "whom:self",
        "way:chat",
        "time:anytime",
        "skip",
        "consent:yes",
        "confirm:send",
    ):
        citizen.press(step)
    with Session(runtime.db) as session:
        return citizen, session.exec(select(Request)).one()


def _texts(runtime: Runtime, contact_id: int) -> list[str]:
    with Session(runtime.db) as session:
        return [
            m.payload["text"]
            for m in session.exec(
                select(OutboxMessage).where(OutboxMessage.contact_id == contact_id).order_by(OutboxMessage.id)
            )
        ]


@time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta")), tick=False)
def test_counselor_works_a_case_from_telegram(runtime: Runtime) -> None:
    """At 10:00 WIB: inside the citizen's contact times, so the message goes out at once."""
    citizen, request = _citizen_request(runtime)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    telegram = _linked_chat(runtime, siti.id, "90001")
    telegram.send("/antrian")
    assert telegram.choice_ids == [f"sclaim:{request.id}"]
    assert (
        request.ticket_code in telegram.last[-1].choices[0].label and "Perceraian" in telegram.last[-1].choices[0].label
    )
    telegram.press(f"sclaim:{request.id}")
    assert "sekarang Anda tangani" in telegram.text and f"smsg:{request.id}" in telegram.choice_ids
    telegram.press(f"smsg:{request.id}")
    telegram.send("Selamat siang, kapan Ibu bisa ditelepon?")
    assert "dikirim ke warga pada waktu aman mereka" in telegram.text
    runtime.due_work.run_due()
    assert "kapan Ibu bisa ditelepon?" in _texts(runtime, request.contact_id)[-1]
    citizen.send("besok pagi bu")
    with Session(runtime.db) as session:
        staff_contact = session.get(Staff, siti.id).telegram_contact_id
    assert "besok pagi bu" in _texts(runtime, staff_contact)[-1]
    telegram.send("kasus")
    assert telegram.choice_ids == [f"scase:{request.id}"]
    telegram.press(f"sclose:{request.id}")
    telegram.press(f"sout:{request.id}:resolved")
    assert "Kasus ditutup" in telegram.text
    with Session(runtime.db) as session:
        closed = session.get(Request, request.id)
        assert (closed.status, closed.assigned_staff_id) == ("resolved", siti.id)
        assert session.exec(select(AuditLog).where(AuditLog.action == "view_request")).first() is not None


def test_staff_commands_need_a_linked_account_and_the_right_queue(runtime: Runtime) -> None:
    _citizen, request = _citizen_request(runtime)
    stranger = Chat(runtime.engine, user_id="90002", channel=Channel.TELEGRAM)
    stranger.send("/antrian")
    assert not any(c.startswith("sclaim:") for c in stranger.choice_ids)
    stranger.press(f"sclaim:{request.id}")  # a forged button from someone not linked
    other = make_staff(runtime, "andi", queues=("dinsos-kab-lebak",))
    telegram = _linked_chat(runtime, other.id, "90003")
    telegram.send("/antrian")
    assert "Tidak ada permintaan" in telegram.text
    telegram.press(f"sclaim:{request.id}")  # forged: another queue's request
    assert "Tiket tidak ditemukan" in telegram.text
    with Session(runtime.db) as session:
        assert session.get(Request, request.id).status == "new"


@time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta")), tick=False)
def test_a_referral_names_where_to_and_a_colleagues_case_is_refused(runtime: Runtime) -> None:
    """The dashboard's rules (bot/services/case_rules.py) in Telegram: the holder closes, a referral says where."""
    _citizen, request = _citizen_request(runtime)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    rina = make_staff(runtime, "rina", queues=("lk3-kota-serang",))
    mine, colleague = _linked_chat(runtime, siti.id, "90011"), _linked_chat(runtime, rina.id, "90012")
    mine.press(f"sclaim:{request.id}")
    colleague.press(f"scase:{request.id}")  # an old card, or a forged button
    assert "Ditangani oleh: Siti" in colleague.text and colleague.choice_ids == [f"snote:{request.id}"]
    colleague.press(f"sout:{request.id}:resolved")
    assert colleague.text.startswith("Tiket ini sedang ditangani Siti. Hanya Siti, atau koordinator dengan alasan")
    mine.press(f"sclose:{request.id}")
    mine.press(f"sout:{request.id}:referred")
    assert mine.text == "Dirujuk ke mana? Tuliskan lembaga atau layanan tujuannya:"
    mine.send("Puskesmas Kasemen, poli jiwa")
    assert "Kasus ditutup" in mine.text
    with Session(runtime.db) as session:
        closed = session.get(Request, request.id)
    assert (closed.status, closed.outcome_note) == ("referred", "Puskesmas Kasemen, poli jiwa")
