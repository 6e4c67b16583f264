"""Citizens who write in their own words (issue 15), as transcripts through the real engine.

Greetings, whole stories, everyday names, places by kecamatan, cries for help: what the citizen reads
back, and the request that lands in the database.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.domain.regions import load_regions
from bot.i18n import load_catalog
from bot.messages import Channel
from bot.runtime import Runtime
from storage.models import OutboxMessage, Request, RequestEvent
from tests.helpers.chat import Chat
from tests.helpers.staff import link_on_telegram, make_staff

T = load_catalog()
NOT_UNDERSTOOD = "belum mengerti"


def t(key: str, **params: str) -> str:
    return T.text(
        "id", key, **{"emergency_number": "112", "sapa_phone": "129", "sapa_whatsapp": "08111-129-129", **params}
    )


def _first(runtime: Runtime, text: str, user: str = "wa-1") -> Chat:
    """A WhatsApp citizen whose very first message is `text`."""
    chat = Chat(runtime.engine, user_id=user, channel=Channel.WHATSAPP)
    chat.send(text)
    return chat


def _at_menu(runtime: Runtime, text: str, user: str = "web-1") -> Chat:
    """A web chat citizen who types `text` at the main menu."""
    chat = Chat(runtime.engine, user_id=user)
    chat.start()
    chat.send(text)
    return chat


def _cry(runtime: Runtime, text: str) -> Chat:
    """A first message that is a cry for help: the emergency numbers come first."""
    chat = _first(runtime, text)
    assert chat.last[0].text == t("safety.emergency"), chat.text
    return chat


#: The simplest answer to each question a form may still ask, in the order they come.
_SIMPLEST = ("kec:unknown", "skip", "contact:anonymous", "whom:self", "way:chat", "time:anytime", "consent:yes")


def _finish(chat: Chat) -> str:
    """Answer whatever the form still asks, the simplest way, and send it; returns the ticket code."""
    for _ in range(12):
        ids = chat.choice_ids
        if "confirm:send" in ids:
            chat.press("confirm:send")
            return chat.ticket_code()
        pressed = next((choice for choice in _SIMPLEST if choice in ids), None)
        if "reg:unknown" in ids:
            chat.press("reg:kota-serang")
        elif pressed:
            chat.press(pressed)
        elif chat.last[-1].request_location:
            chat.send("depan pasar")
        else:
            chat.send("anak kecil tidur di trotoar")
    raise AssertionError(f"the form did not end: {chat.text}")


def _understood_as(chat: Chat, kind: str, code: str) -> None:
    """The story's category or topic: taken and said ("Baik, kami catat: ..."), or, for a whole story of a
    dozen words or more, offered alone to confirm ("Maksud Anda: ...?"), which the citizen presses."""
    label = t(f"{kind}.{code}")
    if t("menu.story_noted", what=label) in chat.text:
        return
    assert chat.last[-1].text.endswith(t("common.mean_one", what=label)), chat.text
    assert chat.choice_ids == [f"mean:{code}", "mean:none"]
    chat.press(f"mean:{code}")


def _request(runtime: Runtime, code: str) -> Request:
    with Session(runtime.db) as session:
        return session.exec(select(Request).where(Request.ticket_code == code)).one()


@pytest.mark.parametrize("greeting", ["halo", "assalamualaikum", "selamat pagi pak", "p", "Punten kak"])
def test_a_greeting_is_greeted_never_refused(runtime: Runtime, greeting: str) -> None:
    chat = _first(runtime, greeting)
    assert chat.last[0].text.startswith("Halo! Ini layanan") and "menu:lapor" in chat.choice_ids
    assert NOT_UNDERSTOOD not in chat.text
    chat.send("makasih ya min")
    assert chat.last[0].text == t("menu.thanks_back") and NOT_UNDERSTOOD not in chat.text


def test_a_story_as_first_message_opens_the_report_with_what_it_says(runtime: Runtime) -> None:
    story = "pak saya mau lapor ada orang gila di jalan depan pasar"
    chat = _first(runtime, story)
    assert t("menu.story_noted", what=t("pmks.penyandang_disabilitas")) in chat.text
    assert chat.last[-1].text == t("common.ask_region")  # the category was taken: only what is missing
    chat.send("kab tangerang")  # was taken as Kota Tangerang before
    assert chat.last[-1].text.startswith("Di kecamatan mana di Kabupaten Tangerang?")
    code = _finish(chat)
    request = _request(runtime, code)
    assert (request.category, request.description, request.queue_code) == (
        "penyandang_disabilitas",
        story,
        "dinsos-kab-tangerang",
    )


@pytest.mark.parametrize(
    ("story", "category"),
    [
        ("nenek tua tidur di emperan toko", "lansia_telantar"),
        ("warga kampung kami kebanjiran, butuh bantuan makanan", "korban_bencana_alam"),
        ("ada anak kecil mengemis di lampu merah", "anak_jalanan"),
    ],
)
def test_stories_at_the_menu_start_the_right_report(chat: Chat, story: str, category: str) -> None:
    chat.start()
    chat.send(story)
    assert t("help.text").splitlines()[0] not in chat.text  # "bantuan" inside a sentence is not the help command
    assert t("menu.story_noted", what=t(f"pmks.{category}")) in chat.text and NOT_UNDERSTOOD not in chat.text


@pytest.mark.parametrize(
    ("typed", "category"),
    [
        ("orang gila", "penyandang_disabilitas"),
        ("odgj", "penyandang_disabilitas"),
        ("pecandu", "korban_napza"),
        ("tki", "pekerja_migran_bermasalah"),
        ("janda miskin", "perempuan_rawan_sosial_ekonomi"),
        ("korban tanah longsor", "korban_bencana_alam"),
        ("mantan narapidana", "bekas_warga_binaan"),
        ("anjal", "anak_jalanan"),
        ("ada anak kecil mengemis di lampu merah", "anak_jalanan"),
    ],
)
def test_everyday_names_answer_the_category_question(chat: Chat, typed: str, category: str) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.send(typed)
    assert chat.last[-1].text == t("common.ask_region"), chat.text
    chat.press("reg:kota-serang")
    chat.press("kec:unknown")
    chat.send("depan masjid")
    # the summary at the end shows what was taken
    for press in ("skip", "contact:anonymous", "consent:yes"):
        if not chat.choice_ids:
            chat.send("anak kecil tidur di trotoar")
        chat.press(press)
    assert f"Kategori: {t(f'pmks.{category}')}" in chat.text


def test_close_meanings_are_asked_with_at_most_three_options_and_none_of_these(chat: Chat) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.send("ada waria mangkal tiap malam")  # a minority, or sex work: both fit
    assert chat.last[-1].text == t("common.mean_question")
    options = [c for c in chat.choice_ids if c != "mean:none"]
    assert 2 <= len(options) <= 3 and set(options) >= {"mean:kelompok_minoritas", "mean:tuna_susila"}
    assert chat.choice_ids[-1] == "mean:none"
    chat.press("mean:none")  # "Bukan, pilih sendiri": the usual question with every group
    assert "grp:anak" in chat.choice_ids
    chat.send("ada waria mangkal tiap malam")
    chat.press("mean:kelompok_minoritas")
    assert chat.last[-1].text == t("common.ask_region")


def test_a_long_story_at_a_place_in_banten_in_words_the_vocabulary_lacks_is_kept_as_a_report(runtime: Runtime) -> None:
    story = (
        "saya punya tetangga, kakek2 umur 80an, cucu2nya gk peduli, tiap hari cuma makan dr kiriman warga. "
        "kp. cibungur kec. cipanas"
    )
    chat = _first(runtime, story)
    assert t("menu.story_kept_sighting") in chat.text  # not the menu: the story is not lost
    assert "grp:lansia_disabilitas" in chat.choice_ids  # only what is missing is asked
    chat.press("grp:lansia_disabilitas")
    chat.press("cat:lansia_telantar")
    request = _request(runtime, _finish(chat))
    assert (request.region, request.description) == ("kab-lebak", story)


def test_ones_own_need_told_evenly_is_asked_report_or_counseling(runtime: Runtime) -> None:
    """ "sy ODHA ... di-PHK": one's own need for help is a report as much as counseling; the citizen picks."""
    chat = _first(
        runtime,
        "sy korban kecelakaan kerja, kaki kanan diamputasi, skrg di-PHK. sy tinggal di kec. "
        "tunjung teja. pengen punya kaki palsu biar bisa kerja lg",
    )
    assert chat.choice_ids[:2] == ["mean:report", "mean:counseling"]
    chat.press("mean:report")
    _understood_as(chat, "pmks", "penyandang_disabilitas")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.region) == ("penyandang_disabilitas", "kab-serang")


