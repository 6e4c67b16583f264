"""Telegram update -> what the service does with it. Pure functions: no network, no database.

Every update becomes exactly one of three things:
- `ToEngine`: a private-chat message or button press, as an `Inbound` for the conversation engine
  (plus the pressed button, so the adapter can answer the press and tidy the keyboard);
- `PrivateOnly`: someone addressed the bot in a group or channel; they are told to write in a private
  chat, and nothing about them is stored (no contact, no engine call);
- `Ignored`: nothing to answer (group chatter, live-location updates, service messages).

The dedupe id is the update id: Telegram re-sends the same update (same `update_id`) when a webhook
answer was lost, and the engine records every id it has processed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from telegram import Chat, Message, MessageEntity, Update, User

from bot.messages import Channel, Inbound, InboundKind, Location

#: The update types the service reads; passed to setWebhook and getUpdates so Telegram sends no others.
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.CHANNEL_POST,
)

# Content we cannot take, named for the log and the flows (`Inbound.unsupported_what`). Order matters:
# an animation (GIF) also carries a `document`. A document that says it is an image is taken as a photo
# (`photo_file_id`); its content decides whether it is one.
_UNSUPPORTED_CONTENT: tuple[str, ...] = (
    "animation",
    "voice",
    "video_note",
    "video",
    "audio",
    "sticker",
    "document",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
    "invoice",
    "paid_media",
)


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """The pressed inline button: enough to answer the press and edit the message it sat on."""

    query_id: str
    chat_id: int
    message_id: int
    message_text: str  # "" when the message is too old to be read (over 48 hours) or has no text
    label: str  # "" when the button is not in the message's keyboard any more


@dataclass(frozen=True, slots=True)
class ToEngine:
    inbound: Inbound
    press: ButtonPress | None = None


@dataclass(frozen=True, slots=True)
class PrivateOnly:
    """Someone wrote to the bot in a group or channel: ask them to use a private chat."""

    chat_id: int
    language: str


@dataclass(frozen=True, slots=True)
class Ignored:
    reason: str
    query_id: str = ""  # a button press is still answered, so the client stops its spinner


Translation = ToEngine | PrivateOnly | Ignored


def translate_update(update: Update, *, bot_username: str) -> Translation:
    """Decide what one update means for the service; `bot_username` recognises mentions in groups.

    PTB's `Update.de_json` checks neither types nor required fields, so an update can arrive with a
    message without a chat, or a number where text belongs. Telegram never sends such a thing, but
    raising would answer the webhook with 503 and have it re-sent forever: it is ignored instead.
    """
    try:
        translation = _translate(update, bot_username)
    except (AttributeError, TypeError, ValueError, KeyError):
        return Ignored("malformed_update")
    return translation if _well_formed(translation) else Ignored("malformed_update")


def _translate(update: Update, bot_username: str) -> Translation:
    if update.callback_query is not None:
        return _from_button(update)
    if update.message is not None:
        return _from_message(update, update.message, edited=False, bot_username=bot_username)
    if update.edited_message is not None:
        return _from_message(update, update.edited_message, edited=True, bot_username=bot_username)
    if update.channel_post is not None:
        return _from_message(update, update.channel_post, edited=False, bot_username=bot_username)
    return Ignored("other_update_type")


def language_of(user: User | None) -> str:
    """The client's language as a bare code ("en-US" -> "en"); the engine keeps only ones it knows."""
    code = (user.language_code if user is not None else None) or ""
    return code.split("-", 1)[0].lower()


def largest_photo_id(message: Message) -> str:
    """The file id of the biggest size Telegram offers; sizes usually come smallest first, but check."""
    best = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
    return best.file_id


#: A file named like this is fetched as a photo (its content decides whether it is one).
_IMAGE_NAMES = (".jpg", ".jpeg", ".png", ".webp", ".heic")


def photo_file_id(message: Message) -> str:
    """The file to fetch as a photo: the largest size of a photo, or a photo sent "as a file".

    A file is one when Telegram says its type is an image or its name ends like one (phones send HD
    photos this way, often as "IMG_20261205.jpg"); GIF animations are not. Nothing is trusted beyond
    that: the photo service decodes the content (bot/services/photos.py).
    """
    if message.photo:
        return largest_photo_id(message)
    document = message.document
    if document is None or message.animation is not None:
        return ""
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    return document.file_id if mime.startswith("image/") or name.endswith(_IMAGE_NAMES) else ""


