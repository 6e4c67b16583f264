"""A coordinator in Debian's Chromium: log in, read the response-time report, export it to Excel.

On a 1280 px office screen every report table fits its card: nothing hides past the right edge.

The app runs in a background uvicorn thread on its own SQLite file, with the report routes (see
`tests.helpers.reports.report_app`); the downloaded workbooks are read back with openpyxl.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from bot.config import Settings
from bot.runtime import build_runtime
from bot.services.claims import claim_request
from tests.helpers.browser import chromium
from tests.helpers.reports import act, report_app, submit
from tests.helpers.staff import PASSWORD, make_staff
from tests.helpers.threaded_server import ThreadedServer

pytestmark = [pytest.mark.browser, pytest.mark.clock]

FORMULA = "=1+2"
#: Set to a file path to keep a screenshot of the metrics page (for judging the layout by eye).
SCREENSHOT_ENV = "REPORTS_SCREENSHOT"


@pytest.fixture
def base_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A served app on a fresh SQLite database with a coordinator and two requests of two days ago."""
    shutil.copyfile(sqlite_template, tmp_path / "web.db")
    runtime = build_runtime(Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'web.db'}"))
    runtime.sync_queues()
    created = datetime.now(UTC) - timedelta(days=2)
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    make_staff(runtime, "koord", role="coordinator", region="kota-serang")
    submit(runtime, at=created, kind="sighting", region="kota-serang", category="pengemis", description=FORMULA)
    counseling = submit(runtime, at=created, region="kota-serang", topic="pengasuhan_anak")
    act(
        runtime, siti, created + timedelta(minutes=45), claim_request, request_id=counseling.id, routing=runtime.routing
    )
    server = ThreadedServer(report_app(runtime))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        runtime.close()


@pytest.fixture
def page(base_url: str) -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID", accept_downloads=True)
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()


def test_coordinator_reads_the_report_and_exports_it(page: Page, base_url: str, tmp_path: Path) -> None:
    page.goto(f"{base_url}/dashboard/metrics")
    expect(page).to_have_url(f"{base_url}/login?next=/dashboard/metrics")
    page.fill("#username", "koord")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base_url}/dashboard")

    page.goto(f"{base_url}/dashboard/metrics")
    expect(page.locator("h1")).to_have_text("Waktu respons dan kepatuhan SLA")
    lk3 = page.locator("#by-queue tr", has_text="LK3 Kota Serang")
    expect(lk3.locator("td").nth(2)).to_have_text("45 menit / 45 menit")  # claimed after 45 minutes
    expect(page.locator("svg.figure")).to_have_count(3)
    expect(page.locator("#definitions dt")).to_have_count(8)
    if screenshot := os.environ.get(SCREENSHOT_ENV):
        page.screenshot(path=screenshot, full_page=True)

    with page.expect_download() as download:
        page.click("#export-metrics-xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    lk3_row = dict(zip(rows[0], next(r for r in rows if r[1] == "LK3 Kota Serang")))
    assert lk3_row["Klaim: median (menit)"] == 45

    with page.expect_download() as download:
        page.click("#export-requests-xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    sighting = dict(zip(rows[0], next(r for r in rows[1:] if r[1] == "laporan")))
    assert sighting["Keterangan"] == FORMULA and sighting["Kategori/topik"] == "Pengemis"


#: Widths past the visible area: of the page, and of each table inside its (scrollable) card.
OVERFLOW = """() => [document.documentElement.scrollWidth - document.documentElement.clientWidth,
  ...[...document.querySelectorAll('.table-wrap')].map(w => w.scrollWidth - w.clientWidth)]"""


def test_report_tables_fit_a_1280_px_screen(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", "koord")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base_url}/dashboard")
    for path in ("/dashboard/metrics", "/dashboard/needs", "/dashboard/workload", "/dashboard/requests"):
        page.goto(f"{base_url}{path}")
        overflow = page.evaluate(OVERFLOW)
        assert all(width <= 1 for width in overflow), (path, overflow)
