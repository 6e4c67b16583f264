"""Telegram's outbound half: one Reply -> sendMessage calls, and Bot API errors -> the worker's exceptions.
Also the one download a citizen's message needs: the photo they sent (`fetch_telegram_photo`).

The sender never sleeps or retries: the outbox worker owns retries, backoff, the global rate across
instances and per-chat spacing, so it only has to learn which kind of trouble happened.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.delivery.base import PermanentFailure, Recipient, RecipientUnreachable, RetryLater, TemporaryFailure
from bot.handlers.telegram_render import UnsendableChoice, render_reply
from bot.i18n import Catalog
from bot.messages import Channel, PhotoProblem, Reply
from bot.services.photos import PhotoRefused

log = logging.getLogger("bot.telegram")

#: The location button's label. A web chat key today; both say "send my location" in the citizen's language.
LOCATION_LABEL_KEY = "webchat.send_location"


class TelegramSender:
    """Sends one Reply to one chat as one or more messages; returns the last message's id."""

    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot, catalog: Catalog) -> None:
        self._bot = bot
        self._catalog = catalog

    async def send(self, recipient: Recipient, reply: Reply) -> str | None:
        try:
            messages = render_reply(reply, location_label=self._catalog.text(recipient.language, LOCATION_LABEL_KEY))
        except UnsendableChoice as error:
            raise PermanentFailure(str(error)) from error
        sent_id: str | None = None
        for message in messages:
            try:
                sent = await self._bot.send_message(recipient.address, message.text, reply_markup=message.reply_markup)
            except TelegramError as error:
                raise delivery_error(error) from error
            sent_id = str(sent.message_id)
        return sent_id


def delivery_error(error: TelegramError) -> Exception:
    """Which kind of trouble a Bot API error is, in the terms the outbox worker acts on."""
    reason = f"{type(error).__name__}: {error.message}"
    if isinstance(error, RetryAfter):
        return RetryLater(retry_after_seconds(error), reason)
    if isinstance(error, Forbidden):  # blocked by the user, or the account is gone
        return RecipientUnreachable(reason)
    if isinstance(error, (BadRequest, ChatMigrated)):  # BadRequest is a NetworkError subclass: test it first
        return PermanentFailure(reason)
    if isinstance(error, NetworkError):  # includes TimedOut and 5xx answers
        return TemporaryFailure(reason)
    # InvalidToken, Conflict, EndPointNotFound: the service's configuration, not this message. Retrying
    # lets the message go out once an operator fixes it, and dead-letters it after the last attempt.
    log.error("telegram_send_unexpected error=%s", type(error).__name__)
    return TemporaryFailure(reason)


def retry_after_seconds(error: RetryAfter) -> float:
    """Seconds to wait: a timedelta with `PTB_TIMEDELTA` on (see `build_application`), else an int."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def fetch_telegram_photo(bot: Bot, file_id: str, *, max_bytes: int) -> bytes:
    """The bytes of a photo a citizen just sent (getFile, then the file's URL), within a size cap.

    Raises PhotoRefused: TOO_LARGE past the cap (Telegram's getFile refuses files over 20 MB itself),
    UNAVAILABLE for any other Bot API or network error.
    """
    try:
        file = await bot.get_file(file_id)
        if file.file_size and file.file_size > max_bytes:
            raise PhotoRefused(PhotoProblem.TOO_LARGE)
        data = bytes(await file.download_as_bytearray())
    except BadRequest as error:
        too_big = "too big" in error.message.lower()
        log.warning("telegram_photo_failed error=%s", type(error).__name__)
        raise PhotoRefused(PhotoProblem.TOO_LARGE if too_big else PhotoProblem.UNAVAILABLE) from None
    except TelegramError as error:
        log.warning("telegram_photo_failed error=%s", type(error).__name__)
        raise PhotoRefused(PhotoProblem.UNAVAILABLE) from None
    if len(data) > max_bytes:
        raise PhotoRefused(PhotoProblem.TOO_LARGE)
    return data
