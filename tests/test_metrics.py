"""Response-time figures against numbers worked out by hand, on both engines.

The fixture (all times WIB, business hours Mon-Fri 08:00-16:00, Thu 2026-12-24 is cuti bersama and Fri
2026-12-25 Christmas, both closed):

  A  counseling konflik_keluarga, Kota Serang -> lk3-kota-serang, normal
     created Thu 24 Dec 15:00, claimed (siti) Mon 28 09:00, first contact (a call) Mon 28 10:00,
     resolved Tue 29 10:00, REOPENED Wed 30 09:00, resolved again Thu 31 11:00
  B  counseling pengasuhan_anak, Kota Serang -> lk3-kota-serang, normal
     created Fri 18 Dec 17:00 (after hours), claimed (siti) Tue 22 09:00 (late), call Tue 22 09:30; open
  C  counseling kdrt, Kota Serang -> p2tp2a-kota-serang, URGENT
     created Sat 19 Dec 22:00, claimed (rina) 22:20, claim LAPSED Sun 20 02:20, claimed (budi) 02:30,
     first contact (a call) 03:00 (late: due 02:00), referred Mon 21 10:00
  D  sighting anak_jalanan, Kota Serang -> dinsos-kota-serang, normal; created Mon 21 Dec 10:00, never claimed
  E  sighting lansia_telantar, Kabupaten Lebak -> dinsos-kab-lebak, normal; created Thu 31 Dec 10:00,
     claim due Mon 4 Jan 10:00 (Fri 1 Jan is a holiday): still pending at NOW
  F  counseling, Kota Serang, created Thu 10 Dec: outside the range 14-31 Dec, never counted

NOW is Thu 31 Dec 2026 12:00 WIB.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from bot.domain.regions import load_regions
from bot.metrics import (
    Quantiles,
    ResponseReport,
    business_clock,
    kecamatan_grid,
    percentile_cont,
    response_report,
    service_needs,
    workload,
)
from bot.runtime import Runtime
from bot.services.access import StaffView
from bot.services.case_thread import record_call
from bot.services.claims import claim_request, close_request, lapse_claim, reopen_request
from bot.web.dashboard.filters import parse_request_filters, request_conditions
from storage.models import Request
from tests.helpers.reports import act, submit
from tests.helpers.staff import make_staff

pytestmark = pytest.mark.clock(sql=True)  # dates pass through SQL too: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 12, 31, 12, 0, tzinfo=WIB)
RANGE = {"date_from": "2026-12-14", "date_to": "2026-12-31"}
KASEMEN = next(k.code for k in load_regions().region("kota-serang").kecamatan if k.name == "Kasemen")


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=WIB)


def report(
    runtime: Runtime, *, queues: frozenset[str] | None = None, now: datetime = NOW, **params: str
) -> ResponseReport:
    """The report of the fixture's range as `queues` would see it, at `now`."""
    filters = parse_request_filters({**RANGE, **params}, today=now.date(), default_weeks=12)
    with Session(runtime.db) as session:
        conditions = request_conditions(filters, visible_queues=queues, tz=WIB)
        return response_report(
            session,
            conditions,
            calendar=runtime.routing.calendar,
            date_from=filters.date_from,
            date_to=filters.date_to,
            now=now,
        )


def q(median: float | None, p90: float | None, count: int) -> Quantiles:
    return Quantiles(
        pytest.approx(median) if median is not None else None,  # type: ignore[arg-type]
        pytest.approx(p90) if p90 is not None else None,
        count,
    )  # type: ignore[arg-type]


def group(result: ResponseReport, dimension: str, key: object):
    return dict(result.groups[dimension])[key]


def _staff(runtime: Runtime) -> dict[str, StaffView]:
    return {
        "siti": make_staff(runtime, "siti", queues=("lk3-kota-serang",)),
        "rina": make_staff(runtime, "rina", queues=("p2tp2a-kota-serang",)),
        "budi": make_staff(runtime, "budi", queues=("p2tp2a-kota-serang",)),
    }


