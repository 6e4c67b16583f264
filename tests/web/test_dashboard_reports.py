"""Report pages, exports and the JSON API over HTTP, on both engines.

Fixture: in Kota Serang a sighting (description that looks like a spreadsheet formula, phone, landmark,
kecamatan Kasemen) and a counseling request claimed 30 minutes after it came in; in Kabupaten Lebak one
sighting that the Kota Serang coordinator must not see. All created on a Monday morning; every test runs the
next morning (`NOW`), when the claim still holds: it lapses two business days after it was made, and the
service's scheduler, running in the app's lifespan, would return it to the queue if the real clock were used.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import openpyxl
import pytest
import time_machine
from sqlmodel import Session, select

from bot.cli.tokens import add_token_commands, run_token_command
from bot.config import Settings
from bot.runtime import Runtime
from bot.services.claims import claim_request
from bot.services.privacy import erase_contact_data
from bot.web.dashboard.reports import duration
from storage.models import AuditLog, Contact, Request
from tests.helpers.dashboard import login
from tests.helpers.reports import act, report_app, submit
from tests.helpers.staff import make_staff

pytestmark = pytest.mark.clock(sql=True)  # dates pass through SQL too: tests/pinned_moments.py

FORMULA = '=HYPERLINK("http://contoh.invalid","klik")'
CREATED = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)  # Monday 10:00 WIB
NOW = CREATED + timedelta(days=1)
KASEMEN = "4017"
NIK = "3673011208850003"  # Kota Serang (3673), born 12-08-1985


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def cases(runtime: Runtime) -> dict[str, object]:
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    make_staff(runtime, "wati", queues=("lk3-kota-serang",))  # holds nothing: listed as free
    make_staff(runtime, "koord", role="coordinator", region="kota-serang")
    make_staff(runtime, "admin2", role="admin")
    sighting = submit(
        runtime,
        at=CREATED,
        kind="sighting",
        region="kota-serang",
        category="anak_jalanan",
        description=FORMULA,
        landmark="@pasar rau",
        phone="+6281234567890",
        kecamatan=KASEMEN,
    )
    counseling = submit(runtime, at=CREATED, region="kota-serang", topic="konflik_keluarga")
    act(
        runtime, siti, CREATED + timedelta(minutes=30), claim_request, request_id=counseling.id, routing=runtime.routing
    )
    submit(runtime, at=CREATED, kind="sighting", region="kab-lebak", category="lansia_telantar")
    return {"sighting": sighting, "counseling": counseling}


@pytest.fixture
async def client(runtime: Runtime, cases: dict) -> AsyncIterator[httpx.AsyncClient]:
    app = report_app(runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def _book(response: httpx.Response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _sheet(response: httpx.Response) -> list[tuple]:
    return list(_book(response).worksheets[0].iter_rows(values_only=True))


def _words(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _exports(runtime: Runtime) -> list[AuditLog]:
    with Session(runtime.db) as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id)))


async def test_metrics_page_for_a_coordinator(client: httpx.AsyncClient) -> None:
    await login(client, "koord")
    page = await client.get("/dashboard/metrics")
    assert page.status_code == 200
    html = page.text
    assert "Waktu respons dan kepatuhan SLA" in html and "<svg" in html
    assert "LK3 Kota Serang" in html and "Dinas Sosial Kota Serang" in html
    assert "30 menit / 30 menit" in _words(html)  # claimed after 30 minutes: not "0,5" hours
    assert 'id="export-bnba"' in html
    assert "Kabupaten Lebak" not in html.split('id="by-queue"')[1].split("</section>")[0]
    assert 'id="definitions"' in html and "klaim PERTAMA" in html
    overall = html.split('id="overall"')[1].split("</section>")[0]
    assert '<td class="num">2</td>' in overall  # Lebak's sighting is not in this coordinator's queues


async def test_closed_weeks_from_stored_sketches_are_marked_approximate(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request two weeks back is read from its week's stored sketch: its figures say ≈ and by how much."""
    monkeypatch.setattr("bot.services.closed_weeks.SKETCH_FROM", 0)  # a province's worth of requests, for this test
    earlier = submit(runtime, at=CREATED - timedelta(weeks=2), region="kota-serang", topic="pengasuhan_anak")
    siti = make_staff(runtime, "siti2", queues=("lk3-kota-serang",))
    act(
        runtime,
        siti,
        CREATED - timedelta(weeks=2) + timedelta(hours=3.5),
        claim_request,
        request_id=earlier.id,
        routing=runtime.routing,
    )
    await login(client, "koord")
    html = (await client.get("/dashboard/metrics")).text
    overall = _words(html.split('id="overall"')[1].split("</section>")[0])
    # Claims after 30 minutes and 3.5 hours: median 2 hours, p90 3.2 hours, each within 1 %; counts exact.
    assert "Semua permintaan 3 ≈ 2,0 jam / ≈ 3,2 jam" in overall
    assert "selisihnya paling banyak 1 % dari nilai sebenarnya" in overall
    by_week = _words(html.split('id="by-week"')[1].split("</section>")[0])
    assert "2026-W45 (02-11) 1 ≈ 3,5 jam / ≈ 3,5 jam" in by_week
    assert "2026-W47 (16-11) 2 30 menit / 30 menit" in by_week  # this week: exact, unmarked
    # Exports stay exact: no stored weeks behind them.
    exported = (await client.get("/dashboard/exports/metrics.csv")).content.decode("utf-8-sig")
    assert "≈" not in exported