def test_a_question_naming_a_place_is_no_story(runtime: Runtime) -> None:
    chat = _first(runtime, "harga beras di pasar rangkas brp skrg")
    assert "menu:lapor" in chat.choice_ids


def test_a_story_whose_runner_up_has_half_the_evidence_is_asked_not_routed(chat: Chat, runtime: Runtime) -> None:
    """One word more is no lead in a story: the citizen picks between the two."""
    chat.start()
    chat.send("tetangga sy mantan napi, skrg kerjanya mulung botol bekas keliling kampung, kasian liatnya")
    assert t("common.mean_question") in chat.last[-1].text
    assert sorted(chat.choice_ids[:2]) == ["mean:bekas_warga_binaan", "mean:pemulung"]
    assert chat.choice_ids[2:] == ["mean:none"]
    chat.press("mean:pemulung")
    code = _finish(chat)
    assert _request(runtime, code).category == "pemulung"


@pytest.mark.parametrize("typed", ["masalah rumah tangga", "mau cerai", "suami selingkuh", "kena phk, utang numpuk"])
def test_typed_topics_are_understood(chat: Chat, typed: str) -> None:
    chat.start()
    chat.press("menu:konseling")
    chat.send(typed)
    assert chat.last[-1].text == t("common.ask_region"), chat.text


def test_kdrt_topic_shows_sapa_129(chat: Chat) -> None:
    chat.start()
    chat.press("menu:konseling")
    chat.send("kdrt")
    assert t("counseling.kdrt_sapa") in chat.text and chat.last[-1].text == t("common.ask_region")


def test_a_report_asked_for_at_the_counseling_topic_opens_the_urgent_report_once(chat: Chat) -> None:
    """ "sebenernya sy mau lapor, anak tetangga dipukulin": the words would answer "kdrt", but a report of a
    hurt child is asked for in so many words: the urgent report opens, the numbers said once."""
    chat.start()
    chat.press("menu:konseling")
    chat.send("sebenernya sy mau lapor, anak tetangga dipukulin tiap hari")
    texts = [reply.text for reply in chat.last]
    assert texts.count(t("safety.emergency")) == 1 and t("safety.in_form") not in texts, texts
    assert t("safety.urgent_form") in texts and texts[-1] == t("common.ask_region")
    chat.press("reg:kab-serang")  # the report asks the kecamatan next; counseling never does
    assert chat.last[-1].text == t("common.ask_kecamatan", region="Kabupaten Serang"), chat.text


@pytest.mark.parametrize(
    ("typed", "region", "kecamatan"),
    [
        ("pamulang", "kota-tangerang-selatan", "Pamulang"),
        ("rangkasbitung", "kab-lebak", "Rangkasbitung"),
        ("cikupa", "kab-tangerang", "Cikupa"),
        ("di balaraja", "kab-tangerang", "Balaraja"),
        ("cipocok", "kota-serang", "Cipocok Jaya"),
        ("tangsel", "kota-tangerang-selatan", None),
        ("kab tangerang", "kab-tangerang", None),
        ("kota serang", "kota-serang", None),
    ],
)
def test_places_as_people_write_them_answer_the_region_question(
    runtime: Runtime, typed: str, region: str, kecamatan: str | None
) -> None:
    chat = Chat(runtime.engine, user_id=f"place-{typed}")
    chat.start()
    chat.press("menu:lapor")
    chat.send("pengemis")
    chat.send(typed)
    regions = load_regions()
    region_name = regions.region(region).name
    if kecamatan:  # a kecamatan fills both answers: the next question is where exactly
        assert chat.last[-1].request_location, chat.text
        code = _finish(chat)
        stored = _request(runtime, code)
        assert stored.region == region and regions.kecamatan(stored.kecamatan_code).name == kecamatan
    else:
        assert chat.last[-1].text.startswith(f"Di kecamatan mana di {region_name}?"), chat.text


def test_serang_alone_is_asked_kota_or_kabupaten_and_a_place_elsewhere_is_named(chat: Chat) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.send("pengemis")
    chat.send("serang")
    assert chat.last[-1].text == t("common.region_kind", name="Serang")
    assert chat.choice_ids == ["mean:kab-serang", "mean:kota-serang", "mean:none"]
    chat.press("mean:kab-serang")
    assert chat.last[-1].text.startswith("Di kecamatan mana di Kabupaten Serang?")
    chat.send("menu")
    chat.press("menu:resume")
    chat.press("kec:unknown")
    chat.send("menu")
    chat.send("konseling")
    chat.press("topic:perceraian")
    chat.send("jakarta barat")
    assert t("common.outside_banten", place="Jakarta Barat") in chat.text
    assert "SAPA 129" in chat.text and t("common.ask_region") in chat.last[-1].text


def test_a_cry_for_help_shows_the_numbers_and_opens_the_urgent_counseling_form(runtime: Runtime) -> None:
    chat = _first(runtime, "saya dipukul suami saya tiap hari, tolong")
    assert chat.last[0].text == t("safety.emergency")  # 112 and SAPA 129 before anything else
    assert t("safety.urgent_form") in chat.text and NOT_UNDERSTOOD not in chat.text
    assert "tandai mendesak" not in chat.text  # nothing is marked yet: nothing was sent
    assert chat.last[-1].text == t("common.ask_region")  # topic and "for whom" came from the words
    code = _finish(chat)
    request = _request(runtime, code)
    assert (request.topic, request.for_whom, request.urgency, request.danger_flag) == ("kdrt", "self", "urgent", True)
    assert request.queue_code == "p2tp2a-kota-serang"


