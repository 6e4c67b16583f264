"""Serve an ASGI app with uvicorn in a background thread on 127.0.0.1, for fake platform servers.

The port is bound before the thread starts (no race for a "free" port); start and stop are bounded.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

TIMEOUT_SECONDS = 5.0


class ThreadedServer:
    def __init__(self, app: ASGIApp) -> None:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it
        # every second answer on a kept-alive connection waits ~40 ms for a delayed ACK (Nagle).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while not self._server.started:  # startup only: uvicorn offers no event to wait on
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Ask uvicorn to exit (open requests get a second) and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=TIMEOUT_SECONDS)
        if self._thread.is_alive():
            raise RuntimeError("test server did not stop")
        self._sock.close()
