"""Channel adapters: each translates one platform's updates into `Inbound` and `Reply` back.

A platform channel's module holds both directions (inbound handling and its `Sender`) and exposes a
class with the `ChannelAdapter` shape; the app factory starts the enabled ones and mounts their webhook
routes. The web chat (webchat.py) needs neither: its routes are always on (bot/web/webchat_api.py) and
its page reads replies from the outbox, so its adapter is the translation alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fastapi import APIRouter

from bot.delivery.base import Sender
from bot.messages import Channel

if TYPE_CHECKING:
    from bot.runtime import Runtime


class ChannelAdapter(Protocol):
    channel: Channel
    router: APIRouter | None  # webhook routes, mounted on the FastAPI app

    @property
    def sender(self) -> Sender: ...  # read-only here: each channel holds its own kind of sender

    @property
    def connected(self) -> bool:
        """Started and reaching its platform: takes updates, and its sender is registered with the worker."""
        ...

    async def start(self) -> None:
        """Set the channel up and register its sender; never fails because the platform does (it may
        connect later, in the background)."""
        ...

    async def stop(self) -> None: ...


def enabled_channels(runtime: Runtime) -> list[ChannelAdapter]:
    """The platform channels whose credentials are configured; web chat is always on."""
    channels: list[ChannelAdapter] = []
    if runtime.settings.telegram_enabled:
        from bot.handlers.telegram import TelegramChannel

        channels.append(TelegramChannel(runtime))
    if runtime.settings.whatsapp_enabled:
        from bot.handlers.whatsapp import WhatsAppChannel

        channels.append(WhatsAppChannel(runtime))
    return channels
