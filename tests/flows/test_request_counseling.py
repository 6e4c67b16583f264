"""Transcripts of the counseling request through the real engine, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from bot.config import PROJECT_ROOT, Settings
from bot.i18n import load_catalog
from bot.runtime import build_runtime
from storage.models import Contact, Conversation, Request
from tests.helpers.chat import Chat

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

T = load_catalog()


def _to_summary(chat: Chat, *, topic: str = "pengasuhan_anak", way: str = "chat") -> None:
    chat.start()
    chat.press("menu:konseling")
    chat.press(f"topic:{topic}")
    chat.press("reg:kab-lebak")
    chat.press("whom:self")
    chat.press(f"way:{way}")
    if way == "phone":
        chat.send("0857 1234 5678")
    chat.press("time:evening")
    chat.send("Anak saya susah diatur sejak pindah sekolah")
    chat.press("consent:yes")


def test_a_time_said_not_to_suit_offers_the_others(chat: Chat, runtime) -> None:
    """ "jangan pagi": the afternoon or the evening, as two buttons, not the whole question again."""
    chat.start()
    chat.press("menu:konseling")
    chat.press("topic:pengasuhan_anak")
    chat.press("reg:kab-lebak")
    chat.press("whom:self")
    chat.press("way:chat")
    chat.send("jangan pagi, suami masih di rumah")
    assert chat.choice_ids == ["mean:afternoon", "mean:evening", "mean:none"]
    assert [c.label for c in chat.last[-1].choices[:2]] == [
        T.text("id", "contact_time.afternoon"),
        T.text("id", "contact_time.evening"),
    ]
    chat.press("mean:evening")
    chat.send("Anak saya susah diatur sejak pindah sekolah")
    chat.press("consent:yes")
    assert "Waktu dihubungi: Sore–malam (16.00–20.00)" in chat.text


def test_right_but_a_change_typed_at_the_summary_is_not_sent(chat: Chat, runtime) -> None:
    """ "bener semua tp sy mau anonim aja": a yes with a "but" opens the list of what to change."""
    _to_summary(chat)
    chat.send("bener semua tp sy mau anonim aja")
    assert "edit:contact_way" in chat.choice_ids
    with Session(runtime.db) as session:
        assert session.exec(select(Request)).first() is None


def test_happy_path_goes_to_lk3_with_contact_times(chat: Chat, runtime) -> None:
    _to_summary(chat)
    summary = chat.text
    assert "Pengasuhan anak" in summary and "Kabupaten Lebak" in summary and "Sore–malam (16.00–20.00)" in summary
    assert {"Untuk: saya sendiri", "Cara dihubungi: lewat chat ini"} <= set(summary.splitlines())
    chat.press("confirm:send")
    code = chat.ticket_code()
    assert (
        "Konselor LK3 Kabupaten Lebak, Lembaga Konsultasi Kesejahteraan Keluarga, akan menghubungi Anda "
        "lewat chat ini dalam 3 hari kerja."
    ) in chat.text
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.ticket_code, request.kind, request.queue_code, request.urgency) == (
            code,
            "counseling",
            "lk3-kab-lebak",
            "normal",
        )
        assert (request.topic, request.for_whom, request.contact_way, request.contact_times) == (
            "pengasuhan_anak",
            "self",
            "chat",
            "evening",
        )
        assert request.description == "Anak saya susah diatur sejak pindah sekolah"
        assert session.get(Contact, request.contact_id).contact_times == "evening"


def test_domestic_violence_goes_to_p2tp2a_urgent_with_validated_phone(chat: Chat, runtime) -> None:
    chat.start()
    chat.press("menu:konseling")
    chat.send("kekerasan dalam rumah tangga")  # typed label instead of a press
    chat.send("tangsel")  # typed region
    chat.send("2")  # numbered option: for a family member
    chat.press("way:phone")
    chat.send("0857")
    assert T.text("id", "common.phone_invalid") in chat.text
    chat.send("+62 857 1234 5678")
    chat.press("time:anytime")
    chat.press("skip")
    chat.press("consent:no")  # what would reach the citizen leaves the draft at once; the way is asked again
    assert "Konseling hanya bisa dilakukan" in chat.text and chat.choice_ids == ["way:chat", "way:phone"]
    with Session(runtime.db) as session:
        assert "6285712345678" not in str(session.exec(select(Conversation)).one().data)
    chat.press("way:phone")
    chat.send("+62 857 1234 5678")
    chat.press("time:now")  # "Sekarang aman": no window to wait for
    chat.press("skip")
    chat.press("consent:yes")
    assert "(tidak diisi)" in chat.text and "Untuk: anggota keluarga" in chat.text.splitlines()
    chat.press("confirm:send")
    assert "akan menghubungi Anda lewat telepon dalam 4 jam." in chat.text and "1 jam" not in chat.text
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.queue_code, request.urgency, request.phone, request.for_whom) == (
            "p2tp2a-kota-tangerang-selatan",
            "urgent",
            "+6285712345678",
            "family",
        )


def test_change_way_from_phone_to_chat_drops_the_phone(chat: Chat, runtime) -> None:
    _to_summary(chat, way="phone")
    assert "Cara dihubungi: lewat telepon, +6285712345678" in chat.text.splitlines()
    chat.press("confirm:edit")
    chat.press("edit:contact_way")
    chat.press("way:chat")
    assert "+6285712345678" not in chat.text and "Cara dihubungi: lewat chat ini" in chat.text.splitlines()
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        assert session.exec(select(Request)).one().phone is None


def test_a_phone_call_asked_for_at_the_summary_asks_the_number_and_consent_again(chat: Chat, runtime) -> None:
    """ "ganti jadi telpon aja": the number, then the consent for it, then the summary; nothing stored before."""
    _to_summary(chat)
    chat.send("ganti jadi telpon aja")
    assert T.text("id", "form.corrected") in chat.text and "nomor telepon" in chat.text
    chat.send("0857 1234 5678")
    assert "consent:yes" in chat.choice_ids  # asked again: the consent given was for the chat
    chat.press("consent:yes")
    assert "Cara dihubungi: lewat telepon, +6285712345678" in chat.text.splitlines()
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        assert session.exec(select(Request)).one().phone == "+6285712345678"


def test_for_whom_and_back_to_chat_typed_at_the_summary(chat: Chat, runtime) -> None:
    _to_summary(chat, way="phone")
    chat.send("itu buat adek sy bukan buat sy")
    assert "Untuk: anggota keluarga" in chat.text.splitlines()
    chat.send("salah, lewat chat aja jangan ditelpon")
    chat.press("consent:yes")
    assert "Cara dihubungi: lewat chat ini" in chat.text.splitlines() and "+6285712345678" not in chat.text
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
    assert request.phone is None and request.for_whom == "family"


def test_safe_now_typed_at_an_urgent_form_is_the_button(chat: Chat) -> None:
    """ "skrg aman" where "Sekarang aman" is offered (domestic violence: an urgent form)."""
    chat.start()
    chat.press("menu:konseling")
    chat.press("topic:kdrt")
    chat.press("reg:kab-lebak")
    chat.press("whom:self")
    chat.press("way:chat")
    assert "time:now" in chat.choice_ids
    chat.send("skrg aman, suami lg kerja")
    assert chat.last[-1].text.startswith(T.text("id", "counseling.ask_story"))


def test_the_safe_time_question_follows_the_urgency_the_routing_file_gives_the_topic(
    database_url: str, tmp_path: Path
) -> None:
    """An operator who makes divorce urgent and domestic violence normal gets the time questions to match."""
    routing = yaml.safe_load((PROJECT_ROOT / "config" / "routing.yaml").read_text(encoding="utf-8"))
    routing["counseling"]["rules"] = [{"topics": ["perceraian"], "agency": "p2tp2a", "urgency": "urgent"}]
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(routing, allow_unicode=True), encoding="utf-8")
    runtime = build_runtime(Settings(_env_file=None, database_url=database_url, routing_file=path))
    try:
        for topic, urgent in (("perceraian", True), ("kdrt", False)):
            chat = Chat(runtime.engine, user_id=f"citizen-{topic}")
            chat.start()
            for press in ("menu:konseling", f"topic:{topic}", "reg:kab-lebak", "whom:self", "way:chat"):
                chat.press(press)
            asked = "counseling.ask_safe_time" if urgent else "counseling.ask_time"
            assert chat.last[-1].text == T.text("id", asked)
            assert ("time:now" in chat.choice_ids) is urgent
    finally:
        runtime.close()


def test_safe_now_typed_at_the_summary_of_a_form_not_offering_it_changes_nothing(chat: Chat) -> None:
    _to_summary(chat)
    chat.send("salah, sekarang aman")
    assert "edit:contact_time" in chat.choice_ids and "Sekarang aman" not in chat.text
