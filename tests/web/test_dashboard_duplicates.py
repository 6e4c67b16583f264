"""Possible duplicate sightings on the dashboard: the list's marker, the detail's side list, merging by form."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session

from bot.runtime import Runtime
from storage.casework import request_events
from storage.models import Request
from tests.helpers.dashboard import client, login, seed  # noqa: F401 (client is a fixture)
from tests.helpers.staff import make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
DINSOS = "dinsos-kota-serang"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)


def sighting(runtime: Runtime, *, hours: float, queue: str = DINSOS, north_m: float = 0) -> Request:
    return seed(
        runtime,
        queue=queue,
        created_at=T0 + timedelta(hours=hours),
        contact=True,
        kind="sighting",
        topic=None,
        category="pengemis",
        kecamatan_code="4015",
        latitude=-6.12 + north_m / 111_195,
        longitude=106.15,
    )


def merge_section(html: str) -> str:
    start = html.index('id="duplicates"')
    return html[start : html.index("</section>", start)]


async def test_duplicates_are_marked_shown_side_by_side_and_merged(client: httpx.AsyncClient, runtime: Runtime) -> None:
    earlier, newer = sighting(runtime, hours=0), sighting(runtime, hours=3, north_m=120)
    alone = sighting(runtime, hours=4, north_m=2000)
    make_staff(runtime, "andi", queues=(DINSOS,))
    token = await login(client, "andi")

    listing = (await client.get("/dashboard/requests")).text
    marked = {
        code
        for code in (earlier.ticket_code, newer.ticket_code, alone.ticket_code)
        if "Mungkin ganda" in listing.split(f">{code}<", 1)[1].split("</li>", 1)[0]
    }
    assert marked == {earlier.ticket_code, newer.ticket_code}

    side = merge_section((await client.get(f"/dashboard/requests/{newer.id}")).text)
    assert earlier.ticket_code in side and alone.ticket_code not in side and "120 m dari laporan ini" in side
    assert f"Gabungkan {newer.ticket_code} ke {earlier.ticket_code}" in side
    assert f'action="/dashboard/requests/{newer.id}/merge"' in side and f'name="into" value="{earlier.id}"' in side

    merged = await client.post(
        f"/dashboard/requests/{newer.id}/merge", data={"csrf_token": token, "into": str(earlier.id)}
    )
    assert f"Laporan digabung ke {earlier.ticket_code}" in (await client.get(merged.headers["location"])).text
    with Session(runtime.db) as session:
        assert (session.get(Request, newer.id).status, session.get(Request, newer.id).merged_into_id) == (
            "cancelled",
            earlier.id,
        )
        assert [e.kind for e in request_events(session, request_id=earlier.id)] == ["created", "merge"]
    survivor = (await client.get(f"/dashboard/requests/{earlier.id}")).text
    assert "Laporan yang digabung ke sini:" in survivor and f"Laporan {newer.ticket_code} digabung ke sini" in survivor
    assert "Mungkin ganda" not in (await client.get("/dashboard/requests")).text  # a merged one is no candidate
    page = (await client.get(f"/dashboard/requests/{newer.id}")).text
    assert f"Digabung ke {earlier.ticket_code}" in page and "Laporan ini sudah digabung ke" in page
    assert f"/dashboard/requests/{newer.id}/reopen" not in page  # carried on in the survivor, not reopened


async def test_merge_needs_access_to_both(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """A request of a queue the counselor does not work in is neither shown beside nor a merge target."""
    hidden, newer = sighting(runtime, hours=0, queue="lk3-kota-serang"), sighting(runtime, hours=1)
    make_staff(runtime, "andi", queues=(DINSOS,))
    token = await login(client, "andi")
    assert 'id="duplicates"' not in (await client.get(f"/dashboard/requests/{newer.id}")).text
    refused = await client.post(
        f"/dashboard/requests/{newer.id}/merge", data={"csrf_token": token, "into": str(hidden.id)}
    )
    assert refused.status_code == 404
    with Session(runtime.db) as session:
        assert session.get(Request, newer.id).merged_into_id is None and session.get(Request, newer.id).status == "new"