def _build_until_reopen(runtime: Runtime, staff: dict[str, StaffView]) -> dict[str, Request]:
    """Everything up to A's reopening (Wed 30 Dec 09:00), in time order."""
    siti, rina, budi = staff["siti"], staff["rina"], staff["budi"]
    routing = runtime.routing
    f = submit(runtime, at=wib(10, 9), region="kota-serang", topic="konflik_keluarga")
    act(runtime, siti, wib(10, 9, 30), claim_request, request_id=f.id, routing=routing)
    b = submit(runtime, at=wib(18, 17), region="kota-serang", topic="pengasuhan_anak")
    c = submit(runtime, at=wib(19, 22), region="kota-serang", topic="kdrt")
    act(runtime, rina, wib(19, 22, 20), claim_request, request_id=c.id, routing=routing)
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        lapsed = lapse_claim(
            session,
            request=session.get(Request, c.id),
            staff_id=rina.id,
            claimed_at=wib(19, 22, 20),
            now=wib(20, 2, 20),
        )
    assert lapsed
    act(runtime, budi, wib(20, 2, 30), claim_request, request_id=c.id, routing=routing)
    # First contact by phone: a message counts only once it reaches the citizen, through the scheduler and the
    # outbox (an urgent one at 03.00 would wait for the morning and for "aman"): tests/services/test_first_contact.py.
    act(runtime, budi, wib(20, 3), record_call, request_id=c.id)
    d = submit(
        runtime, at=wib(21, 10), kind="sighting", region="kota-serang", category="anak_jalanan", kecamatan=KASEMEN
    )
    act(runtime, budi, wib(21, 10), close_request, request_id=c.id, outcome="referred", note="ke UPTD PPA")
    act(runtime, siti, wib(22, 9), claim_request, request_id=b.id, routing=routing)
    act(runtime, siti, wib(22, 9, 30), record_call, request_id=b.id)
    a = submit(runtime, at=wib(24, 15), region="kota-serang", topic="konflik_keluarga")
    act(runtime, siti, wib(28, 9), claim_request, request_id=a.id, routing=routing)
    act(runtime, siti, wib(28, 10), record_call, request_id=a.id)
    act(runtime, siti, wib(29, 10), close_request, request_id=a.id, outcome="resolved", note="selesai")
    after_first_close = report(runtime, now=wib(29, 12))
    act(runtime, siti, wib(30, 9), reopen_request, request_id=a.id, reason="warga menghubungi lagi")
    return {"a": a, "b": b, "c": c, "d": d, "f": f, "after_first_close": after_first_close}  # type: ignore[dict-item]


@pytest.fixture
def fixture(runtime: Runtime) -> dict[str, object]:
    staff = _staff(runtime)
    built = _build_until_reopen(runtime, staff)
    built["while_reopened"] = report(runtime, now=wib(30, 12))
    act(runtime, staff["siti"], wib(31, 11), close_request, request_id=built["a"].id, outcome="resolved", note="tuntas")
    built["e"] = submit(runtime, at=wib(31, 10), kind="sighting", region="kab-lebak", category="lansia_telantar")
    return {**built, **staff}


def test_percentile_matches_postgresql_percentile_cont() -> None:
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    # (n - 1) * 0.9 = 1.8: 88 + 0.8 * (90 - 88) = 89.6
    assert percentile_cont([1 / 3, 88.0, 90.0], 0.9) == pytest.approx(89.6)
    assert percentile_cont([36.0, 164.0], 0.5) == pytest.approx(100.0)


