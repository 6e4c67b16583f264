"""A fake WhatsApp Cloud (Graph) API on 127.0.0.1, so pywa's real client can be driven in tests.

Served by uvicorn in a background thread; the service reaches it through its ordinary setting
`WHATSAPP_API_BASE_URL=http://127.0.0.1:<port>/v23.0`. It answers the calls the channel makes, shaped
as Meta documents them, records every request for assertions, and fails on demand with Meta's error
bodies (`131047`, `130429`, a 500), and can hold an answer back while the test posts a status webhook
that overtakes it (`before_answering`). Nothing here reaches the network beyond the loopback address.

Use the `graph_api` fixture (import it, with `graph_api_server`, into a test module).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
API_VERSION = "v23.0"

ERROR_TITLES = {
    131047: "Re-engagement message",
    130429: "Rate limit hit",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131026: "Message Undeliverable",
    131009: "Parameter value is not valid",
    132001: "Template name does not exist in the translation",
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any] | None
    authorization: str | None


@dataclass(frozen=True, slots=True)
class InjectedError:
    status: int
    body: dict[str, Any] | str


class FakeGraphAPI:
    """The fake's state, shared by the server thread and the test (guarded by a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._errors: deque[InjectedError] = deque()
        self._ids = itertools.count(1)
        self.media: dict[str, bytes] = {}
        self._before_answer: tuple[Callable[[str], Awaitable[None]], asyncio.AbstractEventLoop] | None = None
        self.base_url = ""  # http://127.0.0.1:<port>/v23.0 once served
        self.app = Starlette(
            routes=[
                Route("/download/{media_id}", self._download, methods=["GET"]),
                Route("/{version}/{phone_id}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{media_id}", self._media_url, methods=["GET"]),
            ]
        )

    # --- for tests ---------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._errors.clear()
            self.media.clear()
            self._before_answer = None

    def fail_next(self, code: int, *, status: int = 400, times: int = 1) -> None:
        """The next `times` sends fail with Meta's error body for `code`."""
        title = ERROR_TITLES.get(code, "Error")
        body = {
            "error": {
                "message": f"(#{code}) {title}",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": title},
                "fbtrace_id": "AbCdEfGhIjK",
            }
        }
        with self._lock:
            self._errors.extend(InjectedError(status, body) for _ in range(times))

    def fail_next_with_server_error(self, status: int = 500) -> None:
        with self._lock:
            self._errors.append(InjectedError(status, "Internal Server Error"))

    def before_answering(self, hook: Callable[[str], Awaitable[None]] | None) -> None:
        """Await `hook(wamid)` on the calling test's event loop before each send is answered.

        What Meta does when a status webhook overtakes the send's answer: the hook posts the status
        while the sender still waits for its wamid. None removes the hook.
        """
        self._before_answer = (hook, asyncio.get_running_loop()) if hook is not None else None

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Bodies of every POST to `/{phone id}/messages`, oldest first."""
        return [r.body or {} for r in self.requests if r.method == "POST" and r.path.endswith("/messages")]

    def take_messages(self) -> list[dict[str, Any]]:
        """The messages sent since the last call (a conversation step's output)."""
        with self._lock:
            sent = [r.body or {} for r in self._requests if r.method == "POST" and r.path.endswith("/messages")]
            self._requests = [r for r in self._requests if not (r.method == "POST" and r.path.endswith("/messages"))]
        return sent

    # --- the API ------------------------------------------------------------------------------

    async def _messages(self, request: Request) -> Response:
        body = await request.json()
        if (error := self._record(request, body)) is not None:
            return _error_response(error)
        to, recipient = body.get("to"), body.get("recipient")
        contact = {"input": to, "wa_id": to} if to else {"input": recipient, "user_id": recipient}
        wamid = f"wamid.FAKE{next(self._ids):06d}"
        if (before := self._before_answer) is not None:
            hook, loop = before
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(hook(wamid), loop))
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]})

    async def _media_url(self, request: Request) -> Response:
        media_id = request.path_params["media_id"]
        if (error := self._record(request, None)) is not None:
            return _error_response(error)
        if media_id not in self.media:
            return JSONResponse({"error": {"message": "Unsupported get request", "code": 100}}, status_code=400)
        host = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{host}/download/{media_id}",
                "mime_type": "image/jpeg",
                "sha256": "0" * 64,
                "file_size": len(self.media[media_id]),
                "id": media_id,
            }
        )

    async def _download(self, request: Request) -> Response:
        self._record(request, None)
        media_id = request.path_params["media_id"]
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return Response(status_code=401)
        return Response(self.media.get(media_id, b""), media_type="image/jpeg")

    def _record(self, request: Request, body: dict[str, Any] | None) -> InjectedError | None:
        recorded = RecordedRequest(request.method, request.url.path, body, request.headers.get("authorization"))
        with self._lock:
            self._requests.append(recorded)
            return self._errors.popleft() if self._errors else None


def _error_response(error: InjectedError) -> Response:
    if isinstance(error.body, str):
        return Response(error.body, status_code=error.status, media_type="text/plain")
    return JSONResponse(error.body, status_code=error.status)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process owns its signals
        pass


@pytest.fixture(scope="session")
def graph_api_server() -> Iterator[FakeGraphAPI]:
    """One fake Graph API for the whole run, on a free loopback port."""
    fake = FakeGraphAPI()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake.app, log_level="warning", lifespan="off", ws="none", access_log=False)
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-graph-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake Graph API did not start")
        time.sleep(0.01)
    fake.base_url = f"http://127.0.0.1:{port}/{API_VERSION}"
    yield fake
    server.should_exit = True
    thread.join(STOP_TIMEOUT_S)
    sock.close()


@pytest.fixture
def graph_api(graph_api_server: FakeGraphAPI) -> Iterator[FakeGraphAPI]:
    """The fake, with nothing recorded and no errors pending."""
    graph_api_server.reset()
    yield graph_api_server
    graph_api_server.reset()
