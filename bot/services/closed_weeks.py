"""The response-time report over many weeks: closed weeks from stored sketches, the rest exact.

Why: exact percentiles over a long range sort every request's durations once per group (over 500 ms for
the default twelve weeks at a million requests, bench/README.md). A week is closed once it ended before
today (WIB) and every SLA deadline of its requests passed: then only an event of one of its requests
can change its figures, and every event marks the week stale (storage/report_weeks.py). Such a week is
kept as DDSketches (bot/domain/sketches.py) per queue, region and group, computed on the first read that needs
it, again after it went stale, and at least once a day. The report merges the sketches of the range's
closed weeks with the exact durations of the rest; a percentile that took anything from a sketch is
marked approximate (within `RELATIVE_ACCURACY`), every count and SLA figure stays exact, and a group
made only of open weeks keeps its exact percentiles.

Only the report page reads this way, only for filters that stored rows can apply (visible queues, queue,
region), and only when the range's closed weeks hold `SKETCH_FROM` requests or more: below that the
exact report is fast enough. Exports and the API stay exact.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from bot.domain.sketches import SketchGrid, decode, sketch_bytes
from bot.metrics import (
    EPOCH,
    MEASURES,
    ResponseReport,
    monday_of,
    percentile_cont,
    report_clock,
    report_from_summaries,
    response_report,
)
from bot.sla import BusinessCalendar
from storage import report_queries as rq
from storage import report_weeks as rw

log = logging.getLogger(__name__)

#: Requests in the range's closed weeks from which their stored sketches are read instead of the requests.
SKETCH_FROM = 20_000
#: A stored week is computed again after this long even without an event (a safety net, see `rw.claim_week`).
REFRESH_AFTER = timedelta(days=1)
FRACTIONS = (0.5, 0.9)
_DURATIONS: tuple[str, ...] = tuple(MEASURES.values())
_FLAGS = ("claim_ok", "contact_ok")
#: Stored dimensions besides "all" (queue, region and week come from the "all" rows).
_SPLIT = ("staff_id", "subject")
Group = tuple[str, Any]


@dataclass(frozen=True, slots=True)
class StoredScope:
    """The filters stored rows can apply: visible queues (None: all), and a region (or unknown regions)."""

    queues: frozenset[str] | None
    region: str | None = None
    region_unknown: bool = False


def closed_weeks(date_from: date, date_to: date, today: date) -> list[date]:
    """Mondays of the weeks wholly inside the range that ended before today."""
    weeks, week = [], monday_of(date_from) + (timedelta(weeks=1) if date_from.weekday() else timedelta())
    while week + timedelta(days=6) <= date_to and week + timedelta(days=6) < today:
        weeks.append(week)
        week += timedelta(weeks=1)
    return weeks


def sketched_response_report(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    scope: StoredScope | None,
    stored: Sequence[date],
    *,
    calendar: BusinessCalendar,
    date_from: date,
    date_to: date,
    now: datetime,
) -> ResponseReport:
    """The response-time report, the `stored` weeks (from `ready_weeks`) read from their sketches.

    Exact when nothing is stored or the filters are more than stored rows can apply (`scope` None).
    """
    if scope is None or not stored:
        return response_report(session, conditions, calendar=calendar, date_from=date_from, date_to=date_to, now=now)
    rest = _outside(
        _start(date_from, calendar), _start(date_to + timedelta(days=1), calendar), _spans(stored, calendar)
    )
    clock = report_clock(calendar, date_from, date_to, now)
    facts = rq.fetch_fact_columns(session, [*conditions, *rq.created_in(rest)], clock, now=now)
    rows = rw.sketch_rows(
        session, stored, queues=scope.queues, region=scope.region, region_unknown=scope.region_unknown
    )
    return report_from_summaries(date_from, date_to, _merge(rows, facts))


def _spans(weeks: Sequence[date], calendar: BusinessCalendar) -> list[tuple[datetime, datetime]]:
    """Runs of consecutive weeks as [first Monday 00:00, Monday after the last 00:00) in local time."""
    spans: list[tuple[datetime, datetime]] = []
    for week in sorted(weeks):
        start = datetime.combine(week, time(), calendar.tz)
        end = datetime.combine(week + timedelta(weeks=1), time(), calendar.tz)
        spans[-1:] = [(spans[-1][0], end)] if spans and spans[-1][1] == start else [*spans[-1:], (start, end)]
    return spans


def _outside(
    start: datetime, end: datetime, spans: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """[start, end) less the spans: the parts of the range read exactly (as plain ranges the index serves)."""
    rest, cursor = [], start
    for span_start, span_end in sorted(spans):
        if span_start > cursor:
            rest.append((cursor, span_start))
        cursor = max(cursor, span_end)
    return [*rest, (cursor, end)] if cursor < end else rest


def ready_weeks(
    db: Engine,
    *,
    calendar: BusinessCalendar,
    date_from: date,
    date_to: date,
    now: datetime,
    sketch_from: int | None = None,
) -> list[date]:
    """The range's closed weeks to read from sketches: stored and fresh, or stored now; [] when too few requests.

    Run before the report's own session (SQLite has one connection): each week is stored in a transaction
    of its own, and a week another instance stores at the same moment is left to it (its insert loses
    on the primary key) and read exactly this time.
    """
    weeks = closed_weeks(date_from, date_to, now.astimezone(calendar.tz).date())
    if not weeks:
        return []
    with Session(db) as reading:
        fresh = rw.fresh_weeks(reading, weeks, computed_after=now - REFRESH_AFTER)
        spans = {
            week: rw.week_span(reading, start=_start(week, calendar), end=_start(week + timedelta(weeks=1), calendar))
            for week in weeks
            if week not in fresh
        }
    threshold = SKETCH_FROM if sketch_from is None else sketch_from
    if sum(fresh.values()) + sum(span.requests for span in spans.values()) < threshold:
        return []
    for week, span in spans.items():
        if span.last_deadline is not None and span.last_deadline > now:
            continue  # an SLA figure of the week can still change with time alone: read it exactly
        try:
            with Session(db) as writing, writing.begin():
                _store_week(writing, week, span, calendar=calendar, now=now)
        except (IntegrityError, OperationalError) as error:  # stored by another instance, or SQLite busy
            log.info("report week %s not stored now (%s); read exactly", week, type(error).__name__)
            continue
        fresh[week] = span.requests
    return sorted(fresh)


def _start(week: date, calendar: BusinessCalendar) -> datetime:
    return datetime.combine(week, time(), calendar.tz)


def _store_week(session: Session, week: date, span: rw.WeekSpan, *, calendar: BusinessCalendar, now: datetime) -> None:
    """Compute one week's sketches over every queue from its requests, and store them."""
    rw.claim_week(session, week=week, span=span, now=now)
    end = week + timedelta(days=6)
    span_of_week = (_start(week, calendar), _start(week + timedelta(weeks=1), calendar))
    facts = rq.fetch_fact_columns(
        session, rq.created_in([span_of_week]), report_clock(calendar, week, end, now), now=now
    )
    rw.replace_sketches(session, week=week, rows=week_rows(facts))