@pytest.mark.parametrize(
    "cry", ["tolong anak tetangga dipukulin bapaknya tiap malam", "adik saya dicabuli pamannya, umurnya 9 tahun"]
)
def test_a_child_in_danger_opens_the_urgent_report_of_a_child_victim(runtime: Runtime, cry: str) -> None:
    chat = _cry(runtime, cry)
    code = _finish(chat)
    request = _request(runtime, code)
    assert (request.category, request.urgency, request.queue_code) == (
        "anak_korban_kekerasan",
        "urgent",
        "p2tp2a-kota-serang",
    )


def test_a_whole_story_confirms_its_category_with_one_tap_and_keeps_the_rest(runtime: Runtime) -> None:
    """A story of a dozen words names its category as one reading among several: asked, never routed unasked."""
    chat = _first(
        runtime,
        "assalamualaikum pak, sy mau lapor, ada nenek2 di kampung sy di kec. cikupa, udah tua bgt tinggal "
        "sendirian di gubuk, anak2nya merantau semua gk pernah pulang, makan juga dikasih tetangga",
    )
    assert chat.last[-1].text.endswith(t("common.mean_one", what=t("pmks.lansia_telantar")))
    assert chat.choice_ids == ["mean:lansia_telantar", "mean:none"]
    chat.press("mean:lansia_telantar")
    assert chat.last[-1].request_location  # the region and kecamatan came from the story: not asked
    request = _request(runtime, _finish(chat))
    assert (request.category, request.queue_code) == ("lansia_telantar", "dinsos-kab-tangerang")
    assert load_regions().kecamatan(request.kecamatan_code).name == "Cikupa"


def test_a_childs_cry_for_help_that_also_tells_neglect_offers_both_categories(runtime: Runtime) -> None:
    """Hurt, or left alone? They go to different agencies: after the numbers the citizen says which."""
    chat = _first(runtime, "ada bocah ditinggal ibunya di kontrakan, udh 2 hari sendirian")
    assert chat.last[0].text == t("safety.emergency") and t("safety.urgent_form") in chat.text
    assert chat.choice_ids == ["mean:anak_korban_kekerasan", "mean:anak_telantar", "mean:none"]
    chat.press("mean:anak_telantar")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.urgency, request.queue_code) == ("anak_telantar", "urgent", "dinsos-kota-serang")


def test_a_child_hurt_at_home_is_never_offered_a_grown_ups_category(runtime: Runtime) -> None:
    chat = _first(runtime, "om tolong aku dipukulin mama pake gagang sapu sakit bgt")
    assert chat.last[-1].text == t("common.ask_region") and not any(i.startswith("mean:") for i in chat.choice_ids)
    assert _request(runtime, _finish(chat)).category == "anak_korban_kekerasan"


def test_a_riot_told_in_fear_is_a_social_disaster_not_violence_at_home(runtime: Runtime) -> None:
    chat = _cry(runtime, "ada bentrok antar kampung td malem, bnyk yg luka, rumah dibakar, sy takut keluar rumah")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.topic, request.urgency) == ("korban_bencana_sosial", None, "urgent")


@pytest.mark.parametrize(
    ("cry", "category"),
    [
        ("sy mau lapor ada odgj ngamuk di jalan bawa parang di kp sebelah, warga ketakutan", "penyandang_disabilitas"),
        ("sepupu sy waria diusir dr rumah, skrg tidur di musola, sering dipukulin org mabok", "kelompok_minoritas"),
    ],
)
def test_danger_from_outside_the_home_is_reported_never_counseled_as_kdrt(
    runtime: Runtime, cry: str, category: str
) -> None:
    chat = _cry(runtime, cry)
    if f"mean:{category}" in chat.choice_ids:  # offered beside a close rival (a victim of violence)
        chat.press(f"mean:{category}")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.topic, request.urgency) == (category, None, "urgent")


def test_a_report_said_to_be_sent_before_is_a_status_question(chat: Chat) -> None:
    chat.start()
    chat.send("bu sy udh lapor minggu kemaren soal pengemis di cilegon, kok blm ada kabar?")
    assert t("status.ask_code") in chat.text and t("common.ask_region") not in chat.text


def test_a_landmark_at_the_kecamatan_question_beats_a_name_spelled_alike(chat: Chat, runtime: Runtime) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.send("pengemis")
    chat.press("reg:kota-tangerang-selatan")
    chat.send("pondok cabe")  # Pamulang's, not Pondok Aren
    stored = _request(runtime, _finish(chat))
    assert load_regions().kecamatan(stored.kecamatan_code).name == "Pamulang"


@pytest.mark.parametrize("affixed", ["dipukulin", "digebukin", "ditampar", "dihajar", "ditendang"])
def test_danger_is_read_by_stem_in_a_form(chat: Chat, affixed: str) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:jalanan")
    chat.press("cat:gelandangan")
    chat.press("reg:kab-serang")
    chat.press("kec:unknown")
    chat.send("bawah jembatan")
    chat.send(f"bapak itu {affixed} preman tadi malam")
    assert chat.last[0].text == t("safety.emergency") and t("safety.in_form") in chat.text


def test_danger_after_sending_marks_the_open_request_urgent_and_alerts_its_coordinators(runtime: Runtime) -> None:
    coordinator = make_staff(runtime, "koord", role="coordinator", region="kota-serang")
    staff_chat = link_on_telegram(runtime, coordinator, user_id="tg-koord")
    chat = Chat(runtime.engine, user_id="citizen-danger")
    chat.start()
    chat.press("menu:lapor")
    chat.send("pengemis")
    code = _finish(chat)
    assert _request(runtime, code).urgency == "normal"
    chat.send("tolong pak, bapak itu dipukuli orang lagi sekarang")
    assert chat.last[0].text == t("safety.emergency")
    assert t("safety.escalated", code=code) in chat.text
    request = _request(runtime, code)
    assert (request.urgency, request.danger_flag) == ("urgent", True)
    with Session(runtime.db) as session:
        events = session.exec(select(RequestEvent.kind).where(RequestEvent.request_id == request.id)).all()
        alerts = session.exec(select(OutboxMessage).where(OutboxMessage.contact_id == staff_chat)).all()
    assert "danger" in events
    assert any(t("staff.danger_alert", code=code, queue="dinsos-kota-serang") in a.payload["text"] for a in alerts)


def test_never_two_not_understood_in_a_row(chat: Chat, runtime: Runtime) -> None:
    chat.start()
    chat.send("qwrty")
    assert NOT_UNDERSTOOD in chat.text
    chat.send("zxcvb")
    assert NOT_UNDERSTOOD not in chat.text and "menu:lapor" in chat.choice_ids
    # at the category question the second time the words are taken as they are, for staff to classify
    chat.press("menu:lapor")
    chat.send("itu lho yang kemarin")
    assert NOT_UNDERSTOOD in chat.text
    chat.send("yang di sebelah warung pak haji")
    assert NOT_UNDERSTOOD not in chat.text and t("sighting.category_as_said") in chat.text
    code = _finish(chat)
    request = _request(runtime, code)
    assert (request.category, request.queue_code) == ("belum_ditentukan", "dinsos-kota-serang")
    assert request.description == "itu lho yang kemarin\nyang di sebelah warung pak haji"


def test_a_button_question_guides_by_number_the_second_time(chat: Chat) -> None:
    chat.start()
    chat.press("menu:konseling")
    chat.press("topic:perceraian")
    chat.press("reg:kota-serang")
    chat.send("hmm")
    assert NOT_UNDERSTOOD in chat.text
    chat.send("hmmm")
    assert NOT_UNDERSTOOD not in chat.text and t("common.pick_by_number") in chat.text
    chat.send("untuk saya sendiri")
    assert chat.last[-1].text == t("counseling.ask_way")


