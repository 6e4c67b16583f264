"""What the reports, the exports and the JSON API read besides their figures (bot/metrics.py): names, who
could take work, and the rows of an export. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session

from storage import dashboard_queries, report_queries
from storage.models import Request


def queue_names(session: Session) -> dict[str, str]:
    """Every queue's name by code."""
    return dashboard_queries.queue_names(session)


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of these accounts (None ids are skipped)."""
    return dashboard_queries.staff_names(session, ids=ids)


def queue_counselors(session: Session, queue_codes: Iterable[str] | None) -> list[int]:
    """Active counselors of any of these queues (None: any queue): who could take work."""
    return report_queries.queue_counselors(session, queue_codes)


def requests_to_export(
    session: Session, conditions: Iterable[sa.ColumnElement[bool]], *, limit: int
) -> tuple[list[Request], bool]:
    """The requests matching `conditions`, oldest first, at most `limit`; and whether more matched."""
    rows = dashboard_queries.requests_oldest_first(session, conditions=conditions, limit=limit + 1)
    return rows[:limit], len(rows) > limit
