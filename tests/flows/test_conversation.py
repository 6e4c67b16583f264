"""Conversation-wide behaviour: commands anywhere, danger words, menu and resume, status, language."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from bot.flows.state import ConversationState, from_row
from bot.i18n import load_catalog
from storage.models import Contact, Conversation, Request
from tests.helpers.chat import Chat

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

T = load_catalog()


def _report(chat: Chat, description: str = "anak mengamen di lampu merah") -> str:
    chat.press("menu:lapor")
    chat.press("grp:anak")
    chat.press("cat:anak_jalanan")
    chat.press("reg:kota-serang")
    chat.send("taktakan")
    chat.send("depan pasar rau")
    chat.send(description)
    chat.press("skip")
    chat.press("contact:chat")
    chat.press("consent:yes")
    chat.press("confirm:send")
    return chat.ticket_code()


def test_same_inbound_twice_creates_one_request(chat: Chat, runtime) -> None:
    chat.start()
    _report(chat)
    # The final "kirim" press re-delivered by the platform with the same message id:
    chat.start()
    chat.press("menu:lapor")
    chat.send("pengemis")
    chat.press("reg:kota-serang")
    chat.send("serang")
    chat.send("alun-alun")
    chat.send("pengemis tua")
    chat.press("skip")
    chat.press("contact:anonymous")
    chat.press("consent:yes")
    first = chat.send("kirim", message_id="platform-msg-42")
    again = chat.send("kirim", message_id="platform-msg-42")
    assert any("Kode tiket" in r.text for r in first) and again == []
    with Session(runtime.db) as session:
        assert session.exec(select(func.count()).select_from(Request)).one() == 2


def test_status_in_full_only_for_own_ticket(chat: Chat, runtime) -> None:
    chat.start()
    code = _report(chat)
    chat.send(f"status {code.lower().replace('-', ' ')}")
    assert f"Tiket {code} (laporan)" in chat.text and "Diterima, menunggu petugas" in chat.text
    assert "Dinas Sosial Kota Serang" in chat.text
    stranger = Chat(runtime.engine, user_id="someone-else")
    stranger.start()
    stranger.press("menu:status")
    stranger.send(code)
    # Anyone with the code learns how it stands (issue 16: a new browser, another phone), nothing more.
    assert f"Tiket {code}\nStatus: Diterima, menunggu petugas\nTerakhir diperbarui: " in stranger.text
    assert "Dinas Sosial Kota Serang" not in stranger.text and "laporan" not in stranger.text
    stranger.send("status XYZ")
    assert T.text("id", "status.bad_code") in stranger.text


def test_danger_words_show_emergency_numbers_and_make_request_urgent(chat: Chat, runtime) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:jalanan")
    chat.press("cat:gelandangan")
    chat.press("reg:kab-serang")
    chat.send("ciruas")
    chat.send("bawah jembatan")
    chat.send("Ada gelandangan yang DIPUKULI warga tadi malam")
    assert "112" in chat.last[0].text and "SAPA 129" in chat.last[0].text
    assert chat.last[-1].text.startswith(T.text("id", "sighting.ask_photo", max=3))  # the flow goes on
    chat.press("skip")
    chat.press("contact:anonymous")
    chat.press("consent:yes")
    chat.press("confirm:send")
    assert "dalam 1 jam" in chat.text
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.urgency, request.danger_flag, request.queue_code) == ("urgent", True, "dinsos-kab-serang")


def test_batal_asks_first_then_clears_the_draft(chat: Chat, runtime) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:anak")
    chat.send("/batal")
    assert chat.choice_ids == ["cancel:yes", "cancel:no"]
    chat.press("cancel:no")
    assert "cat:anak_jalanan" in chat.choice_ids  # back at the category question, group kept
    chat.send("batal")
    chat.press("cancel:yes")
    assert T.text("id", "cancel.done") in chat.text and "menu:resume" not in chat.choice_ids
    with Session(runtime.db) as session:
        conversation = session.exec(select(Conversation)).one()
        assert from_row(conversation.flow, conversation.step, conversation.data) == ConversationState()


def test_menu_keeps_draft_and_resume_continues_it(chat: Chat) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:anak")
    chat.press("cat:anak_telantar")
    chat.send("menu")
    assert chat.choice_ids[0] == "menu:resume"
    chat.send("bantuan")
    assert "status KODE" in chat.text
    chat.press("menu:resume")
    assert chat.text == T.text("id", "common.ask_region")
    chat.send("lapor")  # the same form again: resumed, not restarted
    assert chat.text == T.text("id", "common.ask_region")


def test_help_in_a_form_repeats_the_question(chat: Chat) -> None:
    chat.start()
    chat.press("menu:konseling")
    chat.send("/bantuan")
    assert "SAPA 129" in chat.text and chat.last[-1].text == T.text("id", "counseling.ask_topic")


def test_language_switch_keeps_the_draft_and_answers_in_english(chat: Chat, runtime) -> None:
    chat.start()
    chat.press("menu:konseling")
    chat.press("topic:perceraian")
    chat.send("bahasa")
    chat.press("lang:en")
    assert "Language changed to English." in chat.text
    assert chat.last[-1].text == "In which regency/city? Pick below or type its name."
    chat.press("reg:kota-serang")
    assert chat.last[-1].text == "Who is the counseling for?"
    with Session(runtime.db) as session:
        assert session.exec(select(Contact)).one().language == "en"


def test_deep_link_opens_report_with_region_filled(chat: Chat) -> None:
    chat.start()
    chat.send("/start lapor_kota-cilegon")
    chat.press("grp:lansia_disabilitas")
    chat.press("cat:lansia_telantar")
    assert "Kota Cilegon" in chat.text and any(c.startswith("kec:") for c in chat.choice_ids)


def test_a_greeting_at_the_menu_is_answered_warmly(chat: Chat) -> None:
    chat.start()
    chat.send("halo pak, saya mau tanya")
    assert chat.last[0].text == T.text("id", "menu.greeting_back") and "menu:lapor" in chat.choice_ids
    assert "belum mengerti" not in chat.text


def test_unknown_text_in_menu_gets_a_clear_answer_and_never_twice(chat: Chat) -> None:
    chat.start()
    chat.send("qwrty")
    assert T.text("id", "menu.pick_one") in chat.text and "menu:lapor" in chat.choice_ids
    chat.send("zxcv")
    assert "belum mengerti" not in chat.text and T.text("id", "menu.pick_again") in chat.text


def test_first_message_on_a_platform_is_greeted(runtime) -> None:
    """Telegram and WhatsApp contacts never call start(): their first message gets the greeting."""
    from bot.messages import Channel

    hello = Chat(runtime.engine, user_id="wa-1", channel=Channel.WHATSAPP)
    hello.send("halo")
    assert hello.last[0].text.startswith("Halo! Ini layanan") and "menu:lapor" in hello.choice_ids
    assert T.text("id", "menu.pick_one") not in hello.text
    direct = Chat(runtime.engine, user_id="wa-2", channel=Channel.WHATSAPP)
    direct.send("lapor")
    assert direct.last[0].text.startswith("Halo!") and "grp:anak" in direct.choice_ids
    direct.voice()
    assert T.text("id", "common.unsupported") in direct.text


def test_unsupported_message_at_the_menu_says_what_we_take(chat: Chat) -> None:
    chat.start()
    chat.voice()
    assert T.text("id", "common.unsupported") in chat.text and "menu:lapor" in chat.choice_ids