def test_a_story_filled_answer_is_shown_and_can_be_changed(chat: Chat, runtime: Runtime) -> None:
    chat.start()
    chat.send("ada pengemis di pamulang tiap pagi, sudah tua dan kurus")
    summary = None
    for _ in range(10):
        if "confirm:send" in chat.choice_ids:
            summary = chat.last[-1].text
            break
        if "mean:pengemis" in chat.choice_ids:  # an old, thin beggar: "Pengemis" or "Lanjut usia telantar"?
            chat.press("mean:pengemis")
        elif chat.last[-1].request_location:
            chat.send("depan pasar pamulang")
        elif "skip" in chat.choice_ids:
            chat.press("skip")
        elif "contact:anonymous" in chat.choice_ids:
            chat.press("contact:anonymous")
        elif "consent:yes" in chat.choice_ids:
            chat.press("consent:yes")
    assert summary is not None
    assert "Kategori: Pengemis" in summary and "Kota Tangerang Selatan, Kec. Pamulang" in summary
    assert "Keterangan: ada pengemis di pamulang tiap pagi, sudah tua dan kurus" in summary
    chat.press("confirm:edit")
    chat.press("edit:category")
    chat.send("gelandangan")
    assert "Kategori: Gelandangan" in chat.text
    chat.press("confirm:send")
    assert _request(runtime, chat.ticket_code()).category == "gelandangan"


def test_status_followed_by_words_asks_for_the_code_not_a_format_error(chat: Chat) -> None:
    chat.start()
    chat.send("status laporan sy")
    assert t("status.ask_code") in chat.text and t("status.bad_code") not in chat.text
    chat.send("status ABC-DE")  # a code mistyped is still told so
    assert t("status.bad_code") in chat.text


def test_a_status_question_in_a_sentence_finds_the_code(chat: Chat) -> None:
    chat.start()
    chat.send("laporan sy kmrn gmn ya? kodenya hbx-27r")
    assert t("status_lookup.not_found", code="HBX-27R") in chat.text


def test_danger_told_with_a_status_question_asks_whether_it_is_a_report_sent_before(chat: Chat) -> None:
    """The numbers first; then "a report I sent" asks its code, "a new report" opens the urgent form."""
    chat.start()
    chat.send(
        "mau nanya perkembangan laporan sy yg soal anak dipasung di kec. sobang pandeglang, udh 2 minggu "
        "gk ada kabar, tiketnya sy lupa nyatet"
    )
    assert "112" in chat.text and t("menu.status_or_report") in chat.text
    assert chat.choice_ids == ["mean:status", "mean:report", "mean:none"]
    chat.press("mean:status")
    assert t("status.ask_code") in chat.text
    chat.start()
    chat.send("tolong pak ada cewe smp dibawa kabur om2, udah 3 hari ga pulang. ortunya udh lapor polisi blm ada kabar")
    chat.press("mean:report")
    assert t("safety.urgent_form") in chat.text  # a new cry: the urgent form


def test_side_questions_take_other_words_where_the_citizen_was(chat: Chat) -> None:
    chat.start()
    chat.send("status")
    assert chat.last[-1].text == t("status.ask_code")
    chat.send("ada pengemis di pasar cikupa")  # not a code: a report, read as one
    assert t("menu.story_noted", what=t("pmks.pengemis")) in chat.text
    chat.send("bahasa")
    chat.send("inggris")
    assert "Language changed to English." in chat.text


def test_an_unclear_answer_to_cancel_twice_keeps_the_form(chat: Chat) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.send("pengemis")
    chat.send("batal")
    chat.send("hmm")
    assert NOT_UNDERSTOOD in chat.text and chat.choice_ids == ["cancel:yes", "cancel:no"]
    chat.send("hmmm")
    assert NOT_UNDERSTOOD not in chat.text and chat.last[-1].text == t("common.ask_region")


def test_the_other_form_asked_for_as_a_correction_takes_what_the_words_say(chat: Chat) -> None:
    """ "eh salah, mau konseling aja" at the category question; "bukan konseling, ..." with a story at the topic."""
    chat.start()
    chat.press("menu:lapor")
    chat.send("eh salah, sy mau konseling aja")
    assert chat.last[-1].text == t("counseling.ask_topic")
    chat.send("bukan konseling, sy mau lapor orang gila di jalan")
    assert t("menu.story_noted", what=t("pmks.penyandang_disabilitas")) in chat.text
    assert chat.last[-1].text == t("common.ask_region")


def test_siblings_fighting_is_a_parents_worry_to_counsel_not_a_child_in_danger(runtime: Runtime) -> None:
    chat = _first(
        runtime,
        "sy butuh konseling bu. sy stres ngurus anak 3 sendirian, anak sulung suka mukul adiknya, "
        "sy sering kelepasan teriak2",
    )
    assert t("safety.emergency") not in chat.text  # no 112 for children squabbling
    _understood_as(chat, "topic", "pengasuhan_anak")
    request = _request(runtime, _finish(chat))
    assert (request.topic, request.urgency, request.queue_code) == ("pengasuhan_anak", "normal", "lk3-kota-serang")


def test_violence_by_a_boyfriend_is_reported_as_violence_not_counseled_as_kdrt(runtime: Runtime) -> None:
    chat = _cry(runtime, "kak tlg, sy 22 thn, pacar sy maksa berhubungan, kalo nolak dia ngancem nyebar video sy")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.urgency, request.queue_code) == (
        "korban_kekerasan",
        "urgent",
        "p2tp2a-kota-serang",
    )


@pytest.mark.parametrize(
    ("story", "kecamatan"),
    [
        ("bapak sy udh 70an sakit2an tinggal sendiri di kec. gunung kencana, ibu udh gk ada", "Gunung Kencana"),
        (
            "tetangga sy umurnya kira2 80 tinggal sendiri, anak2nya pada merantau ke jakarta gk ada yg nengok. "
            "di desa sukamaju kec malingping",
            "Malingping",
        ),
    ],
)
def test_an_age_past_sixty_makes_a_story_of_neglect_an_old_persons(
    runtime: Runtime, story: str, kecamatan: str
) -> None:
    chat = _first(runtime, story)
    _understood_as(chat, "pmks", "lansia_telantar")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.queue_code) == ("lansia_telantar", "dinsos-kab-lebak")
    assert load_regions().kecamatan(request.kecamatan_code).name == kecamatan


def test_an_address_with_a_village_named_like_a_town_elsewhere_finds_its_kecamatan(runtime: Runtime) -> None:
    """ "kp. sukasari picung": a Sukasari is in Bandung, the village is Picung's; "picung" is also a tree."""
    chat = _first(runtime, "ada pengemis di kp. sukasari picung")
    assert "luar Provinsi Banten" not in chat.text
    assert chat.last[-1].text == t("sighting.ask_place")  # category, region and kecamatan all taken
    request = _request(runtime, _finish(chat))
    assert (request.category, request.region) == ("pengemis", "kab-pandeglang")
    assert load_regions().kecamatan(request.kecamatan_code).name == "Picung"


