"""Reply -> Telegram messages: inline keyboards, the location button, and text cut to Telegram's limit.

Pure functions; the sender turns each `OutgoingMessage` into one `sendMessage` call.

Why every message without buttons carries `ReplyKeyboardRemove`: the location button lives in a reply
keyboard that stays on the citizen's screen until a message removes it. The sender keeps no memory of
what a chat shows (any instance may send the next message), so removing it whenever it is not wanted
is the stateless way; on a chat without such a keyboard it changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.messages import Choice, Reply

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted by Telegram in UTF-16 code units
MAX_CALLBACK_DATA = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
SHORT_LABEL = 16  # labels this short sit two to a row and stay readable on a small phone

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    text: str
    reply_markup: Markup | None


class UnsendableChoice(ValueError):
    """A choice id longer than Telegram's 64-byte callback data: a bug in a flow, not a network problem."""


def render_reply(reply: Reply, *, location_label: str) -> list[OutgoingMessage]:
    """The messages that show `reply`; long text is split and the keyboard rides on the last part."""
    parts = split_text(reply.text)
    last = OutgoingMessage(parts[-1], _markup(reply, location_label))
    return [*(OutgoingMessage(part, None) for part in parts[:-1]), last]


def _markup(reply: Reply, location_label: str) -> Markup:
    if reply.request_location:
        return location_keyboard(location_label, reply.choices)
    if reply.choices:
        return inline_keyboard(reply.choices)
    return ReplyKeyboardRemove()


def inline_keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup:
    """One button per row, or two when every label is short (e.g. kecamatan names, Kirim/Ubah)."""
    for choice in choices:
        if len(choice.id.encode("utf-8")) > MAX_CALLBACK_DATA:
            raise UnsendableChoice(f"choice id of {len(choice.id.encode('utf-8'))} bytes: {choice.id[:20]}...")
    buttons = [InlineKeyboardButton(choice.label, callback_data=choice.id) for choice in choices]
    per_row = 2 if all(len(choice.label) <= SHORT_LABEL for choice in choices) else 1
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def location_keyboard(label: str, choices: Sequence[Choice] = ()) -> ReplyKeyboardMarkup:
    """The "send my location" button; offered choices join as text buttons (flows match typed labels)."""
    rows = [[KeyboardButton(label, request_location=True)], *([KeyboardButton(c.label)] for c in choices)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def utf16_length(text: str) -> int:
    """Telegram's idea of a text's length: UTF-16 code units (an emoji often counts two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut text into parts of at most `limit`, at line breaks; a single overlong line at spaces."""
    if utf16_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in (piece for whole in text.split("\n") for piece in _cut_line(whole, limit)):
        grown = size + utf16_length(line) + (1 if current else 0)
        if current and grown > limit:
            parts.append("\n".join(current))
            current, grown = [], utf16_length(line)
        current.append(line)
        size = grown
    parts.append("\n".join(current))
    kept = [part.strip("\n") for part in parts]
    return [part for part in kept if part.strip()] or [text[:limit]]


def _cut_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while utf16_length(line) > limit:
        end = _fitting_prefix(line, limit)
        space = line.rfind(" ", 0, end)
        cut = space if space > 0 else end
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def _fitting_prefix(line: str, limit: int) -> int:
    """The longest prefix (in characters) within `limit` UTF-16 units; never splits a character."""
    units = 0
    for index, char in enumerate(line):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(line)
