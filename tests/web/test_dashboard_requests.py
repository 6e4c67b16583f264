"""The request list, the request detail and its actions, through HTTP as a staff member's browser sends it.

In-process (httpx over ASGI, with the app's lifespan), on both engines. Requests are seeded as rows so a
test controls times and fields; every action is checked on the rows it changed, not only on the answer.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from PIL import Image
from sqlmodel import Session, func, select

from bot.runtime import Runtime
from bot.services import dashboard_reads
from bot.services.claims import claim_request
from storage.casework import request_events
from storage.models import Appointment, AuditLog, CaseMessage, Request, RequestNote, StoredPhoto
from tests.helpers.chat import Chat
from tests.helpers.dashboard import LK3, client, login, seed  # noqa: F401 (client is a fixture)
from tests.helpers.images import jpeg
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
TICKET_LINK = re.compile(r'class="ticket" href="/dashboard/requests/(\d+)">([A-Z0-9-]+)<')


async def tickets(client: httpx.AsyncClient, url: str, **params: str) -> list[str]:
    page = await client.get(url, params=params)
    assert page.status_code == 200, page.text
    return [code for _id, code in TICKET_LINK.findall(page.text)]


def load(runtime: Runtime, request_id: int) -> Request:
    with Session(runtime.db) as session:
        return session.get(Request, request_id)


async def test_list_shows_only_visible_queues_and_filters(client: httpx.AsyncClient, runtime: Runtime) -> None:
    base = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    urgent = seed(runtime, created_at=base, urgency="urgent", topic="kdrt")
    normal = seed(runtime, created_at=base + timedelta(days=2), topic="perceraian")
    late = seed(runtime, created_at=base + timedelta(days=3))  # claim due 24 h later: long past
    closed = seed(runtime, created_at=base + timedelta(days=4), status="resolved")
    sighting = seed(
        runtime, created_at=base + timedelta(days=5), kind="sighting", topic=None, category="anak_jalanan", region=None
    )
    elsewhere = seed(runtime, queue="p2tp2a-kota-serang", created_at=base + timedelta(days=1))
    make_staff(runtime, "siti", queues=(LK3,))
    await login(client, "siti")

    everything = await tickets(client, "/dashboard/requests")
    assert everything == [r.ticket_code for r in (sighting, closed, late, normal, urgent)]  # newest first
    assert elsewhere.ticket_code not in everything
    assert await tickets(client, "/dashboard/requests", urgency="urgent") == [urgent.ticket_code]
    assert await tickets(client, "/dashboard/requests", topic="perceraian") == [normal.ticket_code]
    assert await tickets(client, "/dashboard/requests", category="anak_jalanan") == [sighting.ticket_code]
    assert await tickets(client, "/dashboard/requests", status="resolved") == [closed.ticket_code]
    assert closed.ticket_code not in await tickets(client, "/dashboard/requests", state="open")
    assert await tickets(client, "/dashboard/requests", region="provinsi") == [sighting.ticket_code]
    assert await tickets(client, "/dashboard/requests", date_from="2026-11-04", date_to="2026-11-05") == [
        late.ticket_code,
        normal.ticket_code,
    ]
    assert late.ticket_code in await tickets(client, "/dashboard/requests", sla="breached")
    assert closed.ticket_code not in await tickets(client, "/dashboard/requests", sla="breached")
    assert await tickets(client, "/dashboard/requests", q=normal.ticket_code.lower().replace("-", " ")) == [
        normal.ticket_code
    ]
    # a queue the counselor does not work in gives nothing, not that queue's requests
    assert await tickets(client, "/dashboard/requests", queue="p2tp2a-kota-serang") == []
    assert await tickets(client, "/dashboard/requests", q=elsewhere.ticket_code) == []


async def test_list_exports_hold_exactly_the_filtered_list(client: httpx.AsyncClient, runtime: Runtime) -> None:
    base = datetime.now(UTC) - timedelta(days=10)
    late = seed(runtime, created_at=base)  # claim was due 24 h later: breached
    closed = seed(runtime, created_at=base + timedelta(days=1), status="resolved")
    fresh = seed(runtime, created_at=datetime.now(UTC) - timedelta(hours=1), topic="perceraian")
    seed(runtime, queue="p2tp2a-kota-serang", created_at=base)
    make_staff(runtime, "siti", queues=(LK3,))
    await login(client, "siti")
    wanted = {
        "sla": ("breached",),
        "state": ("open",),
        "q": (fresh.ticket_code.lower().replace("-", " "),),
        "state+topic": ("closed", "konflik_keluarga"),
    }
    expected = {"sla": [late], "state": [fresh, late], "q": [fresh], "state+topic": [closed]}
    for name, values in wanted.items():
        params = dict(zip(name.split("+"), values))
        page = await client.get("/dashboard/requests", params=params)
        listed = [code for _id, code in TICKET_LINK.findall(page.text)]
        assert listed == [r.ticket_code for r in expected[name]], name
        for fmt in ("csv", "xlsx"):  # the page's own export links carry its filters
            link = html.unescape(re.search(rf'id="export-list-{fmt}" href="([^"]+)"', page.text).group(1))
            export = await client.get(link)
            assert export.status_code == 200, export.text
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))[1:]
            else:
                rows = list(
                    openpyxl.load_workbook(io.BytesIO(export.content))
                    .worksheets[0]
                    .iter_rows(min_row=2, values_only=True)
                )
            assert sorted(row[0] for row in rows) == sorted(listed), (name, fmt)


async def test_keyset_pages_walk_forward_and_back(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_reads, "PAGE_SIZE", 3)
    same_moment = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    seeded = [seed(runtime, created_at=same_moment + timedelta(hours=i // 2)) for i in range(8)]  # ties on created_at
    expected = [r.ticket_code for r in sorted(seeded, key=lambda r: (r.created_at, r.id), reverse=True)]
    make_staff(runtime, "siti", queues=(LK3,))
    await login(client, "siti")

    pages: list[str] = []
    url: str | None = "/dashboard/requests"
    while url:
        pages.append((await client.get(url)).text)
        url = _link(pages[-1], "next")
    codes = [[code for _id, code in TICKET_LINK.findall(page)] for page in pages]
    assert [len(c) for c in codes] == [3, 3, 2]
    assert [code for page in codes for code in page] == expected
    back = (await client.get(_link(pages[1], "prev"))).text
    assert [code for _id, code in TICKET_LINK.findall(back)] == codes[0]
    assert _link(pages[0], "prev") is None and _link(back, "prev") is None


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


async def test_detail_shows_fields_timeline_and_writes_an_audit_row(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = seed(
        runtime,
        contact=True,
        description="Suami sering marah <script>alert(1)</script>",
        phone="081234567890",
        contact_way="phone",
        contact_times="morning",
        for_whom="self",
    )
    siti = make_staff(runtime, "siti", queues=(LK3,))
    as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
    await login(client, "siti")

    page = await client.get(f"/dashboard/requests/{request.id}")
    assert page.status_code == 200
    html = page.text
    assert "081234567890" in html and "Pagi (08.00–12.00)" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Permintaan masuk ke antrean LK3 Kota Serang" in html and "Diklaim" in html  # the timeline
    with Session(runtime.db) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "view_request")).all()
        assert [(r.actor, r.target) for r in rows] == [(siti.actor, f"request:{request.id}")]


async def test_anonymous_reporter_shows_no_contact_and_pin_links_to_openstreetmap(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = seed(
        runtime,
        queue="dinsos-kota-serang",
        contact=True,
        kind="sighting",
        topic=None,
        category="gelandangan",
        anonymous=True,
        contact_way="anonymous",
        latitude=-6.1201,
        longitude=106.1503,
        landmark="depan pasar rau",
        description="tidur di emperan",
    )
    make_staff(runtime, "budi", queues=("dinsos-kota-serang",))
    await login(client, "budi")

    html = (await client.get(f"/dashboard/requests/{request.id}")).text
    assert "Pelapor anonim" in html and "tel:" not in html
    assert 'id="message-text"' not in html and 'name="date1"' not in html  # no way to contact them
    assert "depan pasar rau" in html and "tidur di emperan" in html
    assert "https://www.openstreetmap.org/?mlat=-6.120100&amp;mlon=106.150300#map=17/-6.120100/106.150300" in html


async def test_every_action_changes_the_request(client: httpx.AsyncClient, runtime: Runtime) -> None:
    request = seed(runtime, contact=True, contact_way="chat")
    siti = make_staff(runtime, "siti", queues=(LK3,))
    rina = make_staff(runtime, "rina", queues=(LK3,))
    token = await login(client, "siti")
    url = f"/dashboard/requests/{request.id}"

    async def post(action: str, **form: str) -> str:
        answer = await client.post(f"{url}/{action}", data={"csrf_token": token, **form})
        assert answer.status_code == 303, answer.text
        return (await client.get(answer.headers["location"])).text

    assert "sudah Anda klaim" in await post("claim")
    assert (load(runtime, request.id).status, load(runtime, request.id).assigned_staff_id) == ("claimed", siti.id)
    assert "Telepon dicatat" in await post("call")
    assert load(runtime, request.id).status == "in_progress"
    await post("message", text="Selamat siang, Bu.")
    tomorrow = (datetime.now(WIB) + timedelta(days=1)).date().isoformat()
    assert "2 waktu ditawarkan" in await post(
        "slots", date1=tomorrow, time1="10:00", mode1="office", date2=tomorrow, time2="13:30", mode2="phone"
    )
    with Session(runtime.db) as session:
        offered = session.exec(select(Appointment).order_by(Appointment.id)).all()
        assert [(a.starts_at.astimezone(WIB).strftime("%H:%M"), a.mode) for a in offered] == [
            ("10:00", "office"),
            ("13:30", "phone"),
        ]
        assert [(m.direction, m.text) for m in session.exec(select(CaseMessage))] == [("out", "Selamat siang, Bu.")]
    ics = await client.get(f"{url}/appointments/{offered[0].id}.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and b"BEGIN:VCALENDAR" in ics.content
    await post(f"appointments/{offered[0].id}/cancel")
    await post("note", text="Ibu minta ditelepon siang.")
    assert "tuliskan dirujuk ke mana" in await post("close", outcome="referred", note="")
    assert load(runtime, request.id).status == "in_progress"
    await post("close", outcome="referred", note="RSUD Banten, poli jiwa")
    assert (load(runtime, request.id).status, load(runtime, request.id).outcome_note) == (
        "referred",
        "RSUD Banten, poli jiwa",
    )
    await post("reopen", reason="Warga menghubungi lagi")
    assert load(runtime, request.id).status == "in_progress"
    await post("transfer", target=f"staff:{rina.id}", reason="Rina yang pegang wilayahnya")
    assert load(runtime, request.id).assigned_staff_id == rina.id
    with Session(runtime.db) as session:  # closing withdrew the offer still open
        assert [a.status for a in session.exec(select(Appointment).order_by(Appointment.id))] == [
            "cancelled",
            "cancelled",
        ]
        assert session.exec(select(RequestNote)).one().text == "Ibu minta ditelepon siang."
        kinds = [
            (e.kind, e.to_status, (e.detail or {}).get("action"))
            for e in request_events(session, request_id=request.id)
        ]
    assert kinds == [
        ("created", "new", None),
        ("status", "claimed", None),
        ("first_contact", None, None),
        ("status", "in_progress", None),
        ("appointment", None, None),
        ("status", "referred", None),
        ("status", "in_progress", "reopen"),
        ("status", "in_progress", "transfer"),
    ]


async def test_claim_lost_names_the_holder_and_release_and_queue_transfer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = seed(runtime)
    rina = make_staff(runtime, "rina", queues=(LK3,))
    make_staff(runtime, "siti", queues=(LK3,))
    as_staff(runtime, rina, claim_request, request_id=request.id, routing=runtime.routing)
    token = await login(client, "siti")
    url = f"/dashboard/requests/{request.id}"

    lost = await client.post(f"{url}/claim", data={"csrf_token": token})
    assert "Sudah diklaim lebih dulu oleh Rina" in (await client.get(lost.headers["location"])).text
    refused = await client.post(f"{url}/release", data={"csrf_token": token, "reason": "bukan saya"})
    assert refused.status_code == 403 and "Tiket ini sedang ditangani Rina" in refused.text
    assert load(runtime, request.id).assigned_staff_id == rina.id  # only the holder, told why (she can see it)

    other = seed(runtime)
    await client.post(f"/dashboard/requests/{other.id}/claim", data={"csrf_token": token})
    nothing = await client.post(f"/dashboard/requests/{other.id}/release", data={"csrf_token": token, "reason": " "})
    assert "Tuliskan alasannya" in (await client.get(nothing.headers["location"])).text
    await client.post(f"/dashboard/requests/{other.id}/release", data={"csrf_token": token, "reason": "cuti"})
    assert (load(runtime, other.id).status, load(runtime, other.id).assigned_staff_id) == ("new", None)
    moved = await client.post(
        f"/dashboard/requests/{other.id}/transfer",
        data={"csrf_token": token, "target": "queue:p2tp2a-kota-serang", "reason": "ada kekerasan"},
    )
    assert moved.headers["location"] == "/dashboard/requests"  # no longer hers to see
    assert load(runtime, other.id).queue_code == "p2tp2a-kota-serang"


async def test_post_without_csrf_token_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = seed(runtime)
    make_staff(runtime, "siti", queues=(LK3,))
    await login(client, "siti")
    for data in ({}, {"csrf_token": "forged"}):
        answer = await client.post(f"/dashboard/requests/{request.id}/claim", data=data)
        assert answer.status_code == 403
    assert (load(runtime, request.id).status, load(runtime, request.id).assigned_staff_id) == ("new", None)


async def test_counselor_of_another_queue_gets_not_found(client: httpx.AsyncClient, runtime: Runtime) -> None:
    request = seed(runtime, contact=True, description="rahasia keluarga")
    make_staff(runtime, "lebak", queues=("lk3-kab-lebak",))
    token = await login(client, "lebak")

    missing = await client.get("/dashboard/requests/999999")
    for path in ("", "/photos/0", "/appointments/1.ics"):
        answer = await client.get(f"/dashboard/requests/{request.id}{path}")
        assert answer.status_code == 404 and answer.text == missing.text  # the same as a request that does not exist
    for action in ("claim", "call", "note"):
        answer = await client.post(
            f"/dashboard/requests/{request.id}/{action}", data={"csrf_token": token, "text": "x"}
        )
        assert answer.status_code == 404
    assert load(runtime, request.id).status == "new"
    with Session(runtime.db) as session:
        assert session.exec(select(func.count()).select_from(RequestNote)).one() == 0
        assert (
            session.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "view_request")).one() == 0
        )


async def test_overview_counts_open_urgent_breached_and_todays_appointments(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    late = seed(runtime, created_at=datetime.now(UTC) - timedelta(days=3), urgency="urgent")
    seed(runtime)
    seed(runtime, status="resolved")
    make_staff(runtime, "siti", queues=(LK3,))
    await login(client, "siti")
    html = (await client.get("/dashboard")).text
    row = html.split(f'data-queue="{LK3}"')[1].split("</li>")[0]
    figures = [re.search(rf'class="{name}">(\d+)<', row).group(1) for name in ("open", "urgent", "breached")]
    assert figures == ["2", "1", "1"]
    breaches = html.split('id="breaches"')[1].split("</section>")[0]
    assert late.ticket_code in breaches
    assert "Tidak ada janji temu hari ini" in html


async def test_a_photo_is_served_from_the_database_and_each_view_is_audited(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """As stored when it arrived: no platform is asked on view (none is configured here)."""
    citizen = Chat(runtime.engine)
    citizen.start()
    for step in ("menu:lapor", "pengemis", "reg:kota-serang", "kasemen", "depan pasar rau", "Bapak tua mengemis"):
        citizen.press(step) if ":" in step else citizen.send(step)
    citizen.photo(jpeg(orientation=6))
    for press in ("photo:done", "contact:anonymous", "consent:yes", "confirm:send"):
        citizen.press(press)
    with Session(runtime.db) as session:
        sent = session.exec(select(Request)).one()
        stored = session.exec(select(StoredPhoto)).one()
    legacy = seed(
        runtime,
        queue="dinsos-kota-serang",
        contact=True,
        kind="sighting",
        topic=None,
        category="pengemis",
        photo_refs=["AgAD-photo"],
    )  # a Telegram file id kept before 0011
    make_staff(runtime, "budi", queues=("dinsos-kota-serang",))
    await login(client, "budi")
    assert f'href="/dashboard/requests/{sent.id}/photos/0"' in (await client.get(f"/dashboard/requests/{sent.id}")).text
    photo = await client.get(f"/dashboard/requests/{sent.id}/photos/0")
    assert photo.status_code == 200 and photo.content == stored.data
    assert photo.headers["content-type"] == "image/jpeg" and photo.headers["cache-control"] == "private, no-store"
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.size == (48, 64) and not image.getexif()  # upright, without the camera's EXIF
    assert (await client.get(f"/dashboard/requests/{sent.id}/photos/1")).status_code == 404
    missing = await client.get(f"/dashboard/requests/{legacy.id}/photos/0")
    assert missing.status_code == 404 and "Foto tidak tersedia" in missing.text
    with Session(runtime.db) as session:
        views = session.exec(select(AuditLog).where(AuditLog.action == "view_photo")).all()
        assert [v.target for v in views] == [f"request:{sent.id}", f"request:{legacy.id}"]
