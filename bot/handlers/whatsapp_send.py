"""The WhatsApp sender: one `Reply` -> pywa calls, the 24-hour window, and error mapping.

The sender never retries or sleeps: it raises the delivery exceptions and the outbox worker decides.
Outside the 24-hour window it sends no free text; it sends the approved window notice once (a
discreet utility template, see docs/whatsapp-templates.md) and raises `HoldUntilReply`, so the
worker keeps the message held until the citizen writes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from pywa.errors import WhatsAppError
from pywa_async import WhatsApp
from pywa_async.types import Button, Section, SectionList, SectionRow
from pywa_async.types.templates import TemplateLanguage
from sqlmodel import Session

from bot.config import Settings
from bot.delivery import base
from bot.delivery.base import PermanentFailure, Recipient, RecipientUnreachable, RetryLater, TemporaryFailure
from bot.engine import utc_now
from bot.handlers.whatsapp_render import (
    ButtonsPart,
    Labels,
    ListPart,
    LocationRequestPart,
    Part,
    TextPart,
    render_reply,
)
from bot.i18n import Catalog
from bot.messages import Channel, Reply
from bot.services import whatsapp_delivery

log = logging.getLogger("bot.whatsapp")

WINDOW = timedelta(hours=24)
#: A message waits in the outbox for a send slot; keep clear of the edge instead of racing Meta's clock.
WINDOW_MARGIN = timedelta(minutes=10)
#: Meta's rate-limit codes and how long to wait: throughput, per-user pair rate, app and WABA limits.
RATE_LIMITS = {130429: 5.0, 131056: 6.0, 131048: 60.0, 4: 60.0, 80007: 60.0}
PER_RECIPIENT_LIMITS = (131056,)  # the pair rate limit: too many messages to one person
UNREACHABLE = (131026,)  # not on WhatsApp, or cannot receive business messages
TRANSIENT = (1, 2, 131000, 131016)
AUTHORIZATION = (0, 10, 190)

HoldUntilReply = base.HoldUntilReply


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free-form messages are allowed: within 24 hours of the citizen's last message."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - WINDOW_MARGIN


class WhatsAppSender:
    """Sends outbox replies through pywa's async client; the adapter attaches the client on start."""

    channel = Channel.WHATSAPP

    def __init__(
        self, *, settings: Settings, catalog: Catalog, db: sa.Engine, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._settings = settings
        self._catalog = catalog
        self._db = db
        self._clock = clock
        self.client: WhatsApp | None = None

    async def send(self, recipient: Recipient, reply: Reply) -> list[str]:
        """Send one reply as one or more WhatsApp messages; returns their wamids, in order."""
        if not recipient.address:
            raise PermanentFailure("contact has no WhatsApp address")
        if not window_open(recipient.last_inbound_at, self._clock()):
            await self.notify_window_closed(recipient)
            raise HoldUntilReply("24-hour window closed")
        wamids = []
        for part in render_reply(reply, Labels.for_language(self._catalog, recipient.language)):
            try:
                wamids.append(await self._send_part(recipient.address, part))
            except WhatsAppError as error:
                if error.code != whatsapp_delivery.WINDOW_CLOSED_ERROR:
                    raise map_error(error, recipient.contact_id) from None
                await self.notify_window_closed(recipient)
                raise HoldUntilReply(f"{error.code} {error.message}") from None
            except httpx.TransportError as error:
                raise TemporaryFailure(type(error).__name__) from None
        return wamids

    def record_sent(self, session: Session, *, message_id: int, platform_ids: Sequence[str], now: datetime) -> bool:
        """Mark the message sent with every part's wamid, applying statuses that overtook the send."""
        held = whatsapp_delivery.record_sent(session, message_id=message_id, wamids=platform_ids, now=now)
        if held is not None:
            log.info("whatsapp_status_overtook_send message=%s contact=%s", message_id, held.contact_id)
        return held is not None

    async def notify_held(self, recipient: Recipient) -> None:
        """After a late 131047: the window notice; if it cannot go now, the message still goes when they write."""
        try:
            await self.notify_window_closed(recipient)
        except Exception as error:  # noqa: BLE001 - the message stays held; it goes out when the citizen writes
            log.warning("whatsapp_notice_deferred contact=%s error=%s", recipient.contact_id, type(error).__name__)

    async def notify_window_closed(self, recipient: Recipient) -> None:
        """Send the window notice template, once per closed window; raise only what is worth a retry."""
        name = self._settings.whatsapp_notice_template
        if not name:
            log.warning("whatsapp_notice_unconfigured contact=%s", recipient.contact_id)
            return
        if await asyncio.to_thread(self._notice_sent, recipient):
            return
        language = self._template_language(recipient.language)
        try:
            sent = await self._client().send_template(
                to=recipient.address, name=name, language=TemplateLanguage(language)
            )
        except httpx.TransportError as error:
            raise TemporaryFailure(type(error).__name__) from None
        except WhatsAppError as error:
            mapped = map_error(error, recipient.contact_id)
            if isinstance(mapped, RetryLater | TemporaryFailure):
                raise mapped from None
            # The message stays held either way; an operator must fix the template (logged as error).
            log.error("whatsapp_notice_failed contact=%s code=%s", recipient.contact_id, error.code)
            return
        text = self._catalog.text(recipient.language, "whatsapp.window_notice")
        payload = {"text": text, "template": name, "language": language}
        await asyncio.to_thread(self._record_notice, recipient.contact_id, payload, sent.id)
        log.info("whatsapp_notice_sent contact=%s wamid=%s", recipient.contact_id, sent.id)

    def _template_language(self, language: str) -> str:
        languages = self._settings.whatsapp_notice_template_languages
        return languages.get(language) or languages.get(self._settings.default_language) or "id"

    def _notice_sent(self, recipient: Recipient) -> bool:
        return whatsapp_delivery.window_notice_sent_since(
            self._db, contact_id=recipient.contact_id, since=recipient.last_inbound_at
        )

    def _record_notice(self, contact_id: int, payload: dict, wamid: str) -> None:
        whatsapp_delivery.record_window_notice(
            self._db, contact_id=contact_id, payload=payload, wamid=wamid, now=self._clock()
        )

    def _client(self) -> WhatsApp:
        if self.client is None:
            raise TemporaryFailure("WhatsApp channel not started")
        return self.client

    async def _send_part(self, to: str, part: Part) -> str:
        client = self._client()
        if isinstance(part, TextPart):
            return (await client.send_message(to=to, text=part.text)).id
        if isinstance(part, ButtonsPart):
            buttons = [Button(title=title, callback_data=choice_id) for choice_id, title in part.buttons]
            return (await client.send_message(to=to, text=part.body, buttons=buttons)).id
        if isinstance(part, ListPart):
            rows = [SectionRow(title=r.title, callback_data=r.id, description=r.description or None) for r in part.rows]
            section = Section(title=part.section_title, rows=rows)
            section_list = SectionList(button_title=part.button, sections=[section])
            return (await client.send_message(to=to, text=part.body, buttons=section_list)).id
        assert isinstance(part, LocationRequestPart)
        return (await client.request_location(to=to, text=part.body)).id


def map_error(error: WhatsAppError, contact_id: int) -> Exception:
    """Meta's error code -> what the worker should do about it (131047 is the caller's business)."""
    code = error.code
    reason = f"{code} {error.message}"[:300]
    log.warning("whatsapp_send_failed contact=%s code=%s status=%s", contact_id, code, error.status_code)
    if code in RATE_LIMITS:
        return RetryLater(RATE_LIMITS[code], reason, per_recipient=code in PER_RECIPIENT_LIMITS)
    if code in UNREACHABLE:
        return RecipientUnreachable(reason)
    if (error.status_code or 0) >= 500 or error.is_transient or code in TRANSIENT:
        return TemporaryFailure(reason)
    if code in AUTHORIZATION or 200 <= code < 300:
        # A bad or expired token is the operator's to fix; retrying keeps the messages meanwhile.
        log.error("whatsapp_authorization_failed code=%s", code)
        return TemporaryFailure(reason)
    return PermanentFailure(reason)
