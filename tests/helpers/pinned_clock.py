"""Run the suite as if the real clock showed a chosen moment: `TEST_NOW=2026-12-12T05:00:00+07:00`.

Tests must hold on any date and at any hour. The moments that have broken date arithmetic elsewhere
(a Saturday dawn, a Monday holiday, New Year's Eve, the UTC day's turn) are rarely the
moment CI happens to run, so `tests/pinned_moments.py` runs the date-sensitive modules again under
each of them. The clock starts at the moment and keeps ticking, so timeouts and sleeps behave as usual;
it is moved before any test module is imported, so module-level "now - 2 days" constants move too.

Date arithmetic lives in Python (business calendar, quiet hours, lapses), so a pinned run keeps a test's
PostgreSQL variant only where dates also pass through SQL: `pytest.mark.clock(sql=True)`.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest
import time_machine

ENV = "TEST_NOW"
_travel: time_machine.travel | None = None


def pinned_moment() -> datetime | None:
    """The moment the suite pretends it is, if one is set; it must carry its UTC offset."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise pytest.UsageError(f"{ENV}={raw!r} needs a UTC offset, e.g. 2026-12-12T05:00:00+07:00")
    return moment


def pytest_configure(config: pytest.Config) -> None:
    global _travel
    moment = pinned_moment()
    if moment is not None:
        _travel = time_machine.travel(moment, tick=True)
        _travel.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _travel
    if _travel is not None:
        _travel.stop()
        _travel = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if pinned_moment() is None:
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("clock")
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if on_postgresql and marker is not None and not marker.kwargs.get("sql", False):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str | None:
    moment = pinned_moment()
    return f"clock pinned: the run starts at {moment.isoformat()} ({ENV})" if moment else None
