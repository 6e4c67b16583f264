"""The nightly pruning: sent messages, finished work and handled inbound ids are kept for a while, not for ever.

The outbox holds copies of what citizens wrote (a form's summary, a counselor's message), so a short
life there is also data minimisation; finished work and handled message ids only grow. How long each
is kept comes from settings (`OUTBOX_KEEP_DAYS`, `DUE_WORK_KEEP_DAYS`, `INBOUND_DEDUPE_DAYS`). A run
deletes one batch of each: the scheduler runs it again until nothing is left (bot/scheduler/work.py),
a transaction per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage.pruning import prune_inbound_ids, prune_messages, prune_work

BATCH = 1000


@dataclass(frozen=True, slots=True)
class KeepWindows:
    """How long finished rows stay. Inbound ids must outlive every platform's re-delivery (7 days)."""

    messages: timedelta
    work: timedelta
    inbound_ids: timedelta
    #: A web chat message the page never fetched: kept as long as its session can still be opened.
    unread_web_messages: timedelta


@dataclass(frozen=True, slots=True)
class Pruned:
    messages: int
    work: int
    inbound_ids: int
    more_left: bool  # a batch was full: run again


def prune_finished_rows(session: Session, *, now: datetime, keep: KeepWindows, batch: int | None = None) -> Pruned:
    """Delete one batch (`BATCH` rows unless told) of each table's rows older than its window."""
    batch = batch or BATCH
    counts = (
        prune_messages(session, before=now - keep.messages, batch=batch, unread_before=now - keep.unread_web_messages),
        prune_work(session, before=now - keep.work, batch=batch),
        prune_inbound_ids(session, before=now - keep.inbound_ids, batch=batch),
    )
    return Pruned(*counts, more_left=max(counts) >= batch)
