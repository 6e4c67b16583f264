"""When a message may reach a citizen: never in quiet hours, and within the times they chose.

Quiet hours (21:00-06:00 WIB) protect sleep and, for people at risk, privacy at home. Contact times
come from the counseling form ("morning", "afternoon", "evening", "anytime"); the urgent form also offers
"now" ("Sekarang aman"): the citizen said contact is safe now, so nothing about that request waits.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_START = time(21, 0)
QUIET_END = time(6, 0)

#: "Sekarang aman": the citizen of an urgent request said contact is safe now, at any hour.
SAFE_NOW = "now"

#: The local windows each contact-time choice allows, [start, end).
WINDOWS: dict[str, tuple[time, time]] = {
    "morning": (time(8, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(16, 0)),
    "evening": (time(16, 0), time(20, 0)),
    "anytime": (QUIET_END, QUIET_START),
}


def chosen_times(request_times: str | None, contact_times: str | None) -> str | None:
    """The times that govern messages about a request: the request's own choice, else the contact's last one."""
    return request_times or contact_times


def next_safe_time(
    moment: datetime, request_times: str | None, contact_times: str | None, tz: ZoneInfo
) -> datetime | None:
    """When a message about the request may next reach its citizen (`moment` when now); None: no time chosen.

    What staff see (dashboard, Telegram case card), by the same rule the scheduler waits by.
    """
    times = chosen_times(request_times, contact_times)
    return None if times is None else next_allowed_time(moment, times, tz)


def next_update_time(
    moment: datetime, *, urgent: bool, request_times: str | None, contact_times: str | None, tz: ZoneInfo
) -> datetime:
    """When a message sent unasked (an update, a counselor's message) may go: `moment` when now.

    An urgent request's goes at once unless its citizen chose a time; every other waits out quiet hours
    and the chosen times. The scheduler waits by this rule, and the request page says when a message goes.
    """
    times = chosen_times(request_times, contact_times)
    return moment if urgent and times is None else next_allowed_time(moment, times, tz)


def allowed_window(contact_times: str | None) -> tuple[time, time]:
    """The daily window for a contact; unknown or missing choices mean outside quiet hours."""
    return WINDOWS.get(contact_times or "anytime", WINDOWS["anytime"])


def next_allowed_time(moment: datetime, contact_times: str | None, tz: ZoneInfo) -> datetime:
    """`moment` itself when a message may go now, else the start of the next allowed window (UTC)."""
    if contact_times == SAFE_NOW:
        return moment
    start, end = allowed_window(contact_times)
    local = moment.astimezone(tz)
    if start <= local.time() < end:
        return moment
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=tz).astimezone(moment.tzinfo)
