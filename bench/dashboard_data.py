"""A province's three years of requests and their events, generated and COPYed into PostgreSQL.

Realistic in what the reports read: requests arrive more on weekdays and in the daytime (WIB) and a
little more each year; regions weigh by population (Kabupaten Tangerang most, Kota Cilegon least, a
few percent unknown); sightings (about 65 %) lean towards fakir miskin, lansia telantar, pengemis and
disabilitas, counseling towards family conflict and parenting. Queue, urgency and SLA deadlines come
from the real routing file (`bot.routing`, `bot.sla`). Each request lives through the real lifecycle
as events: created, claimed by one of its queue's counselors (urgent within the hour mostly, normal
within a business day mostly, some late: an `sla_breach` event), first contact, in progress, closed
(resolved, referred, unreachable, cancelled), a few reopened and closed again; events after "now" are
not written, so recent requests are still new, claimed or in progress. Personal (encrypted) columns
stay NULL: the reports never read them.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES
from bot.domain.regions import load_regions
from bot.domain.tickets import ALPHABET
from bot.routing import RoutingTable
from bot.sla import sla_deadlines

YEARS = 3
#: Population in millions (BPS, rounded): how sightings and requests spread over Banten.
REGION_WEIGHTS = {
    "kab-tangerang": 3.25,
    "kota-tangerang": 1.9,
    "kab-serang": 1.65,
    "kota-tangerang-selatan": 1.4,
    "kab-lebak": 1.4,
    "kab-pandeglang": 1.3,
    "kota-serang": 0.72,
    "kota-cilegon": 0.45,
}
UNKNOWN_REGION = 0.03
COMMON_CATEGORIES = {
    "fakir_miskin": 20,
    "lansia_telantar": 10,
    "penyandang_disabilitas": 8,
    "pengemis": 7,
    "anak_telantar": 6,
    "anak_jalanan": 6,
    "gelandangan": 6,
    "pemulung": 5,
    "perempuan_rawan_sosial_ekonomi": 4,
    "keluarga_bermasalah": 4,
    "korban_kekerasan": 3,
    "anak_korban_kekerasan": 3,
    "korban_bencana_alam": 3,
}
COMMON_TOPICS = {
    "konflik_keluarga": 25,
    "pengasuhan_anak": 20,
    "ekonomi_keluarga": 15,
    "kenakalan_remaja": 12,
    "stres_psikologis": 10,
    "perceraian": 8,
    "kdrt": 6,
    "lainnya": 4,
}
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.6)  # Monday first
HOUR_WEIGHTS_WIB = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    1.0,
    1.6,
    2.0,
    2.2,
    2.2,
    2.0,
    1.8,
    2.0,
    2.0,
    1.9,
    1.8,
    1.6,
    1.4,
    1.5,
    1.4,
    1.0,
    0.6,
    0.3,
)
WIB = timedelta(hours=7)
CLOSINGS = (("resolved", 70), ("referred", 15), ("unreachable", 10), ("cancelled", 5))
COUNSELORS_PER_QUEUE = (2, 6)


@dataclass(frozen=True, slots=True)
class Staffing:
    """Counselor ids per queue (the generator assigns claims to them)."""

    by_queue: dict[str, list[int]]


def ticket_code(number: int) -> str:
    """A distinct, random-looking speakable code per number (an odd multiplier is a bijection mod 32**6)."""
    value = (number * 1_103_515_245 + 12_345) % (32**6)
    chars = []
    for _ in range(6):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return f"{''.join(chars[:3])}-{''.join(chars[3:])}"


def _lognormal(rng: random.Random, median_s: float, sigma: float) -> float:
    return median_s * math.exp(rng.gauss(0.0, sigma))


class RequestGenerator:
    """Requests and events as COPY text, `rows` requests spread over the `YEARS` before `now`."""

    def __init__(self, routing: RoutingTable, staffing: Staffing, *, rows: int, now: datetime, seed: int) -> None:
        self.routing = routing
        self.staffing = staffing
        self.rows = rows
        self.now = now
        self.rng = random.Random(seed)
        self.start = (now - timedelta(days=365 * YEARS)).replace(hour=0, minute=0, second=0, microsecond=0)
        days = (now - self.start).days
        # A little more each year (0.7 -> 1.3), less at weekends.
        weights = [
            (0.7 + 0.6 * d / days) * WEEKDAY_WEIGHTS[(self.start + timedelta(days=d)).weekday()] for d in range(days)
        ]
        self._day_weights = list(_cumulative(weights))
        self._hour_weights = list(_cumulative(HOUR_WEIGHTS_WIB))
        self._regions = list(REGION_WEIGHTS)
        self._region_weights = list(_cumulative(REGION_WEIGHTS.values()))
        self._kecamatan = {r.code: [k.code for k in r.kecamatan] for r in load_regions().regions}
        other = [c for c in PMKS_CATEGORIES if c not in COMMON_CATEGORIES]
        categories = {**COMMON_CATEGORIES, **dict.fromkeys(other, 1)}
        self._categories, self._category_weights = list(categories), list(_cumulative(categories.values()))
        topics = {t: COMMON_TOPICS.get(t, 2) for t in COUNSELING_TOPICS}
        self._topics, self._topic_weights = list(topics), list(_cumulative(topics.values()))

    def batches(self, size: int = 20_000) -> Iterator[tuple[str, str, int]]:
        """(request COPY text, event COPY text, events) per batch, in creation order (ids ascend with time)."""
        moments = sorted(self._created() for _ in range(self.rows))
        for first in range(0, self.rows, size):
            requests, events, count = io.StringIO(), io.StringIO(), 0
            for offset, created in enumerate(moments[first : first + size]):
                count += self._request(first + offset + 1, created, requests, events)
            yield requests.getvalue(), events.getvalue(), count

    def _created(self) -> datetime:
        rng = self.rng
        day = rng.choices(range(len(self._day_weights)), cum_weights=self._day_weights)[0]
        hour = rng.choices(range(24), cum_weights=self._hour_weights)[0]
        moment = self.start + timedelta(days=day, hours=hour, seconds=rng.random() * 3600) - WIB
        return min(moment, self.now - timedelta(minutes=1))

    def _request(self, request_id: int, created: datetime, requests: io.StringIO, events: io.StringIO) -> int:
        rng = self.rng
        region = (
            None if rng.random() < UNKNOWN_REGION else rng.choices(self._regions, cum_weights=self._region_weights)[0]
        )
        if rng.random() < 0.65:
            kind, category, topic = (
                "sighting",
                rng.choices(self._categories, cum_weights=self._category_weights)[0],
                None,
            )
            route = self.routing.route_sighting(category, region)
        else:
            kind, category, topic = "counseling", None, rng.choices(self._topics, cum_weights=self._topic_weights)[0]
            route = self.routing.route_counseling(topic, region)
        danger = rng.random() < 0.03
        urgency = "urgent" if danger else route.urgency
        due = sla_deadlines(urgency, created, self.routing.sla, self.routing.calendar)
        kecamatan = (
            rng.choice(self._kecamatan[region]) if region and kind == "sighting" and rng.random() < 0.85 else None
        )
        history, staff_id = self._lifecycle(route.queue_code, urgency, created, due.claim_due)
        status = next(
            (to for kind_, _f, to, _a, _at in reversed(history) if to and kind_ in ("status", "created")), "new"
        )
        requests.write(
            "\t".join(
                (
                    str(request_id),
                    ticket_code(request_id),
                    kind,
                    category or r"\N",
                    topic or r"\N",
                    region or r"\N",
                    kecamatan or r"\N",
                    "[]",
                    "t" if kind == "sighting" and rng.random() < 0.4 else "f",
                    "t" if danger else "f",
                    urgency,
                    route.queue_code,
                    status,
                    str(staff_id) if staff_id else r"\N",
                    _ts(due.claim_due),
                    _ts(due.first_contact_due),
                    _ts(created),
                )
            )
            + "\n"
        )
        for kind_, from_status, to_status, actor, at in history:
            detail = f'{{"queue": "{route.queue_code}", "urgency": "{urgency}"}}' if kind_ == "created" else "{}"
            events.write(
                "\t".join((str(request_id), kind_, from_status or r"\N", to_status or r"\N", actor, _ts(at), detail))
                + "\n"
            )
        return len(history)

    def _lifecycle(
        self, queue: str, urgency: str, created: datetime, claim_due: datetime
    ) -> tuple[list[tuple[str, str | None, str | None, str, datetime]], int | None]:
        """The request's events up to now, and who holds it."""
        rng = self.rng
        history: list[tuple[str, str | None, str | None, str, datetime]] = [
            ("created", None, "new", "citizen:0", created)
        ]
        if rng.random() < 0.03:  # withdrawn or unreachable before anyone claimed it
            closing = "cancelled" if rng.random() < 0.5 else "unreachable"
            self._add(history, ("status", "new", closing, "system", created + timedelta(hours=rng.uniform(2, 72))))
            return history, None
        median = 2400.0 if urgency == "urgent" else 6 * 3600.0
        claimed = created + timedelta(seconds=_lognormal(rng, median, 1.1))
        if claimed > claim_due:
            self._add(history, ("sla_breach", None, None, "system", claim_due))
        counselors = self.staffing.by_queue.get(queue) or [None]
        staff_id = rng.choice(counselors)
        actor = f"staff:{staff_id}"
        if not self._add(history, ("status", "new", "claimed", actor, claimed)):
            return history, None
        contacted = claimed + timedelta(seconds=_lognormal(rng, 5400.0, 1.0))
        if rng.random() < 0.92:
            self._add(history, ("first_contact", None, None, actor, contacted))
            self._add(history, ("status", "claimed", "in_progress", actor, contacted + timedelta(minutes=1)))
            before = "in_progress"
        else:
            before = "claimed"
        closed = contacted + timedelta(seconds=_lognormal(rng, 4 * 86400.0, 1.0))
        closing = rng.choices([c for c, _ in CLOSINGS], weights=[w for _, w in CLOSINGS])[0]
        if self._add(history, ("status", before, closing, actor, closed)) and rng.random() < 0.02:
            reopened = closed + timedelta(days=rng.uniform(1, 20))
            if self._add(history, ("status", closing, "in_progress", actor, reopened)):
                self._add(
                    history,
                    (
                        "status",
                        "in_progress",
                        "resolved",
                        actor,
                        reopened + timedelta(seconds=_lognormal(rng, 3 * 86400.0, 0.8)),
                    ),
                )
        return history, staff_id

    def _add(self, history: list, event: tuple) -> bool:
        """Append an event that has happened by now; False (and nothing added) for one still to come."""
        if event[-1] > self.now:
            return False
        history.append(event)
        return True