def _from_message(update: Update, message: Message, *, edited: bool, bot_username: str) -> Translation:
    if message.chat.type != Chat.PRIVATE:
        if edited or not _addressed_to_bot(message, bot_username):
            return Ignored("group_chatter")
        return PrivateOnly(message.chat.id, language_of(message.from_user))
    if edited:
        if message.location is not None:
            return Ignored("live_location_update")  # a shared live location moves every few seconds
        return _to_engine(update, message, InboundKind.UNSUPPORTED, unsupported_what="edit")
    if message.text is not None:
        return _to_engine(update, message, InboundKind.TEXT, text=message.text)
    if message.location is not None:  # a pin, a live location's first message, or a venue
        pin = message.location
        return _to_engine(update, message, InboundKind.LOCATION, location=Location(pin.latitude, pin.longitude))
    if file_id := photo_file_id(message):
        return _to_engine(update, message, InboundKind.PHOTO, media_id=file_id)
    what = next((name for name in _UNSUPPORTED_CONTENT if getattr(message, name, None)), "")
    if what:
        return _to_engine(update, message, InboundKind.UNSUPPORTED, unsupported_what=what)
    return Ignored("service_message")


def _to_engine(update: Update, message: Message, kind: InboundKind, **content: Any) -> ToEngine:
    inbound = Inbound(
        channel=Channel.TELEGRAM,
        user_id=str(message.chat.id),
        message_id=str(update.update_id),
        kind=kind,
        language_hint=language_of(message.from_user),
        **content,
    )
    return ToEngine(inbound)


def _from_button(update: Update) -> Translation:
    query = update.callback_query
    assert query is not None
    message = query.message
    if query.data is None or message is None:
        return Ignored("not_our_button", query.id)  # inline-mode or game buttons: we send neither
    if message.chat.type != Chat.PRIVATE:
        return Ignored("group_button", query.id)
    readable = message if isinstance(message, Message) else None
    press = ButtonPress(
        query_id=query.id,
        chat_id=message.chat.id,
        message_id=message.message_id,
        message_text=(readable.text or "") if readable else "",
        label=_button_label(readable, query.data) if readable else "",
    )
    inbound = Inbound(
        channel=Channel.TELEGRAM,
        user_id=str(message.chat.id),
        message_id=str(update.update_id),
        kind=InboundKind.CHOICE,
        choice=query.data,
        language_hint=language_of(query.from_user),
    )
    return ToEngine(inbound, press)


def _button_label(message: Message, data: str) -> str:
    markup = message.reply_markup
    if markup is None:
        return ""
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return ""


def _addressed_to_bot(message: Message, bot_username: str) -> bool:
    """A command, a reply to the bot, or an @mention: only then is a group told to go private."""
    text = message.text or ""
    if text.startswith("/"):
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.username == bot_username:
        return True
    mentions = message.parse_entities([MessageEntity.MENTION]).values() if text else ()
    return any(mention.lstrip("@").lower() == bot_username.lower() for mention in mentions)


def _well_formed(translation: Translation) -> bool:
    """The types the engine and the Bot API calls rely on, which PTB's parser does not check."""
    if isinstance(translation, PrivateOnly):
        return _is_int(translation.chat_id) and isinstance(translation.language, str)
    if isinstance(translation, Ignored):
        return isinstance(translation.query_id, str)
    inbound, press = translation.inbound, translation.press
    texts = (inbound.text, inbound.choice, inbound.media_id, inbound.unsupported_what, inbound.language_hint)
    pin = inbound.location
    return (
        inbound.user_id.lstrip("-").isdigit()
        and inbound.message_id.isdigit()
        and all(isinstance(text, str) for text in texts)
        and (pin is None or all(_is_finite_number(v) for v in (pin.latitude, pin.longitude)))
        and (inbound.kind is not InboundKind.CHOICE or bool(inbound.choice))
        and (inbound.kind is not InboundKind.PHOTO or bool(inbound.media_id))
        and (
            press is None
            or (
                isinstance(press.query_id, str)
                and _is_int(press.message_id)
                and isinstance(press.message_text, str)
                and isinstance(press.label, str)
            )
        )
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
