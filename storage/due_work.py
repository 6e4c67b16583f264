"""Scheduled work as rows: scheduled idempotently, claimed once across instances, finished with an outcome."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from sqlmodel import Session, col, select, update

from bot.domain.statuses import UNFINISHED_WORK, DueWorkState
from storage.database import dialect_of
from storage.models import DueWork, id_column, persisted_id, table_of


@dataclass(frozen=True, slots=True)
class ClaimedWork:
    id: int
    kind: str
    due_at: datetime
    request_id: int | None
    contact_id: int | None
    payload: dict[str, Any]
    attempts: int


_TABLE = table_of(DueWork)
_SCHEDULED_COLUMNS = (
    "kind",
    "dedupe_key",
    "due_at",
    "state",
    "request_id",
    "contact_id",
    "payload",
    "attempts",
    "created_at",
)


def _schedule_statement(dialect: str, *, replace: bool) -> sa.Insert:
    """The INSERT .. ON CONFLICT for `schedule`, with bound parameters so it is compiled once per process."""
    insert = sa.dialects.postgresql.insert if dialect == "postgresql" else sa.dialects.sqlite.insert
    statement = insert(_TABLE).values({name: sa.bindparam(f"w_{name}") for name in _SCHEDULED_COLUMNS})
    if replace:
        return statement.on_conflict_do_update(
            index_elements=["dedupe_key"],
            set_={
                "due_at": statement.excluded.due_at,
                "state": DueWorkState.PENDING,
                "payload": statement.excluded.payload,
                "attempts": 0,
                "finished_at": None,
                "outcome": None,
            },
        )
    return statement.on_conflict_do_nothing(index_elements=["dedupe_key"])


# The engine reschedules draft reminders on every answer: built per statement, this cost more than the SQL.
_SCHEDULE = {
    (dialect, replace): _schedule_statement(dialect, replace=replace)
    for dialect in ("postgresql", "sqlite")
    for replace in (False, True)
}


def schedule(
    session: Session,
    *,
    kind: str,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
    request_id: int | None = None,
    contact_id: int | None = None,
    payload: dict[str, Any] | None = None,
    replace: bool = False,
) -> None:
    """Add work once per `dedupe_key`; with `replace`, move a still-pending item to the new time."""
    params = {
        "w_kind": kind,
        "w_dedupe_key": dedupe_key,
        "w_due_at": due_at,
        "w_state": DueWorkState.PENDING,
        "w_request_id": request_id,
        "w_contact_id": contact_id,
        "w_payload": payload or {},
        "w_attempts": 0,
        "w_created_at": now,
    }
    session.flush()  # the rows it refers to (a request, a contact) must exist first; Core does not autoflush
    session.connection().execute(_SCHEDULE[dialect_of(session), replace], params)


def cancel(session: Session, *, dedupe_key: str, now: datetime, outcome: str) -> None:
    """Drop pending work that no longer makes sense (the draft was sent, the request claimed)."""
    session.exec(
        update(DueWork)
        .where(col(DueWork.dedupe_key) == dedupe_key, col(DueWork.state) == DueWorkState.PENDING)
        .values(state=DueWorkState.DROPPED, finished_at=now, outcome=outcome)
    )


def claim_due_work(session: Session, *, now: datetime, limit: int, lease: timedelta) -> list[ClaimedWork]:
    """Lease due items (`FOR UPDATE SKIP LOCKED` on PostgreSQL); an expired lease is claimable again."""
    query = (
        select(DueWork)
        .where(col(DueWork.state).in_(UNFINISHED_WORK), DueWork.due_at <= now)
        .order_by(col(DueWork.due_at), col(DueWork.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for item in session.exec(query):
        claimed.append(
            ClaimedWork(
                persisted_id(item),
                item.kind,
                item.due_at,
                item.request_id,
                item.contact_id,
                dict(item.payload),
                item.attempts + 1,
            )
        )
        # Running, with the due time moved to the lease's end: a crashed runner's item comes back.
        item.state, item.attempts, item.due_at = DueWorkState.RUNNING, item.attempts + 1, now + lease
    return claimed


def finish(session: Session, *, work_id: int, state: DueWorkState, outcome: str, now: datetime) -> None:
    session.exec(
        update(DueWork).where(col(DueWork.id) == work_id).values(state=state, outcome=outcome[:200], finished_at=now)
    )


def postpone(session: Session, *, work_id: int, until: datetime, outcome: str) -> None:
    """Wait for a better time (quiet hours, the citizen's contact times): back to pending."""
    session.exec(
        update(DueWork)
        .where(col(DueWork.id) == work_id)
        .values(state=DueWorkState.PENDING, due_at=until, outcome=outcome[:200])
    )


def drop_pending(
    session: Session, *, now: datetime, outcome: str, contact_id: int | None = None, request_ids: Collection[int] = ()
) -> None:
    """Drop the pending work for a contact, or for requests: erased or purged, it has nobody left to serve."""
    which: sa.ColumnElement[bool]
    if contact_id is not None:
        which = col(DueWork.contact_id) == contact_id
    else:
        which = col(DueWork.request_id).in_(list(request_ids))
    session.exec(
        update(DueWork)
        .where(which, col(DueWork.state) == DueWorkState.PENDING)
        .values(state=DueWorkState.DROPPED, outcome=outcome[:200], finished_at=now)
    )


def blank_texts(session: Session, *, request_ids: Collection[int], text: str) -> None:
    """Put `text` in place of the free text that the work of these requests carries.

    The one free text a payload holds is `params.text`, a counselor's message waiting for (or done
    with) its send. Only that goes: readers of finished work (the feedback question's appointment) keep
    the rest of the payload.
    """
    rows = session.exec(
        select(id_column(DueWork), col(DueWork.payload)).where(col(DueWork.request_id).in_(list(request_ids)))
    )
    for work_id, stored in rows.all():
        params = stored.get("params") or {}
        if params.get("text") not in (None, text):
            payload = {**stored, "params": {**params, "text": text}}
            session.exec(update(DueWork).where(col(DueWork.id) == work_id).values(payload=payload))