def test_a_cry_for_help_told_at_length_confirms_a_category_its_words_hardly_name(runtime: Runtime) -> None:
    """One word of a long story ("karaoke") is not enough to route a captive unasked: the numbers first,
    then "Maksud Anda: Tuna susila?" with "Bukan, pilih sendiri", and the urgent form keeps the story."""
    cry = "temen kos sy cewe kerja di karaoke tp kyknya dijebak, paspor & hp ditahan bosnya, gk boleh keluar kamar. di serpong"
    chat = _cry(runtime, cry)
    assert chat.last[-1].text.endswith(t("common.mean_one", what=t("pmks.tuna_susila")))
    assert chat.choice_ids == ["mean:tuna_susila", "mean:none"]
    chat.press("mean:none")
    chat.press("grp:korban")
    chat.press("cat:korban_trafficking")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.urgency, request.region) == (
        "korban_trafficking",
        "urgent",
        "kota-tangerang-selatan",
    )
    assert request.description == cry


@pytest.mark.parametrize(
    ("story", "category"),
    [
        # a cost told, not asked about: no "Layanan ini gratis" instead of the report
        ("ibu sy lansia dirawat di rs tp kami gk punya bpjs, biayanya gede bgt. tlg dibantu", "lansia_telantar"),
        # "how do I get help" after a whole story asks help for that case
        (
            "sy TKW pulang dr saudi, gaji 8 bulan gk dibayar majikan, agen nya lepas tangan, anak 2 di kampung. "
            "gmn caranya minta bantuan",
            "pekerja_migran_bermasalah",
        ),
    ],
)
def test_a_story_that_mentions_a_cost_or_asks_how_is_still_the_report(
    runtime: Runtime, story: str, category: str
) -> None:
    chat = _first(runtime, story)
    assert t("faq.cost") not in chat.text and t("help.text").splitlines()[0] not in chat.text
    if "mean:report" in chat.choice_ids:  # report or counseling? (a migrant's story fits both)
        chat.press("mean:report")
    _understood_as(chat, "pmks", category)
    assert _request(runtime, _finish(chat)).category == category


def test_a_question_about_the_cost_beside_a_story_is_still_answered(runtime: Runtime) -> None:
    chat = _first(runtime, "kakak sy pecandu sabu, keluarga pengen dia direhab, ada biayanya gk?")
    assert t("faq.cost") in chat.text


def test_asking_for_a_person_is_told_who_reads_and_who_calls_back(runtime: Runtime) -> None:
    chat = _first(runtime, "bot ya ini? mau ngomong sm org aja")
    assert t("faq.human") in chat.text and "menu:lapor" in chat.choice_ids and NOT_UNDERSTOOD not in chat.text


@pytest.mark.parametrize(
    ("said", "status"),
    [
        ("sy kemarin lapor soal org gila di pasar rangkas, udh ditangani blm?", True),
        (
            "bu sy udh lapor 3 hari lalu soal anak2 pemulung di alun2 kota serang, masih di situ. sy laporin lg ya",
            False,
        ),
    ],
)
def test_a_report_made_before_is_a_status_question_unless_it_is_made_again(
    runtime: Runtime, said: str, status: bool
) -> None:
    chat = _first(runtime, said)
    assert (t("status.ask_code") in chat.text) is status
    if status:
        assert "mean:pemulung" not in chat.choice_ids and t("pmks.pemulung") not in chat.text
    else:  # the report again: taken, or confirmed with a tap ("Maksud Anda: Pemulung?")
        _understood_as(chat, "pmks", "pemulung")
        assert _request(runtime, _finish(chat)).category == "pemulung"


def test_harassment_of_the_writer_by_a_stranger_is_reported_not_counseled_as_kdrt(runtime: Runtime) -> None:
    chat = _cry(runtime, "sy korban pelecehan di krl, sy trauma gk berani naik kereta lagi")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.topic, request.urgency) == ("korban_kekerasan", None, "urgent")


def test_a_short_answer_naming_two_people_is_confirmed_not_routed(chat: Chat) -> None:
    """ "ibu2 tua ..., anaknya gk ada yg ngurusin dia": whose is the neglect? Asked with a tap, never taken."""
    chat.start()
    chat.press("menu:lapor")
    chat.send("ibu2 tua jualan keliling, anaknya gk ada yg ngurusin dia")
    assert chat.choice_ids[-1] == "mean:none" and t("common.ask_region") not in chat.text


@pytest.mark.parametrize(
    ("story", "category"),
    [
        # "anak tiri sy" is the writer's stepchild: the child is the one abused, not a grown-up
        ("anak tiri sy sering dicabuli sm pamannya, sy baru tau kmrn. tolong sy hrs gmn", "anak_korban_kekerasan"),
        # found by residents: the baby is the one thrown away, whoever else is named
        ("ada bayi ditemuin warga dibuang di depan masjid, desa kami di kec. tirtayasa", "anak_balita_telantar"),
    ],
)
def test_a_cry_for_help_is_routed_by_the_one_in_danger(runtime: Runtime, story: str, category: str) -> None:
    chat = _cry(runtime, story)
    assert _request(runtime, _finish(chat)).category == category


def test_a_child_hit_by_a_parent_at_the_category_question_is_a_child_victim(runtime: Runtime) -> None:
    """As a first message's cry for help is routed: a parent hitting the writer makes the writer a child."""
    chat = Chat(runtime.engine)
    chat.start()
    chat.press("menu:lapor")
    chat.send("sy sering dipukul bapak sy pake sabuk")
    assert t("safety.emergency") in chat.text and t("common.ask_region") in chat.text
    request = _request(runtime, _finish(chat))
    assert (request.category, request.urgency) == ("anak_korban_kekerasan", "urgent")


@pytest.mark.parametrize(
    ("at", "typed", "offered"),
    [
        # one word that every age may have: the child's and the grown-up's category are both offered
        ("menu:lapor", "disabilitas", ["mean:anak_disabilitas", "mean:penyandang_disabilitas"]),
        ("menu:lapor", "kekerasan", ["mean:anak_korban_kekerasan", "mean:korban_kekerasan"]),
        ("menu:lapor", "adik sy dipukulin pacarnya", ["mean:anak_korban_kekerasan", "mean:korban_kekerasan"]),
        ("menu:konseling", "masalah anak", ["mean:pengasuhan_anak", "mean:kenakalan_remaja"]),
    ],
)
def test_an_answer_that_fits_a_child_and_a_grown_up_alike_is_asked(
    runtime: Runtime, at: str, typed: str, offered: list[str]
) -> None:
    chat = Chat(runtime.engine)
    chat.start()
    chat.press(at)
    chat.send(typed)
    assert chat.choice_ids == [*offered, "mean:none"]


def test_a_younger_sibling_beaten_outside_is_asked_child_or_grown_up(runtime: Runtime) -> None:
    chat = _cry(runtime, "adik sy dikeroyok preman di terminal poris sampe masuk rs")
    assert chat.choice_ids == ["mean:anak_korban_kekerasan", "mean:korban_kekerasan", "mean:none"]
    chat.press("mean:korban_kekerasan")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.urgency) == ("korban_kekerasan", "urgent")


