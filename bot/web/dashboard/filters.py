"""Request filters and the personal-data rule, shared by the request list, the reports and the exports.

Why one module: a coordinator who filters the list and then exports it must get the same rows, and the
reports must count exactly what the list shows; so the query string is parsed once and turned into SQL
once, here. The list's own narrowing (ticket code, SLA state, open/closed: `ListFilters`) lives here
too, because the list's exports must apply it exactly as the list does. Invalid values are dropped (and named in `ignored`), never an error page: a filter form is
typed into and bookmarked, and a stale link should still show something.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES
from bot.domain.regions import PROVINCE, REGION_CODES
from bot.domain.statuses import RequestStatus
from bot.services.deadlines import SLA_STATES, sla_condition
from bot.services.request_conditions import (
    Condition,
    filter_conditions,
    holder_condition,
    status_condition,
    ticket_condition,
)
from bot.sla import URGENCIES

KINDS: tuple[str, ...] = ("sighting", "counseling")
_QUEUE_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
#: Narrowing only the list and its exports offer, beyond the filters shared with the reports.
LIST_ONLY: tuple[str, ...] = ("q", "sla", "state", "holder")
#: The `holder` filter: a staff member's id, or this for requests nobody holds.
NO_HOLDER = "none"
STATES: tuple[str, ...] = ("open", "closed")
_TICKET_CHARS = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """What the list, the reports and the exports are filtered by; None means "any".

    `region` is the request's kabupaten/kota code, or "provinsi" for requests whose region is unknown.
    `date_from` and `date_to` are calendar dates in the service's time zone (WIB), both included.
    """

    queue: str | None = None
    region: str | None = None
    kind: str | None = None
    category: str | None = None
    topic: str | None = None
    status: str | None = None
    urgency: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    ignored: tuple[str, ...] = field(default=(), compare=False)

    def params(self) -> dict[str, str]:
        """The filters as query parameters (empty ones left out), e.g. for export links and audit rows."""
        values = asdict(self)
        values.pop("ignored")
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in values.items()
            if value is not None
        }

    def query_string(self) -> str:
        """`queue=...&date_from=...`, to carry the same filters to another page or an export."""
        return urlencode(self.params())


_CHOICES: dict[str, tuple[str, ...]] = {
    "region": (*REGION_CODES, PROVINCE),
    "kind": KINDS,
    "category": PMKS_CATEGORIES,
    "topic": COUNSELING_TOPICS,
    "status": tuple(RequestStatus),
    "urgency": URGENCIES,
}


def parse_request_filters(
    params: Mapping[str, str], *, today: date, default_weeks: int | None = None
) -> RequestFilters:
    """Read filters from query parameters; with `default_weeks`, a missing range becomes that many ISO weeks.

    The default range ends today and starts on the Monday `default_weeks - 1` weeks before this week's
    Monday, so a weekly trend shows whole weeks (the current one so far).
    """
    values: dict[str, str | None] = {}
    ignored: list[str] = []
    for name, allowed in _CHOICES.items():
        values[name] = _choice(params.get(name), allowed, name, ignored)
    queue = (params.get("queue") or "").strip()
    values["queue"] = queue if _QUEUE_CODE.match(queue) else None
    if queue and values["queue"] is None:
        ignored.append("queue")
    date_from = _date(params.get("date_from"), "date_from", ignored)
    date_to = _date(params.get("date_to"), "date_to", ignored)
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    if default_weeks is not None and date_from is None:
        end = date_to or today
        date_from = end - timedelta(days=end.weekday()) - timedelta(weeks=default_weeks - 1)
        date_to = end
    elif default_weeks is not None and date_to is None and date_from is not None:  # date_from is set here
        date_to = max(today, date_from)
    return RequestFilters(**values, date_from=date_from, date_to=date_to, ignored=tuple(ignored))


def _choice(raw: str | None, allowed: tuple[str, ...], name: str, ignored: list[str]) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if value not in allowed:
        ignored.append(name)
        return None
    return value


#: Dates a range may name. Reports build a business calendar over the range, and a typo such as
#: 0202-01-01 would otherwise have one built over eighteen centuries.
EARLIEST_DAY = date(2020, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def _date(raw: str | None, name: str, ignored: list[str]) -> date | None:
    value = (raw or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not EARLIEST_DAY <= day <= LATEST_DAY:
        ignored.append(name)
        return None
    return day


def created_range(filters: RequestFilters, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The date range as UTC instants: [date_from 00:00 WIB, the day after date_to 00:00 WIB)."""
    start = datetime.combine(filters.date_from, time(), tz) if filters.date_from else None
    end = datetime.combine(filters.date_to + timedelta(days=1), time(), tz) if filters.date_to else None
    return start, end


