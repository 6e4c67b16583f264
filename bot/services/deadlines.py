"""A request's pending deadline and its SLA state, both as the badge on a row and as the list's filter.

One rule (storage/dashboard_queries.py writes both the Python and the SQL side, so a badge and a filter
never disagree); the dashboard's pages and filters ask it here.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage import dashboard_queries
from storage.models import Request

#: The states a pending deadline can be in, as the list's SLA filter offers them.
SLA_STATES: tuple[str, ...] = dashboard_queries.SLA_STATES


def pending_deadline(request: Request) -> datetime | None:
    """The claim deadline while new, the first-contact deadline while claimed, else None."""
    return dashboard_queries.pending_deadline(request)


def sla_state(request: Request, now: datetime) -> str | None:
    """ "breached", "due_soon" or "ok" for the pending deadline; None when none is pending."""
    return dashboard_queries.sla_state(request, now)


def sla_condition(state: str, now: datetime) -> sa.ColumnElement[bool]:
    """The requests whose pending deadline is in this state, as a condition for the request list."""
    return dashboard_queries.sla_condition(state, now)
