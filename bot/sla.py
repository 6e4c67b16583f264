"""Business-hours arithmetic and SLA deadlines (DESIGN.md section 3).

Why a module of its own: "claim within 1 business day" must mean the same thing to the intake flow that
promises it, the scheduler that checks breaches and the dashboard that reports response times. Every
datetime in and out is timezone-aware UTC; business hours are wall-clock times of the agencies' time zone
(WIB, Asia/Jakarta, UTC+7 without daylight saving time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

Urgency = Literal["urgent", "normal"]
URGENCIES: tuple[Urgency, ...] = ("urgent", "normal")
Deadline = Literal["claim", "first_contact"]

#: A business-hours search that walks this many days without finding an open hour has a broken calendar.
_MAX_DAYS = 3660


@cache
def _public_holidays(country: str, year: int) -> frozenset[date]:
    """One country's public holidays of one year; cached because every deadline asks for them."""
    return frozenset(holidays.country_holidays(country, years=year))


def _require_aware(moment: datetime) -> None:
    """Naive datetimes would be read in the server's zone and shift every deadline by hours."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got {moment!r}")


class BusinessCalendar:
    """When the agencies' offices are open: weekdays, opening hours, minus public holidays and closed days.

    `closed_days` are the days the government closes its offices beyond the public holidays: Indonesia's
    cuti bersama (joint leave days, SKB 3 Menteri), which the `holidays` package's public list lacks. They
    come from the routing file, so an operator adds next year's or a changed date without a release.
    """

    def __init__(
        self,
        tz: ZoneInfo,
        start: time,
        end: time,
        weekdays: frozenset[int],
        holiday_country: str = "ID",
        closed_days: frozenset[date] = frozenset(),
    ) -> None:
        if not start < end:
            raise ValueError(f"business hours must start before they end: {start}-{end}")
        if not weekdays or not weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays must be a non-empty set of 0 (Monday) .. 6 (Sunday): {weekdays}")
        self.tz = tz
        self.start = start
        self.end = end
        self.weekdays = weekdays
        self.holiday_country = holiday_country
        self.closed_days = frozenset(closed_days)

    @property
    def business_day_hours(self) -> float:
        """Length of one business day in hours (8 for 08:00-16:00): what "1 business day" adds."""
        day = date(2000, 1, 3)
        return (datetime.combine(day, self.end) - datetime.combine(day, self.start)) / timedelta(hours=1)

    def is_holiday(self, day: date) -> bool:
        """Whether a local date is a public holiday of the calendar's country or a closed day (cuti bersama)."""
        return day in self.closed_days or day in _public_holidays(self.holiday_country, day.year)

    def is_business_day(self, day: date) -> bool:
        """Whether the offices open at all on a local date."""
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def is_business_time(self, moment: datetime) -> bool:
        """Whether the offices are open at an aware moment."""
        _require_aware(moment)
        local = moment.astimezone(self.tz)
        return self.is_business_day(local.date()) and self.start <= local.time() < self.end

    def _windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open windows (UTC start, UTC end) from the local day of `moment` on, the first one clipped."""
        day = moment.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            if self.is_business_day(day):
                opens = datetime.combine(day, self.start, self.tz).astimezone(UTC)
                closes = datetime.combine(day, self.end, self.tz).astimezone(UTC)
                if closes > moment:
                    yield max(opens, moment), closes
            day += timedelta(days=1)
        raise ValueError(f"no business hours within {_MAX_DAYS} days of {moment.isoformat()}")

    def add_business_hours(self, start_utc: datetime, hours: float) -> datetime:
        """The UTC moment `hours` of open office time after `start_utc`.

        Time outside business hours does not count: a request on Saturday 10:00 WIB plus 8 hours is
        due Monday 16:00 WIB, one before 08:00 counts from 08:00. A deadline may fall at closing time.
        """
        _require_aware(start_utc)
        if hours < 0:
            raise ValueError(f"hours must not be negative: {hours}")
        remaining = timedelta(hours=hours)
        moment = start_utc.astimezone(UTC)
        for opens, closes in self._windows_from(moment):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("unreachable: _windows_from raises when it runs out")

    def business_seconds_between(self, a_utc: datetime, b_utc: datetime) -> float:
        """Open office seconds between two moments; negative when `b_utc` is before `a_utc`.

        Response-time metrics of normal requests are measured in this time, so a request that arrives on
        Friday evening and is claimed on Monday at 09:00 took one business hour, not 2.5 days.
        """
        _require_aware(a_utc)
        _require_aware(b_utc)
        if b_utc < a_utc:
            return -self.business_seconds_between(b_utc, a_utc)
        total = 0.0
        for opens, closes in self._windows_from(a_utc.astimezone(UTC)):
            if opens >= b_utc:
                break
            total += (min(closes, b_utc) - opens).total_seconds()
        return total


@dataclass(frozen=True)
class SlaPolicy:
    """The SLA numbers of the routing file: urgent in plain hours, normal in business days."""

    urgent_claim_hours: int
    urgent_first_contact_hours: int
    normal_claim_business_days: int
    normal_first_contact_business_days: int


@dataclass(frozen=True)
class SlaDeadlines:
    """When a request must be claimed and when the citizen must first be contacted (UTC)."""

    claim_due: datetime
    first_contact_due: datetime


def sla_deadlines(urgency: str, created_at: datetime, policy: SlaPolicy, calendar: BusinessCalendar) -> SlaDeadlines:
    """Deadlines of a new request: urgent ones run around the clock, normal ones in business hours."""
    _require_aware(created_at)
    created = created_at.astimezone(UTC)
    if urgency == "urgent":
        return SlaDeadlines(
            claim_due=created + timedelta(hours=policy.urgent_claim_hours),
            first_contact_due=created + timedelta(hours=policy.urgent_first_contact_hours),
        )
    if urgency == "normal":
        day = calendar.business_day_hours
        return SlaDeadlines(
            claim_due=calendar.add_business_hours(created, policy.normal_claim_business_days * day),
            first_contact_due=calendar.add_business_hours(created, policy.normal_first_contact_business_days * day),
        )
    raise ValueError(f"unknown urgency {urgency!r}")


def sla_wording(urgency: str, policy: SlaPolicy, deadline: Deadline) -> tuple[str, int]:
    """Message-catalog key and number of one deadline, for the promise made to the citizen.

    ("sla.hours", 4) reads "dalam 4 jam", ("sla.business_days", 3) "dalam 3 hari kerja"; the caller
    renders it, so the promise always follows the routing file. A promise to contact the citizen names
    the first-contact deadline, never the claim one, which only says when an officer takes the request up.
    """
    if urgency == "urgent":
        return "sla.hours", policy.urgent_claim_hours if deadline == "claim" else policy.urgent_first_contact_hours
    if urgency == "normal":
        days = policy.normal_claim_business_days if deadline == "claim" else policy.normal_first_contact_business_days
        return "sla.business_days", days
    raise ValueError(f"unknown urgency {urgency!r}")


def escalation_due(urgency: str, created_at: datetime, policy: SlaPolicy, calendar: BusinessCalendar) -> datetime:
    """Twice the claim SLA: when an unclaimed request goes to the provincial coordinator."""
    _require_aware(created_at)
    created = created_at.astimezone(UTC)
    if urgency == "urgent":
        return created + timedelta(hours=2 * policy.urgent_claim_hours)
    return calendar.add_business_hours(created, 2 * policy.normal_claim_business_days * calendar.business_day_hours)