def _cumulative(weights) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


REQUEST_COLUMNS = (
    "id",
    "ticket_code",
    "kind",
    "category",
    "topic",
    "region",
    "kecamatan_code",
    "photo_refs",
    "anonymous",
    "danger_flag",
    "urgency",
    "queue_code",
    "status",
    "assigned_staff_id",
    "claim_due_at",
    "first_contact_due_at",
    "created_at",
)
EVENT_COLUMNS = ("request_id", "kind", "from_status", "to_status", "actor", "at", "detail")


def fill(database_url: str, routing: RoutingTable, *, rows: int, now: datetime, seed: int, progress) -> int:
    """Staff and `rows` requests with their events, by COPY; returns the number of events written."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, password=url.password
    ) as conn:
        staffing = _staff(conn, routing, now, random.Random(seed + 1))
        generator = RequestGenerator(routing, staffing, rows=rows, now=now, seed=seed)
        events = 0
        with conn.cursor() as cursor:
            for requests_text, events_text, count in generator.batches():
                with cursor.copy(f"COPY request ({', '.join(REQUEST_COLUMNS)}) FROM STDIN") as copy:
                    copy.write(requests_text)
                with cursor.copy(f"COPY request_event ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                    copy.write(events_text)
                events += count
                conn.commit()
                progress(requests_text.count("\n"), count)
            cursor.execute("SELECT setval(pg_get_serial_sequence('request', 'id'), (SELECT max(id) FROM request))")
        conn.commit()
        _fold_events(database_url)
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE request")  # visibility map for index-only scans, and statistics
        conn.execute("VACUUM ANALYZE request_event")
        conn.execute("VACUUM ANALYZE response_time")
        conn.execute("VACUUM ANALYZE staff")
    return events


def _fold_events(database_url: str) -> None:
    """The `response_time` rows that `add_event` keeps, for events COPYed around it: folded in one statement."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from storage.response_times import rebuild

    engine = sa.create_engine(database_url)
    with Session(engine) as session, session.begin():
        rebuild(session)
    engine.dispose()


def _staff(conn, routing: RoutingTable, now: datetime, rng: random.Random) -> Staffing:
    """Counselors for every queue (they cannot log in: their hash is not argon2)."""
    by_queue: dict[str, list[int]] = {}
    with conn.cursor() as cursor:
        for queue in routing.queues():
            for number in range(rng.randint(*COUNSELORS_PER_QUEUE)):
                name = f"{queue.code}-{number + 1}"
                cursor.execute(
                    "INSERT INTO staff (username, display_name, password_hash, role, region, active, created_at)"
                    " VALUES (%s, %s, 'bench-no-login', 'counselor', NULL, true, %s) RETURNING id",
                    (name, f"Konselor {name}", now - timedelta(days=365 * YEARS)),
                )
                staff_id = cursor.fetchone()[0]
                cursor.execute("INSERT INTO staff_queue (staff_id, queue_code) VALUES (%s, %s)", (staff_id, queue.code))
                by_queue.setdefault(queue.code, []).append(staff_id)
    conn.commit()
    return Staffing(by_queue)
