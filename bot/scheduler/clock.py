"""APScheduler 3 as the service's clock: a tick that runs due work, nothing else.

Job stores are in memory and per process (they cannot be shared between instances); the work
itself lives in `due_work` rows, claimed with SKIP LOCKED, so instances side by side each run an
item once. `misfire_grace_time=None` and `coalesce=True`: a tick missed while the process was
busy or down runs once when it can, instead of being silently skipped after one second.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduler.runner import DueWorkRunner

log = logging.getLogger("bot.scheduler")

TICK_SECONDS = 5


class SchedulerClock:
    def __init__(self, runner: DueWorkRunner, *, tick_seconds: float = TICK_SECONDS) -> None:
        self._runner = runner
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._tick_seconds = tick_seconds

    def start(self) -> None:
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self._tick_seconds,
            id="due-work",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=None,
        )
        self._scheduler.start()
        # Run once right away: work that fell due while the service was down goes out on start.
        self._scheduler.modify_job("due-work", next_run_time=datetime.now(UTC))

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def _tick(self) -> None:
        try:
            handled = await asyncio.to_thread(self._runner.run_due)
        except Exception as error:  # noqa: BLE001 - a database outage must not stop the clock
            log.error("scheduler_tick_failed error=%s", type(error).__name__)
            return
        if handled:
            log.info("scheduler_tick handled=%s", handled)
