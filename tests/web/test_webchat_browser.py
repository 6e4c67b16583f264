"""The citizen web chat, driven in Debian's Chromium against the real service on a 360x640 screen.

Steps are driven by choice ids (`data-choice-id`) and typed text, never by the Indonesian prompts, so
rewording a message does not break these tests; assertions are on what the citizen sees.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from bot.config import Settings
from bot.runtime import build_runtime
from bot.services.case_thread import message_citizen
from bot.services.claims import claim_request
from storage.models import Queue, Request
from tests.helpers.browser import PHONE, chromium, chromium_profile
from tests.helpers.casework import deliver_citizen_updates
from tests.helpers.images import jpeg
from tests.helpers.service_process import live_server
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.browser

TICKET_CODE = re.compile(r"[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}")
#: Set to a file path to keep a screenshot of the sighting flow (for judging the layout by eye).
SCREENSHOT_ENV = "WEBCHAT_SCREENSHOT"
#: Set to a folder to keep screenshots of a conversation opened again and of its end (reopened.png, ended.png).
SCREENSHOT_DIR_ENV = "WEBCHAT_SCREENSHOT_DIR"
COUNSELOR_SAYS = "Selamat siang, saya Siti dari LK3. Kapan Ibu bisa kami telepon?"


class ChatPage:
    """The chat page as a citizen uses it: tap a choice, type a message, read the bot's bubbles."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.bot = page.locator(".bubble.bot:not(.typing)")

    def open(self, base_url: str) -> None:
        self.page.goto(base_url)
        self.wait_for_answer()
        expect(self.open_choice("menu:lapor")).to_be_visible()

    def open_choice(self, choice_id: str):
        return self.page.locator(f'.choices button[data-choice-id="{choice_id}"]:enabled').last

    def choose(self, choice_id: str) -> None:
        """Tap the open button with this choice id and check that the tap was taken."""
        matching = self.page.locator(f'.choices button[data-choice-id="{choice_id}"]')
        expect(self.open_choice(choice_id)).to_be_enabled()
        # Pinned by position: the answer may offer a button with the same id again (a re-asked step).
        button = matching.nth(matching.count() - 1)
        button.click()
        self.wait_for_answer()
        expect(button, f"the tap on {choice_id!r} was not taken").to_have_class(re.compile(r"\bchosen\b"))

    def say(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")
        self.wait_for_answer()

    def wait_for_answer(self) -> None:
        """Wait until the server has taken the last message and its replies are drawn."""
        expect(self.page.locator(".bubble.user.pending, .bubble.typing")).to_have_count(0)
        expect(self.page.locator(".bubble.error")).to_have_count(0)

    def ticket_code(self) -> str:
        bubble = self.bot.filter(has_text=TICKET_CODE).last
        expect(bubble).to_be_visible()
        return TICKET_CODE.search(bubble.inner_text()).group()

    def seqs(self) -> list[str]:
        return self.bot.evaluate_all("nodes => nodes.map(n => n.dataset.seq)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path) as service:
        yield service.base_url


@pytest.fixture
def chat(browser: Browser, base_url: str) -> Iterator[ChatPage]:
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    try:
        chat = ChatPage(context.new_page())
        chat.open(base_url)
        yield chat
    finally:
        context.close()


def report_sighting(chat: ChatPage) -> str:
    """Report a street child in Kota Serang, anonymously; return the ticket code shown."""
    for choice in ("menu:lapor", "grp:anak", "cat:anak_jalanan", "reg:kota-serang"):
        chat.choose(choice)
    chat.say("taktakan")
    expect(chat.page.locator("#send-location")).to_be_visible()
    chat.say("depan pasar rau")
    chat.say("ada anak kecil mengamen sendirian malam hari")
    for choice in ("skip", "contact:anonymous", "consent:yes"):
        chat.choose(choice)
    if screenshot := os.environ.get(SCREENSHOT_ENV):
        chat.page.screenshot(path=screenshot)
    chat.choose("confirm:send")
    return chat.ticket_code()


def test_sighting_report_ends_with_a_ticket_code(chat: ChatPage) -> None:
    report_sighting(chat)

    # Typed text and tapped labels appear as the citizen's own bubbles, in order.
    user = chat.page.locator(".bubble.user")
    expect(user.filter(has_text="depan pasar rau")).to_have_count(1)
    # Every answered question's buttons are closed; the chosen one stays marked.
    expect(chat.page.locator('.choices button[data-choice-id="consent:yes"].chosen')).to_be_disabled()


def test_counseling_request_ends_with_a_ticket_code(chat: ChatPage) -> None:
    for choice in (
        "menu:konseling",
        "topic:pengasuhan_anak",
        "reg:kab-lebak",
        "whom:self",
        "way:chat",
        "time:anytime",
        "skip",
        "consent:yes",
        "confirm:send",
    ):
        chat.choose(choice)

    chat.ticket_code()


def test_status_of_a_ticket_by_typing_its_code(chat: ChatPage) -> None:
    code = report_sighting(chat)

    chat.say(f"status {code}")

    asked = chat.page.locator(".bubble.user", has_text=f"status {code}")
    answer = asked.locator("xpath=following-sibling::div[contains(@class, 'bot')]").filter(has_text=code)
    # An unknown code is echoed too; only a found ticket names who handles it (the region reported).
    expect(answer).to_contain_text("Kota Serang")


def test_reload_continues_the_conversation_without_duplicates(chat: ChatPage) -> None:
    chat.choose("menu:lapor")
    chat.choose("grp:anak")
    before = chat.seqs()

    chat.page.reload()
    chat.wait_for_answer()
    expect(chat.bot).to_have_count(len(before))
    # Wait for one poll (every 5 s) to come back: it must not draw anything twice.
    with chat.page.expect_response(lambda r: "after=" in r.url and "after=0" not in r.url, timeout=8_000):
        pass
    assert chat.seqs() == before

    chat.choose("cat:anak_jalanan")  # the redrawn buttons still answer the open question


def test_failed_send_keeps_the_typed_text(chat: ChatPage) -> None:
    page = chat.page
    messages = "**/api/webchat/sessions/*/messages"
    page.route(
        messages,
        lambda route: (
            route.fulfill(status=503, json={"detail": "maintenance"})
            if route.request.method == "POST"
            else route.continue_()
        ),
    )

    page.fill("#text", "halo")
    page.click("#send")

    expect(page.locator(".bubble.error")).to_have_count(1)
    expect(page.locator("#text")).to_have_value("halo")
    expect(page.locator(".bubble.user")).to_have_count(0)
    expect(chat.open_choice("menu:lapor")).to_be_enabled()

    page.unroute(messages)
    page.click("#send")
    chat.wait_for_answer()
    expect(page.locator("#text")).to_have_value("")
    expect(page.locator(".bubble.user", has_text="halo")).to_have_count(1)


def test_resend_after_a_lost_answer_is_processed_once(chat: ChatPage) -> None:
    """The server took the message but the answer never arrived: the resend must not act twice."""
    page = chat.page
    messages = "**/api/webchat/sessions/*/messages"

    def lose_the_answer(route) -> None:
        if route.request.method != "POST":
            return route.continue_()
        route.fetch()  # the server processes it ...
        route.fulfill(status=503, json={"detail": "gateway timeout"})  # ... the phone never hears back

    page.route(messages, lose_the_answer)
    chat.open_choice("menu:lapor").click()
    expect(page.locator(".bubble.error")).to_have_count(1)
    page.unroute(messages)

    chat.choose("menu:lapor")

    # The group question (asked once, by the first try) shows up exactly once, fetched by a poll.
    expect(chat.open_choice("grp:anak")).to_have_count(1)
    assert len(set(chat.seqs())) == len(chat.seqs())
    expect(page.locator(".bubble.user")).to_have_count(1)


def test_location_button_sends_the_phone_position(browser: Browser, base_url: str) -> None:
    context = browser.new_context(
        viewport=PHONE,
        locale="id-ID",
        geolocation={"latitude": -6.1204, "longitude": 106.1503},
        permissions=["geolocation"],
    )
    try:
        chat = ChatPage(context.new_page())
        chat.open(base_url)
        for choice in ("menu:lapor", "grp:anak", "cat:anak_jalanan", "reg:kota-serang"):
            chat.choose(choice)
        chat.say("taktakan")

        chat.page.click("#send-location")
        chat.wait_for_answer()

        expect(chat.page.locator(".bubble.user", has_text="-6.12040, 106.15030")).to_have_count(1)
        expect(chat.page.locator("#send-location")).to_be_hidden()
    finally:
        context.close()


def test_photo_button_uploads_the_picked_photo_and_refuses_one_too_large_unsent(chat: ChatPage) -> None:
    for choice in ("menu:lapor", "grp:anak", "cat:anak_jalanan", "reg:kota-serang"):
        chat.choose(choice)
    chat.say("taktakan")
    chat.say("depan pasar rau")
    expect(chat.page.locator("#send-photo")).to_be_hidden()
    chat.say("ada anak kecil mengamen sendirian malam hari")
    button = chat.page.locator("#send-photo")
    expect(button).to_be_visible()

    user = chat.page.locator(".bubble.user")
    said = user.count()
    too_large = {"name": "besar.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (5 * 1024 * 1024 + 1)}
    with chat.page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(too_large)
    expect(chat.page.locator(".bubble.notice")).to_have_count(1)  # said on the page, nothing uploaded
    expect(user).to_have_count(said)

    with chat.page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files({"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    chat.wait_for_answer()
    expect(user).to_have_count(said + 1)
    expect(chat.open_choice("photo:done")).to_be_visible()  # taken: another, or go on
    chat.choose("photo:done")
    expect(button).to_be_hidden()


def test_english_page_starts_an_english_conversation(chat: ChatPage, browser: Browser) -> None:
    indonesian = chat.open_choice("menu:lapor").inner_text()

    # Another browser: a tab of the same one would continue its (Indonesian) conversation from localStorage.
    context = browser.new_context(viewport=PHONE, locale="en-US")
    try:
        page = context.new_page()
        page.goto(chat.page.url.split("?")[0] + "?lang=en")

        expect(page.locator("html")).to_have_attribute("lang", "en")
        english = page.locator('.choices button[data-choice-id="menu:lapor"]')
        expect(english).to_be_visible()
        expect(english).not_to_have_text(indonesian)
    finally:
        context.close()


def test_a_second_tab_continues_the_same_conversation(chat: ChatPage) -> None:
    chat.choose("menu:lapor")

    page = chat.page.context.new_page()
    page.goto(chat.page.url)

    expect(page.locator('.choices button[data-choice-id="grp:anak"]')).to_be_visible()
    assert page.evaluate("localStorage.getItem('webchat.session_id')") == chat.page.evaluate(
        "localStorage.getItem('webchat.session_id')"
    )


def _phone_browser(browser: Browser, profile: Path) -> BrowserContext:
    """Chromium started on a profile of its own, as a phone's browser keeps one between launches."""
    context = chromium_profile(browser, profile, viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    return context


def _counselor_writes_meanwhile(database_url: str, code: str) -> str:
    """A counselor claims the request and writes to the citizen, through the services staff use; the name
    of the queue that handles it."""
    runtime = build_runtime(Settings(_env_file=None, database_url=database_url))
    try:
        with Session(runtime.db) as session:
            request = session.exec(select(Request).where(Request.ticket_code == code)).one()
            queue = session.get(Queue, request.queue_code).name
        siti = make_staff(runtime, "siti", queues=(request.queue_code,))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        as_staff(runtime, siti, message_citizen, request_id=request.id, text=COUNSELOR_SAYS)
        deliver_citizen_updates(runtime)
        return queue
    finally:
        runtime.close()


def test_the_conversation_survives_closing_the_browser_and_is_cleared_on_request(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """Issue 16 point 4: the citizen chose "lewat chat ini" and closed the browser; what the counselor wrote
    meanwhile is there when it is opened again, until "Akhiri dan hapus" clears the shared phone."""
    profile = tmp_path / "phone-profile"
    context = _phone_browser(browser, profile)
    try:
        chat = ChatPage(context.pages[0])
        chat.open(base_url)
        for choice in (
            "menu:konseling",
            "topic:pengasuhan_anak",
            "reg:kab-lebak",
            "whom:self",
            "way:chat",
            "time:anytime",
            "skip",
            "consent:yes",
            "confirm:send",
        ):
            chat.choose(choice)
        code = chat.ticket_code()
    finally:
        context.close()  # the whole browser, not a tab

    queue = _counselor_writes_meanwhile(f"sqlite:///{tmp_path / 'web.db'}", code)

    context = _phone_browser(browser, profile)
    try:
        chat = ChatPage(context.pages[0])
        page = chat.page
        page.goto(base_url)
        chat.wait_for_answer()
        expect(chat.bot.filter(has_text=COUNSELOR_SAYS)).to_have_count(1)
        expect(chat.bot.filter(has_text=code).first).to_be_attached()  # the history, ticket code and all
        divider = page.locator(".bubble.divider")
        expect(divider).to_have_text("Pesan baru sejak Anda terakhir membuka percakapan ini")
        expect(divider).to_be_in_viewport()
        chat.say(f"status {code}")  # still the reporter: the full answer, naming who handles it
        asked = page.locator(".bubble.user", has_text=f"status {code}")
        answer = asked.locator("xpath=following-sibling::div[contains(@class, 'bot')]").filter(has_text=code)
        expect(answer).to_contain_text(queue)
        end = page.locator("#end-chat")
        expect(end).to_be_visible()
        expect(end).to_have_accessible_name("Akhiri dan hapus percakapan di perangkat ini")
        if folder := os.environ.get(SCREENSHOT_DIR_ENV):
            page.locator(".bubble.divider").scroll_into_view_if_needed()
            page.screenshot(path=str(Path(folder) / "reopened.png"))

        token = page.evaluate("localStorage.getItem('webchat.session_id')")
        page.once("dialog", lambda dialog: dialog.accept())
        end.click()

        expect(page.locator(".bubble.bot")).to_have_count(0)
        expect(page.locator(".bubble.notice")).to_contain_text("Percakapan sudah diakhiri")
        assert page.evaluate("localStorage.getItem('webchat.session_id')") is None
        if folder := os.environ.get(SCREENSHOT_DIR_ENV):
            page.screenshot(path=str(Path(folder) / "ended.png"))
        assert context.request.get(f"{base_url}/api/webchat/sessions/{token}/messages").status == 404

        page.reload()  # the next person on this phone
        expect(chat.open_choice("menu:lapor")).to_be_visible()
        expect(page.locator("#messages")).not_to_contain_text(COUNSELOR_SAYS)
        expect(page.locator("#messages")).not_to_contain_text(code)
    finally:
        context.close()
