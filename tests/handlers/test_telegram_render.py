"""Reply -> Telegram messages: keyboards, the location button, 64-byte callback data, 4096-character parts."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES, PMKS_GROUPS
from bot.domain.regions import load_regions
from bot.handlers.telegram_render import (
    MAX_CALLBACK_DATA,
    UnsendableChoice,
    inline_keyboard,
    render_reply,
    split_text,
    utf16_length,
)
from bot.messages import Choice, Reply


def _labels(markup: InlineKeyboardMarkup) -> list[list[str]]:
    return [[button.text for button in row] for row in markup.inline_keyboard]


def test_short_labels_sit_two_to_a_row_long_ones_alone() -> None:
    short = inline_keyboard([Choice("confirm:send", "Kirim"), Choice("confirm:edit", "Ubah"), Choice("x", "Lain")])
    assert _labels(short) == [["Kirim", "Ubah"], ["Lain"]]
    long = inline_keyboard([Choice("menu:lapor", "Lapor warga butuh bantuan"), Choice("menu:help", "Bantuan")])
    assert _labels(long) == [["Lapor warga butuh bantuan"], ["Bantuan"]]
    assert long.inline_keyboard[0][0].callback_data == "menu:lapor"


def test_every_choice_id_the_flows_make_fits_in_callback_data() -> None:
    regions = load_regions()
    ids = [f"reg:{r.code}" for r in regions.regions]
    ids += [f"kec:{k.code}" for r in regions.regions for k in r.kecamatan]
    ids += [f"cat:{c}" for c in PMKS_CATEGORIES] + [f"grp:{g}" for g in PMKS_GROUPS]
    ids += [f"topic:{t}" for t in COUNSELING_TOPICS]
    assert len(ids) > 190
    assert max(len(i.encode("utf-8")) for i in ids) <= MAX_CALLBACK_DATA
    inline_keyboard([Choice(i, i) for i in ids])  # does not raise


def test_overlong_callback_data_is_refused_before_sending() -> None:
    with pytest.raises(UnsendableChoice):
        inline_keyboard([Choice("kec:" + "x" * 61, "Terlalu panjang")])


def test_location_request_is_a_one_time_reply_keyboard() -> None:
    [message] = render_reply(Reply("Di mana tepatnya?", request_location=True), location_label="Kirim lokasi saya")
    markup = message.reply_markup
    assert isinstance(markup, ReplyKeyboardMarkup) and markup.one_time_keyboard and markup.resize_keyboard
    assert markup.keyboard[0][0].request_location and markup.keyboard[0][0].text == "Kirim lokasi saya"


def test_a_message_without_buttons_removes_a_leftover_location_keyboard() -> None:
    [message] = render_reply(Reply("Ceritakan apa yang Anda lihat."), location_label="-")
    assert isinstance(message.reply_markup, ReplyKeyboardRemove)


def test_long_text_is_split_at_line_breaks_with_the_keyboard_on_the_last_part() -> None:
    lines = [f"Baris {i:04d}: " + "kata " * 20 for i in range(100)]  # about 11,000 characters
    reply = Reply("\n".join(lines), (Choice("confirm:send", "Kirim"),))
    messages = render_reply(reply, location_label="-")
    assert len(messages) == 3 and all(utf16_length(m.text) <= 4096 for m in messages)
    assert [m.reply_markup is None for m in messages] == [True, True, False]
    assert isinstance(messages[-1].reply_markup, InlineKeyboardMarkup)
    assert "\n".join(m.text for m in messages) == reply.text  # cut only where a line ended
    assert all(m.text.startswith("Baris") for m in messages)


def test_one_overlong_line_is_cut_at_spaces_and_emoji_count_double() -> None:
    text = "🙏 " * 3000  # 3 UTF-16 units each: 9000 units, no line break
    parts = split_text(text)
    assert len(parts) == 3 and all(utf16_length(p) <= 4096 for p in parts)
    assert all(p.startswith("🙏") for p in parts)
    assert "".join(parts).count("🙏") == 3000


def test_short_text_is_left_alone() -> None:
    assert split_text("Halo!\n\nApa kabar?") == ["Halo!\n\nApa kabar?"]
