"""Requests at chosen moments, through the real intake and case-work services, for report tests.

Why not the chat helper: report fixtures need many requests at exact times in several regions; going
through `submit_request` (the service the engine calls at the end of a form) keeps routing, SLA
deadlines and the "created" event real while skipping the questions.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
import time_machine
from fastapi import FastAPI
from sqlmodel import Session, select

from bot.app import create_app
from bot.domain.regions import load_regions
from bot.flows.base import FlowContext, SubmitRequest
from bot.runtime import Runtime
from bot.services.access import StaffView
from bot.services.intake import submit_request
from storage.contacts import get_or_create_contact
from storage.models import Request
from tests.helpers.dashboard import login
from tests.helpers.staff import as_staff

T = TypeVar("T")
_citizens = itertools.count(1)


def submit(
    runtime: Runtime,
    *,
    at: datetime,
    region: str | None,
    kind: str = "counseling",
    category: str | None = None,
    topic: str = "konflik_keluarga",
    kecamatan: str | None = None,
    description: str = "perlu bantuan",
    landmark: str = "dekat masjid",
    phone: str | None = None,
    danger: bool = False,
    pin: tuple[float, float] | None = (-6.12, 106.15),
    contact_time: str = "anytime",
) -> Request:
    """Submit one request at `at` as a new web chat citizen; returns the stored request. `pin`: a sighting's GPS;
    `contact_time` a counseling request's safe time ("now": "Sekarang aman", nothing waits)."""
    if kind == "sighting":
        answers: dict[str, Any] = {
            "category": category,
            "region": region,
            "kecamatan": kecamatan,
            "description": description,
            "place": {"landmark": landmark, **({"latitude": pin[0], "longitude": pin[1]} if pin else {})},
            "contact_mode": "phone" if phone else "anonymous",
            "phone": phone,
            "consent": True,
        }
    else:
        answers = {
            "topic": topic,
            "region": region,
            "for_whom": "self",
            "contact_way": "chat",
            "contact_time": contact_time,
            "story": description,
            "consent": True,
            "phone": phone,
        }
    ctx = FlowContext("id", runtime.catalog, load_regions(), runtime.settings.emergency_numbers)
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        contact = get_or_create_contact(
            session, channel="webchat", platform_user_id=f"report-{next(_citizens)}", language="id", now=at
        )
        submit_request(
            session,
            contact=contact,
            effect=SubmitRequest(kind, answers, danger),
            routing=runtime.routing,
            ctx=ctx,
            renderer=runtime.renderer,
            now=at,
        )
        session.flush()
        return session.exec(select(Request).where(Request.contact_id == contact.id)).one()


def act(runtime: Runtime, view: StaffView, at: datetime, action: Callable[..., T], **kwargs: object) -> T:
    """Run a case-work service as `view` at the moment `at` (the services read the clock through `now`)."""
    with time_machine.travel(at, tick=False):
        return as_staff(runtime, view, action, **kwargs)


def report_app(runtime: Runtime) -> FastAPI:
    """The app as served: report pages, exports and API included."""
    return create_app(runtime=runtime)


def dashboard_page(runtime: Runtime, username: str, path: str) -> str:
    """A dashboard page as `username`'s browser gets it after logging in, for tests that are not async."""

    async def fetch() -> str:
        transport = httpx.ASGITransport(app=report_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await login(client, username)
            page = await client.get(path)
            assert page.status_code == 200, page.status_code
            return page.text

    return asyncio.run(fetch())
