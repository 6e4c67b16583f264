"""Recurring work (daily purge and pruning, morning and weekly digests) as due-work rows, one per fire time.

Planning is idempotent: each fire time has its own `dedupe_key`, so every instance may plan and
only one row results. Only the latest missed fire time is planned, so a service that was down
sends a missed digest once on start, not a backlog; the digest handlers drop one whose day has
passed (`bot/scheduler/work.py`), since the next digest replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from storage import due_work

LOOKBACK = timedelta(days=8)


@dataclass(frozen=True)
class Recurring:
    kind: str
    cron: dict[str, str]  # APScheduler CronTrigger fields, in the service time zone


RECURRING: tuple[Recurring, ...] = (
    Recurring("retention_purge", {"hour": "2", "minute": "0"}),
    Recurring("table_pruning", {"hour": "2", "minute": "30"}),
    Recurring("counselor_digest", {"day_of_week": "mon-fri", "hour": "7", "minute": "30"}),
    # Every working morning, but it goes only on the week's first working day (bot/scheduler/work.py):
    # Monday, or the day after a Monday holiday or cuti bersama.
    Recurring("coordinator_digest", {"day_of_week": "mon-fri", "hour": "8", "minute": "0"}),
)


def latest_fire_time(item: Recurring, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The last time `item` should have fired at or before `now` (within a week), in UTC."""
    trigger = CronTrigger(timezone=tz, **item.cron)
    fire = trigger.get_next_fire_time(None, (now - LOOKBACK).astimezone(tz))
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest.astimezone(now.tzinfo) if latest else None


def plan_recurring(session: Session, *, now: datetime, tz: ZoneInfo) -> None:
    for item in RECURRING:
        fire = latest_fire_time(item, now, tz)
        if fire is not None:
            due_work.schedule(
                session,
                kind=item.kind,
                dedupe_key=f"{item.kind}:{fire.isoformat()}",
                due_at=fire,
                now=now,
                payload={"fire_time": fire.isoformat()},
            )
