"""Dashboard at scale: the response-time report and the request list over years of a province's requests.

    .venv/bin/python bench/dashboard.py [--rows 1000000] [--repeat 20] [--keep] [--reuse] [--database NAME]

Fills a PostgreSQL database of its own (`pmks_bench_dashboard`) with `--rows` requests and their events
over three years (bench/dashboard_data.py, by COPY), then, logged in as the provincial coordinator
through the real app in this process (httpx's ASGI transport: every middleware, the session, the
template), times, `--repeat` times each and interleaved:

- the response-time report page, `GET /dashboard/metrics` (its default range: twelve ISO weeks): its closed
  weeks from stored sketches (bot/services/closed_weeks.py), computed in the uncounted first round;
- the same report computed exactly (`build_response_report` without stored weeks, no page around it): what
  the page cost before the sketches, and what exports and the API still cost;
- the request list, `GET /dashboard/requests` with a rotation of filters (region and status, a queue's
  open requests, a category in a region, counseling on one topic in a quarter, a ticket code);
- baseline: the same aggregate as ONE hand-written SQL statement over the same tables (per request, its
  `response_time` row; percentile_cont medians and p90s of time to claim, first contact and resolution,
  SLA compliance, GROUPING SETS by queue, region, counselor, subject, week and total), in clock hours.
  The page also computes the business-hours figures, which the baseline leaves out: the ratio errs
  against the page, never for it. For reference, the same statement folding every request's events
  instead ("from events": what the report did before `response_time` existed).

Prints p50/p95 of each, and on the last line the page's p95 and the ratio page/hand-written (p50) with
their targets: p95 < 500 ms, ratio <= 1. `--keep` leaves the database for another run, `--reuse` times an
existing one of the same size without generating it again; drop it with `--drop`. `--database` names it
(another engineer's run of this bench on the same server would otherwise drop yours).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PG_ADMIN_URL, Deadline, machine_line, percentile

DATABASE = "pmks_bench_dashboard"
USERNAME = "koordinator.provinsi"
PASSWORD = "bench-password-not-secret"
REPORT_WEEKS = 12
TIME_LIMIT_SECONDS = 900.0
CLOSED = "('resolved', 'referred', 'unreachable', 'cancelled')"

#: Per request, its events folded with a LATERAL subquery: what the report did before `response_time`.
FROM_EVENTS = f"""
SELECT r.id, r.queue_code, r.region, r.assigned_staff_id AS staff_id, coalesce(r.category, r.topic) AS subject,
       date_trunc('week', r.created_at AT TIME ZONE 'Asia/Jakarta') AS week,
       r.claim_due_at, r.first_contact_due_at, coalesce(m.created, r.created_at) AS created,
       m.claimed, m.contacted, m.first_closed, m.last_closed, m.last_closing_id = m.last_status_id AS closed_now
FROM request r
LEFT JOIN LATERAL (
  SELECT min(e.at) FILTER (WHERE e.kind = 'created') AS created,
         min(e.at) FILTER (WHERE e.kind = 'status' AND e.to_status = 'claimed') AS claimed,
         min(e.at) FILTER (WHERE e.kind = 'first_contact') AS contacted,
         min(e.at) FILTER (WHERE e.kind = 'status' AND e.to_status IN {CLOSED}) AS first_closed,
         max(e.at) FILTER (WHERE e.kind = 'status' AND e.to_status IN {CLOSED}) AS last_closed,
         max(e.id) FILTER (WHERE e.kind = 'status' AND e.to_status IN {CLOSED}) AS last_closing_id,
         max(e.id) FILTER (WHERE e.kind = 'status') AS last_status_id
  FROM request_event e WHERE e.request_id = r.id
) m ON true
WHERE r.merged_into_id IS NULL AND r.created_at >= %(start)s AND r.created_at < %(end)s
"""
#: Per request, the row of `response_time` that its events keep: what the report reads now.
FROM_RESPONSE_TIMES = """
SELECT r.id, r.queue_code, r.region, r.assigned_staff_id AS staff_id, coalesce(r.category, r.topic) AS subject,
       date_trunc('week', r.created_at AT TIME ZONE 'Asia/Jakarta') AS week,
       r.claim_due_at, r.first_contact_due_at, coalesce(t.created_at, r.created_at) AS created,
       t.claimed_at AS claimed, t.contacted_at AS contacted, t.first_closed_at AS first_closed,
       t.last_closed_at AS last_closed, t.closed_now
