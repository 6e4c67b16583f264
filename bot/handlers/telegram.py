"""The Telegram channel: python-telegram-bot for the Bot API, the conversation engine for everything else.

Two ways in, one path through:
- Polling (no `TELEGRAM_WEBHOOK_URL`): PTB's `Updater` long-polls and its `Application` dispatches every
  update to one `TypeHandler`, which calls `handle_update`.
- Webhook: `POST /webhooks/telegram` checks the secret header, parses with `Update.de_json` and awaits
  `handle_update` itself, instead of putting the update on PTB's `update_queue` as PTB's own webhook
  examples do. The reason is the answer: Telegram re-sends an update until it gets a 2xx, so we answer
  200 only once the engine has committed it, and 503 when it could not. A press's answerCallbackQuery
  rides in that 200's body, as the Bot API allows for webhooks. PTB's `process_update` catches
  handler exceptions and hands them to error handlers, and the queue answers before anything ran, so
  neither could tell the route what happened. Calling our own coroutine lets the exception reach it.

`handle_update` is a thin translator: `telegram_inbound` decides what an update means, a photo is fetched
and checked (bot/services/photos.py), the engine decides everything about the conversation (and
de-duplicates by update id), and the replies it queued leave through the outbox worker and
`TelegramSender`. Nothing from group chats reaches the engine.

Polling caveat: PTB's `Updater` confirms updates to Telegram as soon as they are fetched, so an update
whose processing fails (the database is down) is logged and lost; the webhook mode has no such gap.

Start-up does not need Telegram (issue 20): `start` tries to connect once, and if the Bot API does not
answer the service starts anyway and keeps trying in the background (bot/handlers/channel_setup.py).
Until it is connected the channel sends nothing (its sender is not registered with the outbox worker),
answers webhooks 503 (Telegram re-sends them, to any instance), and `/readyz` lists it as pending.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.config import Settings
from bot.domain.photos import MAX_PHOTO_BYTES
from bot.engine import EngineResult
from bot.flows.base import STALE_CHOICE
from bot.handlers.channel_setup import ChannelSetUp
from bot.handlers.telegram_inbound import (
    ALLOWED_UPDATES,
    ButtonPress,
    Ignored,
    PrivateOnly,
    translate_update,
)
from bot.handlers.telegram_render import MAX_TEXT, utf16_length
from bot.handlers.telegram_sender import TelegramSender, fetch_telegram_photo
from bot.i18n.catalog import LANGUAGES
from bot.messages import Channel, InboundKind
from bot.services.photos import receive_photo

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.telegram")

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: The command menu, in the order Telegram shows it; descriptions come from `telegram.commands.*`.
COMMANDS: tuple[str, ...] = (
    "start",
    "lapor",
    "konseling",
    "status",
    "batal",
    "bahasa",
    "bantuan",
    "dataku",
    "hapusdata",
)
PICKED_MARK = "✅"
#: Edits of pressed messages waiting for the Bot API, and for the rate limiter, which lets 30 a second
#: through and makes the outbox's replies wait behind them. Past this many (two seconds' worth) a press is
#: still answered but keeps its buttons (a second press on them is answered as stale): a flood of presses
#: neither piles up edits nor holds replies back for long.
MAX_PENDING_EDITS = 60


def build_application(settings: Settings) -> Application:
    """PTB's Application with our Bot API server and a rate limiter that only guards this process.

    The outbox worker owns the real limits (global rate across instances, one message a second per chat,
    429 handling), so the limiter never retries (`max_retries=0`): a 429 reaches the worker as RetryLater.

    `PTB_TIMEDELTA` opts into PTB 23's durations (`RetryAfter.retry_after` as a timedelta) as PTB 22
    asks; without it PTB emits a deprecation warning on every 429. An operator's own value wins.
    """
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    limiter = AIORateLimiter(
        overall_max_rate=settings.telegram_messages_per_second, overall_time_period=1, max_retries=0
    )
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .rate_limiter(limiter)
        .job_queue(None)  # scheduled work lives in database rows (bot/scheduler), not in PTB
    )
    if settings.telegram_webhook_url:
        builder = builder.updater(None)
    return builder.build()


class TelegramChannel:
    """The Telegram adapter: started and stopped by the app's lifespan, webhook route in `router`."""

    channel = Channel.TELEGRAM

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._settings = runtime.settings
        self._webhook = bool(self._settings.telegram_webhook_url)
        self.application = build_application(self._settings)
        self.sender = TelegramSender(self.application.bot, runtime.catalog)
        self.router: APIRouter | None = _webhook_router(self) if self._webhook else None
        self.application.add_handler(TypeHandler(Update, self._on_polled_update))
        self.application.add_error_handler(self._on_polled_update_error)
        self._courtesy_calls: set[asyncio.Task[None]] = set()
        self._pending_edits = 0
        self._busy = 0  # updates being handled plus courtesy calls in flight; `settle` waits for none
        self._idle = asyncio.Event()
        self._idle.set()
        self.connected = False  # the Bot API answered getMe: updates are taken and messages sent
        self._published = False  # the command menu and the webhook are set
        self._setup = ChannelSetUp("telegram_setup", self._set_up)

    async def start(self) -> None:
        """Connect to the Bot API and set the channel up, now if Telegram answers, else in the background."""
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines print URLs with the token
        # With max_retries=0 the limiter logs every 429 as an ERROR with a traceback; the worker owns
        # 429s and logs them itself (outbox_send_failed ... RetryLater).
        logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
        await self._setup.start()

    async def _set_up(self) -> None:
        """Connect (getMe) and take updates, then publish the command menu and the webhook; each step once."""
        if not self.connected:
            await self.application.initialize()
            if not self.application.running:
                await self.application.start()
            if self.application.updater is not None and not self.application.updater.running:
                await self.application.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
            self._runtime.delivery.register(self.sender)
            self.connected = True
            self._runtime.delivery.wake()  # replies queued while Telegram was away go now
            log.info(
                "telegram_connected mode=%s bot_id=%s",
                "webhook" if self._webhook else "polling",
                self.application.bot.id,
            )
        if not self._published:
            await self._publish_commands()
            if self._webhook:
                await self.application.bot.set_webhook(
                    self._settings.telegram_webhook_url,
                    secret_token=self._settings.telegram_webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            self._published = True

    async def stop(self) -> None:
        """Stop taking updates and close the connections; the webhook stays set for other instances."""
        await self._setup.stop()
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.settle()
        await self.application.shutdown()
        await self.application.bot.shutdown()  # its connections, when getMe never answered
        log.info("telegram_stopped")

    async def _publish_commands(self) -> None:
        """Set the menu in the default language for everyone, and in each other language for its users."""
        default = self._settings.default_language
        for language in LANGUAGES:
            commands = [
                BotCommand(name, self._runtime.catalog.text(language, f"telegram.commands.{name}")) for name in COMMANDS
            ]
            code = None if language == default else language
            await self.application.bot.set_my_commands(commands, language_code=code)

    # --- one update -----------------------------------------------------------------------------

    async def handle_update(self, update: Update, *, answer_in_response: bool = False) -> dict[str, Any] | None:
        """Translate the update, let the engine commit it, then answer the press; raises before commit.

        With `answer_in_response` (webhook mode) a press's answerCallbackQuery is returned, as the method
        for the webhook's HTTP response, instead of being called: Telegram runs it when it reads our
        200, which saves a Bot API round trip on most updates (most are presses) and stops the
        button's spinner sooner. Its outcome is unknown to us, as a background call's hardly matters.
        """
        self._begin()
        try:
            return await self._handle_update(update, answer_in_response)
        finally:
            self._end()

    async def _handle_update(self, update: Update, answer_in_response: bool) -> dict[str, Any] | None:
        """Ignore it, tell a group to write in private, or take it through the engine."""
        translation = translate_update(update, bot_username=self.application.bot.username)
        if isinstance(translation, Ignored):
            log.debug("telegram_update_ignored update_id=%s reason=%s", update.update_id, translation.reason)
            if translation.query_id:
                return self._answer_press(translation.query_id, "", in_response=answer_in_response)
            return None
        if isinstance(translation, PrivateOnly):
            await self._ask_for_private_chat(update, translation)
            return None
        inbound = translation.inbound
        if inbound.kind is InboundKind.PHOTO:  # fetched now: the engine stores the photo itself
            inbound = await receive_photo(inbound, self._download_photo)
        result = await asyncio.to_thread(self._runtime.engine.handle, inbound)
        if result.replies:
            self._runtime.delivery.wake()  # committed: the worker may send while we answer the press
        log.info(
            "telegram_update_handled update_id=%s kind=%s contact=%s replies=%d duplicate=%s",
            update.update_id,
            inbound.kind.value,
            result.contact_id,
            len(result.replies),
            result.duplicate,
        )
        if translation.press is None:
            return None
        return self._acknowledge_press(translation.press, result, answer_in_response)

    async def _download_photo(self, file_id: str) -> bytes:
        return await fetch_telegram_photo(self.application.bot, file_id, max_bytes=MAX_PHOTO_BYTES)

    async def _ask_for_private_chat(self, update: Update, notice: PrivateOnly) -> None:
        """Tell a group to write in private; sent directly, since nothing about a group is stored."""
        language = notice.language if notice.language in LANGUAGES else self._settings.default_language
        text = self._runtime.catalog.text(language, "telegram.private_only", bot_username=self.application.bot.username)
        await self._best_effort("private_only", self.application.bot.send_message(notice.chat_id, text))
        log.info("telegram_group_told_private update_id=%s", update.update_id)

    def _acknowledge_press(
        self, press: ButtonPress, result: EngineResult, answer_in_response: bool
    ) -> dict[str, Any] | None:
        """Stop the button's spinner (with a toast for an old keyboard) and take the buttons away.

        Both calls run in the background: the update is committed and its replies queued, and awaiting
        two Bot API round trips (50-300 ms each from Indonesia, the edit also queued behind the rate
        limiter) would hold up every later update, since PTB handles one update at a time. In webhook
        mode the answer goes back in the HTTP response instead (`handle_update`).
        """
        bot = self.application.bot
        toast = self._runtime.catalog.text(result.language, STALE_CHOICE) if result.stale_press else ""
        answer = self._answer_press(press.query_id, toast, in_response=answer_in_response)
        if result.duplicate or self._pending_edits >= MAX_PENDING_EDITS:
            return answer
        picked = f"{press.message_text}\n\n{PICKED_MARK} {press.label}"
        if not result.stale_press and press.label and press.message_text and utf16_length(picked) <= MAX_TEXT:
            edit = bot.edit_message_text(picked, chat_id=press.chat_id, message_id=press.message_id)
        else:
            edit = bot.edit_message_reply_markup(chat_id=press.chat_id, message_id=press.message_id)
        self._pending_edits += 1
        self._in_background("edit_pressed_message", edit, on_done=self._edit_done)
        return answer

    def _answer_press(self, query_id: str, toast: str, *, in_response: bool) -> dict[str, Any] | None:
        """answerCallbackQuery: as the webhook response's method, or called in the background."""
        if in_response:
            return {
                "method": "answerCallbackQuery",
                "callback_query_id": query_id,
                **({"text": toast} if toast else {}),
            }
        self._in_background("answer_callback", self.application.bot.answer_callback_query(query_id, text=toast or None))
        return None

    def _edit_done(self) -> None:
        self._pending_edits -= 1

    def _in_background(self, action: str, call: Awaitable[Any], *, on_done: Callable[[], None] | None = None) -> None:
        """Make a courtesy call without waiting for it; `settle` waits for those in flight."""
        self._begin()
        task = asyncio.get_running_loop().create_task(self._best_effort(action, call, on_done))
        self._courtesy_calls.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._courtesy_call_done)

    def _courtesy_call_done(self, task: asyncio.Task[None]) -> None:
        self._courtesy_calls.discard(task)
        self._end()

    def _begin(self) -> None:
        self._busy += 1
        self._idle.clear()

    def _end(self) -> None:
        self._busy -= 1
        if not self._busy:
            self._idle.set()

    async def settle(self) -> None:
        """Wait until no update is being handled and no courtesy call is in flight (before shutting down;
        tests, before asserting on what the Bot API received)."""
        await self._idle.wait()

    @staticmethod
    async def _best_effort(action: str, call: Awaitable[Any], on_done: Callable[[], None] | None = None) -> None:
        """A courtesy call whose failure must not undo or repeat the committed update."""
        try:
            await call
        except TelegramError as error:
            log.warning("telegram_%s_failed error=%s", action, type(error).__name__)
        finally:
            if on_done is not None:
                on_done()

    # --- polling --------------------------------------------------------------------------------

    async def _on_polled_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one polled update through the same path as the webhook."""
        await self.handle_update(update)

    async def _on_polled_update_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failed polled update by id and error type only: the message may quote the citizen."""
        error = context.error
        log.error(
            "telegram_update_failed update_id=%s error=%s\n%s",
            getattr(update, "update_id", "?"),
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)) if error else "",
        )

    # --- webhook --------------------------------------------------------------------------------

    def secret_matches(self, given: str | None) -> bool:
        expected = self._settings.telegram_webhook_secret.encode()
        return bool(expected) and hmac.compare_digest((given or "").encode(), expected)

    def parse_update(self, body: bytes) -> Update | None:
        """The update in a webhook body, or None when it cannot be read (acknowledged, never retried)."""
        data: Any = None
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.application.bot)
        except Exception:  # noqa: BLE001 - any shape PTB rejects; a 5xx would make Telegram re-send it forever
            update = None
        if update is None:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            log.warning("telegram_update_unparseable update_id=%s", update_id if isinstance(update_id, int) else "?")
        return update


def _webhook_router(channel: TelegramChannel) -> APIRouter:
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        """Take one update: 403 without the secret, 200 once committed or ignored, 503 to be re-sent."""
        if not channel.secret_matches(request.headers.get(SECRET_HEADER)):
            log.warning("telegram_webhook_refused reason=secret_token")
            return Response(status_code=403)
        if not channel.connected:  # the Bot API has not answered this instance yet: Telegram re-sends
            return Response(status_code=503, headers={"Retry-After": "5"})
        update = channel.parse_update(await request.body())
        if update is None:
            return Response(status_code=200)
        try:
            answer = await channel.handle_update(update, answer_in_response=True)
        except Exception as error:  # noqa: BLE001 - nothing was committed; Telegram will re-send
            log.error(
                "telegram_update_failed update_id=%s error=%s\n%s",
                update.update_id,
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )
            return Response(status_code=503, headers={"Retry-After": "5"})
        return JSONResponse(answer) if answer else Response(status_code=200)

    return router