def week_rows(facts: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Stored rows of one week's facts: per (queue, region) "all", and split by counselor and by subject."""
    groups: dict[tuple[str, str | None, str, str | None], list[int]] = defaultdict(list)
    for index, (queue, region) in enumerate(zip(facts["queue_code"], facts["region"])):
        groups[(queue, region, "all", None)].append(index)
        for dimension in _SPLIT:
            key = facts[dimension][index]
            groups[(queue, region, dimension, None if key is None else str(key))].append(index)
    rows = []
    for (queue, region, dimension, key), members in groups.items():
        values = [[float(v) for i in members if (v := facts[column][i]) is not None] for column in _DURATIONS]
        flags = {flag: [int(v) for i in members if (v := facts[flag][i]) is not None] for flag in _FLAGS}
        rows.append(
            {
                "queue_code": queue,
                "region": region,
                "dimension": dimension,
                "key": key,
                "requests": len(members),
                "sketch": sketch_bytes(values),
                **{f"{flag}_sum": sum(found) for flag, found in flags.items()},
                **{f"{flag}_n": len(found) for flag, found in flags.items()},
            }
        )
    return rows


class _Groups:
    """Group ids of the report's (facts column, key) groups, in the order they are first met."""

    def __init__(self) -> None:
        self.ids: dict[Group, int] = {}

    def id(self, group: Group) -> int:
        found = self.ids.get(group)
        if found is None:
            found = self.ids[group] = len(self.ids)
        return found


def _stored_key(dimension: str, key: str | None) -> Any:
    return int(key) if dimension == "staff_id" and key is not None else key


#: Exact counts of a group, as stored rows carry them and as facts rows add up to them.
_COUNTS = ("requests", *(f"{flag}_{part}" for flag in _FLAGS for part in ("sum", "n")))
#: Groups a stored "all" row counts in (the split rows count in their own group only).
_ALL_TARGETS = 4


def _merge(rows: Sequence[Any], facts: dict[str, list[Any]]) -> list[tuple[str, Any, dict[str, Any]]]:
    """(facts column, key, summary) of every group from stored rows and exact facts together."""
    groups = _Groups()
    targets = _row_targets(groups, rows)
    fact_ids = _fact_group_ids(groups, facts)
    size = len(groups.ids)
    counts = {name: np.zeros(size, dtype=np.int64) for name in _COUNTS}
    grid = SketchGrid(size, len(_DURATIONS))
    sketched = _add_stored(grid, counts, rows, targets)
    durations = [np.array(facts[column], dtype=np.float64) for column in _DURATIONS]  # None -> NaN
    for measure, seconds in enumerate(durations):
        measured = ~np.isnan(seconds)
        grid.add_values([ids[measured] for ids in fact_ids.values()], measure, seconds[measured])
    _add_fact_counts(counts, fact_ids, facts, size)
    estimates, value_counts = grid.quantiles(FRACTIONS)
    summaries = []
    for (column, key), gid in groups.ids.items():
        summary: dict[str, Any] = {name: int(totals[gid]) for name, totals in counts.items()}
        if sketched[gid]:
            summary["approximate"] = True
            for measure, name in enumerate(_DURATIONS):
                p50, p90 = (None if np.isnan(x) else float(x) for x in estimates[gid, measure])
                summary |= {f"{name}_p50": p50, f"{name}_p90": p90, f"{name}_n": int(value_counts[gid, measure])}
        else:
            summary |= _exact(fact_ids[column] == gid, durations)
        summaries.append((column, key, summary))
    return summaries


def _row_targets(groups: _Groups, rows: Sequence[Any]) -> np.ndarray:
    """[slot, row]: the group ids each stored row counts in, -1 for none ("all" rows count in four)."""
    targets = np.full((_ALL_TARGETS, len(rows)), -1, dtype=np.int64)
    for index, row in enumerate(rows):
        if row.dimension == "all":
            found = [
                ("all", None),
                ("queue_code", row.queue_code),
                ("region", row.region),
                ("week", (row.week - EPOCH).days),
            ]
        else:
            found = [(row.dimension, _stored_key(row.dimension, row.key))]
        for slot, group in enumerate(found):
            targets[slot, index] = groups.id(group)
    return targets


def _add_stored(
    grid: SketchGrid, counts: dict[str, np.ndarray], rows: Sequence[Any], targets: np.ndarray
) -> np.ndarray:
    """Add the stored rows' buckets and counts to their groups; returns which groups took any (approximate)."""
    sketched = np.zeros(grid.groups, dtype=bool)
    codes, entry_counts, lengths = decode([row.sketch for row in rows])
    row_of_entry = np.repeat(np.arange(len(rows)), lengths)
    columns = dict(zip(rows[0]._fields, zip(*rows))) if rows else {}
    row_counts = {name: np.array(columns.get(name, ()), dtype=np.int64) for name in _COUNTS}
    of_all_rows = np.flatnonzero(targets[1][row_of_entry] >= 0)  # entries of "all" rows: they count four times
    for slot in range(_ALL_TARGETS):
        gids: np.ndarray = targets[slot]
        stored_here = gids >= 0
        sketched[gids[stored_here]] = True
        for name, per_row in row_counts.items():
            counts[name] += np.bincount(gids[stored_here], weights=per_row[stored_here], minlength=grid.groups).astype(
                np.int64
            )
        if slot == 0:
            grid.add_codes(gids[row_of_entry], codes, entry_counts)
        else:
            grid.add_codes(gids[row_of_entry[of_all_rows]], codes[of_all_rows], entry_counts[of_all_rows])
    return sketched


def _fact_group_ids(groups: _Groups, facts: dict[str, list[Any]]) -> dict[str, np.ndarray]:
    """Per facts column (and "all"), the group id of every facts row."""
    size = len(facts["queue_code"])
    ids = {"all": np.full(size, groups.id(("all", None)) if size else 0, dtype=np.int64)}
    for column in ("queue_code", "region", "staff_id", "subject", "week"):
        known = {key: groups.id((column, key)) for key in set(facts[column])}
        ids[column] = np.array([known[key] for key in facts[column]], dtype=np.int64)
    return ids


def _add_fact_counts(
    counts: dict[str, np.ndarray], fact_ids: dict[str, np.ndarray], facts: dict[str, list[Any]], size: int
) -> None:
    """Requests and SLA flags of the exact facts, added to their groups' counts."""
    flags = {flag: np.array(facts[flag], dtype=np.float64) for flag in _FLAGS}  # None -> NaN
    for ids in fact_ids.values():
        counts["requests"] += np.bincount(ids, minlength=size)
        for flag, values in flags.items():
            counted = ~np.isnan(values)
            counts[f"{flag}_n"] += np.bincount(ids[counted], minlength=size)
            counts[f"{flag}_sum"] += np.bincount(ids[counted], weights=values[counted], minlength=size).astype(np.int64)


def _exact(members: np.ndarray, durations: Sequence[np.ndarray]) -> dict[str, Any]:
    """Exact percentiles of one group made only of open weeks' requests."""
    summary: dict[str, Any] = {}
    for name, values in zip(_DURATIONS, durations):
        found = np.sort(values[members & ~np.isnan(values)]).tolist()
        summary |= {
            f"{name}_p50": percentile_cont(found, 0.5),
            f"{name}_p90": percentile_cont(found, 0.9),
            f"{name}_n": len(found),
        }
    return summary