FROM request r LEFT JOIN response_time t ON t.request_id = r.id
WHERE r.merged_into_id IS NULL AND r.created_at >= %(start)s AND r.created_at < %(end)s
"""
AGGREGATE = """
WITH stamps AS MATERIALIZED ({stamps}), facts AS (
  SELECT queue_code, region, staff_id, subject, week,
         extract(epoch FROM claimed - created) AS claim_s,
         extract(epoch FROM contacted - created) AS contact_s,
         CASE WHEN closed_now THEN extract(epoch FROM last_closed - created) END AS resolve_s,
         CASE WHEN claimed IS NOT NULL THEN (claimed <= claim_due_at)::int
              WHEN claim_due_at <= now() AND (first_closed IS NULL OR first_closed > claim_due_at) THEN 0 END
           AS claim_ok,
         CASE WHEN contacted IS NOT NULL THEN (contacted <= first_contact_due_at)::int
              WHEN first_contact_due_at <= now() AND (first_closed IS NULL OR first_closed > first_contact_due_at)
              THEN 0 END AS contact_ok
  FROM stamps
)
SELECT queue_code, region, staff_id, subject, week, count(*) AS requests,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY claim_s), percentile_cont(0.9) WITHIN GROUP (ORDER BY claim_s),
       count(claim_s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY contact_s), percentile_cont(0.9) WITHIN GROUP (ORDER BY contact_s),
       count(contact_s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s), percentile_cont(0.9) WITHIN GROUP (ORDER BY resolve_s),
       count(resolve_s),
       sum(claim_ok), count(claim_ok), sum(contact_ok), count(contact_ok)
FROM facts
GROUP BY GROUPING SETS ((queue_code), (region), (staff_id), (subject), (week), ())
"""
HAND_WRITTEN = AGGREGATE.format(stamps=FROM_RESPONSE_TIMES)
HAND_WRITTEN_FROM_EVENTS = AGGREGATE.format(stamps=FROM_EVENTS)


def list_filters(today: date) -> list[str]:
    """Query strings of the request list, as coordinators filter it."""
    from bench.dashboard_data import ticket_code

    quarter = today - timedelta(days=91)
    return [
        "",
        "region=kab-lebak&status=new",
        "queue=dinsos-kab-tangerang&state=open",
        "category=pengemis&region=kota-serang",
        f"kind=counseling&topic=kdrt&date_from={quarter.isoformat()}&date_to={today.isoformat()}",
        f"q={ticket_code(123_457)}",
        "urgency=urgent&status=claimed",
    ]


def database_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)


def admin(sql: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def vacuum_analyze() -> None:
    """Statistics and visibility maps for the benchmark database, as after generating it."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def existing_rows() -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url())
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM request")).scalar_one()
    except sa.exc.SQLAlchemyError:
        return -1
    finally:
        engine.dispose()


def prepare(runtime, rows: int, seed: int) -> None:
    """Queues, the coordinator who logs in, counselors, requests and events."""
    from sqlmodel import Session

    from bench.dashboard_data import fill
    from bot.services.staff_accounts import create_staff

    runtime.sync_queues()
    now = datetime.now(UTC)
    with Session(runtime.db) as session, session.begin():
        create_staff(
            session,
            username=USERNAME,
            role="coordinator",
            queues=[],
            region="provinsi",
            now=now,
            password=PASSWORD,
            display_name="Koordinator Provinsi",
        )
    started, written = time.monotonic(), [0, 0]

    def progress(requests: int, events: int) -> None:
        written[0] += requests
        written[1] += events
        if written[0] % 100_000 < requests or written[0] == rows:
            print(
                f"  {written[0]:8d} requests, {written[1]:9d} events ({time.monotonic() - started:.0f} s)", flush=True
            )

    fill(runtime.settings.database_url, runtime.routing, rows=rows, now=now, seed=seed, progress=progress)


def dashboard_app(runtime):
    """The app with the report pages, whether or not `create_app` mounts them yet."""
    from bot.app import create_app
    from bot.web.dashboard import reports

    app = create_app(runtime=runtime)
    present = {getattr(route, "path", None) for route in app.routes}
    if not any(route.path in present for route in reports.router.routes):
        app.include_router(reports.router)
    return app


