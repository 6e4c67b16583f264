"""Whole conversations over Telegram: the real PTB Application against the fake Bot API, in polling and
webhook mode, on SQLite and PostgreSQL. Replies are asserted as the citizen reads them (the texts that
reached the fake server); rows through the `runtime` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import Session, func, select

from bot.config import Settings
from bot.flows.state import from_row
from bot.handlers.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.runtime import Runtime
from storage.models import Contact, Conversation, ProcessedInbound, Request, StoredPhoto
from tests.helpers.chat import TICKET
from tests.helpers.fake_bot_api import FakeBotApi, fake  # noqa: F401 (fake is a fixture)
from tests.helpers.images import png
from tests.helpers.telegram_chat import (
    WEBHOOK_SECRET,
    TelegramCitizen,
    TelegramLine,
    message_update,
    photo_sizes,
    telegram_line,
    telegram_settings,
)


@pytest.fixture(params=["polling", "webhook"])
def telegram_mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(database_url: str, fake: FakeBotApi, telegram_mode: str) -> Settings:
    return telegram_settings(database_url, fake, webhook=telegram_mode == "webhook")


@pytest.fixture
async def line(runtime: Runtime, fake: FakeBotApi) -> AsyncIterator[TelegramLine]:
    async with telegram_line(runtime, fake) as running:
        yield running


@pytest.fixture
def citizen(line: TelegramLine) -> TelegramCitizen:
    return TelegramCitizen(line)


def _t(line: TelegramLine, key: str, **params: str) -> str:
    return line.runtime.catalog.text("id", key, **params)


def _state(runtime: Runtime) -> tuple[str, str, dict]:
    with Session(runtime.db) as session:
        conversation = session.exec(select(Conversation)).one()
        return conversation.flow, conversation.step, conversation.data


def _requests(runtime: Runtime) -> list[Request]:
    with Session(runtime.db) as session:
        return list(session.exec(select(Request)))


async def _counseling_to_summary(citizen: TelegramCitizen) -> None:
    await citizen.send("/konseling")
    for choice in ("topic:pengasuhan_anak", "reg:kab-lebak", "whom:self", "way:chat", "time:evening"):
        await citizen.press(choice)
    await citizen.send("Anak saya susah diatur sejak pindah sekolah")
    await citizen.press("consent:yes")


async def test_full_sighting_with_a_pin_and_a_photo(citizen: TelegramCitizen, line: TelegramLine) -> None:
    greeting = await citizen.send("/start")
    assert greeting[0].startswith("Halo!") and greeting[1].startswith(_t(line, "menu.title"))
    menu = citizen.message_with_button("menu:lapor")
    asked = await citizen.press("menu:lapor")
    assert asked == [_t(line, "sighting.ask_group")]
    pressed = line.fake.message(citizen.chat_id, menu["message_id"])
    assert pressed["text"].endswith(f"✅ {_t(line, 'menu.report')}") and "reply_markup" not in pressed
    for choice in ("grp:anak", "cat:anak_jalanan", "reg:kota-serang", "kec:4017"):
        await citizen.press(choice)
    assert citizen.last == [_t(line, "sighting.ask_place")]
    assert citizen.sent()[-1]["reply_markup"]["keyboard"][0][0]["request_location"] is True
    assert await citizen.share_location(-6.05, 106.17) == [_t(line, "sighting.ask_description")]
    assert citizen.sent()[-1]["reply_markup"] == {"remove_keyboard": True}
    await citizen.send("Anak kecil tidur di trotoar depan pasar")
    assert await citizen.send_photo("AgADBAAD-photo-1280") == [_t(line, "sighting.photo_received", count="1", max="3")]
    assert line.fake.downloads == ["photos/file_0.jpg"]  # fetched at once: getFile, then the file
    await citizen.press("photo:done")
    await citizen.press("contact:anonymous")
    summary = await citizen.press("consent:yes")
    assert "Kasemen" in summary[0] and _t(line, "sighting.photo_count", count="1") in summary[0]
    done = await citizen.press("confirm:send")
    match = TICKET.search(done[0])
    assert match and f"status {match.group(1)}" in done[0]
    [request] = _requests(line.runtime)
    assert (request.ticket_code, request.kind, request.category, request.queue_code) == (
        match.group(1),
        "sighting",
        "anak_jalanan",
        "dinsos-kota-serang",
    )
    assert (request.latitude, request.longitude, request.kecamatan_code) == (-6.05, 106.17, "4017")
    with Session(line.runtime.db) as session:
        [photo] = session.exec(select(StoredPhoto)).all()
    assert request.photo_refs == [f"photo:{photo.id}"] and photo.request_id == request.id
    assert photo.data.startswith(b"\xff\xd8\xff") and photo.content_type == "image/jpeg"
    assert [call.params["file_id"] for call in line.fake.calls_to("getFile")] == ["AgADBAAD-photo-1280"]  # the largest
    with Session(line.runtime.db) as session:
        contact = session.exec(select(Contact)).one()
    assert (contact.channel, contact.platform_user_id) == ("telegram", str(citizen.chat_id))


async def test_a_photo_sent_as_a_file_is_taken_and_what_is_no_photo_is_named(
    citizen: TelegramCitizen, line: TelegramLine
) -> None:
    """ "Send as file" keeps a photo whole; a file that only says it is an image, one too large or one Telegram
    no longer serves is named, and the photo is asked again."""
    await citizen.send("/lapor")
    for choice in ("grp:anak", "cat:anak_jalanan", "reg:kota-serang", "kec:4017"):
        await citizen.press(choice)
    await citizen.send("depan pasar rau")
    await citizen.send("Anak kecil tidur di trotoar depan pasar")
    ask = _t(line, "sighting.ask_photo", max="3")
    refused = await citizen.send_file(
        "BQACAgIAAxk-pdf", b"%PDF-1.7\n" + b"0" * 300, file_name="IMG_0001.jpg", mime_type="image/jpeg"
    )
    assert refused == [f"{_t(line, 'sighting.photo_refused_not_a_photo')}\n\n{ask}"]
    large = await citizen.send_file(
        "BQACAgIAAxk-big", b"\xff" * (5 * 1024 * 1024 + 1), file_name="besar.jpg", mime_type="image/jpeg"
    )
    assert large == [f"{_t(line, 'sighting.photo_refused_too_large', max_mb='5')}\n\n{ask}"]
    assert line.fake.downloads == ["documents/IMG_0001.jpg"]  # getFile told the size: not downloaded
    gone = await citizen.deliver(citizen.message(photo=photo_sizes("AgAD-not-served")))
    assert gone == [f"{_t(line, 'sighting.photo_refused_unavailable')}\n\n{ask}"]
    taken = await citizen.send_file("BQACAgIAAxk-png", png(), file_name="layar.png", mime_type="image/png")
    assert taken == [_t(line, "sighting.photo_received", count="1", max="3")]
    with Session(line.runtime.db) as session:
        assert [p.content_type for p in session.exec(select(StoredPhoto))] == ["image/png"]


async def test_full_counseling_request(citizen: TelegramCitizen, line: TelegramLine) -> None:
    await _counseling_to_summary(citizen)
    assert "Pengasuhan anak" in citizen.text and "Kabupaten Lebak" in citizen.text
    done = await citizen.press("confirm:send")
    assert "Konselor LK3 Kabupaten Lebak, Lembaga Konsultasi Kesejahteraan Keluarga, akan menghubungi Anda" in done[0]
    [request] = _requests(line.runtime)
    assert (request.kind, request.queue_code, request.contact_way, request.contact_times) == (
        "counseling",
        "lk3-kab-lebak",
        "chat",
        "evening",
    )


async def test_status_check(citizen: TelegramCitizen, line: TelegramLine) -> None:
    await _counseling_to_summary(citizen)
    code = TICKET.search((await citizen.press("confirm:send"))[0]).group(1)  # type: ignore[union-attr]
    status = await citizen.send(f"/status {code}")
    assert status[0].startswith(f"Tiket {code} (konseling)") and _t(line, "status.names.new") in status[0]
    assert (await citizen.send("/status ABC-DEF"))[0] == _t(line, "status_lookup.not_found", code="ABC-DEF")


async def test_a_second_press_on_an_old_keyboard_is_answered_and_changes_nothing(
    citizen: TelegramCitizen, line: TelegramLine
) -> None:
    await citizen.send("/start")
    menu = citizen.message_with_button("menu:lapor")  # the keyboard as the citizen's phone still shows it
    await citizen.press("menu:lapor", on=menu)
    before = _state(line.runtime)
    again = await citizen.press("menu:lapor", on=menu)
    stale = _t(line, "common.stale_choice")
    assert again == [f"{stale}\n\n{_t(line, 'sighting.ask_group')}"]
    assert _state(line.runtime) == before
    first, second = line.fake.calls_to("answerCallbackQuery")
    assert "text" not in first.params and second.params["text"] == stale  # a toast on the old keyboard


async def test_a_case_button_that_means_nothing_any_more_is_answered_on_the_button_in_the_citizens_language(
    line: TelegramLine,
) -> None:
    citizen = TelegramCitizen(line, language_code="en")
    await citizen.send("/start")
    menu = citizen.message_with_button("menu:lapor")
    again = await citizen.press("better:999999:yes", on=menu)  # a follow-up answer about no request of theirs
    stale = line.runtime.catalog.text("en", "common.stale_choice")
    assert again == [stale]
    await line.channel.settle()
    [answer] = line.fake.calls_to("answerCallbackQuery")
    assert answer.params["text"] == stale
    assert line.fake.calls_to("editMessageText") == []  # the keyboard goes, without a "✅ picked" mark
    assert [c.params["message_id"] for c in line.fake.calls_to("editMessageReplyMarkup")] == [menu["message_id"]]


@pytest.mark.parametrize("telegram_mode", ["webhook"])
async def test_in_webhook_mode_the_press_is_answered_in_the_http_response(
    citizen: TelegramCitizen, line: TelegramLine
) -> None:
    await citizen.send("/start")
    press = citizen.button("menu:lapor")
    response = await line.client.post(WEBHOOK_PATH, headers={SECRET_HEADER: WEBHOOK_SECRET}, json=press)
    assert response.status_code == 200
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": press["callback_query"]["id"]}
    await line.channel.settle()
    assert line.fake.calls_to("answerCallbackQuery") == []  # no second round trip of our own
    assert line.fake.calls_to("editMessageText")  # the buttons still go


async def test_the_same_update_twice_is_processed_once(citizen: TelegramCitizen, line: TelegramLine) -> None:
    await _counseling_to_summary(citizen)
    send = citizen.button("confirm:send")
    texts = await citizen.deliver(send, send)  # polling: one batch; webhook: Telegram re-POSTs it
    assert [bool(TICKET.search(text)) for text in texts] == [True, False]  # ticket, then the menu: once
    assert len(_requests(line.runtime)) == 1
    answers = [
        c
        for c in line.fake.calls_to("answerCallbackQuery")
        if c.params["callback_query_id"] == send["callback_query"]["id"]
    ]
    assert len(answers) == 2  # both deliveries answered, so the button never spins forever


async def test_voice_note_and_edit_are_answered_and_the_draft_is_kept(
    citizen: TelegramCitizen, line: TelegramLine
) -> None:
    await citizen.send("/lapor")
    await citizen.press("grp:lansia_disabilitas")
    before = _state(line.runtime)
    voice = await citizen.deliver(citizen.message(voice={"file_id": "v1", "file_unique_id": "v1", "duration": 4}))
    assert voice[0].startswith(_t(line, "common.unsupported"))
    edit = citizen.message(text="lansia")
    edit["edited_message"] = edit.pop("message")
    assert (await citizen.deliver(edit))[0].startswith(_t(line, "common.unsupported"))
    assert _state(line.runtime) == before


async def test_deep_link_from_a_poster_fills_the_region(citizen: TelegramCitizen, line: TelegramLine) -> None:
    texts = await citizen.send("/start lapor_kota-serang")
    assert texts[0].startswith("Halo!") and texts[-1] == _t(line, "sighting.ask_group")
    state = from_row(*_state(line.runtime))
    assert state.flow == "report_sighting" and state.form.answers == {"region": "kota-serang"}


async def test_group_is_asked_to_write_in_private_and_nothing_is_stored(line: TelegramLine) -> None:
    command = message_update(-100123, chat_type="supergroup", text="/lapor@pmks_banten_test_bot")
    chatter = message_update(-100123, chat_type="supergroup", text="ada anak terlantar di pasar, namanya Budi")
    assert await line.deliver(command, chatter) == [200, 200]
    [told] = [c.params for c in line.fake.calls_to("sendMessage")]
    assert told["chat_id"] == -100123
    assert told["text"] == _t(line, "telegram.private_only", bot_username="pmks_banten_test_bot")
    with Session(line.runtime.db) as session:
        for table in (Contact, ProcessedInbound, Conversation):
            assert session.exec(select(func.count()).select_from(table)).one() == 0


async def test_a_story_as_the_first_message_opens_its_form_over_telegram(
    citizen: TelegramCitizen, line: TelegramLine
) -> None:
    """Issue 15 on Telegram: a whole story instead of /start fills the form's answers it states."""
    texts = await citizen.send("assalamualaikum pak, ada nenek tua tidur di emperan toko di pamulang")
    assert texts[0].startswith("Halo!") and "belum mengerti" not in " ".join(texts)
    assert _t(line, "menu.story_noted", what=_t(line, "pmks.lansia_telantar")) in texts
    state = from_row(*_state(line.runtime))
    assert (
        state.form.answers["region"] == "kota-tangerang-selatan" and state.form.answers["category"] == "lansia_telantar"
    )
    assert "nenek tua tidur di emperan toko" in state.form.answers["description"]
    texts = await citizen.send("sy dipukul suami sy tiap hari")  # danger inside the form: numbers, then the form
    assert texts[0].startswith("Jika ada yang dalam bahaya sekarang")
    assert from_row(*_state(line.runtime)).form.danger
