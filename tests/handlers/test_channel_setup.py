"""A channel's set-up: tried once during start-up, then in the background with backoff and full jitter."""

from __future__ import annotations

import asyncio

from bot.handlers.channel_setup import RETRY_MAX_SECONDS, ChannelSetUp, retry_delay


def test_retry_delay_is_exponential_with_full_jitter() -> None:
    assert [retry_delay(n, draw=lambda: 1.0) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert retry_delay(5, draw=lambda: 0.0) == 0.0  # full jitter: anywhere from nothing to the ceiling
    assert all(0 <= retry_delay(20) <= RETRY_MAX_SECONDS for _ in range(100))


async def test_a_failed_first_try_does_not_hold_start_up_and_is_retried_until_it_succeeds() -> None:
    outcomes = [ConnectionError("502"), ConnectionError("502"), None]
    tries = 0
    waited: list[float] = []
    finished = asyncio.Event()

    async def step() -> None:
        nonlocal tries
        tries += 1
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        finished.set()

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    setup = ChannelSetUp("test_setup", step, sleep=sleep)
    await setup.start()
    assert (tries, setup.done) == (1, False)  # start-up goes on without it
    await asyncio.wait_for(finished.wait(), 5)
    await setup.stop()
    assert (tries, setup.done) == (3, True)
    assert len(waited) == 2 and 0 <= waited[0] <= 0.5 and 0 <= waited[1] <= 1.0


async def test_stop_ends_the_background_tries_while_they_wait() -> None:
    tries = 0
    waiting = asyncio.Event()

    async def step() -> None:
        nonlocal tries
        tries += 1
        raise ConnectionError("502")

    async def sleep(_seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()  # the platform stays away

    setup = ChannelSetUp("test_setup", step, sleep=sleep)
    await setup.start()
    await asyncio.wait_for(waiting.wait(), 5)
    await asyncio.wait_for(setup.stop(), 5)
    assert (tries, setup.done) == (1, False)
