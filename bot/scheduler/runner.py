"""Run due work: claim items, run each in its own transaction, record how it ended.

`run_due` is what the APScheduler tick calls; tests call it directly with a controlled clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from bot.domain.statuses import DueWorkState
from bot.i18n.render import Renderer
from bot.scheduler.recurring import plan_recurring
from bot.scheduler.work import HANDLERS, Done, Later, WorkContext
from bot.services.pruning import KeepWindows
from bot.sla import BusinessCalendar
from storage import due_work
from storage.due_work import ClaimedWork

log = logging.getLogger("bot.scheduler")

LEASE = timedelta(minutes=5)
#: Items claimed at a time. Small, because a crash leaves the claimed but unrun ones waiting out LEASE.
BATCH = 25
MAX_ATTEMPTS = 5


def urgent_first(items: list[ClaimedWork]) -> list[ClaimedWork]:
    """Urgent requests' messages before the others, each in due order: when a citizen's safe time opens,
    the messages that waited for it are due together, and the urgent case's go out first."""
    return sorted(items, key=lambda item: not item.payload.get("urgent"))


class DueWorkRunner:
    def __init__(
        self,
        *,
        db: sa.Engine,
        renderer: Renderer,
        calendar: BusinessCalendar,
        retention_days: int,
        keep: KeepWindows,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._renderer = renderer
        self._calendar = calendar
        self._retention_days = retention_days
        self._keep = keep
        self._clock = clock

    def run_due(self) -> int:
        """Plan recurring work, then run everything due now; returns how many items were handled."""
        with Session(self._db) as session, session.begin():
            plan_recurring(session, now=self._clock(), tz=self._renderer.tz)
        handled = 0
        while True:
            now = self._clock()
            with Session(self._db) as session, session.begin():
                items = due_work.claim_due_work(session, now=now, limit=BATCH, lease=LEASE)
            for item in urgent_first(items):
                self._run_one(item, now)
            handled += len(items)
            if len(items) < BATCH:
                return handled

    def _run_one(self, item: ClaimedWork, now: datetime) -> None:
        ctx = WorkContext(
            now=now,
            renderer=self._renderer,
            calendar=self._calendar,
            retention_days=self._retention_days,
            keep=self._keep,
        )
        try:
            with Session(self._db) as session, session.begin():
                result = HANDLERS[item.kind](session, item, ctx)
                if isinstance(result, Later):
                    due_work.postpone(session, work_id=item.id, until=result.until, outcome=result.outcome)
                else:
                    state = DueWorkState.DONE if isinstance(result, Done) else DueWorkState.DROPPED
                    due_work.finish(session, work_id=item.id, state=state, outcome=result.outcome, now=now)
        except Exception as error:  # noqa: BLE001 - one failing item must not stop the others
            log.error("due_work_failed id=%s kind=%s error=%s", item.id, item.kind, type(error).__name__)
            with Session(self._db) as session, session.begin():
                if item.attempts >= MAX_ATTEMPTS:
                    due_work.finish(
                        session, work_id=item.id, state=DueWorkState.FAILED, outcome=type(error).__name__, now=now
                    )
                else:
                    due_work.postpone(
                        session,
                        work_id=item.id,
                        until=now + timedelta(minutes=item.attempts),
                        outcome=type(error).__name__,
                    )
