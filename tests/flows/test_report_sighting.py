"""Transcripts of the sighting report through the real engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.i18n import load_catalog
from storage.models import Contact, Conversation, Request, RequestEvent, StoredPhoto
from tests.helpers.chat import Chat

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

T = load_catalog()


def t(key: str, **params) -> str:
    return T.text("id", key, emergency_number="112", sapa_phone="129", sapa_whatsapp="08111-129-129", **params)


def _until_description(chat: Chat) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:anak")
    chat.press("cat:anak_jalanan")
    chat.press("reg:kota-serang")
    chat.send("kec. taktakan")
    chat.send("depan pasar rau, dekat lampu merah")


def test_an_answer_that_fits_two_options_offers_those_two_with_their_labels(chat: Chat) -> None:
    """ "jangan ditelepon" rules out the phone only: chat or anonymous is asked, not the whole question again."""
    _until_description(chat)
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    chat.press("skip")
    chat.send("jangan ditelepon")
    assert chat.text == t("common.mean_question")
    assert chat.choice_ids == ["mean:anonymous", "mean:chat", "mean:none"]
    assert [c.label for c in chat.last[-1].choices[:2]] == [t("sighting.contact_anonymous"), t("sighting.contact_chat")]
    chat.press("mean:chat")
    assert "Apakah Anda setuju?" in chat.text


@pytest.mark.parametrize("typed", ["boleh", "iya silakan", "terserah petugas aja"])
def test_a_bare_yes_to_being_contacted_offers_chat_or_phone(chat: Chat, typed: str) -> None:
    """ "Bolehkah petugas menghubungi Anda?" "boleh": yes, but not how; the two ways are offered, not the question."""
    _until_description(chat)
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    chat.press("skip")
    chat.send(typed)
    assert chat.text == t("common.mean_question")
    assert chat.choice_ids == ["mean:chat", "mean:phone", "mean:none"]
    chat.press("mean:phone")
    assert chat.text == t("common.ask_phone")


@pytest.mark.parametrize("typed", ["henteu, ulah", "gak", "tidak boleh"])
def test_a_no_to_being_contacted_in_any_tongue_is_anonymous(chat: Chat, runtime, typed: str) -> None:
    _until_description(chat)
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    chat.press("skip")
    chat.send(typed)
    assert "Apakah Anda setuju?" in chat.text  # no way of contact asked: the consent to keep the report
    chat.press("consent:yes")
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.anonymous, request.phone, request.contact_way) == (True, None, "anonymous")


def test_happy_path_creates_one_routed_request_with_ticket(chat: Chat, runtime) -> None:
    _until_description(chat)
    assert chat.text == t("sighting.ask_description")
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    assert "skip" in chat.choice_ids and chat.last[-1].request_photo
    chat.photo()
    assert chat.text == t("sighting.photo_received", count=1, max=3)
    assert chat.choice_ids == ["photo:another", "photo:done"]
    chat.press("photo:done")
    assert chat.choice_ids == ["contact:anonymous", "contact:chat", "contact:phone"]
    chat.press("contact:phone")
    chat.send("0812-3456-7890")
    assert "Apakah Anda setuju?" in chat.text
    chat.press("consent:yes")
    summary = chat.text
    assert "Anak jalanan" in summary and "Kota Serang, Kec. Taktakan" in summary
    assert "depan pasar rau" in summary and "Foto: 1 terlampir" in summary
    assert "Kontak: lewat telepon, +6281234567890" in summary
    chat.press("confirm:send")
    code = chat.ticket_code()
    assert (
        "Petugas Dinas Sosial Kota Serang akan mulai menangani laporan ini dalam 1 hari kerja "
        "dan menghubungi Anda lewat telepon dalam 3 hari kerja."
    ) in chat.text
    assert "menu:lapor" in chat.choice_ids  # back at the menu

    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.ticket_code, request.queue_code, request.urgency) == (code, "dinsos-kota-serang", "normal")
        assert request.category == "anak_jalanan" and request.kecamatan_code is not None
        [photo] = session.exec(select(StoredPhoto)).all()
        assert request.photo_refs == [f"photo:{photo.id}"] and photo.request_id == request.id
        assert request.phone == "+6281234567890"
        assert request.anonymous is False and request.status == "new"
        assert request.claim_due_at > request.created_at
        events = session.exec(select(RequestEvent)).all()
        assert [(e.kind, e.to_status) for e in events] == [("created", "new")]
        contact = session.get(Contact, request.contact_id)
        assert contact.consent_at is not None and contact.consent_version == "2026-11-v1"


def test_summary_lines_read_as_plain_answers(chat: Chat) -> None:
    """No "Foto: 0 foto" or "Kontak: Boleh, lewat chat ini": the answer itself, in a few words."""
    _until_description(chat)
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    chat.press("skip")
    chat.press("contact:chat")
    chat.press("consent:yes")
    lines = chat.text.splitlines()
    assert "Foto: tidak ada" in lines and "Kontak: lewat chat ini" in lines
    assert "Kategori: Anak jalanan" in lines


def test_pin_and_anonymous_report_of_violence_is_urgent_at_p2tp2a(chat: Chat, runtime) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.send("korban tindak kekerasan")  # typed category skips the group question
    assert chat.text == t("common.ask_region")
    chat.send("kab lebak")
    chat.send("rangkas bitung")
    assert chat.last[-1].request_location
    chat.location(-6.36, 106.25)
    chat.send("Seorang ibu terlihat luka di wajah")
    chat.press("skip")
    chat.press("contact:anonymous")
    chat.press("consent:yes")
    assert "titik lokasi (-6.36000, 106.25000)" in chat.text
    assert "Foto: tidak ada" in chat.text.splitlines()
    assert "Kontak: anonim (petugas tidak akan menghubungi Anda)" in chat.text.splitlines()
    chat.press("confirm:send")
    assert "akan mulai menangani laporan ini dalam 1 jam. Anda melapor tanpa nama" in chat.text
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.queue_code, request.urgency, request.anonymous) == ("p2tp2a-kab-lebak", "urgent", True)
        assert (request.latitude, request.longitude, request.landmark) == (-6.36, 106.25, None)
        assert request.phone is None


def test_bad_inputs_are_reprompted_and_lose_nothing(chat: Chat, runtime) -> None:
    _until_description(chat)
    chat.send("   ")
    assert t("common.empty_text") in chat.text and t("sighting.ask_description") in chat.text
    chat.send("x" * 20_000)
    assert t("common.text_too_long", limit=2000, length=20_000) in chat.text
    chat.send("😢😢😢🙏")
    assert t("common.text_too_short") in chat.text
    chat.photo()
    assert t("common.photo_not_here") in chat.text
    chat.voice()
    assert t("common.unsupported") in chat.text
    chat.press("cat:pengemis")  # a button from an old keyboard
    assert t("common.stale_choice") in chat.text
    chat.send("Anak tidur di emperan toko")
    assert chat.text.startswith(t("sighting.ask_photo", max=3))
    chat.send("sebentar saya cari dulu")  # text where a photo was asked
    assert t("sighting.photo_expected") in chat.text
    chat.press("skip")
    chat.press("contact:phone")
    chat.send("12345")
    assert t("common.phone_invalid") in chat.text
    chat.send("+62 812 1111 2222")
    chat.press("consent:yes")
    summary = chat.text
    # every earlier answer survived the detours
    assert "Kota Serang, Kec. Taktakan" in summary and "depan pasar rau" in summary
    assert "Anak tidur di emperan toko" in summary and "+6281211112222" in summary


def test_location_outside_banten_is_refused(chat: Chat) -> None:
    _until_description(chat)  # answered the place with text; change it to a pin in Jakarta
    chat.send("ada anak mengamen")
    chat.press("skip")
    chat.press("contact:chat")
    chat.press("consent:yes")
    chat.press("confirm:edit")
    chat.press("edit:place")
    chat.location(-6.175, 106.827)  # Monas, Jakarta
    assert t("sighting.place_outside_banten") in chat.text
    chat.location(-6.12, 106.15)
    assert "titik lokasi (-6.12000, 106.15000)" in chat.text
    assert chat.choice_ids == ["confirm:send", "confirm:edit"]


def test_change_one_answer_from_summary_keeps_the_others(chat: Chat, runtime) -> None:
    _until_description(chat)
    chat.send("lansia tidur di pinggir jalan")
    chat.press("skip")
    chat.press("contact:chat")
    chat.press("consent:yes")
    chat.press("confirm:edit")
    assert "edit:category" in chat.choice_ids and "edit:region" in chat.choice_ids
    chat.press("edit:category")
    chat.press("grp:lansia_disabilitas")
    chat.press("cat:lansia_telantar")
    summary = chat.text
    assert "Lanjut usia telantar" in summary and "lansia tidur di pinggir jalan" in summary
    chat.press("confirm:edit")
    chat.press("edit:region")
    chat.press("reg:kota-cilegon")
    assert "Cilegon" in chat.text  # the kecamatan question follows: the old one belonged elsewhere
    chat.send("ciwandan")
    assert "Kota Cilegon, Kec. Ciwandan" in chat.text
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.category, request.queue_code) == ("lansia_telantar", "dinsos-kota-cilegon")


def test_declining_consent_sends_the_report_anonymously(chat: Chat, runtime) -> None:
    _until_description(chat)
    chat.send("anak jalanan di perempatan")
    chat.press("skip")
    chat.press("contact:phone")
    chat.send("081234567890")
    chat.press("consent:no")
    assert t("sighting.consent_declined") in chat.text
    assert "081234567890" not in chat.text and "+6281234567890" not in chat.text
    assert "Kontak: anonim (petugas tidak akan menghubungi Anda)" in chat.text.splitlines()
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert request.anonymous and request.phone is None
        assert session.get(Contact, request.contact_id).consent_at is None


def _declined_then_contact_chosen_again(chat: Chat, way: str) -> None:
    """An anonymous report whose consent was declined, then `Ubah` -> Kontak -> `way` (with a number for phone)."""
    _until_description(chat)
    chat.send("anak jalanan di perempatan")
    chat.press("skip")
    chat.press("contact:anonymous")
    chat.press("consent:no")
    chat.press("confirm:edit")
    chat.press("edit:contact_mode")
    chat.press(way)
    if way == "contact:phone":
        chat.send("081234567890")


@pytest.mark.parametrize("way", ["contact:phone", "contact:chat"])
def test_no_path_through_ubah_keeps_contact_data_after_consent_was_declined(chat: Chat, runtime, way: str) -> None:
    """Declined, then `Ubah` -> Kontak -> a way to be contacted: consent is asked again before the summary."""
    _declined_then_contact_chosen_again(chat, way)
    assert chat.choice_ids == ["consent:yes", "consent:no"]  # not the summary: consent first
    chat.press("consent:no")
    assert "081234567890" not in chat.text and "+6281234567890" not in chat.text
    with Session(runtime.db) as session:  # the draft holds no number either
        assert "6281234567890" not in str(session.exec(select(Conversation)).one().data)
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.anonymous, request.phone, request.contact_way) == (True, None, "anonymous")
        assert session.get(Contact, request.contact_id).consent_at is None


def test_consent_given_after_ubah_keeps_the_number(chat: Chat, runtime) -> None:
    _declined_then_contact_chosen_again(chat, "contact:phone")
    chat.press("consent:yes")
    assert "+6281234567890" in chat.text
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.anonymous, request.phone) == (False, "+6281234567890")
        assert session.get(Contact, request.contact_id).consent_at is not None


def test_kecamatan_pages_and_unknown_region_goes_to_province(chat: Chat, runtime) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:jalanan")
    chat.press("cat:pengemis")
    chat.press("reg:kab-pandeglang")
    first_page = chat.choice_ids
    assert len([c for c in first_page if c.startswith("kec:")]) == 7  # six names and "tidak tahu"
    chat.press("kecpage:next")
    assert chat.choice_ids != first_page and "kecpage:prev" in chat.choice_ids
    chat.send("kec. tidak ada namanya")
    assert t("common.kecamatan_unknown") in chat.text
    chat.press("confirm:edit")  # not offered here
    assert t("common.stale_choice") in chat.text
    chat.press("kec:unknown")
    chat.send("alun-alun")
    chat.send("pengemis tua setiap pagi")
    chat.press("skip")
    chat.press("contact:anonymous")
    chat.press("consent:yes")
    chat.press("confirm:edit")
    chat.press("edit:region")
    chat.press("reg:unknown")
    assert "Wilayah: Tidak tahu" in chat.text
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.queue_code, request.region, request.kecamatan_code) == ("dinsos-provinsi", None, None)


def test_a_time_to_call_said_with_the_way_is_kept_and_shown(chat: Chat, runtime) -> None:
    """ "telp aja abis jam 4 sore" at the contact question: the phone, and when to call, on the summary, the
    request and the contact (the report never asks for a time, so it keeps the one said)."""
    _until_description(chat)
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    chat.press("skip")
    chat.send("telp aja abis jam 4 sore")
    assert chat.text == t("common.ask_phone")
    chat.send("0812-3456-7890")
    chat.press("consent:yes")
    assert f"Kontak: lewat telepon, +6281234567890, {t('contact_time.evening')}" in chat.text.splitlines()
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.contact_way, request.contact_times) == ("phone", "evening")
        assert session.get(Contact, request.contact_id).contact_times == "evening"


def test_changing_the_contact_answer_says_its_own_time(chat: Chat) -> None:
    """`Ubah` -> Kontak: the time said with the old answer goes; one said with the new answer is kept."""
    _until_description(chat)
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    chat.press("skip")
    chat.send("lewat chat aja, sore")
    chat.press("consent:yes")
    assert f"Kontak: lewat chat ini, {t('contact_time.evening')}" in chat.text.splitlines()
    chat.press("confirm:edit")
    chat.press("edit:contact_mode")
    chat.send("chat aja, pagi")
    assert f"Kontak: lewat chat ini, {t('contact_time.morning')}" in chat.text.splitlines(), chat.text


def test_a_time_to_call_goes_with_consent_declined(chat: Chat, runtime) -> None:
    """Declined: the report goes anonymous, and no time to call is kept anywhere."""
    _until_description(chat)
    chat.send("Ada anak kecil mengamen sendirian sampai malam")
    chat.press("skip")
    chat.send("kpn aja boleh telpon")
    chat.send("0812-3456-7890")
    chat.press("consent:no")
    assert "Kontak: anonim (petugas tidak akan menghubungi Anda)" in chat.text.splitlines()
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.anonymous, request.contact_times) == (True, None)
        assert session.get(Contact, request.contact_id).contact_times is None