@pytest.mark.parametrize(
    ("said", "category", "topic"),
    [
        ("sy korban kekerasan", "korban_kekerasan", None),  # no home named: a report
        ("mw konsul, sy korban kdrt", None, "kdrt"),  # counseling asked for in so many words
    ],
)
def test_the_writer_hurt_is_reported_unless_home_or_counseling_is_said(
    runtime: Runtime, said: str, category: str | None, topic: str | None
) -> None:
    chat = _cry(runtime, said)
    request = _request(runtime, _finish(chat))
    assert (request.category, request.topic) == (category, topic)


def test_just_asking_is_answered_with_what_the_service_does(runtime: Runtime) -> None:
    chat = _first(runtime, "mau nanya aja, dinsos bisa bantu biaya rumah sakit gk?")
    assert t("help.text").splitlines()[0] in chat.text and "menu:lapor" in chat.choice_ids


def test_waiting_on_another_office_is_a_new_report_not_a_status_question(runtime: Runtime) -> None:
    chat = _first(
        runtime,
        "warga sy kena banjir rob dari kmrn, air laut masuk rumah. pak kades udh lapor ke bpbd tp bantuan blm dtg",
    )
    assert t("status.ask_code") not in chat.text
    _understood_as(chat, "pmks", "korban_bencana_alam")
    assert _request(runtime, _finish(chat)).category == "korban_bencana_alam"


def test_an_ill_son_threatening_the_neighbours_is_reported_as_a_disability(runtime: Runtime) -> None:
    chat = _cry(
        runtime,
        "ortu sy tetanggaan sm keluarga yg anaknya odgj ngamuk2 bawa golok kemarin, udh ngancem mau bakar rumah. "
        "ibu sy takut keluar rumah. di rangkasbitung",
    )
    assert _request(runtime, _finish(chat)).category == "penyandang_disabilitas"


@pytest.mark.parametrize(
    "asked", ["ini gratis gk kalo mau konseling soal anak remaja?", "min lapor disini bayar gk? sy gk ada duit soalnya"]
)
def test_a_short_question_about_the_cost_is_answered_not_taken_as_a_case(runtime: Runtime, asked: str) -> None:
    chat = _first(runtime, asked)
    assert t("faq.cost") in chat.text and "menu:lapor" in chat.choice_ids
    assert t("menu.story_noted", what=t("pmks.fakir_miskin")) not in chat.text


def test_a_confirmed_story_still_offers_the_place_it_named(runtime: Runtime) -> None:
    """A story whose words hardly explain it is confirmed ("Maksud Anda: Pengemis?"); its "tangerang" is then
    asked as Kota or Kabupaten, not forgotten behind the plain region question."""
    chat = _first(
        runtime, "min mau lapor, ada ibu2 tiap hari ngemis di jembatan penyebrangan di tangerang, bawa anak 2"
    )
    assert chat.last[-1].text.endswith(t("common.mean_one", what=t("pmks.pengemis")))
    chat.press("mean:pengemis")
    assert chat.choice_ids == ["mean:kab-tangerang", "mean:kota-tangerang", "mean:none"]
    chat.press("mean:kota-tangerang")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.region) == ("pengemis", "kota-tangerang")


@pytest.mark.parametrize(
    ("said", "category"),
    [
        ("ayah sy sering mabok terus mukul ibu, sy umur 12, tolong", "korban_kekerasan"),  # the mother is hit
        ("sy kelas 8, bapak sy suka mukul sy pake sabuk", "anak_korban_kekerasan"),  # the pupil is hit
        # touched by an uncle: not what the writer does, whatever "kamar aku" reads as; no grown-up's category
        ("kak, aku 14 tahun. om aku suka masuk kamar aku malem2 trus pegang2, aku takut", "anak_korban_kekerasan"),
    ],
)
def test_a_child_telling_of_violence_at_home_is_a_report(runtime: Runtime, said: str, category: str) -> None:
    chat = _cry(runtime, said)
    request = _request(runtime, _finish(chat))
    assert (request.category, request.topic) == (category, None)


def test_changing_ones_mind_inside_the_report_opens_counseling_with_the_story(runtime: Runtime) -> None:
    """ "eh sy mau konseling aja deh, masalah sm suami" at the report's first question: the counseling form,
    its topic taken from the words, never "belum mengerti"."""
    chat = Chat(runtime.engine)
    chat.start()
    chat.press("menu:lapor")
    chat.send("eh sy mau konseling aja deh, masalah sm suami")
    assert NOT_UNDERSTOOD not in chat.text
    _understood_as(chat, "topic", "konflik_keluarga")
    assert _request(runtime, _finish(chat)).topic == "konflik_keluarga"


def test_where_someone_works_is_no_counseling_region_but_stays_a_reports_place(runtime: Runtime) -> None:
    """LK3 counsels a family where it lives: "suami kerja di pabrik di kec cikupa" is asked about, not taken
    as Kabupaten Tangerang; a report keeps the place of work (one may report what one sees there)."""
    counseling = _first(runtime, "sy mau konseling, sering berantem sm suami, dia kerja di pabrik di kec cikupa")
    request = _request(runtime, _finish(counseling))  # _finish answers the region question with Kota Serang
    assert (request.topic, request.region) == ("konflik_keluarga", "kota-serang"), counseling.text
    report = _first(runtime, "sy kerja di pasar cikupa, tiap hari liat anak2 kecil ngemis di situ", user="wa-2")
    request = _request(runtime, _finish(report))
    assert (request.category, request.region) == ("anak_jalanan", "kab-tangerang"), report.text


def test_a_parent_who_hits_their_child_and_asks_for_counseling_gets_it(runtime: Runtime) -> None:
    """ "sy sering marah2 sm anak sy sampe mukul": the child is hit by the writer, who asks for help with it;
    LK3 counsels on parenting (the emergency numbers are still shown), not a report against the writer."""
    chat = _cry(runtime, "sy pengen konseling krn sy sering marah2 sm anak sy sampe mukul. sy takut nyakitin dia lg")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.topic) == (None, "pengasuhan_anak")


def test_a_family_trouble_told_by_an_rt_head_about_a_resident_is_a_report(runtime: Runtime) -> None:
    """ "sy ketua rt ..., ada warga sy ...": the writer introduces themselves first, but the story is someone
    else's family; LK3 counsels one's own, so it opens the report (not counseling on teen delinquency)."""
    chat = _first(
        runtime, "sy ketua rt di kec taktakan. ada warga sy anak muda yg nganggur, nongkrong terus tiap malem"
    )
    request = _request(runtime, _finish(chat))
    assert request.topic is None and request.category is not None, chat.text


