"""Bringing a channel up without making the service wait for its platform.

The web chat, the dashboard and the other channels need nothing from Telegram, so an instance must start
while the Bot API fails (an outage answering 502, a network that cannot reach it). A channel's set-up is
one idempotent step, tried once during start-up (bounded by `FIRST_TRY_SECONDS`), then, if that failed,
again and again in the background with exponential backoff and full jitter until it succeeds. `/readyz`
names the channels still pending.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

log = logging.getLogger("bot.handlers")

#: How long start-up waits for a platform before going on without it.
FIRST_TRY_SECONDS = 5.0
#: Background tries wait up to 0.5 s, 1 s, 2 s ... then at most 30 s between two.
RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0


def retry_delay(failures: int, *, draw: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: anywhere from 0 to min(30 s, 0.5 s x 2^(failures - 1)).

    Full jitter (not a fixed part plus a random part) spreads the tries of instances that failed together,
    at one outage, over the whole window instead of letting them return to the platform as one wave.
    """
    ceiling = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, failures - 1))
    return draw() * ceiling


class ChannelSetUp:
    """Runs a channel's set-up step until it succeeds: once now (bounded), then in the background."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[None]],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._name = name
        self._step = step
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self.done = False

    async def start(self) -> None:
        """Try once, for at most FIRST_TRY_SECONDS; on failure keep trying in the background and return."""
        try:
            async with asyncio.timeout(FIRST_TRY_SECONDS):
                await self._step()
        except Exception as error:  # noqa: BLE001 - whatever the platform does, the service starts
            log.warning("%s_failed try=1 error=%s", self._name, type(error).__name__)
            self._task = asyncio.create_task(self._keep_trying(), name=self._name)
            return
        self._succeeded(tries=1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _keep_trying(self) -> None:
        failures = 1
        while True:
            await self._sleep(retry_delay(failures))
            try:
                await self._step()
            except Exception as error:  # noqa: BLE001 - logged by type; tried again later
                failures += 1
                log.warning("%s_failed try=%d error=%s", self._name, failures, type(error).__name__)
                continue
            self._succeeded(tries=failures + 1)
            return

    def _succeeded(self, *, tries: int) -> None:
        self.done = True
        log.info("%s_done tries=%d", self._name, tries)
