"""Business hours and SLA deadlines, against hand-computed WIB times (UTC+7, Mon-Fri 08:00-16:00)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sla import BusinessCalendar, SlaDeadlines, SlaPolicy, sla_deadlines, sla_wording

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

JAKARTA = ZoneInfo("Asia/Jakarta")
POLICY = SlaPolicy(
    urgent_claim_hours=1,
    urgent_first_contact_hours=4,
    normal_claim_business_days=1,
    normal_first_contact_business_days=3,
)


def wib(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A WIB wall-clock time as the UTC datetime the code takes and returns."""
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA).astimezone(UTC)


def office() -> BusinessCalendar:
    return BusinessCalendar(JAKARTA, time(8), time(16), frozenset({0, 1, 2, 3, 4}))


def test_the_holidays_these_tests_rely_on() -> None:
    calendar = office()
    assert calendar.is_holiday(date(2026, 12, 25))  # Christmas, a Friday
    assert calendar.is_holiday(date(2027, 1, 1))  # New Year, a Friday
    assert calendar.is_holiday(date(2027, 1, 5))  # Isra' Mi'raj, a Tuesday
    assert not calendar.is_holiday(date(2026, 12, 24))
    assert not calendar.is_holiday(date(2026, 11, 16))


def test_business_day_is_eight_hours() -> None:
    assert office().business_day_hours == 8.0


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (wib(2026, 11, 13, 15, 59), True),  # Friday just before closing
        (wib(2026, 11, 13, 16, 0), False),  # Friday closing time
        (wib(2026, 11, 16, 7, 59), False),  # Monday before opening
        (wib(2026, 11, 16, 8, 0), True),
        (wib(2026, 11, 14, 10, 0), False),  # Saturday
        (wib(2026, 12, 25, 10, 0), False),  # Christmas
    ],
)
def test_is_business_time(moment: datetime, expected: bool) -> None:
    assert office().is_business_time(moment) is expected


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (wib(2026, 11, 13, 15), 8, wib(2026, 11, 16, 15)),  # Friday 15:00 -> Monday 15:00
        (wib(2026, 11, 14, 10), 8, wib(2026, 11, 16, 16)),  # Saturday -> Monday closing time
        (wib(2026, 11, 17, 6, 30), 1, wib(2026, 11, 17, 9)),  # before opening counts from 08:00
        (wib(2026, 11, 17, 20), 1, wib(2026, 11, 18, 9)),  # evening counts from the next morning
        (wib(2026, 11, 17, 10), 1.5, wib(2026, 11, 17, 11, 30)),
        (wib(2026, 12, 24, 15), 8, wib(2026, 12, 28, 15)),  # Christmas Friday and weekend skipped
    ],
)
def test_add_business_hours(start: datetime, hours: float, expected: datetime) -> None:
    due = office().add_business_hours(start, hours)
    assert due == expected
    assert due.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        office().add_business_hours(datetime(2026, 11, 13, 8), 1)


def test_business_seconds_between_skips_nights_weekends_and_holidays() -> None:
    calendar = office()
    friday, monday = wib(2026, 11, 13, 15), wib(2026, 11, 16, 9)
    assert calendar.business_seconds_between(friday, monday) == 2 * 3600
    assert calendar.business_seconds_between(monday, friday) == -2 * 3600
    christmas_eve, after_christmas = wib(2026, 12, 24, 16), wib(2026, 12, 28, 8)
    assert calendar.business_seconds_between(christmas_eve, after_christmas) == 0


def test_business_seconds_between_undoes_add_business_hours() -> None:
    calendar = office()
    start = wib(2026, 12, 23, 13, 17)
    for hours in (0.25, 3, 8, 11.5, 40, 100):
        due = calendar.add_business_hours(start, hours)
        assert calendar.business_seconds_between(start, due) == pytest.approx(hours * 3600)


def test_normal_deadlines_across_a_weekend() -> None:
    deadlines = sla_deadlines("normal", wib(2026, 11, 13, 15), POLICY, office())
    # claim: Fri 1h + Mon 7h; first contact: Fri 1h + Mon 8h + Tue 8h + Wed 7h.
    assert deadlines == SlaDeadlines(claim_due=wib(2026, 11, 16, 15), first_contact_due=wib(2026, 11, 18, 15))


def test_normal_deadlines_across_christmas() -> None:
    deadlines = sla_deadlines("normal", wib(2026, 12, 24, 15), POLICY, office())
    # claim: Thu 1h, Fri 25 Christmas, weekend, Mon 7h; contact: Thu 1h + Mon 8h + Tue 8h + Wed 7h.
    assert deadlines.claim_due == wib(2026, 12, 28, 15)
    assert deadlines.first_contact_due == wib(2026, 12, 30, 15)


def test_normal_deadlines_across_new_year_and_isra_miraj() -> None:
    deadlines = sla_deadlines("normal", wib(2026, 12, 31, 10), POLICY, office())
    # Thu 31 Dec 6h, Fri 1 Jan New Year, weekend, Mon 4 Jan 2h -> claim Monday 10:00.
    assert deadlines.claim_due == wib(2027, 1, 4, 10)
    # ... Mon 4 Jan 8h (14h), Tue 5 Jan Isra' Mi'raj, Wed 6 Jan 8h (22h), Thu 7 Jan 2h.
    assert deadlines.first_contact_due == wib(2027, 1, 7, 10)


@pytest.mark.parametrize(
    "created",
    [
        wib(2026, 12, 25, 2),  # Christmas, at night
        wib(2026, 11, 14, 23, 30),  # Saturday, late evening
        wib(2026, 11, 17, 10),  # an ordinary Tuesday morning
    ],
)
def test_urgent_deadlines_are_plain_hours_around_the_clock(created: datetime) -> None:
    deadlines = sla_deadlines("urgent", created, POLICY, office())
    assert deadlines.claim_due == created + timedelta(hours=1)
    assert deadlines.first_contact_due == created + timedelta(hours=4)


def test_urgent_on_christmas_night_in_wall_clock_time() -> None:
    deadlines = sla_deadlines("urgent", wib(2026, 12, 25, 2), POLICY, office())
    assert deadlines.claim_due.astimezone(JAKARTA).replace(tzinfo=None) == datetime(2026, 12, 25, 3)
    assert deadlines.first_contact_due.astimezone(JAKARTA).hour == 6


def test_unknown_urgency_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown urgency"):
        sla_deadlines("soon", wib(2026, 11, 17, 10), POLICY, office())


def test_sla_wording_names_the_deadline_asked_for() -> None:
    """The claim deadline says when an officer takes the request up; a promise of contact names the other."""
    assert sla_wording("urgent", POLICY, "claim") == ("sla.hours", 1)
    assert sla_wording("urgent", POLICY, "first_contact") == ("sla.hours", 4)
    assert sla_wording("normal", POLICY, "claim") == ("sla.business_days", 1)
    assert sla_wording("normal", POLICY, "first_contact") == ("sla.business_days", 3)
    assert sla_wording("normal", SlaPolicy(2, 6, 2, 5), "claim") == ("sla.business_days", 2)
    assert sla_wording("urgent", SlaPolicy(2, 6, 2, 5), "first_contact") == ("sla.hours", 6)