async def test_a_mistyped_year_is_named_and_the_default_range_used(client: httpx.AsyncClient) -> None:
    """0202 for 2025: not eighteen centuries of business calendar, but a note and the last twelve weeks."""
    await login(client, "koord")
    page = await client.get("/dashboard/metrics", params={"date_from": "0202-01-01"})
    assert page.status_code == 200
    assert "Saringan tidak dikenal diabaikan: date_from." in page.text
    assert "30 menit / 30 menit" in _words(page.text)  # the fixture's figures, from the default range


async def test_counselor_sees_only_their_queue(client: httpx.AsyncClient) -> None:
    await login(client, "siti")
    html = (await client.get("/dashboard/metrics")).text
    by_queue = html.split('id="by-queue"')[1].split("</section>")[0]
    assert "LK3 Kota Serang" in by_queue and "Dinas Sosial Kota Serang" not in by_queue
    assert '<option value="dinsos-kota-serang"' not in html
    # asking for another queue's figures gives none, not that queue's
    other = (await client.get("/dashboard/metrics", params={"queue": "dinsos-kota-serang"})).text
    assert '<td class="num">0</td>' in other.split('id="overall"')[1].split("</section>")[0]


async def test_login_is_required(client: httpx.AsyncClient) -> None:
    for path in ("/dashboard/metrics", "/dashboard/workload", "/dashboard/exports/requests.xlsx"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_workload_map_and_needs_pages(client: httpx.AsyncClient) -> None:
    await login(client, "koord")
    workload = (await client.get("/dashboard/workload")).text
    counselors = workload.split('id="counselors"')[1].split("</section>")[0]
    assert counselors.index("Siti") < counselors.index("Wati")  # the busiest first, the free one listed too
    assert "Dinas Sosial Kota Serang" in workload.split('id="unclaimed"')[1]
    heat = (await client.get("/dashboard/map")).text
    assert "Kota Serang <small>(1 laporan)</small>" in heat
    # a coordinator sees only the regions their reports come from
    assert "Kabupaten Pandeglang" not in heat.split('id="heat-grid"')[1]
    needs = (await client.get("/dashboard/needs", params={"region": "kab-lebak"})).text
    assert "Kebutuhan layanan panti sosial" in needs  # Lebak is outside this coordinator's queues:
    assert "Kabupaten Lebak" not in needs.split('id="needs"')[1].split("<tfoot>")[0]


async def test_request_exports_with_formula_guard_and_audit(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await login(client, "koord")
    sheet = _book(await client.get("/dashboard/exports/requests.xlsx", params={"kind": "sighting"})).worksheets[0]
    header, (row,) = [c.value for c in sheet[1]], list(sheet.iter_rows(min_row=2))
    assert header[:3] == ["Kode tiket", "Jenis", "Kategori/topik"] and "Keterangan" in header
    record = dict(zip(header, row))
    # As written, with no apostrophe, yet text that Excel never runs (what Excel itself stores for '=...).
    assert record["Keterangan"].value == FORMULA and record["Patokan"].value == "@pasar rau"
    assert record["Keterangan"].data_type == "s" and record["Keterangan"].quotePrefix
    assert record["Telepon"].value == "+6281234567890"
    record = {name: cell.value for name, cell in record.items()}
    created = CREATED.astimezone(runtime.settings.tz).replace(tzinfo=None)
    assert record["Dibuat (WIB)"] == created  # a real date, in WIB
    response = await client.get("/dashboard/exports/requests.csv")
    assert response.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(table) == 3 and "'" + FORMULA in table[1] + table[2]
    audits = _exports(runtime)
    assert [(a.target, a.detail["rows"], a.detail["personal"]) for a in audits] == [
        ("requests.xlsx", 1, True),
        ("requests.csv", 2, True),
    ]
    assert audits[0].detail["filters"]["kind"] == "sighting" and audits[0].actor.startswith("staff:")


async def test_counselor_exports_carry_no_personal_fields(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await login(client, "siti")
    rows = _sheet(await client.get("/dashboard/exports/requests.xlsx"))
    assert len(rows) == 2 and not {"Telepon", "Keterangan", "Patokan", "Lintang"} & set(rows[0])
    assert _exports(runtime)[-1].detail["personal"] is False
    refused = await client.get("/dashboard/exports/bnba.xlsx")
    assert refused.status_code == 403 and "hanya untuk koordinator dan admin" in refused.text
    assert [a.target for a in _exports(runtime)] == ["requests.xlsx"]  # nothing went out
    assert 'id="export-bnba"' not in (await client.get("/dashboard/metrics")).text
    assert 'id="export-list-bnba"' not in (await client.get("/dashboard/requests")).text


async def test_bnba_lists_the_person_staff_recorded(client: httpx.AsyncClient, runtime: Runtime, cases: dict) -> None:
    sighting = cases["sighting"]
    token = await login(client, "koord")
    assert 'id="export-list-bnba"' in (await client.get("/dashboard/requests")).text
    rows = _sheet(await client.get("/dashboard/exports/bnba.xlsx", params={"region": "kota-serang"}))
    assert rows[0] == (
        "No",
        "Nama",
        "NIK",
        "Alamat",
        "Kecamatan",
        "Kabupaten/Kota",
        "Lintang",
        "Bujur",
        "Kategori PMKS",
        "Tanggal laporan (WIB)",
        "Status",
        "Kode tiket",
    )
    # Nobody recorded a name yet: empty cells to fill in; the landmark reads as an address, the pin apart.
    assert rows[1][:8] == (
        1,
        None,
        None,
        "@pasar rau, Kec. Kasemen, Kota Serang",
        "Kasemen",
        "Kota Serang",
        -6.12,
        106.15,
    )
    assert rows[1][8] == "Anak jalanan" and isinstance(rows[1][9], datetime) and len(rows) == 2  # sightings only

    form = f"/dashboard/requests/{sighting.id}/person"
    typo = await client.post(form, data={"csrf_token": token, "name": "Budi", "nik": "367301120885003"})  # 15 digits
    assert typo.status_code == 303
    page = (await client.get(f"/dashboard/requests/{sighting.id}")).text
    assert "NIK harus 16 angka" in page and 'id="person"' in page
    await client.post(
        form,
        data={
            "csrf_token": token,
            "name": " Budi  Santoso ",
            "nik": "3673 0112 0885 0003",
            "address": "Kp. Sukajadi RT 02/RW 03, Kasemen",
        },
    )
    page = _words((await client.get(f"/dashboard/requests/{sighting.id}")).text)
    assert "Data orang yang dilaporkan sudah disimpan." in page and "Budi Santoso" in page
    rows = _sheet(await client.get("/dashboard/exports/bnba.xlsx", params={"region": "kota-serang"}))
    assert rows[1][1:4] == ("Budi Santoso", NIK, "Kp. Sukajadi RT 02/RW 03, Kasemen")  # the NIK as text, all 16 digits
    with Session(runtime.db) as session:
        edits = session.exec(select(AuditLog).where(AuditLog.action == "edit_person")).all()
        assert [(e.target, e.detail) for e in edits] == [
            (f"request:{sighting.id}", {"fields": ["name", "nik", "address"]})
        ]  # which fields, never their values
        contact = session.get(Contact, sighting.contact_id)
        stored = (
            session.connection()
            .exec_driver_sql(f"SELECT person_name, person_nik, person_address FROM request WHERE id = {sighting.id}")
            .one()
        )
        assert not any(word in " ".join(stored) for word in ("Budi", NIK, "Sukajadi"))  # Fernet tokens at rest
    with Session(runtime.db) as session, session.begin():  # the reporter erases their data (/hapusdata)
        erase_contact_data(session, contact=session.get(Contact, contact.id), now=NOW)
    with Session(runtime.db) as session:
        erased = session.get(Request, sighting.id)
        assert (erased.person_name, erased.person_nik, erased.person_address) == (None, None, None)
    rows = _sheet(await client.get("/dashboard/exports/bnba.xlsx", params={"region": "kota-serang"}))
    assert rows[1][1:4] == (None, None, "Kec. Kasemen, Kota Serang")
    await client.post(form, data={"csrf_token": token, "name": "Budi"})
    assert "sudah dihapus" in (await client.get(f"/dashboard/requests/{sighting.id}")).text


async def test_only_the_holder_or_a_coordinator_records_the_person(
    client: httpx.AsyncClient, runtime: Runtime, cases: dict
) -> None:
    make_staff(runtime, "andi", queues=("dinsos-kota-serang",))  # sees the sighting, does not hold it
    token = await login(client, "andi")
    page = f"/dashboard/requests/{cases['sighting'].id}"
    html = (await client.get(page)).text
    assert 'id="person"' in html and f"{page}/person" not in html  # shown, no form
    await client.post(f"{page}/person", data={"csrf_token": token, "name": "X"})
    assert "Hanya petugas yang memegang laporan ini" in (await client.get(page)).text


async def test_cuti_bersama_is_not_a_working_day(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Wednesday 23 December 2026, 15:00: Thursday is cuti bersama (routing file), Friday Christmas."""
    submit(runtime, at=datetime(2026, 12, 23, 8, 0, tzinfo=UTC), region="kota-serang")
    await login(client, "koord")
    rows = _sheet(await client.get("/dashboard/exports/requests.xlsx", params={"date_from": "2026-12-23"}))
    record = dict(zip(rows[0], rows[1]))
    # One business day: Wednesday's last hour, then Monday 08:00-15:00 (not Thursday 14:00).
    assert len(rows) == 2 and record["Batas klaim (WIB)"] == datetime(2026, 12, 28, 15, 0)


async def test_metrics_export(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await login(client, "koord")
    response = await client.get("/dashboard/exports/metrics.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    lk3 = dict(zip(header, next(r for r in rows if r[1] == "LK3 Kota Serang")))
    # Whole minutes, numbers Excel can add up: the page's "30 menit".
    assert lk3["Permintaan"] == 1 and lk3["Klaim: median (menit)"] == 30 and lk3["Klaim: jumlah"] == 1
    assert duration(runtime, 1.54) == "1,5 jam" and duration(runtime, 0.004) == "< 1 menit"
    assert book.worksheets[1].title == "Definisi"
    exported = (await client.get("/dashboard/exports/metrics.csv")).content.decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(exported)))
    assert csv_rows[1][:3] == ["Keseluruhan", "Semua permintaan", "2"]
    assert [a.target for a in _exports(runtime)] == ["metrics.xlsx", "metrics.csv"]


def _token(settings: Settings, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    parser = argparse.ArgumentParser()
    add_token_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["token", "create", *extra])
    assert run_token_command(args, settings) == 0
    return capsys.readouterr().out.rsplit(": ", 1)[1].strip()


async def test_api_needs_a_token_and_gives_the_page_figures(
    client: httpx.AsyncClient, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (await client.get("/api/v1/metrics")).status_code == 401
    bad = await client.get("/api/v1/metrics", headers={"Authorization": "Bearer pmks_not-a-token"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    token = _token(settings, capsys, "--name", "satu-data")
    auth = {"Authorization": f"Bearer {token}"}
    metrics = (await client.get("/api/v1/metrics", headers=auth)).json()
    assert metrics["overall"]["requests"] == 3
    lk3 = next(g for g in metrics["groups"]["queue"] if g["key"] == "lk3-kota-serang")
    assert lk3["figures"]["time_to_claim"] == {"median_hours": 0.5, "p90_hours": 0.5, "requests": 1}
    assert "phone" not in str(metrics) and FORMULA not in str(metrics)
    workload = (await client.get("/api/v1/workload", headers=auth)).json()
    assert [(c["name"], c["claimed"]) for c in workload["counselors"]] == [("Siti", 1), ("Wati", 0)]
    needs = (await client.get("/api/v1/needs", headers=auth)).json()
    assert needs["rows"][0]["region"] == "kab-lebak" and needs["rows"][0]["counts"]["lansia_telantar"] == 1
    sightings = (await client.get("/api/v1/sightings", headers=auth)).json()
    assert sum(s["sightings"] for s in sightings) == 2
    lebak_only = _token(settings, capsys, "--name", "lebak", "--region", "kab-lebak")
    scoped = (await client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {lebak_only}"})).json()
    assert scoped["overall"]["requests"] == 1


async def test_api_is_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/v1/metrics"]["get"]
    assert operation["security"] == [{"HTTPBearer": []}]
    figures = schema["components"]["schemas"]["FiguresOut"]["properties"]
    assert "first claim" in figures["time_to_claim"]["description"]
    assert not any(path.startswith("/dashboard") for path in schema["paths"])


async def test_api_docs_need_no_internet(client: httpx.AsyncClient) -> None:
    """/docs and /redoc load their scripts and styles from the service itself, never a CDN."""
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
        assert "http" not in html.replace("http-equiv", "")  # nor a font, a validator badge or any other host
        for asset in assets:
            answer = await client.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 1000, asset
