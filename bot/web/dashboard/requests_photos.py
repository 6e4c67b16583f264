"""Photos of a sighting, fetched from the citizen's platform when a staff member opens them.

We keep only the platform's reference (a Telegram file id, a WhatsApp media id), never the image:
the platform holds it, and we fetch it on demand with the channel's own download function. A channel
that is not configured, or a reference the platform no longer serves (WhatsApp media expire after 30
days), gives None and the page says the photo is unavailable.
"""

from __future__ import annotations

import logging

import httpx

from bot.config import Settings
from bot.messages import Channel

log = logging.getLogger("bot.web.dashboard")

FETCH_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF", "image/webp"))


async def fetch_photo(settings: Settings, channel: str | None, ref: str) -> bytes | None:
    """The photo's bytes from its platform, or None when it cannot be had (logged without the ref)."""
    try:
        if channel == Channel.TELEGRAM.value and settings.telegram_enabled:
            from telegram.error import TelegramError

            from bot.handlers.telegram_sender import fetch_telegram_photo

            try:
                return await fetch_telegram_photo(settings, ref)
            except TelegramError as error:
                raise LookupError(type(error).__name__) from None
        if channel == Channel.WHATSAPP.value and settings.whatsapp_enabled:
            return await _fetch_whatsapp(settings, ref)
    except LookupError as error:
        log.warning("photo_fetch_failed channel=%s error=%s", channel, error)
    return None


async def _fetch_whatsapp(settings: Settings, ref: str) -> bytes:
    from bot.handlers.whatsapp import MediaUnavailable, build_client, fetch_whatsapp_media

    async with httpx.AsyncClient(timeout=FETCH_TIMEOUT) as session:
        client = build_client(settings, session)
        try:
            return await fetch_whatsapp_media(client, ref, api_base_url=settings.whatsapp_api_base_url)
        except MediaUnavailable as error:
            raise LookupError(str(error)) from None


def image_type(data: bytes) -> str:
    """The content type by the file's first bytes; the platform's word is not needed for three formats."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return "application/octet-stream"
