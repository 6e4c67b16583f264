"""The `response_time` rows the report reads: kept by each event, and equal to folding the events again.

Uses the metrics fixture (tests/test_metrics.py): A claimed, contacted, resolved, reopened and resolved
again; B claimed and called, still open; C claimed, the claim lapsed, claimed again and referred; D never
claimed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlmodel import Session, delete, select

from bot.runtime import Runtime
from storage.migrate import alembic_config
from storage.models import ResponseTime
from storage.response_times import rebuild
from tests.test_metrics import fixture, wib  # noqa: F401  (the fixture is used by name)

pytestmark = pytest.mark.clock(sql=True)  # dates pass through SQL too: tests/pinned_moments.py

Row = tuple[datetime | None, datetime | None, datetime | None, datetime | None, datetime | None, bool]


def _rows(runtime: Runtime) -> dict[int, Row]:
    with Session(runtime.db) as session:
        return {
            r.request_id: (
                r.created_at,
                r.claimed_at,
                r.contacted_at,
                r.first_closed_at,
                r.last_closed_at,
                r.closed_now,
            )
            for r in session.exec(select(ResponseTime))
        }


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def test_each_event_moves_its_requests_row(runtime: Runtime, fixture: dict) -> None:
    rows = _rows(runtime)
    a, b, c, d = (fixture[name].id for name in "abcd")
    # A: reopened after its first closing, so both closings are kept and it is closed again now.
    assert rows[a] == (utc(wib(24, 15)), utc(wib(28, 9)), utc(wib(28, 10)), utc(wib(29, 10)), utc(wib(31, 11)), True)
    assert rows[b] == (utc(wib(18, 17)), utc(wib(22, 9)), utc(wib(22, 9, 30)), None, None, False)
    # C: the FIRST claim counts, not the claim after the first one lapsed.
    assert rows[c] == (
        utc(wib(19, 22)),
        utc(wib(19, 22, 20)),
        utc(wib(20, 3)),
        utc(wib(21, 10)),
        utc(wib(21, 10)),
        True,
    )
    assert rows[d] == (utc(wib(21, 10)), None, None, None, None, False)


def test_migration_backfill_and_rebuild_equal_the_rows_kept_by_events(
    runtime: Runtime, fixture: dict, database_url: str
) -> None:
    kept = _rows(runtime)
    assert len(kept) == 6  # A to F, each with a row
    runtime.db.dispose()
    config = alembic_config(database_url)
    command.downgrade(config, "0005")  # the table goes; the events stay
    command.upgrade(config, "head")  # 0008 backfills it from the events
    assert _rows(runtime) == kept
    with Session(runtime.db) as session, session.begin():
        session.execute(delete(ResponseTime))
    assert _rows(runtime) == {}
    with Session(runtime.db) as session, session.begin():
        rebuild(session)
    assert _rows(runtime) == kept
