"""The conditions a request list, a report, an export or the JSON API is narrowed by, as SQL conditions.

The web parses its filter forms (bot/web/dashboard/filters.py) and asks for the conditions here, so the
list, its exports and the reports count the same rows; storage/dashboard_queries.py writes them against
the request table's indexes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from storage import dashboard_queries

Condition = sa.ColumnElement[bool]


def filter_conditions(
    *,
    visible_queues: frozenset[str] | None,
    equal: Mapping[str, str],
    region_unknown: bool = False,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
) -> list[Condition]:
    """Within the visible queues (None: all), each field in `equal` at its value (`queue_code`, `kind`,
    `category`, `topic`, `status`, `urgency`, `region`), no region known, created in [from, before)."""
    return dashboard_queries.filter_conditions(
        visible_queues=visible_queues,
        equal=equal,
        region_unknown=region_unknown,
        created_from=created_from,
        created_before=created_before,
    )


def holder_condition(staff_id: int | None) -> Condition:
    """Requests held by this staff member, or (None) by nobody."""
    return dashboard_queries.holder_condition(staff_id)


def ticket_condition(ticket: str) -> Condition:
    """The request with this ticket code."""
    return dashboard_queries.ticket_condition(ticket)


def status_condition(status: str) -> Condition:
    """A status, or "open" / "closed" for every status of that kind."""
    return dashboard_queries.status_condition(status)


def kind_condition(kind: str) -> Condition:
    """Requests of one kind: "sighting" or "counseling"."""
    return dashboard_queries.kind_condition(kind)
