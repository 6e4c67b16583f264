"""Telegram updates -> Inbound: the real fixtures and the shapes Telegram sends, without network or database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.handlers.telegram_inbound import Ignored, PrivateOnly, ToEngine, Translation, translate_update
from bot.messages import Channel, InboundKind, Location
from tests.helpers.fake_bot_api import BOT_USER
from tests.helpers.telegram_chat import button_update, message_update, photo_sizes

DATA = Path(__file__).resolve().parent.parent / "data" / "telegram"
BOT = BOT_USER["username"]


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"telegram_update_{name}.json").read_text())


def _translate(data: dict[str, Any]) -> Translation:
    return translate_update(Update.de_json(data, None), bot_username=BOT)


def _inbound(data: dict[str, Any]):
    translation = _translate(data)
    assert isinstance(translation, ToEngine), translation
    return translation.inbound


def test_text_fixture_becomes_text_keyed_by_chat_and_update_id() -> None:
    inbound = _inbound(_fixture("text"))
    assert (inbound.channel, inbound.user_id, inbound.message_id) == (Channel.TELEGRAM, "23", "2342342343242")
    assert (inbound.kind, inbound.text, inbound.language_hint) == (InboundKind.TEXT, "test", "en")


def test_photo_fixture_keeps_the_largest_size_and_tolerates_nulls() -> None:
    inbound = _inbound(_fixture("photo"))
    assert inbound.kind is InboundKind.PHOTO
    assert inbound.media_id == "AgADAgADvKgxGxW80EtRgjrTaWNmy7UerQ4ABP6uRLtwe8Z8wZ4BAAEC"  # 1280 x 1280
    assert inbound.photo_ref == "" and inbound.photo is None  # fetched and stored later, not here
    assert inbound.language_hint == ""  # "language_code": null


def test_largest_photo_is_found_whatever_the_order() -> None:
    sizes = list(reversed(photo_sizes("big-one")))
    assert _inbound(message_update(5, photo=sizes)).media_id == "big-one"


@pytest.mark.parametrize(
    "document",
    [
        {"file_name": "IMG_20261205_101010.jpg", "mime_type": "image/jpeg"},
        {"file_name": "layar.png", "mime_type": "image/png"},
        {"file_name": "foto.webp"},  # no type given: the name says image
    ],
)
def test_a_photo_sent_as_a_file_is_a_photo(document: dict[str, str]) -> None:
    """Its content is checked when it is fetched (bot/services/photos.py); the name only routes it."""
    inbound = _inbound(message_update(5, document={"file_id": "BQACAgI-doc", "file_unique_id": "d", **document}))
    assert (inbound.kind, inbound.media_id) == (InboundKind.PHOTO, "BQACAgI-doc")


def test_location_fixture_becomes_a_pin() -> None:
    inbound = _inbound(_fixture("location"))
    assert inbound.kind is InboundKind.LOCATION and inbound.location == Location(26.090577, 127.479471)
    assert inbound.user_id == "1089734"  # the chat, not the (odd, is_bot) sender


def test_venue_is_a_pin_too() -> None:
    venue = {
        "location": {"latitude": -6.12, "longitude": 106.15},
        "venue": {
            "location": {"latitude": -6.12, "longitude": 106.15},
            "title": "Pasar Rau",
            "address": "Jl. Raya Pandeglang",
        },
    }
    assert _inbound(message_update(5, **venue)).location == Location(-6.12, 106.15)


def test_callback_fixture_becomes_a_choice_with_the_press_to_answer() -> None:
    translation = _translate(_fixture("callback_query"))
    assert isinstance(translation, ToEngine) and translation.press is not None
    assert (translation.inbound.kind, translation.inbound.choice) == (InboundKind.CHOICE, "data")
    assert (translation.inbound.user_id, translation.inbound.message_id) == ("42", "10005")
    press = translation.press
    assert (press.query_id, press.chat_id, press.message_id, press.label, press.message_text) == (
        "id",
        42,
        123,
        "",
        "",  # the fixture's message has no text and no keyboard
    )


def test_press_finds_the_label_of_its_button() -> None:
    message = {
        "message_id": 9,
        "date": 1,
        "chat": {"id": 7, "type": "private"},
        "text": "Pilih:",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Anak", "callback_data": "grp:anak"}],
                [{"text": "Lansia", "callback_data": "grp:lansia"}],
            ]
        },
    }
    translation = _translate(button_update(7, message, "grp:lansia"))
    assert isinstance(translation, ToEngine) and translation.press is not None
    assert (translation.press.label, translation.press.message_text) == ("Lansia", "Pilih:")


def test_edited_message_fixture_is_unsupported() -> None:
    inbound = _inbound(_fixture("edited_message"))
    assert (inbound.kind, inbound.unsupported_what, inbound.message_id) == (
        InboundKind.UNSUPPORTED,
        "edit",
        "633291230",
    )


def test_live_location_updates_are_ignored() -> None:
    update = message_update(5, field="edited_message", location={"latitude": -6.1, "longitude": 106.1})
    assert _translate(update) == Ignored("live_location_update")


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}, "voice"),
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "sticker",
        ),
        ({"document": {"file_id": "d", "file_unique_id": "d"}}, "document"),
        (
            {
                "document": {
                    "file_id": "d",
                    "file_unique_id": "d",
                    "file_name": "surat.pdf",
                    "mime_type": "application/pdf",
                }
            },
            "document",
        ),
        ({"video": {"file_id": "m", "file_unique_id": "m", "width": 1, "height": 1, "duration": 1}}, "video"),
        ({"video_note": {"file_id": "n", "file_unique_id": "n", "length": 1, "duration": 1}}, "video_note"),
        ({"audio": {"file_id": "a", "file_unique_id": "a", "duration": 1}}, "audio"),
        ({"contact": {"phone_number": "+6281234567890", "first_name": "Budi"}}, "contact"),
        (
            {
                "animation": {"file_id": "g", "file_unique_id": "g", "width": 1, "height": 1, "duration": 1},
                "document": {"file_id": "g", "file_unique_id": "g", "mime_type": "image/gif"},
            },
            "animation",
        ),
    ],
)
def test_what_we_cannot_read_is_named(content: dict[str, Any], what: str) -> None:
    inbound = _inbound(message_update(5, **content))
    assert (inbound.kind, inbound.unsupported_what, inbound.text) == (InboundKind.UNSUPPORTED, what, "")


def test_service_messages_are_ignored() -> None:
    assert _translate(message_update(5, write_access_allowed={})) == Ignored("service_message")


def test_language_tag_is_reduced_to_its_language() -> None:
    assert _inbound(message_update(5, language_code="en-GB", text="hi")).language_hint == "en"


@pytest.mark.parametrize(
    "content",
    [
        {"text": "/start"},
        {"text": "/lapor@pmks_banten_test_bot"},
        {
            "text": "@PMKS_Banten_Test_Bot ada anak terlantar",
            "entities": [{"type": "mention", "offset": 0, "length": 21}],
        },
        {
            "text": "ya",
            "reply_to_message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": -100, "type": "group"},
                "from": BOT_USER,
                "text": "...",
            },
        },
    ],
)
def test_group_messages_to_the_bot_ask_for_a_private_chat(content: dict[str, Any]) -> None:
    assert _translate(message_update(-100, chat_type="group", **content)) == PrivateOnly(-100, "id")


def test_group_chatter_and_channel_posts_are_ignored_or_redirected() -> None:
    assert _translate(message_update(-100, chat_type="supergroup", text="ada razia besok")) == Ignored("group_chatter")
    post = message_update(-1001, chat_type="channel", field="channel_post", text="/start")
    post["channel_post"].pop("from")  # channel posts have no sender
    assert _translate(post) == PrivateOnly(-1001, "")


def test_a_button_in_a_group_is_answered_but_not_processed() -> None:
    message = {"message_id": 9, "date": 1, "chat": {"id": -100, "type": "group", "title": "RT"}, "text": "x"}
    translation = _translate(button_update(7, message, "menu:lapor"))
    assert isinstance(translation, Ignored) and translation.query_id.startswith("q")


@pytest.mark.parametrize("name", ["text_tgdocs_legacy", "edited_message_tgdocs_legacy", "callback_query_tgdocs_legacy"])
def test_legacy_shapes_cannot_be_parsed_by_ptb(name: str) -> None:
    """Why the webhook must catch parse errors: these older payloads make PTB raise."""
    with pytest.raises((TypeError, KeyError)):
        Update.de_json(_fixture(name), None)


@pytest.mark.parametrize(
    "data",
    [
        {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "halo"}},  # no chat
        {"update_id": 2, "message": {"message_id": 1, "date": 0, "text": 5, "chat": {"id": 5, "type": "private"}}},
        {
            "update_id": 3,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "x",
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "a", "language_code": 7},
            },
        },
        {
            "update_id": 4,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": "5", "type": "private"},
                "location": {"latitude": "x", "longitude": 1},
            },
        },
        {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -5, "type": "group"},
                "entities": [{"type": "mention", "offset": 0, "length": 3}],
            },
        },  # no text
    ],
)
def test_shapes_telegram_never_sends_are_ignored_not_raised(data: dict[str, Any]) -> None:
    """PTB's parser checks no types; raising here would answer 503 and have the update re-sent forever."""
    assert _translate(data) in (Ignored("malformed_update"), Ignored("group_chatter"))
