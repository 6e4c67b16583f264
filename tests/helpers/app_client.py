"""The whole app in process over ASGI: what the web chat and dashboard tests talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import create_app
from bot.runtime import Runtime


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app, lifespan included (channels, outbox worker), reached in process over ASGI."""
    app = create_app(runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
