"""One-time notices after a form POST (post/redirect/get), and rendering pages that show them.

A POST answers with a 303 redirect so a reload never repeats the action; what happened is carried to the
next page in the signed session cookie as a catalog key with parameters, never as finished text, and
taken out when shown. Secrets (a generated password, a link code) never go this way: the cookie is
signed, not encrypted, so those are rendered straight into the POST's answer instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from bot.runtime import Runtime
from bot.services.access import StaffView
from bot.web.dashboard.deps import render, staff_text


def flash(request: Request, key: str, *, error: bool = False, **params: str) -> None:
    """Remember a notice for the next page: a catalog key and its (string) parameters."""
    request.session["flash"] = {"kind": "error" if error else "ok", "key": key, "params": params}


def redirect_with(request: Request, url: str, key: str, *, error: bool = False, **params: str) -> RedirectResponse:
    flash(request, key, error=error, **params)
    return RedirectResponse(url, status_code=303)


def render_page(
    runtime: Runtime,
    request: Request,
    staff: StaffView,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    """Render a dashboard page for `staff`, with the pending notice (shown once) if there is one."""
    notice = request.session.pop("flash", None)
    now = datetime.now(UTC)

    def left(deadline: datetime | None) -> str:
        return time_left(deadline, now, partial(staff_text, runtime))

    base = {"staff": staff, "flash": notice, "now": now, "left": left}
    return render(runtime, request, template, {**base, **context}, status_code=status_code)


def time_left(deadline: datetime | None, now: datetime, t: Callable[..., str]) -> str:
    """ "3 j 20 mnt lagi" before a deadline, "lewat 2 hr 1 j" after it: what a counselor scans for."""
    if deadline is None:
        return ""
    minutes = int(abs((deadline - now).total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        span = t("dash_requests.dur_days", d=str(days), h=str(hours))
    elif hours:
        span = t("dash_requests.dur_hours", h=str(hours), m=str(mins))
    else:
        span = t("dash_requests.dur_minutes", m=str(mins))
    return t("dash_requests.time_left" if deadline >= now else "dash_requests.time_over", time=span)


def not_found(runtime: Runtime, request: Request, staff: StaffView) -> Response:
    """The same answer for "no such request" and "not yours": another queue's request is never revealed."""
    return render_page(runtime, request, staff, "dashboard/requests_not_found.html", {}, status_code=404)