@pytest.mark.parametrize(
    ("asked", "answer"),
    [
        ("ass. mau tanya, kalo lapor hrs dtg ke kantor gk atau cukup lwt wa aja?", "faq.remote"),
        ("punten bade naros, upami lapor ka dieu kedah nganggo ktp teu?", "faq.documents"),
        ("kalo sy laporin tetangga, nanti tetangganya tau gk yg ngelaporin sy?", "faq.secrecy"),
        ("mau nanya dulu, yg baca laporan ini siapa aja?", "faq.secrecy"),
        ("min gmn caranya lapor? sy gk ngerti pake bot ginian", "faq.how_to"),
        ("bisa lapor pake foto gk?", "faq.how_to"),
        ("apa aja yg bisa dilaporin disini?", "faq.scope"),
        ("kalo sy lapor, tetangga yg sy laporin bakal tau ga kalo sy yg lapor?", "faq.secrecy"),
        ("yg nerima laporan ini dinas sosial kabupaten apa provinsi?", "faq.official"),
        ("mau tanya, kalo lapor org yg tinggal di jakarta bisa gk? sodara sy soalnya", "faq.scope"),
        # a question without "?", closed by "bener ga"
        (
            "min td ada yg nelpon ngaku dr dinsos minta transfer biaya administrasi bantuan, itu bener ga",
            "faq.official",
        ),
        ("ini bisa lapor pake bhs sunda gk min?", "faq.regional_language"),
        ("punten min, mau nanya bisa pake bahasa jawa serang ora?", "faq.regional_language"),
    ],
)
def test_a_question_about_reporting_is_answered_not_taken_as_a_report(
    runtime: Runtime, asked: str, answer: str
) -> None:
    chat = _first(runtime, asked)
    assert t(answer) in chat.text and "menu:lapor" in chat.choice_ids, chat.text


def test_a_way_to_be_reached_said_in_so_many_words_is_not_asked_again(runtime: Runtime) -> None:
    """ "mau lapor tp jgn sebut nama sy": the report goes anonymous, its contact question never comes;
    "lewat telpon aja" to counseling asks the number next; a time beside "hubungi" at the next question is kept."""
    chat = _first(runtime, "sy mau lapor tp jgn sebut nama sy ya, ada pengemis tiap hari di depan pasar kec. cikupa")
    request = _request(runtime, _finish(chat))
    assert request.anonymous and t("sighting.ask_contact") not in chat.text, chat.text
    chat = _at_menu(runtime, "konseling, lewat telpon aja ya nanti")
    chat.press("topic:konflik_keluarga")
    chat.press("reg:kota-serang")
    chat.send("sy sendiri, hubungi sore aja")
    assert t("common.ask_phone") in chat.text and t("counseling.ask_way") not in chat.text, chat.text
    chat.send("0812 3456 7890")
    assert t("counseling.ask_time") not in chat.text, chat.text


def test_two_kecamatan_of_the_region_in_a_story_are_offered_as_buttons(runtime: Runtime) -> None:
    """ "... pasar baros ..., rumahnya katanya di petir": the region is taken, the kecamatan asked with the two
    the story names (and "Bukan, pilih sendiri" for the whole list)."""
    chat = _first(runtime, "nenek2 ngemis di depan alfamart pasar baros tiap jumat, rumahnya katanya di petir")
    region = "Kabupaten Serang"
    assert t("common.ask_kecamatan", region=region) in chat.text, chat.text
    baros, petir = (k.code for k in load_regions().region("kab-serang").kecamatan if k.name in ("Baros", "Petir"))
    assert chat.choice_ids == [f"mean:{baros}", f"mean:{petir}", "mean:none"]
    chat.press(f"mean:{baros}")
    request = _request(runtime, _finish(chat))
    assert (request.region, request.kecamatan_code) == ("kab-serang", baros)


def test_two_questions_about_the_service_in_one_message_are_both_answered(runtime: Runtime) -> None:
    chat = _first(runtime, "ini beneran dr pemerintah? nama pelapor dirahasiain kan")
    assert t("faq.official") in chat.text and t("faq.secrecy") in chat.text and "menu:lapor" in chat.choice_ids
    chat = Chat(runtime.engine)
    chat.start()
    chat.press("menu:lapor")  # inside the form: both answered, the question asked again
    chat.send("ini beneran dr pemerintah? nama pelapor dirahasiain kan")
    assert t("faq.official") in chat.text and t("faq.secrecy") in chat.text and "grp:anak" in chat.choice_ids


@pytest.mark.parametrize(
    "asked",
    [
        "apakah layanan ini terhubung dgn 112 atau polisi?",
        "kok bot ini ga bales2 sih",  # a question word opening it, no question mark
        # a question about reporting that names no one: how it works, not a report form
        "apakah laporan bisa dikirim dengan foto? ada yg mau sy kirim fotonya",
        "pak/bu mohon maaf sebelumnya, sy mau tanya kl lapornya malem2 gini ada yg respon ga",
        # supposing a report, whoever it names is nobody yet
        "kalo lapor bisa dicabut lagi ga? takut salah orang",
        "kalo sy laporin nanti bantuan sembakonya dateng ke siapa? ke sy atau ke orangnya?",
    ],
)
def test_a_question_the_service_cannot_answer_gets_the_help_text_not_a_refusal(runtime: Runtime, asked: str) -> None:
    """No "belum mengerti" for a question: how the service works, then the menu; the next message is read
    afresh, not joined to the question as a report staff must classify."""
    for chat in (_first(runtime, asked), _at_menu(runtime, asked)):
        assert t("help.text").splitlines()[0] in chat.text and "menu:lapor" in chat.choice_ids, chat.text
        assert NOT_UNDERSTOOD not in chat.text
        chat.send("qwrty zxv")
        assert t("menu.taken_as_said") not in chat.text


def test_someone_who_asks_for_help_for_one_who_wants_to_die_and_then_says_it_is_them_gets_counseling(
    runtime: Runtime,
) -> None:
    """ "bisa bantu orang yg udh ga kuat hidup ga? sy capek bgt pengen mati aja": "orang" asks in general, the
    writer then says it is them: the numbers and counseling for the writer, not a report about someone."""
    chat = _cry(runtime, "bisa bantu orang yg udh ga kuat hidup ga? sy capek bgt pengen mati aja")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.topic) == (None, "stres_psikologis"), chat.text


def test_counseling_asked_for_about_ones_own_missing_child_is_counseling_with_the_numbers(runtime: Runtime) -> None:
    """ "sy mau konseling soal anak sy yg udh 2 hari ga pulang": 112 and SAPA first, then the counseling asked
    for in so many words (not a report about someone)."""
    chat = _cry(runtime, "halo kak sy mau konseling soal anak sy yg udh 2 hari ga pulang2")
    request = _request(runtime, _finish(chat))
    assert request.category is None and request.topic is not None, chat.text


def test_an_old_father_left_alone_at_home_is_reported_not_counseled_as_domestic_violence(runtime: Runtime) -> None:
    """ "bapak sy udh tua ditinggal anak2nya ..., sendirian di rumah": someone left alone at home is a report
    (the elderly's category offered), not the writer's counseling on domestic violence."""
    chat = _at_menu(
        runtime, "bisa bantu ga, bapak sy udh tua ditinggal anak2nya yg lain, skrg sendirian di rumah di kec. menes"
    )
    assert "mean:lansia_telantar" in chat.choice_ids and t("counseling.ask_whom") not in chat.text, chat.text


@pytest.mark.parametrize(
    "asked",
    [
        "gmn cara lapor org terlantar di pinggir jalan",  # who: the form asks the rest
        "mau lapor, caranya gimana?",  # asked for in so many words
        "gmn cara lapor di pandeglang?",  # where: the region is taken
    ],
)
def test_asking_how_to_report_someone_opens_the_report_which_shows_how(runtime: Runtime, asked: str) -> None:
    chat = _first(runtime, asked)
    assert t("faq.how_to") not in chat.text and t("sighting.ask_group") in chat.text, chat.text


