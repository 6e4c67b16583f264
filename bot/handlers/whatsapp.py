"""The WhatsApp channel (Cloud API through pywa): webhook routes, the sender, photos fetched on arrival.

Inbound: Meta POSTs to `/webhooks/whatsapp`; the signature is checked over the raw bytes before
anything is parsed, each message goes through the engine (one commit, de-duplicated by wamid), and
only then is 200 returned: a database failure answers 503, so Meta delivers the update again.
A photo is downloaded before the engine sees its message (media expire after about 30 days, so its
id is worth nothing later) and checked and stored through bot/services/photos.py.
Statuses (sent, delivered, read, failed) are recorded against the outbox row by wamid, one of
possibly several parts; one that overtook its send is kept until the worker stores the wamid.
Outbound: `WhatsAppSender` (whatsapp_send.py), driven by the outbox worker.

pywa's async client is built in `start()` with `server=None`: we own the FastAPI routes and feed
updates ourselves, and pywa only sends. Its httpx session is ours, so the Graph API base URL comes
from settings (a local fake in tests).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pywa.errors import WhatsAppError
from pywa_async import WhatsApp

from bot.config import Settings
from bot.delivery.base import Recipient
from bot.domain.photos import MAX_PHOTO_BYTES
from bot.engine import utc_now
from bot.handlers.whatsapp_inbound import (
    SIGNATURE_HEADER,
    DeliveryStatus,
    WebhookBatch,
    parse_webhook,
    signature_is_valid,
)
from bot.handlers.whatsapp_send import WhatsAppSender
from bot.messages import Channel, InboundKind, PhotoProblem
from bot.services.photos import PhotoRefused, receive_photo
from bot.services.whatsapp_delivery import HeldContact, apply_status

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.whatsapp")

WEBHOOK_PATH = "/webhooks/whatsapp"
HTTP_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
#: Where Meta serves media from; the access token is sent along, so nowhere else.
MEDIA_HOST_SUFFIXES = (".fbsbx.com", ".whatsapp.net", ".facebook.com", ".fbcdn.net")


class WhatsAppChannel:
    """The `ChannelAdapter` for WhatsApp: webhook router, sender, and the pywa client's lifetime."""

    channel = Channel.WHATSAPP

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._settings = runtime.settings
        self.sender = WhatsAppSender(settings=runtime.settings, catalog=runtime.catalog, db=runtime.db)
        self.router: APIRouter | None = self._build_router()
        self._session: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Build pywa's client on our own httpx session, pointed at the configured Graph API (no call made)."""
        quiet_library_logs()
        self._session = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        self.sender.client = build_client(self._settings, self._session)
        self._runtime.delivery.register(self.sender)

    @property
    def connected(self) -> bool:
        return self.sender.client is not None

    async def stop(self) -> None:
        self.sender.client = None
        if self._session is not None:
            await self._session.aclose()
            self._session = None

    async def fetch_media(self, media_id: str) -> bytes:
        """A photo a citizen just sent, by its media id, within the photo size limit (a `PhotoDownload`)."""
        if self.sender.client is None:
            raise PhotoRefused(PhotoProblem.UNAVAILABLE)  # not started
        base_url = self._settings.whatsapp_api_base_url
        return await fetch_whatsapp_media(
            self.sender.client, media_id, api_base_url=base_url, max_bytes=MAX_PHOTO_BYTES
        )

    def _build_router(self) -> APIRouter:
        router = APIRouter(tags=["webhooks"])
        router.add_api_route(WEBHOOK_PATH, self.verify, methods=["GET"], include_in_schema=False)
        router.add_api_route(WEBHOOK_PATH, self.receive, methods=["POST"], include_in_schema=False)
        return router

    async def verify(self, request: Request) -> Response:
        """Meta's subscription handshake: echo `hub.challenge` when the verify token matches."""
        params = request.query_params
        expected = self._settings.whatsapp_verify_token
        token = params.get("hub.verify_token", "")
        challenge = params.get("hub.challenge", "")
        if (
            params.get("hub.mode") == "subscribe"
            and expected
            and hmac.compare_digest(token.encode(), expected.encode())
            and 0 < len(challenge) <= 256
        ):
            return PlainTextResponse(challenge)
        log.warning("whatsapp_verify_refused")
        return PlainTextResponse("Forbidden", status_code=403)

    async def receive(self, request: Request, background: BackgroundTasks) -> Response:
        """One webhook POST: authenticate, translate, run through the engine, then answer."""
        body = await request.body()
        if not signature_is_valid(self._settings.whatsapp_app_secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("whatsapp_webhook_bad_signature")
            return PlainTextResponse("Forbidden", status_code=403)
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("whatsapp_webhook_unreadable")
            return PlainTextResponse("ok")
        batch = parse_webhook(payload, phone_number_id=self._settings.whatsapp_phone_number_id)
        try:
            await self._process(batch, background)
        except sa.exc.SQLAlchemyError as error:
            log.error("whatsapp_webhook_db_failed error=%s", type(error).__name__)
            return PlainTextResponse("Try again", status_code=503, headers={"Retry-After": "5"})
        return PlainTextResponse("ok")

    async def _process(self, batch: WebhookBatch, background: BackgroundTasks) -> None:
        for arrived in batch.messages:
            inbound = arrived
            if arrived.kind is InboundKind.PHOTO:
                inbound = await receive_photo(arrived, self.fetch_media)
            # The engine also releases what was held for the 24-hour window, in the same transaction.
            result = await run_in_threadpool(self._runtime.engine.handle, inbound)
            log.info(
                "whatsapp_message wamid=%s contact=%s duplicate=%s",
                inbound.message_id,
                result.contact_id,
                result.duplicate,
            )
        if batch.messages:
            self._runtime.delivery.wake()
        for status in batch.statuses:
            held = await run_in_threadpool(self._record_status, status)
            log.info("whatsapp_status wamid=%s status=%s code=%s", status.wamid, status.status, status.error_code)
            if held is not None:
                background.add_task(self._notify_window_closed, held)

    def _record_status(self, status: DeliveryStatus) -> HeldContact | None:
        return apply_status(
            self._runtime.db,
            wamid=status.wamid,
            status=status.status,
            error_code=status.error_code,
            error=status.error,
            now=utc_now(),
        )

    async def _notify_window_closed(self, held: HeldContact) -> None:
        """After a late 131047: tell the citizen with the template (after the webhook is answered)."""
        await self.sender.notify_held(Recipient(held.contact_id, held.address, held.language, held.last_inbound_at))


def quiet_library_logs() -> None:
    """Keep citizens' words and request URLs out of the logs, whatever the root level.

    httpx logs every request line at INFO; pywa logs request and response bodies (our replies, with
    the citizen's own answers in summaries) at DEBUG.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("pywa").setLevel(logging.INFO)
    logging.getLogger("pywa_async").setLevel(logging.INFO)


def build_client(settings: Settings, session: httpx.AsyncClient) -> WhatsApp:
    """pywa's async client without a webhook server; requests go to `settings.whatsapp_api_base_url`."""
    client = WhatsApp(
        phone_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_token,
        session=session,
        server=None,
        api_version=api_version(settings.whatsapp_api_base_url),
    )
    # pywa sets graph.facebook.com on the session it is given; the session is ours to point elsewhere.
    session.base_url = httpx.URL(settings.whatsapp_api_base_url)
    return client


def api_version(base_url: str) -> str:
    """The Graph API version in the base URL (`.../v23.0`), which pywa wants to know."""
    match = re.search(r"/v(\d+\.\d+)/?$", base_url)
    return match.group(1) if match else "23.0"


async def fetch_whatsapp_media(client: WhatsApp, media_id: str, *, api_base_url: str, max_bytes: int) -> bytes:
    """Look up a media id's short-lived URL and download it with the access token, within a size cap.

    Raises PhotoRefused: TOO_LARGE past the cap, UNAVAILABLE when Meta does not hand it over (a media id
    expires after about 30 days) or serves it from a host the token must not be sent to.
    """
    try:
        media = await client.get_media_url(media_id)
        if media.file_size and media.file_size > max_bytes:
            raise PhotoRefused(PhotoProblem.TOO_LARGE)
        if not _trusted_media_url(media.url, api_base_url):
            raise PhotoRefused(PhotoProblem.UNAVAILABLE)
        data = bytearray()
        async for chunk in client.stream_media(media.url):
            data.extend(chunk)
            if len(data) > max_bytes:
                raise PhotoRefused(PhotoProblem.TOO_LARGE)
        return bytes(data)
    except (WhatsAppError, httpx.HTTPError) as error:
        log.warning("whatsapp_media_failed media=%s error=%s", media_id, type(error).__name__)
        raise PhotoRefused(PhotoProblem.UNAVAILABLE) from None


def _trusted_media_url(url: str, api_base_url: str) -> bool:
    parts, api = urlsplit(url), urlsplit(api_base_url)
    if parts.hostname and parts.hostname == api.hostname and parts.scheme == api.scheme:
        return True
    return parts.scheme == "https" and (parts.hostname or "").endswith(MEDIA_HOST_SUFFIXES)
