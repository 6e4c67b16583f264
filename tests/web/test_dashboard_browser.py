"""The staff dashboard in Debian's Chromium against the real service, on a 360x640 phone screen.

The service runs as an operator runs it (tests/helpers/service_process.py); staff accounts are made with the
operator's CLI (`python -m bot staff add --password-stdin`) on the same database, and the citizen's
report arrives through the web chat API, so every layer is the production one. Steps use ids, names and
catalog texts the staff sees; every wait is bounded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.helpers.browser import PHONE, chromium
from tests.helpers.service_process import ServiceProcess, live_server

pytestmark = pytest.mark.browser

PASSWORD = "kata-sandi-uji-123"
DESCRIPTION = 'Anak kecil <script>alert("xss")</script> tidur di trotoar'
TICKET = re.compile(r"[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}")
#: Set to a file path to keep the screenshot of the request detail at 360x640 (for judging the layout).
SCREENSHOT_ENV = "DASHBOARD_SCREENSHOT"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def add_staff(service: ServiceProcess, username: str, queue: str) -> None:
    """Create a counselor with the operator's command, on the live server's database."""
    service.run(
        "staff",
        "add",
        "--username",
        username,
        "--role",
        "counselor",
        "--queue",
        queue,
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )


def report_sighting(base_url: str, *, contact: str = "anonymous") -> tuple[str, str]:
    """A citizen reports a street child in Kota Serang through the web chat API; the ticket code and session."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        session_id = client.post("/api/webchat/sessions", json={}).json()["session_id"]
        steps = (
            {"choice": "menu:lapor"},
            {"text": "anak jalanan"},
            {"choice": "reg:kota-serang"},
            {"text": "kasemen"},
            {"location": {"latitude": -6.05, "longitude": 106.17}},
            {"text": DESCRIPTION},
            {"choice": "skip"},
            {"choice": f"contact:{contact}"},
            {"choice": "consent:yes"},
            {"choice": "confirm:send"},
        )
        for body in steps:
            answer = client.post(f"/api/webchat/sessions/{session_id}/messages", json=body)
            assert answer.status_code == 200, answer.text
        return TICKET.search(answer.json()["replies"][0]["text"]).group(), session_id


@pytest.fixture(scope="module")
def service(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """One live service for the module: two counselors in different queues and one reported sighting."""
    tmp_path = tmp_path_factory.mktemp("dashboard")
    with live_server(tmp_path) as live:
        add_staff(live, "budi", "dinsos-kota-serang")
        add_staff(live, "lebak", "lk3-kab-lebak")
        yield live.base_url, report_sighting(live.base_url)[0]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    dialogs: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        yield page
    finally:
        context.close()
    assert dialogs == [], "a script ran in the dashboard"


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_wrong_password_is_refused_with_a_message(page: Page, service: tuple[str, str]) -> None:
    base_url, _ticket = service
    log_in(page, base_url, "budi", "bukan-kata-sandinya")
    expect(page.locator(".error[role=alert]")).to_have_text("Nama pengguna atau kata sandi salah.")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_counselor_filters_opens_and_claims_a_request(page: Page, service: tuple[str, str], tmp_path: Path) -> None:
    base_url, ticket = service
    log_in(page, base_url, "budi")
    expect(page.locator("h1")).to_have_text("Ringkasan")

    page.goto(f"{base_url}/dashboard/requests")
    page.click(".filters summary")
    page.select_option("#f-category", "anak_jalanan")
    page.select_option("#f-state", "open")
    page.click(".filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"category=anak_jalanan"))
    page.click(f"a.ticket:text-is('{ticket}')")

    expect(page.locator("h1")).to_have_text(ticket)
    expect(page.locator(".description")).to_have_text(DESCRIPTION)  # the markup is shown as text
    expect(page.locator("#personal")).to_contain_text("Pelapor anonim")
    page.click("#claim")
    expect(page.locator(".flash")).to_have_text("Permintaan sudah Anda klaim.")
    expect(page.locator(".case-head .badge.status-claimed")).to_have_text("Diklaim")
    expect(page.locator("#timeline")).to_contain_text("Diklaim")

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the detail page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=os.environ.get(SCREENSHOT_ENV) or str(tmp_path / "detail.png"), full_page=True)


def test_counselor_of_another_queue_is_refused(page: Page, service: tuple[str, str]) -> None:
    base_url, ticket = service
    log_in(page, base_url, "lebak")
    page.goto(f"{base_url}/dashboard/requests?q={ticket}")
    expect(page.locator(".req.empty")).to_be_visible()

    request_id = _request_id(page, base_url, ticket)
    answer = page.goto(f"{base_url}/dashboard/requests/{request_id}")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Tidak ditemukan")
    expect(page.locator("body")).not_to_contain_text("trotoar")


def _request_id(page: Page, base_url: str, ticket: str) -> int:
    """The request's id, as the owning counselor's list links it (read in a separate session)."""
    other = page.context.browser.new_context()
    try:
        budi = other.new_page()
        log_in(budi, base_url, "budi")
        budi.goto(f"{base_url}/dashboard/requests?q={ticket}")
        href = budi.locator("a.ticket").first.get_attribute("href")
        return int(href.rsplit("/", 1)[1])
    finally:
        other.close()


def test_my_cases_and_the_thread_that_refreshes_itself(page: Page, service: tuple[str, str]) -> None:
    """On a phone: the counselor writes, finds the case under "Kasus saya", and the citizen's answer appears."""
    base_url, _ticket = service
    ticket, session_id = report_sighting(base_url, contact="chat")
    log_in(page, base_url, "budi")
    page.goto(f"{base_url}/dashboard/requests?q={ticket}")
    page.click(f"a.ticket:text-is('{ticket}')")
    page.click("#claim")
    page.click("#actions summary:text-is('Kirim pesan ke warga')")
    page.fill("#message-text", "Selamat siang, kami akan datang ke lokasi. Apakah anaknya masih di sana?")
    page.click("#actions form[action$='/message'] button[type=submit]")
    expect(page.locator(".flash.ok")).to_be_visible()

    page.click("nav a:text-is('Kasus saya')")
    expect(page.locator("#my-cases")).to_contain_text(ticket)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"Kasus saya scrolls sideways on a phone ({width}px)"
    page.click(f"#my-cases a.ticket:text-is('{ticket}')")
    expect(page.locator("#thread-list")).to_contain_text("Apakah anaknya masih di sana?")

    with httpx.Client(base_url=base_url, timeout=10) as citizen:
        answer = citizen.post(f"/api/webchat/sessions/{session_id}/messages", json={"text": "Masih bu, di depan pasar"})
        assert answer.status_code == 200, answer.text
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # as when the phone is picked up again
    expect(page.locator("#thread-list .msg.in")).to_have_text(re.compile(r"Warga · .*Masih bu, di depan pasar"))