@pytest.mark.parametrize(
    "asked",
    [
        "hapus semua data sy dong, sy gk mau nomer sy kesimpen",
        # a request in so many words: "nama sy" asks nothing about secrecy here
        "tolong hapus nomor hp sm nama sy dr sistem kalian",
    ],
)
def test_deleting_ones_data_is_asked_to_confirm_even_in_the_first_message(runtime: Runtime, asked: str) -> None:
    """ "hapus semua data sy, ... nomer sy": about the data (close to "my data"), to delete it: confirmed."""
    chat = _first(runtime, asked)
    assert t("privacy.erase_confirm") in chat.text and chat.choice_ids == ["erase:yes", "erase:no"]
    assert t("faq.secrecy") not in chat.text


def test_the_one_who_reported_earlier_is_asked_for_the_ticket_code(runtime: Runtime) -> None:
    chat = _first(runtime, "sy yg td lapor soal anjal, mau nambahin fotonya")
    assert t("status.ask_code") in chat.text and "status:back" in chat.choice_ids


def test_not_reporting_but_counseling_at_the_menu_opens_counseling(runtime: Runtime) -> None:
    """At the menu there is nothing to cancel: "gajadi lapor deh, mau konseling aja ..." asks for counseling."""
    chat = Chat(runtime.engine)
    chat.start()
    chat.send("gajadi lapor deh, mau konseling aja soal cara ngedidik anak")
    _understood_as(chat, "topic", "pengasuhan_anak")
    chat = Chat(runtime.engine, user_id="web-2")
    chat.start()
    chat.send("gk jadi konseling deh")  # the one cancelled is not opened
    assert "menu:lapor" in chat.choice_ids


def test_a_begging_child_beaten_at_home_is_offered_as_a_child_victim_too(runtime: Runtime) -> None:
    """ "... disuruh ibunya ngemis ..., kalau pulang gak bawa uang dipukulin, saya kasihan": the numbers, the
    urgent report, and the child victim's category among those offered (not the writer's counseling)."""
    chat = _cry(
        runtime,
        "halo pak saya mau lapor ini di kampung saya ada anak kecil umurnya kira kira 7 tahun tiap hari disuruh "
        "ibunya ngemis di lampu merah kota serang terus kalau pulang gak bawa uang dipukulin saya kasihan pak tolong",
    )
    assert {"mean:anak_jalanan", "mean:anak_korban_kekerasan"} <= set(chat.choice_ids), chat.choice_ids
    chat.press("mean:anak_korban_kekerasan")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.region, request.urgency) == ("anak_korban_kekerasan", "kota-serang", "urgent")


def test_someone_collapsed_in_the_street_gets_the_numbers_and_an_urgent_report(runtime: Runtime) -> None:
    chat = _cry(
        runtime, "min tlg, ada org tergeletak di pinggir jalan deket alun2 serang, kayaknya gelandangan, gk gerak2"
    )
    _understood_as(chat, "pmks", "gelandangan")
    request = _request(runtime, _finish(chat))
    assert (request.category, request.region, request.urgency) == ("gelandangan", "kota-serang", "urgent")


def test_a_parent_whose_child_wants_to_die_gets_urgent_counseling(runtime: Runtime) -> None:
    """The parent asks how to help their own child: counseling on despair, urgent, not a report on the child."""
    chat = _cry(runtime, "anak sy 15 th semalem bilang pengen mati aja, skrg ngurung diri di kamar ga mau keluar")
    request = _request(runtime, _finish(chat))
    assert (request.kind, request.topic, request.urgency) == ("counseling", "stres_psikologis", "urgent")


def test_despair_in_a_story_of_another_trouble_offers_both_topics(runtime: Runtime) -> None:
    chat = _cry(
        runtime,
        "anak sy 17 thn ikut aliran aneh di internet, gk mau sholat, main hp sampe pagi, kalo ditegur ngancem mau "
        "bunuh diri",
    )
    assert chat.choice_ids == ["mean:stres_psikologis", "mean:kenakalan_remaja", "mean:none"], chat.choice_ids
    chat.press("mean:kenakalan_remaja")
    request = _request(runtime, _finish(chat))
    assert (request.topic, request.urgency) == ("kenakalan_remaja", "urgent")


@pytest.mark.parametrize(
    "thanks",
    [
        "hatur nuhun, laporan sy udh ditindak",
        "mksh ya bu, kemarin sy lapor kakek yg tidur di halte ciruas, td pagi udh dijemput petugas dinsos. alhamdulillah",
    ],
)
def test_thanks_for_a_case_taken_care_of_is_thanked_back(runtime: Runtime, thanks: str) -> None:
    chat = _first(runtime, thanks)
    assert t("menu.thanks_back") in chat.text and t("status.ask_code") not in chat.text, chat.text


def test_a_pupil_pressed_by_a_boyfriend_is_a_child_victim(runtime: Runtime) -> None:
    chat = _cry(
        runtime,
        "Kak aku mau cerita, aku SMA kelas 10, aku dipaksa pacar kirim foto2 gk pantes, skrg dia ngancam mau nyebarin",
    )
    request = _request(runtime, _finish(chat))
    assert (request.category, request.urgency) == ("anak_korban_kekerasan", "urgent")


@pytest.mark.parametrize(
    ("typed", "asked"), [("yg pertama", "sighting.ask_group"), ("yang kedua", "counseling.ask_topic")]
)
def test_a_menu_button_picked_by_its_place(runtime: Runtime, typed: str, asked: str) -> None:
    chat = _first(runtime, "halo")
    chat.send(typed)
    assert t(asked) in chat.text, chat.text


def test_a_remote_village_without_power_or_roads_is_asked_as_a_remote_community(runtime: Runtime) -> None:
    chat = _first(runtime, "ada kampung di pedalaman cigemblong yg blm ada listrik, jalannya tanah, anak2 gk sekolah")
    assert "mean:komunitas_adat_terpencil" in chat.choice_ids, chat.choice_ids


@pytest.mark.parametrize(
    "typed",
    [
        "status wa adik sy isinya pamitan terus, td malem dia bilang mau loncat dr jembatan",
        "status anak itu yatim piatu, tinggal sm pamannya tp disuruh kerja terus gk disekolahin",
    ],
)
def test_a_story_opening_with_the_word_status_is_read_not_taken_as_the_command(runtime: Runtime, typed: str) -> None:
    chat = _first(runtime, typed)
    assert t("status.ask_code") not in chat.text and NOT_UNDERSTOOD not in chat.text, chat.text


def test_status_with_a_code_or_a_few_words_is_still_the_command(runtime: Runtime) -> None:
    assert t("status.ask_code") in _first(runtime, "status laporan sy").text
    assert "ABC-DEF" in _first(runtime, "status ABC-DEF", user="wa-2").text


def test_a_question_that_ends_in_cancelling_if_so_is_answered_not_taken_as_cancel(runtime: Runtime) -> None:
    """ "konseling nya bayar gk? kalo bayar sy gk jadi" at the topic question: the cost answered, the form kept."""
    chat = _at_menu(runtime, "konseling")
    chat.send("konseling nya bayar gk? kalo bayar sy gk jadi")
    assert t("faq.cost") in chat.text and t("cancel.confirm") not in chat.text, chat.text
    assert "topic:kdrt" in chat.choice_ids