def test_business_clock_agrees_with_the_sla_calendar(runtime: Runtime) -> None:
    """B(t) from the day table must equal BusinessCalendar.business_seconds_between for any pair."""
    calendar = runtime.routing.calendar
    clock = business_clock(calendar, date(2026, 12, 17), date(2027, 1, 5))
    days = {day: (base, open_) for day, base, open_ in clock.days}

    def business(moment: datetime) -> float:
        local = moment.timestamp() + clock.offset_s
        day = int(local // 86400)
        base, open_ = days[day]
        return base + open_ * min(max(local - day * 86400 - clock.start_s, 0), clock.day_s)

    moments = [
        wib(18, 17),
        wib(22, 9, 30),
        wib(24, 15),
        wib(25, 12),
        wib(28, 9),
        wib(31, 11),
        datetime(2027, 1, 4, 10, tzinfo=WIB),
    ]
    for a in moments:
        for b in moments:
            if a <= b:
                assert business(b) - business(a) == calendar.business_seconds_between(a, b)


def test_overall_figures(runtime: Runtime, fixture: dict) -> None:
    overall = report(runtime).overall
    assert overall.requests == 5  # A B C D E; F is before the range
    # claim, clock hours: A 24 Dec 15:00 -> 28 Dec 09:00 = 90; B 18 Dec 17:00 -> 22 Dec 09:00 = 88;
    # C 22:00 -> 22:20 = 1/3 (the FIRST claim; the re-claim after the lapse does not count).
    # sorted [1/3, 88, 90]: median 88; p90 at (3 - 1) * 0.9 = 1.8 -> 88 + 0.8 * 2 = 89.6
    assert overall.claim == q(88, 89.6, 3)
    # first contact: A -> 28 Dec 10:00 = 91; B -> 22 Dec 09:30 = 88.5; C -> 20 Dec 03:00 = 5
    # sorted [5, 88.5, 91]: median 88.5; p90 88.5 + 0.8 * 2.5 = 90.5
    assert overall.contact == q(88.5, 90.5, 3)
    # resolution: A to its LAST closing, 24 Dec 15:00 -> 31 Dec 11:00 = 7 * 24 - 4 = 164; C 19 Dec 22:00 ->
    # 21 Dec 10:00 = 36. [36, 164]: median 100; p90 36 + 0.9 * 128 = 151.2. B, D, E are open.
    assert overall.resolution == q(100, 151.2, 2)
    # business hours, normal requests only (C is urgent):
    # A claim: Thu 24 cuti bersama, Fri 25 Christmas, weekend, Mon 28 08-09 = 1 -> 1
    # B claim: Fri 18 17:00 is after hours, weekend, Mon 21 = 8, Tue 22 08-09 = 1 -> 9
    # [1, 9]: median 5; p90 1 + 0.9 * 8 = 8.2
    assert overall.claim_business == q(5, 8.2, 2)
    # A contact Mon 28 08-10 = 2; B contact 8 + 1.5 = 9.5: median 5.75; p90 2 + 0.9 * 7.5 = 8.75
    assert overall.contact_business == q(5.75, 8.75, 2)
    # A resolution: Mon 28, Tue 29, Wed 30 = 24, Thu 31 08-11 = 3 -> 27
    assert overall.resolution_business == q(27, 27, 1)
    # claim SLA: A on time (due Mon 28 16:00), B late (due Mon 21 16:00), C on time (due 23:00),
    # D overdue unclaimed (due Tue 22 10:00), E pending (due Mon 4 Jan 10:00): 2 of 4
    assert (overall.claim_sla.on_time, overall.claim_sla.counted, overall.claim_sla.percent) == (2, 4, 50.0)
    # contact SLA: A on time (due Wed 30 16:00), B on time (due Wed 23 16:00), C late (due 02:00), D overdue
    assert (overall.contact_sla.on_time, overall.contact_sla.counted) == (2, 4)


def test_groups_by_queue_region_counselor_subject_and_week(runtime: Runtime, fixture: dict) -> None:
    result = report(runtime)
    lk3 = group(result, "queue", "lk3-kota-serang")  # A and B
    # claim [88, 90]: median 89, p90 88 + 0.9 * 2 = 89.8; contact [88.5, 91]: 89.75, 88.5 + 0.9 * 2.5 = 90.75
    assert (lk3.requests, lk3.claim, lk3.contact) == (2, q(89, 89.8, 2), q(89.75, 90.75, 2))
    assert (lk3.claim_sla.percent, lk3.contact_sla.percent) == (50.0, 100.0)
    p2tp2a = group(result, "queue", "p2tp2a-kota-serang")  # C, urgent: no business-hours figures
    assert (p2tp2a.claim, p2tp2a.claim_business) == (q(1 / 3, 1 / 3, 1), q(None, None, 0))
    assert group(result, "queue", "dinsos-kota-serang").claim_sla.percent == 0.0  # D, overdue
    assert group(result, "queue", "dinsos-kab-lebak").claim_sla.percent is None  # E, nothing decided yet
    assert group(result, "region", "kota-serang").requests == 4
    assert group(result, "region", "kab-lebak").requests == 1
    assert group(result, "counselor", fixture["siti"].id).claim == q(89, 89.8, 2)
    assert group(result, "counselor", fixture["budi"].id).requests == 1  # C is budi's now, after the lapse
    assert group(result, "counselor", None).requests == 2  # D and E
    assert group(result, "subject", "kdrt").resolution == q(36, 36, 1)
    assert group(result, "subject", "lansia_telantar").requests == 1
    # week of Mon 14 Dec holds B and C: claim [1/3, 88]: median 44.1667; p90 1/3 + 0.9 * (88 - 1/3) = 79.2333
    week = group(result, "week", date(2026, 12, 14))
    assert week.claim == q((1 / 3 + 88) / 2, 1 / 3 + 0.9 * (88 - 1 / 3), 2)
    # contact [5, 88.5]: median 46.75; p90 5 + 0.9 * 83.5 = 80.15
    assert week.contact == q(46.75, 80.15, 2)
    trend = result.trend()
    assert [monday for monday, _ in trend] == [date(2026, 12, 14), date(2026, 12, 21), date(2026, 12, 28)]
    assert [figures.requests for _, figures in trend] == [2, 2, 1]


def test_reopened_request_counts_as_open_then_to_its_last_closing(runtime: Runtime, fixture: dict) -> None:
    # After the first closing (Tue 29 10:00): A took 24 Dec 15:00 -> 29 Dec 10:00 = 4 * 24 + 19 = 115 h,
    # business: Thu 24 and Fri 25 closed, Mon 28 = 8, Tue 29 08-10 = 2 -> 10 h.
    first = group(fixture["after_first_close"], "queue", "lk3-kota-serang")
    assert (first.resolution, first.resolution_business) == (q(115, 115, 1), q(10, 10, 1))
    # While reopened A has no resolution time; only C (36 h) is resolved.
    reopened = fixture["while_reopened"]
    assert group(reopened, "queue", "lk3-kota-serang").resolution == q(None, None, 0)
    assert reopened.overall.resolution == q(36, 36, 1)
    # Closed again: 164 h, not 115 h (see test_overall_figures).
    assert group(report(runtime), "queue", "lk3-kota-serang").resolution == q(164, 164, 1)


def test_filters_and_visibility(runtime: Runtime, fixture: dict) -> None:
    assert report(runtime, queues=frozenset({"lk3-kota-serang"})).overall.requests == 2
    assert report(runtime, queues=frozenset()).overall.requests == 0
    assert report(runtime, region="kab-lebak").overall.requests == 1
    assert report(runtime, queue="p2tp2a-kota-serang").overall.claim == q(1 / 3, 1 / 3, 1)
    # F (10 Dec, claimed after 30 min) joins when the range starts earlier: claims [0.5, 1/3, 88, 90]
    wider = report(runtime, date_from="2026-12-01")
    assert (wider.overall.requests, wider.overall.claim.count) == (6, 4)


def test_workload_map_and_needs(runtime: Runtime, fixture: dict) -> None:
    with Session(runtime.db) as session:
        load = workload(session, [], now=NOW)
        grid = dict(kecamatan_grid(session, [], load_regions()))
        needs = service_needs(session, [], offset_s=7 * 3600)
    by_staff = {c.staff_id: c for c in load.counselors}
    # siti holds B (in progress) and F (claimed, never contacted); A is closed
    assert (by_staff[fixture["siti"].id].claimed, by_staff[fixture["siti"].id].in_progress) == (1, 1)
    assert fixture["budi"].id not in by_staff  # C is closed
    assert load.unclaimed == {"dinsos-kab-lebak": (1, 0), "dinsos-kota-serang": (1, 0)}
    kasemen = next(cell for cell in grid["kota-serang"] if cell.code == KASEMEN)
    assert (kasemen.count, kasemen.level) == (1, 5)
    assert sum(cell.count for cell in grid["kab-lebak"]) == 1  # E, kecamatan not given
    assert needs.months == ["2026-12"]
    assert needs.counts[("2026-12", "kab-lebak")]["lansia_telantar"] == 1