async def login(client) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = await client.post("/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"login failed: {answer.status_code}")


async def measure(runtime, repeat: int, deadline: Deadline) -> dict[str, list[float]]:
    """Seconds per page and per hand-written query, interleaved so machine noise hits each alike."""
    import httpx
    import psycopg

    from bot.web.dashboard.reports import local_today

    today = local_today(runtime)
    start_day = today - timedelta(days=today.weekday()) - timedelta(weeks=REPORT_WEEKS - 1)
    tz = runtime.settings.tz
    bounds = {
        "start": datetime.combine(start_day, datetime.min.time(), tz),
        "end": datetime.combine(today + timedelta(days=1), datetime.min.time(), tz),
    }
    filters = list_filters(today)
    names = ("metrics page", "exact report", "hand-written", "from events", "request list")
    times: dict[str, list[float]] = {name: [] for name in names}
    transport = httpx.ASGITransport(app=dashboard_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await login(client)
        with psycopg.connect(database_url().replace("postgresql+psycopg", "postgresql")) as conn:

            async def page(path: str) -> None:
                answer = await client.get(path)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path} answered {answer.status_code}")

            async def query(sql: str) -> list:
                rows = conn.execute(sql, bounds).fetchall()
                conn.rollback()
                return rows

            for number in range(-1, repeat):  # round -1 warms every cache up and is not counted
                if deadline.passed:
                    break
                steps = (
                    page("/dashboard/metrics"),
                    exact_report(runtime, today),
                    query(HAND_WRITTEN),
                    query(HAND_WRITTEN_FROM_EVENTS),
                    page(f"/dashboard/requests?{filters[number % len(filters)]}"),
                )
                for name, step in zip(names, steps):
                    started = time.perf_counter()
                    rows = await step
                    if number >= 0:
                        times[name].append(time.perf_counter() - started)
                    if name == "hand-written":
                        groups = len(rows)
    print(f"  hand-written query: {groups} group rows over {bounds['start']:%Y-%m-%d} .. {today}")
    return times


async def exact_report(runtime, today: date) -> None:
    """The page's report without stored weeks, as exports and the API compute it (no page, no login)."""
    from sqlmodel import Session

    from bot.web.dashboard.filters import parse_request_filters
    from bot.web.dashboard.reports import REPORT_WEEKS as PAGE_WEEKS
    from bot.web.dashboard.reports import build_response_report

    filters = parse_request_filters({}, today=today, default_weeks=PAGE_WEEKS)
    with Session(runtime.db) as session:
        build_response_report(session, runtime, filters, None, datetime.now(UTC))


def main() -> int:
    global DATABASE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="leave the database for another run")
    parser.add_argument("--reuse", action="store_true", help="time an existing database of --rows requests")
    parser.add_argument("--drop", action="store_true", help="only drop the benchmark database")
    parser.add_argument("--database", default=DATABASE, help=f"the benchmark database's name ({DATABASE})")
    args = parser.parse_args()
    DATABASE = args.database
    if args.drop:
        admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        return 0
    if not (1000 <= args.rows <= 5_000_000 and 1 <= args.repeat <= 500):
        parser.error("need 1000 <= --rows <= 5000000 and 1 <= --repeat <= 500")

    from bot.config import Settings
    from bot.runtime import build_runtime
    from storage.migrate import upgrade_to_head

    print(machine_line())
    reuse = args.reuse and existing_rows() == args.rows
    if not reuse:
        admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{DATABASE}"')
    started = time.monotonic()
    upgrade_to_head(database_url())  # a database kept from an older schema gets its new migrations here
    if reuse:
        print(f"  migrated to head in {time.monotonic() - started:.1f} s")
        vacuum_analyze()
    runtime = build_runtime(Settings(_env_file=None, database_url=database_url()))
    try:
        if reuse:
            print(f"reusing {DATABASE} with {args.rows} requests")
        else:
            print(f"generating {args.rows} requests over three years into {DATABASE} ...")
            started = time.monotonic()
            prepare(runtime, args.rows, args.seed)
            print(f"  generated in {time.monotonic() - started:.0f} s")
        times = asyncio.run(measure(runtime, args.repeat, Deadline(TIME_LIMIT_SECONDS)))
    finally:
        runtime.close()
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    for name, values in times.items():
        print(
            f"{name:13s} n={len(values):3d}  p50 {percentile(values, 0.5) * 1000:8.1f} ms  "
            f"p95 {percentile(values, 0.95) * 1000:8.1f} ms"
        )
    page95 = percentile(times["metrics page"], 0.95)
    ratio = percentile(times["metrics page"], 0.5) / percentile(times["hand-written"], 0.5)
    print(
        f"request list p95 {percentile(times['request list'], 0.95) * 1000:.0f} ms; exact report p95 "
        f"{percentile(times['exact report'], 0.95) * 1000:.0f} ms"
    )
    print(
        f"dashboard {args.rows} requests: report page p95 {page95 * 1000:.0f} ms (target < 500 ms), "
        f"ratio page/hand-written p50 {ratio:.2f} (target <= 1)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
