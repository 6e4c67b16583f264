"""Refuse oversized request bodies with 413 before anything reads them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length, and counts chunked bodies as they stream in.

    `self_limited` are paths whose endpoint reads its body itself within a limit of its own (the web chat's
    photo upload: a photo over its limit is answered in the chat, in the citizen's words, not with a 413).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, self_limited: Iterable[re.Pattern[str]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.self_limited = tuple(self_limited)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(path.fullmatch(scope["path"]) for path in self.self_limited):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        # A length of thousands of digits would make int() itself fail: no real body is that long.
        if declared is not None and (not declared.isdigit() or len(declared) > 15 or int(declared) > self.max_bytes):
            await _too_large(send)
            return
        received = 0
        started = False
        refused = False

        async def limited_receive() -> Message:
            # Answer 413 the moment a streamed (chunked) body passes the limit, then tell the app the client
            # left. Raising here instead would reach FastAPI's body parser, which turns any error into 400.
            nonlocal received, refused, started
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        started = True
                        await _too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app answers to the disconnect is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not refused:
                raise


async def _too_large(send: Send) -> None:
    body = json.dumps({"detail": "Request body too large."}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
