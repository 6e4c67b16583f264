"""A counseling request from the citizen's first Telegram message to closing, worked from the dashboard.

The citizen talks to the real TelegramChannel (webhook mode) against the fake Bot API; the counselor
uses the dashboard over HTTP with its CSRF tokens, as a phone's browser would. Scheduled updates run
through the real due-work runner at controlled times, and what reaches the citizen is what the fake
server received. The request's events must give the time to claim and the time to first contact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlmodel import Session, select

from bot.app import create_app
from bot.config import Settings
from bot.runtime import Runtime
from storage.casework import request_events
from storage.models import Appointment, CaseMessage, DueWork, Request, RequestNote
from tests.helpers.chat import TICKET
from tests.helpers.dashboard import login
from tests.helpers.fake_bot_api import FakeBotApi, fake  # noqa: F401 (fake is a fixture)
from tests.helpers.staff import make_staff
from tests.helpers.telegram_chat import TelegramCitizen, telegram_line, telegram_settings

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a Tuesday, within office hours


@pytest.fixture
def settings(database_url: str, fake: FakeBotApi) -> Settings:
    """The citizen's side runs the Telegram channel in webhook mode against the fake Bot API."""
    return telegram_settings(database_url, fake, webhook=True)


@pytest.fixture
async def dashboard(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The dashboard as served, without the app's lifespan: the test starts the channel and runs due work."""
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def act(dashboard: httpx.AsyncClient, url: str, **form: str) -> str:
    """Submit one action form; the page the redirect leads to, with its notice."""
    answer = await dashboard.post(url, data=form)
    assert answer.status_code == 303, answer.text
    return (await dashboard.get(answer.headers["location"])).text


async def test_counseling_journey_over_telegram_and_the_dashboard(
    runtime: Runtime, fake: FakeBotApi, dashboard: httpx.AsyncClient
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        async with telegram_line(runtime, fake) as line:
            citizen = TelegramCitizen(line)
            await citizen.send("/konseling")
            for choice in ("topic:konflik_keluarga", "reg:kota-serang", "whom:self", "way:chat", "time:anytime"):
                await citizen.press(choice)
            await citizen.send("Kami sering bertengkar soal keuangan")
            await citizen.press("consent:yes")
            code = TICKET.search((await citizen.press("confirm:send"))[0]).group(1)
            with Session(runtime.db) as session:
                request = session.exec(select(Request).where(Request.ticket_code == code)).one()
            url = f"/dashboard/requests/{request.id}"

            make_staff(runtime, "siti", queues=("lk3-kota-serang",))
            token = await login(dashboard, "siti")
            assert code in (await dashboard.get("/dashboard/requests")).text

            clock.shift(timedelta(minutes=30))
            assert "Permintaan sudah Anda klaim." in await act(dashboard, f"{url}/claim", csrf_token=token)
            runtime.due_work.run_due()
            assert any(f"tiket {code} sudah ditangani petugas" in text for text in await citizen.deliver())

            clock.shift(timedelta(minutes=15))
            await act(dashboard, f"{url}/message", csrf_token=token, text="Selamat pagi, bisa bicara besok?")
            runtime.due_work.run_due()
            assert any("Selamat pagi, bisa bicara besok?" in text for text in await citizen.deliver())
            assert f"diteruskan ke petugas (tiket {code})" in (await citizen.send("Bisa bu, siang saja"))[0]
            assert "Bisa bu, siang saja" in (await dashboard.get(url)).text

            await act(
                dashboard,
                f"{url}/slots",
                csrf_token=token,
                date1="2026-11-25",
                time1="13:00",
                mode1="office",
                date2="2026-11-25",
                time2="14:00",
                mode2="phone",
            )
            runtime.due_work.run_due()
            assert any("menawarkan waktu" in text for text in await citizen.deliver())
            with Session(runtime.db) as session:
                slots = session.exec(select(Appointment).order_by(Appointment.starts_at)).all()
            picked = await citizen.press(f"appt:{slots[1].id}")
            assert "Janji temu dikonfirmasi: Rabu, 25 Nov 2026 14.00 WIB, lewat telepon" in picked[0]
            with Session(runtime.db) as session:  # reminders 24 h and 2 h before, to the citizen
                reminders = session.exec(
                    select(DueWork).where(DueWork.dedupe_key.like(f"reminder:{slots[1].id}:%"))
                ).all()
                assert sorted((r.due_at.astimezone(WIB), r.contact_id) for r in reminders) == [
                    (datetime(2026, 11, 24, 14, 0, tzinfo=WIB), request.contact_id),
                    (datetime(2026, 11, 25, 12, 0, tzinfo=WIB), request.contact_id),
                ]

            await act(dashboard, f"{url}/note", csrf_token=token, text="Ibu minta ditelepon siang.")
            clock.shift(timedelta(days=2))
            token = await login(dashboard, "siti")  # a new working day, a new dashboard session
            page = await act(dashboard, f"{url}/close", csrf_token=token, outcome="resolved", note="Sudah dikonseling")
            assert "Ibu minta ditelepon siang." in page and "Ditutup: selesai" in page
            runtime.due_work.run_due()
            assert any(f"tiket {code} sudah selesai ditangani" in text for text in await citizen.deliver())

    with Session(runtime.db) as session:
        events = request_events(session, request_id=request.id)
        created = next(e.at for e in events if e.kind == "created")
        claim = next(e.at for e in events if e.to_status == "claimed")
        first_contact = next(e.at for e in events if e.kind == "first_contact")
        assert (claim - created, first_contact - created) == (timedelta(minutes=30), timedelta(minutes=45))
        assert [e.to_status for e in events if e.kind == "status"] == ["claimed", "in_progress", "resolved"]
        assert [a.status for a in session.exec(select(Appointment).order_by(Appointment.starts_at))] == [
            "withdrawn",
            "confirmed",
        ]
        assert [m.direction for m in session.exec(select(CaseMessage).order_by(CaseMessage.id))] == ["out", "in"]
        assert session.exec(select(RequestNote)).one().text == "Ibu minta ditelepon siang."
        assert session.get(Request, request.id).status == "resolved"
