"""The count of recent `status KODE` lookups of others' tickets, shared by every instance."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from storage.models import StatusLookup


def take_lookup(session: Session, *, limits: Mapping[str, int], since: datetime, now: datetime) -> bool:
    """Count one lookup against each subject, unless one of them had its limit's worth since `since`.

    Rows older than the window are deleted on the way: they count for nothing, and the table stays as
    small as the lookups of the last few minutes. Two instances racing may both let a lookup through at
    the limit; one over the limit is no help to someone guessing a billion codes.
    """
    session.execute(sa.delete(StatusLookup).where(col(StatusLookup.at) < since))
    counts = dict(
        session.exec(
            select(StatusLookup.subject, func.count())
            .where(col(StatusLookup.subject).in_(list(limits)), col(StatusLookup.at) >= since)
            .group_by(col(StatusLookup.subject))
        ).all()
    )
    if any(counts.get(subject, 0) >= limit for subject, limit in limits.items()):
        return False
    session.add_all([StatusLookup(subject=subject, at=now) for subject in limits])
    session.flush()
    return True
