"""The report over closed and open weeks from stored sketches, against the exact report, on both engines.

Generated data (all times WIB; NOW is Wed 25 Nov 2026 12:00; range Mon 2 - Wed 25 Nov): a few hundred
requests spread over three closed weeks and the open one, in three queues, with lognormal claim, contact
and resolution times, ties (claims exactly an hour after creation), zeros (claimed the moment they came
in), requests never claimed and urgent ones. The weeks of 2 and 9 November are settled (every SLA deadline
passed) and read from sketches; the week of 16 November has deadlines after NOW (a Sunday request's first
contact is due on Thursday 26th) and is read exactly, like the open week.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from bot.domain.sketches import RELATIVE_ACCURACY
from bot.domain.tickets import new_ticket_code
from bot.metrics import ResponseFigures, ResponseReport, response_report
from bot.runtime import Runtime
from bot.services.closed_weeks import StoredScope, ready_weeks, sketched_response_report
from bot.sla import sla_deadlines
from storage.models import ReportWeek, Request
from storage.requests import add_event, create_request
from storage.response_times import rebuild
from tests.helpers.staff import make_staff

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=WIB)
DATE_FROM, DATE_TO = date(2026, 11, 2), date(2026, 11, 25)
SETTLED = [date(2026, 11, 2), date(2026, 11, 9)]
EVERYTHING = StoredScope(None)  # a provincial coordinator without filters
PLACES = [("konflik_keluarga", "kota-serang"), ("kdrt", "kota-serang"), ("pengasuhan_anak", "kab-lebak")]


def generate(runtime: Runtime, *, requests: int = 240, seed: int = 11) -> list[int]:
    """Requests with their events through `add_event` (as the services write them); returns their ids."""
    rng = random.Random(seed)
    routing = runtime.routing
    staff: dict[str, list[int]] = {}
    for topic, region in PLACES:
        queue = routing.route_counseling(topic, region).queue_code
        if queue not in staff:
            staff[queue] = [make_staff(runtime, f"{queue}-{n}", queues=(queue,)).id for n in range(2)]
    span = (NOW - timedelta(hours=2)) - datetime(2026, 11, 2, tzinfo=WIB)
    moments = sorted(datetime(2026, 11, 2, tzinfo=WIB) + span * rng.random() for _ in range(requests))
    ids = []
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        for created in moments:
            topic, region = rng.choice(PLACES)
            route = routing.route_counseling(topic, region)
            urgency = "urgent" if rng.random() < 0.1 else route.urgency
            due = sla_deadlines(urgency, created, routing.sla, routing.calendar)
            request = create_request(
                session,
                request=Request(
                    kind="counseling",
                    topic=topic,
                    region=region,
                    urgency=urgency,
                    queue_code=route.queue_code,
                    claim_due_at=due.claim_due,
                    first_contact_due_at=due.first_contact_due,
                    created_at=created,
                ),
                new_code=new_ticket_code,
            )
            assert request.id is not None
            ids.append(request.id)
            add_event(session, request_id=request.id, kind="created", actor="citizen:1", at=created, to_status="new")
            _lifecycle(session, rng, request, rng.choice(staff[route.queue_code]), created)
    return ids


def _lifecycle(session: Session, rng: random.Random, request: Request, holder: int, created: datetime) -> None:
    shape = rng.random()
    if shape < 0.1:
        return  # never claimed
    delay = 0.0 if shape < 0.2 else 3600.0 if shape < 0.35 else rng.lognormvariate(8.5, 1.2)
    claimed = created + timedelta(seconds=delay)
    if claimed > NOW:
        return
    assert request.id is not None
    request.status, request.assigned_staff_id = "claimed", holder
    add_event(
        session,
        request_id=request.id,
        kind="status",
        actor=f"staff:{holder}",
        at=claimed,
        from_status="new",
        to_status="claimed",
    )
    contacted = claimed + timedelta(seconds=rng.lognormvariate(8, 1.0))
    if contacted > NOW or rng.random() < 0.1:
        return
    add_event(session, request_id=request.id, kind="first_contact", actor=f"staff:{holder}", at=contacted)
    closed = contacted + timedelta(seconds=rng.lognormvariate(11.5, 1.0))
    if closed <= NOW:
        request.status = "resolved"
        add_event(
            session,
            request_id=request.id,
            kind="status",
            actor=f"staff:{holder}",
            at=closed,
            from_status="claimed",
            to_status="resolved",
        )


def exact(runtime: Runtime, conditions: Sequence[ColumnElement[bool]] = ()) -> ResponseReport:
    with Session(runtime.db) as session:
        return response_report(
            session, conditions, calendar=runtime.routing.calendar, date_from=DATE_FROM, date_to=DATE_TO, now=NOW
        )


def ready(runtime: Runtime, sketch_from: int = 0) -> list[date]:
    return ready_weeks(
        runtime.db,
        calendar=runtime.routing.calendar,
        date_from=DATE_FROM,
        date_to=DATE_TO,
        now=NOW,
        sketch_from=sketch_from,
    )


def sketched(
    runtime: Runtime, conditions: Sequence[ColumnElement[bool]] = (), scope: StoredScope | None = EVERYTHING
) -> ResponseReport:
    """The report as the page reads it: closed weeks made ready first, then the report's own session."""
    stored = ready(runtime)
    with Session(runtime.db) as session:
        return sketched_response_report(
            session,
            conditions,
            scope,
            stored,
            calendar=runtime.routing.calendar,
            date_from=DATE_FROM,
            date_to=DATE_TO,
            now=NOW,
        )


