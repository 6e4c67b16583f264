"""The service's state as `/metrics` reports it: outbox, open requests, SLA breaches, overdue work.

Read at scrape time on a connection of its own, outside any unit of work, in a few grouped counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.statuses import OPEN_STATUSES, UNFINISHED_WORK, UNSENT_STATUSES, OutboxStatus, RequestStatus


@dataclass(frozen=True, slots=True)
class ServiceGauges:
    """Counts per channel, per queue (and urgency or breach level), as rows of (labels..., value)."""

    #: (channel, messages pending or being sent, when the oldest of them was created)
    unsent: list[tuple[str, int, datetime | None]]
    #: (channel, dead letters)
    dead: list[tuple[str, int]]
    #: (channel, messages held for the citizen to write again)
    held: list[tuple[str, int]]
    #: (queue code, urgency, open requests)
    open_requests: list[tuple[str, str, int]]
    #: (queue code, unclaimed requests past their claim deadline)
    past_claim_due: list[tuple[str, int]]
    #: (queue code, breach level or None, SLA breach events)
    sla_breaches: list[tuple[str, str | None, int]]
    #: scheduled work past its due time and not yet done
    overdue_work: int


def read_gauges(db: sa.Engine, *, now: datetime) -> ServiceGauges:
    """Every gauge the database answers; raises SQLAlchemyError when it does not."""
    with db.connect() as conn:
        unsent = [
            (channel, count, _utc(first) if first else None)
            for channel, count, first in conn.execute(
                _in_statuses(
                    "SELECT channel, count(*), min(created_at) FROM outbox_message WHERE status IN :statuses GROUP BY channel"
                ),
                {"statuses": UNSENT_STATUSES},
            )
        ]
        by_status = {
            status: [
                (channel, count)
                for channel, count in conn.execute(
                    sa.text("SELECT channel, count(*) FROM outbox_message WHERE status = :status GROUP BY channel"),
                    {"status": status},
                )
            ]
            for status in (OutboxStatus.DEAD, OutboxStatus.HELD)
        }
        open_requests = [
            (queue, urgency, count)
            for queue, urgency, count in conn.execute(
                _in_statuses(
                    "SELECT queue_code, urgency, count(*) FROM request WHERE status IN :statuses "
                    "AND merged_into_id IS NULL GROUP BY queue_code, urgency"
                ),
                {"statuses": OPEN_STATUSES},
            )
        ]
        past_claim_due = [
            (queue, count)
            for queue, count in conn.execute(
                sa.text(
                    "SELECT queue_code, count(*) FROM request WHERE status = :status AND claim_due_at < :now "
                    "AND merged_into_id IS NULL GROUP BY queue_code"
                ),
                {"status": RequestStatus.NEW, "now": now},
            )
        ]
        level = _json_field(conn, "e.detail", "level")
        sla_breaches = [
            (queue, lvl, count)
            for queue, lvl, count in conn.execute(
                sa.text(
                    f"SELECT r.queue_code, {level}, count(*) FROM request_event e JOIN request r ON r.id = e.request_id "
                    f"WHERE e.kind = 'sla_breach' GROUP BY r.queue_code, {level}"
                )
            )
        ]
        overdue_work = conn.execute(
            _in_statuses("SELECT count(*) FROM due_work WHERE state IN :statuses AND due_at < :now"),
            {"statuses": UNFINISHED_WORK, "now": now},
        ).scalar_one()
    return ServiceGauges(
        unsent=unsent,
        dead=by_status[OutboxStatus.DEAD],
        held=by_status[OutboxStatus.HELD],
        open_requests=open_requests,
        past_claim_due=past_claim_due,
        sla_breaches=sla_breaches,
        overdue_work=overdue_work,
    )


def _in_statuses(sql: str) -> sa.TextClause:
    """`sql` with `:statuses` bound as a list (`IN :statuses`): a status group from bot/domain/statuses.py."""
    return sa.text(sql).bindparams(sa.bindparam("statuses", expanding=True))


def _json_field(conn: sa.Connection, column: str, key: str) -> str:
    if conn.dialect.name == "postgresql":
        return f"{column} ->> '{key}'"
    return f"json_extract({column}, '$.{key}')"


def _utc(value: Any) -> datetime:
    """SQLite hands back text or naive datetimes from raw SQL; PostgreSQL aware ones."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
