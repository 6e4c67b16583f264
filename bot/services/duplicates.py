"""Possible duplicate sightings, and merging the newer one into the earlier.

Several passers-by often report the same person at the same corner. Staff should see those reports
side by side and work one case: a sighting of the same PMKS category in the same kecamatan within
48 hours of another (and, when both have a pin, within 300 m of it) is a possible duplicate. Only
staff decide; merging closes the newer request (status `cancelled`, `merged_into_id` set, an event on
both) and from then on the reporters of both hear the survivor's status updates (bot/services/notify.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.domain.statuses import CLOSED_STATUSES, OPEN_STATUSES, RequestStatus
from bot.services.access import StaffView, visible_request
from bot.services.case_rules import CaseActionError
from bot.services.notify import notify_citizen
from storage.duplicates import lock_request, mark_merged, merged_into, sightings_near_in_time
from storage.models import Request, persisted_id
from storage.requests import add_event

WINDOW = timedelta(hours=48)
MAX_DISTANCE_M = 300.0
EARTH_RADIUS_M = 6_371_008.8  # mean radius; the error at 300 m is far below a phone's GPS error
MERGED_STATUS = RequestStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    """Another request that may be the same sighting, and the pair as a merge takes it: newer into earlier."""

    request: Request  # the other one
    distance_m: float | None
    newer: Request
    earlier: Request

    @property
    def mergeable(self) -> bool:
        """Whether `merge_requests` would take the pair now: the newer still open, the earlier not closed."""
        return self.newer.status in OPEN_STATUSES and self.earlier.status not in CLOSED_STATUSES


def distance_m(a: Request, b: Request) -> float | None:
    """Great-circle (haversine) distance between two pins in metres; None unless both have one."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _comparable(request: Request) -> bool:
    return (
        request.kind == "sighting"
        and request.category is not None
        and request.kecamatan_code is not None
        and request.merged_into_id is None
    )


def is_possible_duplicate(a: Request, b: Request) -> bool:
    """Same category and kecamatan, within 48 hours, and within 300 m when both have pins."""
    if a.id == b.id or not (_comparable(a) and _comparable(b)):
        return False
    if (a.category, a.kecamatan_code) != (b.category, b.kecamatan_code):
        return False
    if abs(a.created_at - b.created_at) > WINDOW:
        return False
    distance = distance_m(a, b)
    return distance is None or distance <= MAX_DISTANCE_M


def _candidates(session: Session, view: StaffView, requests: list[Request]) -> list[Request]:
    """Unmerged sightings the staff member may see that could match any of `requests` (one query)."""
    wanted = [r for r in requests if _comparable(r)]
    if not wanted:
        return []
    return sightings_near_in_time(
        session,
        categories={r.category for r in wanted if r.category is not None},
        kecamatan_codes={r.kecamatan_code for r in wanted if r.kecamatan_code is not None},
        start=min(r.created_at for r in wanted) - WINDOW,
        end=max(r.created_at for r in wanted) + WINDOW,
        queue_codes=view.queues,
    )


def possible_duplicates(session: Session, *, view: StaffView, request: Request) -> list[PossibleDuplicate]:
    """The requests shown beside this one on its page, oldest first."""
    found = []
    for other in _candidates(session, view, [request]):
        if is_possible_duplicate(request, other):
            newer, earlier = (other, request) if _after(other, request) else (request, other)
            found.append(PossibleDuplicate(other, distance_m(request, other), newer, earlier))
    return found


def with_possible_duplicates(session: Session, *, view: StaffView, requests: Iterable[Request]) -> set[int]:
    """Ids of the listed requests that have a possible duplicate, for the list's marker."""
    rows = list(requests)
    others = _candidates(session, view, rows)
    return {persisted_id(r) for r in rows if any(is_possible_duplicate(r, other) for other in others)}


def _after(a: Request, b: Request) -> bool:
    return (a.created_at, a.id) > (b.created_at, b.id)


def merge_requests(session: Session, *, view: StaffView, request_id: int, into_id: int, now: datetime) -> Request:
    """Close the newer request as merged into the earlier one; staff must be able to see both.

    Both rows are locked (lower id first, so two merges never deadlock) and checked again under the
    lock: a request merged or closed meanwhile is refused with a reason, never merged twice.
    """
    visible_request(session, view, request_id)
    visible_request(session, view, into_id)
    locked = {i: lock_request(session, request_id=i) for i in sorted({request_id, into_id})}
    newer, earlier = locked[request_id], locked[into_id]
    if newer.merged_into_id is not None:
        raise CaseActionError("dup.error_already_merged")
    if not is_possible_duplicate(newer, earlier):
        raise CaseActionError("dup.error_not_duplicate")
    if not _after(newer, earlier):
        raise CaseActionError("dup.error_not_newer")
    if earlier.status in CLOSED_STATUSES:
        raise CaseActionError("dup.error_earlier_closed")
    previous = newer.status
    newer_id, earlier_id = persisted_id(newer), persisted_id(earlier)
    if not mark_merged(session, request_id=newer_id, into_id=earlier_id, status=MERGED_STATUS):
        raise CaseActionError("case.error_closed")
    add_event(
        session,
        request_id=newer_id,
        kind="status",
        actor=view.actor,
        at=now,
        from_status=previous,
        to_status=MERGED_STATUS,
        detail={"action": "merge", "into": earlier.id, "ticket": earlier.ticket_code},
    )
    add_event(
        session,
        request_id=earlier_id,
        kind="merge",
        actor=view.actor,
        at=now,
        detail={"from": newer.id, "ticket": newer.ticket_code},
    )
    session.refresh(newer)
    notify_citizen(session, request=newer, key="update.merged", now=now)
    return earlier


def merge_target(session: Session, request: Request) -> Request | None:
    """The request this one was merged into, if it was."""
    return session.get(Request, request.merged_into_id) if request.merged_into_id else None


def merged_from(session: Session, *, request_id: int) -> list[Request]:
    """The requests merged into this one, oldest first."""
    return merged_into(session, request_id=request_id)
