"""A fake Telegram Bot API server on 127.0.0.1, for running the real python-telegram-bot against.

It speaks the Bot API over HTTP the way a self-hosted Bot API server does: `POST /bot<token>/<method>`
with a form or JSON body, answered with `{"ok": true, "result": ...}` or `{"ok": false, "error_code",
"description", "parameters"}`; files at `GET /file/bot<token>/<path>`. It records every call, serves
queued updates to `getUpdates` (long polling, honouring `offset`, `limit` and `timeout` without sleeping
past a short cap), keeps the messages it "sent" so a test can press their buttons, and fails on demand
(429 with `retry_after`, 403 blocked, 5xx, a stalled answer for client timeouts).

As Telegram, on demand: `enforce_limits()` refuses with 429 and `retry_after` a sendMessage beyond 30 accepted
in any one second (sliding window) or a second one to a chat within a second; `ban_next_send(seconds)`
answers the next sendMessage 429 and every one until the ban ends too; `outage(seconds)` answers every
call 502 Bad Gateway for a while. Every sendMessage is recorded in `sends` with its arrival time
(`time.monotonic()`, one clock for every process on Linux) and the answer it got.

Tests run it in a thread of their own (`FakeBotApi`, every test-side method thread-safe); the benchmarks run
the same server in a process of its own (`FakeBotApiProcess`, `python -m tests.helpers.fake_bot_api`), so its
work does not count against what they measure. It lives with the other fakes in tests/helpers; the benchmarks
import it from here, as they import the project (their scripts put the project root on `sys.path`).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import itertools
import json
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.helpers.service_process import PROJECT_ROOT, stop_process
from tests.helpers.threaded_server import ThreadedServer

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijk"
BOT_USER: dict[str, Any] = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Layanan PMKS Banten",
    "username": "pmks_banten_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
LONG_POLL_CAP_SECONDS = 0.5  # getUpdates never holds a connection longer: tests stay quick to stop
# Parameters that are strings in the Bot API; every other form value arrives JSON-encoded (PTB's way).
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "file_id",
        "language_code",
        "parse_mode",
        "inline_message_id",
        "description",
        "short_description",
        "name",
    }
)


@dataclass(frozen=True, slots=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    status: int  # the HTTP status the fake answered with


@dataclass(slots=True)
class _Failure:
    status: int
    description: str
    retry_after: int | None = None
    stall_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Send:
    """One sendMessage as it reached the fake: when, to which chat, and what it was answered."""

    at: float  # time.monotonic() on arrival, before the body was read
    chat_id: int
    status: int  # 200 accepted; 429 over a limit or banned; 502 in an outage; 400 ...
    text: str
    refused_for: str = ""  # "bot" (30/s), "chat" (1/s), "ban", "outage", "" when accepted
    buttons: tuple[str, ...] = ()  # the callback data of its inline keyboard

    @property
    def accepted(self) -> bool:
        return self.status == 200


def most_in_any_window(times: Iterable[float], seconds: float = 1.0) -> int:
    """The most events (e.g. `Send.at`) within any window of `seconds` (sliding, half-open): what Telegram counts."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


class _Limits:
    """Telegram's send limits over accepted messages: `per_second` in any one second, one per chat per `chat_gap`."""

    def __init__(self, per_second: float, chat_gap: float) -> None:
        self.per_second = per_second
        self.chat_gap = chat_gap
        self._accepted: deque[float] = deque()
        self._last_by_chat: dict[int, float] = {}

    def refusal(self, chat_id: int, at: float) -> tuple[str, float] | None:
        """(which limit, seconds until it allows) when a message to `chat_id` at `at` would break one, else None."""
        while self._accepted and at - self._accepted[0] >= 1.0:
            self._accepted.popleft()
        if len(self._accepted) >= self.per_second:
            return "bot", self._accepted[0] + 1.0 - at
        last = self._last_by_chat.get(chat_id)
        if last is not None and at - last < self.chat_gap:
            return "chat", last + self.chat_gap - at
        return None

    def count(self, chat_id: int, at: float) -> None:
        self._accepted.append(at)
        self._last_by_chat[chat_id] = at


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


