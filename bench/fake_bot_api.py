"""A lean fake Telegram Bot API for benchmarks: its own process on 127.0.0.1, optionally enforcing the limits.

`python bench/fake_bot_api.py --token T [--enforce-limits] [--global-rate 30] [--chat-rate 1] [--latency-ms 0]`
prints `listening <port>` once it accepts connections. It answers the Bot API methods the service
calls (getMe, setMyCommands, setWebhook, deleteWebhook, getUpdates, sendMessage, editMessageText,
editMessageReplyMarkup, answerCallbackQuery) and records every sendMessage with its arrival time
(`time.monotonic()`, which on Linux is one clock for every process) and HTTP status;
`GET /_bench/sends` returns the record. `--nice -10` raises its priority (as root), so that on a busy
machine the arrival times it reads are when messages arrived, not when it next got the CPU.

With `--enforce-limits` it refuses, as Telegram does, with 429 and `retry_after`, a sendMessage that
would make more than `--global-rate` accepted messages within one second (sliding window), or a second
message to one chat within 1/`--chat-rate` seconds. `--latency-ms` holds every answer that long, to
show what Telegram's real round trip does to code that awaits Bot API calls.

Unlike tests/helpers/fake_bot_api.py it keeps no messages and checks no content: it is built to be fast
and to time things, not to be asserted on.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import sys
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Layanan PMKS Banten", "username": "pmks_bench_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
_STRING_PARAMS = frozenset({"text", "callback_query_id", "url", "secret_token", "language_code", "parse_mode"})


class Limits:
    """Telegram's send limits as a sliding one-second window over accepted messages."""

    def __init__(self, global_rate: float, chat_rate: float) -> None:
        self.global_rate = global_rate
        self.chat_gap = 1.0 / chat_rate
        self._accepted: deque[float] = deque()
        self._last_by_chat: dict[int, float] = {}

    def check(self, chat_id: int, at: float) -> str:
        """"" when a message to `chat_id` at `at` is within the limits (and then counts it), else which not."""
        while self._accepted and at - self._accepted[0] >= 1.0:
            self._accepted.popleft()
        last = self._last_by_chat.get(chat_id)
        if len(self._accepted) >= self.global_rate:
            return "global"
        if last is not None and at - last < self.chat_gap:
            return "chat"
        self._accepted.append(at)
        self._last_by_chat[chat_id] = at
        return ""


class FakeBotApi:
    def __init__(self, token: str, limits: Limits | None, latency: float) -> None:
        self.token = token
        self.limits = limits
        self.latency = latency
        self.sends: list[tuple[float, int, int, str]] = []  # (arrival, chat id, HTTP status, limit exceeded)
        self.calls: dict[str, int] = {}
        self._message_ids = itertools.count(10_000)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/bot{token}/{method}", self.endpoint, methods=["GET", "POST"]),
            Route("/_bench/sends", self.report, methods=["GET"]),
        ])

    async def report(self, _request: Request) -> Response:
        return JSONResponse({"sends": self.sends, "calls": self.calls})

    async def endpoint(self, request: Request) -> Response:
        arrival = time.monotonic()
        method = request.path_params["method"].lower()
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        self.calls[method] = self.calls.get(method, 0) + 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if method == "sendmessage":
            return self._send_message(params, arrival)
        if method in ("editmessagetext", "editmessagereplymarkup"):
            return _ok(self._message(int(params.get("chat_id", 1)), params.get("text", "")))
        if method == "getme":
            return _ok(BOT_USER)
        if method == "getupdates":
            await asyncio.sleep(min(float(params.get("timeout") or 0), 0.5))
            return _ok([])
        if method in ("answercallbackquery", "setmycommands", "setwebhook", "deletewebhook"):
            return _ok(True)
        return _error(404, "Not Found: method not found")

    def _send_message(self, params: dict[str, Any], arrival: float) -> Response:
        chat_id = int(params["chat_id"])
        exceeded = self.limits.check(chat_id, arrival) if self.limits is not None else ""
        if exceeded:
            self.sends.append((arrival, chat_id, 429, exceeded))
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        self.sends.append((arrival, chat_id, 200, ""))
        return _ok(self._message(chat_id, params.get("text", "")))

    def _message(self, chat_id: int, text: str) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "from": BOT_USER, "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Warga"}, "text": text or "."}


async def _params(request: Request) -> dict[str, Any]:
    """Bot API parameters from the query string and a JSON or urlencoded body (PTB sends the latter)."""
    body = await request.body()
    pairs = list(request.query_params.items())
    if request.headers.get("content-type", "").startswith("application/json"):
        return {**dict(pairs), **(json.loads(body) if body else {})}
    pairs += parse_qsl(body.decode())
    return {k: v if k in _STRING_PARAMS else _json_or_text(v) for k, v in pairs}


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, *, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--enforce-limits", action="store_true")
    parser.add_argument("--global-rate", type=float, default=30.0)
    parser.add_argument("--chat-rate", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--nice", type=int, default=0, help="niceness change, e.g. -10 (needs root)")
    args = parser.parse_args()
    if args.nice:
        # On a busy machine a starved fake reads its clock late and sees messages bunch that were sent
        # spaced; Telegram's servers are not starved by our load, so the fake should not be either.
        try:
            os.nice(args.nice)
        except PermissionError:
            print("fake_bot_api: cannot change niceness; arrival times include this process's waits",
                  file=sys.stderr)
    limits = Limits(args.global_rate, args.chat_rate) if args.enforce_limits else None
    fake = FakeBotApi(args.token, limits, args.latency_ms / 1000)
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it
    # every second answer on a kept-alive connection waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    print(f"listening {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(fake.app(), log_config=None, log_level="warning", access_log=False, lifespan="off",
                            backlog=2048, timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