def assert_close(approximate: ResponseFigures, exact_figures: ResponseFigures, *, marked: bool) -> None:
    """Counts and SLA exactly; percentiles within the stated accuracy (to the second) and marked as such."""
    assert approximate.requests == exact_figures.requests
    assert approximate.claim_sla == exact_figures.claim_sla
    assert approximate.contact_sla == exact_figures.contact_sla
    for name in ("claim", "contact", "resolution", "claim_business", "contact_business", "resolution_business"):
        got, want = getattr(approximate, name), getattr(exact_figures, name)
        assert got.count == want.count, name
        assert got.approximate is marked, name
        for value, truth in ((got.median, want.median), (got.p90, want.p90)):
            if truth is None:
                assert value is None, name
            else:
                assert value == pytest.approx(truth, rel=RELATIVE_ACCURACY, abs=1 / 3600), name
                if not marked:
                    assert value == pytest.approx(truth, rel=1e-9), name


def assert_report_close(approximate: ResponseReport, exact_report: ResponseReport) -> None:
    assert_close(approximate.overall, exact_report.overall, marked=True)
    for dimension, groups in exact_report.groups.items():
        got = dict(approximate.groups[dimension])
        assert set(got) == {key for key, _ in groups}, dimension
        for key, figures in groups:
            open_week = dimension == "week" and key not in SETTLED
            assert_close(got[key], figures, marked=not open_week)


def stored_weeks(runtime: Runtime) -> dict[date, bool]:
    with Session(runtime.db) as session:
        return {row.week: row.stale for row in session.exec(select(ReportWeek))}


def test_closed_weeks_from_sketches_match_exact_figures_within_the_stated_error(runtime: Runtime) -> None:
    generate(runtime)
    truth = exact(runtime)
    assert truth.overall.requests == 240
    assert_report_close(sketched(runtime), truth)
    # The week of 16 November still has SLA deadlines ahead: not stored, read exactly.
    assert stored_weeks(runtime) == dict.fromkeys(SETTLED, False)
    assert_report_close(sketched(runtime), truth)  # read back from what was stored


def test_visible_queues_and_region_narrow_the_stored_rows(runtime: Runtime) -> None:
    generate(runtime)
    queue = runtime.routing.route_counseling("kdrt", "kota-serang").queue_code
    narrowed = [Request.queue_code == queue]
    assert_report_close(sketched(runtime, narrowed, StoredScope(frozenset({queue}))), exact(runtime, narrowed))
    assert [key for key, _ in sketched(runtime, narrowed, StoredScope(frozenset({queue}))).groups["queue"]] == [queue]
    in_lebak = [Request.region == "kab-lebak"]
    assert_report_close(sketched(runtime, in_lebak, StoredScope(None, "kab-lebak")), exact(runtime, in_lebak))


def test_an_event_of_a_closed_week_marks_it_stale_and_the_next_read_recomputes_it(runtime: Runtime) -> None:
    ids = generate(runtime)
    sketched(runtime)
    with Session(runtime.db) as session:
        first_week_end = datetime(2026, 11, 9, tzinfo=WIB)
        unclaimed = session.exec(
            select(Request).where(
                Request.status == "new", Request.created_at < first_week_end, col(Request.id).in_(ids)
            )
        ).first()
    assert unclaimed is not None and unclaimed.id is not None
    before = sketched(runtime)
    late = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # claimed weeks later: the week's figures change
    with Session(runtime.db) as session, session.begin():
        add_event(
            session,
            request_id=unclaimed.id,
            kind="status",
            actor="staff:1",
            at=late,
            from_status="new",
            to_status="claimed",
        )
    assert stored_weeks(runtime) == {SETTLED[0]: True, SETTLED[1]: False}
    truth = exact(runtime)
    assert truth.overall.claim.count == before.overall.claim.count + 1
    assert_report_close(sketched(runtime), truth)
    assert stored_weeks(runtime) == dict.fromkeys(SETTLED, False)


def test_few_requests_or_filters_sketches_cannot_apply_stay_exact(runtime: Runtime) -> None:
    generate(runtime, requests=60)
    truth = exact(runtime)
    assert ready(runtime, sketch_from=10_000) == []
    assert stored_weeks(runtime) == {}
    assert sketched(runtime, scope=None) == truth  # e.g. a status filter: stored rows cannot apply it
    assert not sketched(runtime, scope=None).overall.claim.approximate


def test_folding_the_events_again_forgets_the_stored_weeks(runtime: Runtime) -> None:
    """`rebuild` replaces every response-time row (e.g. after a bulk load): sketches built on the old ones go."""
    generate(runtime)
    sketched(runtime)
    assert stored_weeks(runtime) == dict.fromkeys(SETTLED, False)
    with Session(runtime.db) as session, session.begin():
        rebuild(session)
    assert stored_weeks(runtime) == {}
    assert_report_close(sketched(runtime), exact(runtime))