class _Addresses:
    """The base URLs python-telegram-bot is given (`TELEGRAM_API_BASE_URL`, `TELEGRAM_FILE_BASE_URL`)."""

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"


class FakeBotApi(_Addresses):
    """One fake Bot API server; use as a context manager (`with FakeBotApi() as fake:`).

    `latency` holds every answer that long (Telegram's round trip, for code that awaits Bot API calls).
    With `keep_messages=False` it forgets what it sent and edits any message it is asked to, as the
    benchmarks want: their presses edit messages this fake never sent, and nothing is asserted on them.
    """

    def __init__(self, token: str = TOKEN, *, latency: float = 0.0, keep_messages: bool = True) -> None:
        self.token = token
        self.latency = latency
        self.keep_messages = keep_messages
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []  # file paths fetched from /file/bot<token>/..., in order
        self.webhook: dict[str, Any] = {}
        self.commands: dict[str | None, list[dict]] = {}  # by language_code
        self._lock = threading.Condition()
        self._updates: list[dict] = []
        self._confirmed_offset = 0
        self._messages: dict[tuple[int, int], dict] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._message_ids = itertools.count(5000)
        self.sends: list[Send] = []
        self._limits: _Limits | None = None
        self._outage_until = 0.0  # time.monotonic() until which every call is answered 502
        self._ban_next: int | None = None  # seconds of the ban the next sendMessage opens
        self._banned_until = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._closing = False
        self._server: ThreadedServer | None = None
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> FakeBotApi:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._server = ThreadedServer(self._app())
        self.port = self._server.port
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._closing = True
            self._wake_long_polls()  # a pending getUpdates answers at once
            self._server.stop()

    # --- what tests set up ----------------------------------------------------------------------

    def queue_updates(self, *updates: dict) -> None:
        """Make updates available to getUpdates, in order (several at once arrive in one batch)."""
        with self._lock:
            self._updates.extend(copy.deepcopy(list(updates)))
        self._wake_long_polls()

    def fail_next(
        self, method: str, *, status: int, description: str, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` with this error instead of doing them."""
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend(
                _Failure(status, description, retry_after) for _ in range(times)
            )

    def enforce_limits(self, *, per_second: float = 30, chat_gap: float = 1.0) -> None:
        """From now on refuse sendMessage over Telegram's limits, with 429 and `retry_after`, as Telegram does."""
        with self._lock:
            self._limits = _Limits(per_second, chat_gap)

    def outage(self, seconds: float) -> float:
        """Answer every call 502 Bad Gateway for `seconds` from now; returns when that ends (time.monotonic())."""
        with self._lock:
            self._outage_until = time.monotonic() + seconds
            return self._outage_until

    def ban_next_send(self, seconds: int) -> None:
        """The next sendMessage gets 429 "retry after `seconds`", and so does every one until that has passed."""
        with self._lock:
            self._ban_next = seconds

    def stall_next(self, method: str, seconds: float) -> None:
        """Hold the next call of `method` for `seconds` before doing it: the client times out first."""
        with self._lock:
            self._failures.setdefault(method.lower(), []).append(_Failure(200, "", stall_seconds=seconds))

    def add_file(self, file_id: str, content: bytes, *, path: str = "") -> None:
        """A file getFile knows by `file_id`, served at its path ("photos/file_3.jpg", "documents/file_4.png")."""
        with self._lock:
            self._files[file_id] = (path or f"photos/file_{len(self._files)}.jpg", content)

    # --- what tests read ------------------------------------------------------------------------

    def sends_since(self, index: int) -> list[Send]:
        """The sendMessage records from `index` on, in arrival order (`sends[index:]`, taken under the lock)."""
        with self._lock:
            return self.sends[index:]

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[dict]:
        """Messages the bot sent to a chat, oldest first, as they look now (after any edits)."""
        with self._lock:
            found = [m for (chat, _), m in sorted(self._messages.items()) if chat == chat_id]
            return copy.deepcopy(found)

    def message(self, chat_id: int, message_id: int) -> dict:
        with self._lock:
            return copy.deepcopy(self._messages[(chat_id, message_id)])

    @property
    def confirmed_offset(self) -> int:
        """The highest getUpdates offset seen: every update below it is confirmed (fetched)."""
        with self._lock:
            return self._confirmed_offset

    async def wait_until(self, condition: Callable[[FakeBotApi], bool], timeout: float = 5.0) -> None:
        """Wait (bounded) until `condition(self)` holds; it is re-checked after every call the fake answers."""

        def wait() -> bool:
            with self._lock:
                return self._lock.wait_for(lambda: condition(self), timeout)

        if not await asyncio.to_thread(wait):
            raise TimeoutError(f"fake Bot API: condition not met within {timeout} s")

    # --- the server -----------------------------------------------------------------------------

    def _app(self) -> Starlette:
        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            self._loop = asyncio.get_running_loop()
            self._wakeup = asyncio.Event()
            yield

        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file_endpoint, methods=["GET"]),
                Route(RECORD_PATH, self._record_endpoint, methods=["GET"]),
            ],
            lifespan=lifespan,
        )

    def _wake_long_polls(self) -> None:
        loop, event = self._loop, self._wakeup
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def _endpoint(self, request: Request) -> Response:
        arrived = time.monotonic()
        method = request.path_params["method"]
        params = await _read_params(request)
        if request.path_params["token"] != self.token:
            return self._answer(method, params, ApiError(401, "Unauthorized"))
        if self.latency:
            await asyncio.sleep(self.latency)
        if method.lower() == "sendmessage":
            return await self._send_with_limits(params, arrived)
        if arrived < self._outage_until:
            return self._answer(method, params, ApiError(502, "Bad Gateway"))
        return await self._call(method, params)

    async def _send_with_limits(self, params: dict[str, Any], arrived: float) -> Response:
        """sendMessage through the outage, the ban and the limits, recorded with its arrival and answer."""
        chat_id, text = int(params.get("chat_id") or 0), str(params.get("text") or "")
        markup = params.get("reply_markup")
        buttons = (
            tuple(
                button.get("callback_data", "") for row in (markup or {}).get("inline_keyboard", []) for button in row
            )
            if isinstance(markup, dict)
            else ()
        )
        refusal = self._send_refusal(chat_id, arrived)
        if refusal is not None:
            why, error = refusal
            self._record(Send(arrived, chat_id, error.status, text, why, buttons))
            return self._answer("sendMessage", params, error)
        response = await self._call("sendMessage", params)
        with self._lock:
            if response.status_code == 200 and self._limits is not None:
                self._limits.count(chat_id, arrived)
        self._record(Send(arrived, chat_id, response.status_code, text, buttons=buttons))
        return response

    def _send_refusal(self, chat_id: int, arrived: float) -> tuple[str, ApiError] | None:
        with self._lock:
            if arrived < self._outage_until:
                return "outage", ApiError(502, "Bad Gateway")
            if self._ban_next is not None:
                self._banned_until, self._ban_next = arrived + self._ban_next, None
            if arrived < self._banned_until:
                return "ban", _too_many(self._banned_until - arrived)
            if self._limits is not None and (over := self._limits.refusal(chat_id, arrived)) is not None:
                return over[0], _too_many(over[1])
        return None

    def _record(self, send: Send) -> None:
        with self._lock:
            self.sends.append(send)

    async def _call(self, method: str, params: dict[str, Any]) -> Response:
        failure = self._take_failure(method)
        if failure is not None and failure.stall_seconds:
            await self._stall(failure.stall_seconds)
        elif failure is not None:
            return self._answer(method, params, ApiError(failure.status, failure.description, failure.retry_after))
        handler = _METHODS.get(method.lower())
        if handler is None:
            return self._answer(method, params, ApiError(404, "Not Found: method not found"))
        try:
            result = await handler(self, params)
        except ApiError as error:
            return self._answer(method, params, error)
        except (KeyError, ValueError, TypeError) as error:
            return self._answer(method, params, ApiError(400, f"Bad Request: {type(error).__name__} {error}"))
        return self._answer(method, params, result)

    def _answer(self, method: str, params: dict[str, Any], outcome: Any) -> JSONResponse:
        if isinstance(outcome, ApiError):
            status = outcome.status
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": outcome.description}
            if outcome.retry_after is not None:
                body["parameters"] = {"retry_after": outcome.retry_after}
        else:
            status, body = 200, {"ok": True, "result": outcome}
        with self._lock:
            self.calls.append(ApiCall(method, params, status))
            self._lock.notify_all()
        return JSONResponse(body, status_code=status)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queued = self._failures.get(method.lower())
            return queued.pop(0) if queued else None

    async def _stall(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._closing and time.monotonic() < deadline:
            await asyncio.sleep(min(0.05, deadline - time.monotonic()))

    async def _record_endpoint(self, _request: Request) -> Response:
        """What a process of its own recorded: every sendMessage, and how often each method was called."""
        with self._lock:
            sends = [dataclasses.asdict(send) for send in self.sends]
            calls = Counter(call.method.lower() for call in self.calls)
        return JSONResponse({"sends": sends, "calls": calls})

    async def _file_endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        with self._lock:
            found = [content for path, content in self._files.values() if path == request.path_params["path"]]
            self.downloads.append(request.path_params["path"])
        return Response(found[0], media_type="application/octet-stream") if found else Response(status_code=404)

    # --- Bot API methods ------------------------------------------------------------------------

    async def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP_SECONDS)
        assert self._loop is not None and self._wakeup is not None
        deadline = self._loop.time() + wait
        while True:
            self._wakeup.clear()
            with self._lock:
                if offset is not None and int(offset) > self._confirmed_offset:
                    self._confirmed_offset = int(offset)
                    self._updates = [u for u in self._updates if u["update_id"] >= int(offset)]
                    self._lock.notify_all()  # tests wait for this, before the long poll ends
                batch = copy.deepcopy(self._updates[:limit])
            remaining = deadline - self._loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                return []

    async def _send_message(self, params: dict[str, Any]) -> dict:
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        _check_buttons(markup)
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "from": BOT_USER,
            "chat": _chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if markup and "inline_keyboard" in markup:  # only inline keyboards belong to the message
            message["reply_markup"] = markup
        if not self.keep_messages:
            return message
        with self._lock:
            self._messages[(chat_id, message["message_id"])] = message
        return copy.deepcopy(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict:
        return self._edit(params, text=params["text"])

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict:
        return self._edit(params, text=None)

    def _edit(self, params: dict[str, Any], *, text: str | None) -> dict:
        key = (int(params["chat_id"]), int(params["message_id"]))
        markup = params.get("reply_markup")
        if not self.keep_messages:
            return {
                "message_id": key[1],
                "from": BOT_USER,
                "chat": _chat(key[0]),
                "date": int(time.time()),
                "edit_date": int(time.time()),
                "text": text or ".",
            }
        with self._lock:
            message = self._messages.get(key)
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if (text is None or text == message["text"]) and markup == message.get("reply_markup"):
                raise ApiError(400, "Bad Request: message is not modified")
            if text is not None:
                message["text"] = text
            if markup:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            message["edit_date"] = int(time.time())
            return copy.deepcopy(message)

    async def _get_file(self, params: dict[str, Any]) -> dict:
        with self._lock:
            found = self._files.get(params["file_id"])
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = found
        if len(content) > 20 * 1024 * 1024:  # the Bot API serves files up to 20 MB
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"u{abs(hash(path)) % 10**8}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.webhook = {k: params.get(k) for k in ("url", "secret_token", "allowed_updates")}
        return True

    async def _delete_webhook(self, _params: dict[str, Any]) -> bool:
        with self._lock:
            self.webhook = {}
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.commands[params.get("language_code") or None] = list(params["commands"])
        return True

    async def _get_me(self, _params: dict[str, Any]) -> dict:
        return dict(BOT_USER)

    async def _true(self, _params: dict[str, Any]) -> bool:
        return True


_METHODS: dict[str, Callable[[FakeBotApi, dict[str, Any]], Any]] = {
    "getme": FakeBotApi._get_me,
    "getupdates": FakeBotApi._get_updates,
    "sendmessage": FakeBotApi._send_message,
    "editmessagetext": FakeBotApi._edit_message_text,
    "editmessagereplymarkup": FakeBotApi._edit_message_reply_markup,
    "answercallbackquery": FakeBotApi._true,
    "getfile": FakeBotApi._get_file,
    "setwebhook": FakeBotApi._set_webhook,
    "deletewebhook": FakeBotApi._delete_webhook,
    "setmycommands": FakeBotApi._set_my_commands,
}


async def _read_params(request: Request) -> dict[str, Any]:
    """Bot API parameters from the query string and a JSON, urlencoded or multipart body."""
    params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query_params.items()}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        params.update(json.loads(body) if body else {})
    elif content_type:
        form = await request.form()
        params.update({k: _decode(k, v) for k, v in form.items() if isinstance(v, str)})
    return params


def _decode(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. a "@channelname" chat id


def _too_many(wait: float) -> ApiError:
    """Telegram's 429: whole seconds to wait, at least one."""
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Warga"}
    return {"id": chat_id, "type": "supergroup", "title": "Grup warga"}


def _check_buttons(markup: Any) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if len(button.get("callback_data", "").encode("utf-8")) > 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    """A fake Bot API server for one test; a test module imports this fixture from here."""
    with FakeBotApi() as server:
        yield server


# --- in a process of its own (the benchmarks) -------------------------------------------------------

RECORD_PATH = "/_fake/record"
PROCESS_START_TIMEOUT_SECONDS = 20.0


class FakeBotApiProcess(_Addresses):
    """`FakeBotApi` in a process of its own, so its work does not count against the process being measured.

    `limits` is (per second, seconds between two messages to one chat), as `enforce_limits` takes them.
    `timing`: its arrival times are measurements, so it runs at a higher priority when it may (as root).
    """

    def __init__(
        self,
        token: str = TOKEN,
        *,
        limits: tuple[float, float] | None = None,
        latency: float = 0.0,
        timing: bool = False,
    ) -> None:
        self._args = [sys.executable, "-m", "tests.helpers.fake_bot_api", "--token", token, "--latency", str(latency)]
        if limits is not None:
            self._args += ["--per-second", str(limits[0]), "--chat-gap", str(limits[1])]
        if timing and os.geteuid() == 0:
            self._args += ["--nice", "-10"]
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> FakeBotApiProcess:
        self._process = subprocess.Popen(self._args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], PROCESS_START_TIMEOUT_SECONDS)
        line = self._process.stdout.readline().strip() if ready else ""
        if not line.startswith("listening "):
            self.__exit__()
            raise RuntimeError(f"fake Bot API did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *_exc: object) -> None:
        stop_process(self._process)

    def sends(self) -> list[Send]:
        """Every sendMessage so far, in arrival order, with its arrival time and answer."""
        return [Send(**{**send, "buttons": tuple(send["buttons"])}) for send in self._record()["sends"]]

    def call_counts(self) -> dict[str, int]:
        """How often each Bot API method (lower case) was called so far."""
        return dict(self._record()["calls"])

    def _record(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}{RECORD_PATH}", timeout=30).json()


def main() -> None:
    """`python -m tests.helpers.fake_bot_api --token T [--per-second 30 --chat-gap 1] [--latency 0] [--nice -10]`:
    prints `listening <port>` once it accepts connections and serves until SIGTERM."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--per-second", type=float, help="enforce Telegram's limits: this many messages a second")
    parser.add_argument("--chat-gap", type=float, default=1.0, help="and this many seconds between two to one chat")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every answer is held")
    parser.add_argument("--nice", type=int, default=0, help="niceness change, e.g. -10 (needs root)")
    args = parser.parse_args()
    if args.nice:
        # On a busy machine a starved fake reads its clock late and sees messages bunch that were sent
        # spaced; Telegram's servers are not starved by our load, so the fake should not be either.
        try:
            os.nice(args.nice)
        except PermissionError:
            print("fake_bot_api: cannot change niceness; arrival times include this process's waits", file=sys.stderr)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with FakeBotApi(args.token, latency=args.latency, keep_messages=False) as fake:
        if args.per_second is not None:
            fake.enforce_limits(per_second=args.per_second, chat_gap=args.chat_gap)
        print(f"listening {fake.port}", flush=True)
        while not stopping.wait(1.0):
            pass


if __name__ == "__main__":
    main()