def request_conditions(
    filters: RequestFilters, *, visible_queues: frozenset[str] | None, tz: ZoneInfo
) -> list[Condition]:
    """SQL conditions on requests for these filters, always restricted to the visible queues."""
    equal = {
        "queue_code" if name == "queue" else name: value
        for name in ("queue", "kind", "category", "topic", "status", "urgency")
        if (value := getattr(filters, name)) is not None
    }
    if filters.region is not None and filters.region != PROVINCE:
        equal["region"] = filters.region
    start, end = created_range(filters, tz)
    return filter_conditions(
        visible_queues=visible_queues,
        equal=equal,
        region_unknown=filters.region == PROVINCE,
        created_from=start,
        created_before=end,
    )


def without_dates(filters: RequestFilters) -> RequestFilters:
    """The same filters over all time (the workload page shows the present, whatever the range)."""
    return replace(filters, date_from=None, date_to=None)


def normalise_ticket(text: str) -> str:
    """ "abc def", "ABC-DEF" and "abcdef" all find ticket ABC-DEF."""
    compact = _TICKET_CHARS.sub("", text.upper())
    return f"{compact[:3]}-{compact[3:]}" if len(compact) == 6 else compact


@dataclass(frozen=True, slots=True)
class ListFilters:
    """The request list's filters: the shared ones, plus a ticket code as typed, an SLA state, open/closed
    and who holds the request (a staff id, or "none").

    `state` narrows only when no exact `status` is chosen (a status already says open or closed).
    """

    filters: RequestFilters
    q: str | None = None
    sla: str | None = None
    state: str | None = None
    holder: str | None = None
    ignored: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        """The filters as query parameters, to show them in the form again and carry them to links."""
        own = {name: getattr(self, name) for name in LIST_ONLY}
        return {**self.filters.params(), **{name: value for name, value in own.items() if value}}

    def query_string(self) -> str:
        return urlencode(self.params())

    def conditions(self, *, visible_queues: frozenset[str] | None, tz: ZoneInfo, now: datetime) -> list[Condition]:
        """SQL conditions on requests: the shared filters within the visible queues, then the list's own."""
        conditions = request_conditions(self.filters, visible_queues=visible_queues, tz=tz)
        if self.q:
            conditions.append(ticket_condition(normalise_ticket(self.q)))
        if self.sla:
            conditions.append(sla_condition(self.sla, now))
        if self.state and self.filters.status is None:
            conditions.append(status_condition(self.state))
        if self.holder:
            conditions.append(holder_condition(None if self.holder == NO_HOLDER else int(self.holder)))
        return conditions


def parse_list_filters(params: Mapping[str, str], *, today: date) -> ListFilters:
    """Read the list's filter form; an unknown value is dropped rather than refused, so an old link still opens."""
    filters = parse_request_filters(params, today=today)
    own = {name: (params.get(name) or "").strip() for name in LIST_ONLY}
    ignored = [
        name for name, allowed in (("sla", SLA_STATES), ("state", STATES)) if own[name] and own[name] not in allowed
    ]
    if own["holder"] and not (
        own["holder"] == NO_HOLDER or (own["holder"].isascii() and own["holder"].isdigit() and len(own["holder"]) < 10)
    ):
        ignored.append("holder")
    valid = {name: value or None for name, value in own.items() if name not in ignored}
    return ListFilters(filters, **valid, ignored=(*filters.ignored, *ignored))
