"""Accounts over the dashboard: deactivation with handover, password reset and change, queues, sessions ended."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import Session, col, select

from bot.app import create_app
from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from bot.services.claims import claim_request
from bot.web.dashboard.deps import PASSWORD_PAGE
from bot.web.dashboard.security import SESSION_COOKIE
from storage.models import AuditLog, Request, RequestEvent, Staff, StaffSession
from storage.staff import staff_queue_codes
from tests.helpers.dashboard import CSRF, LK3, client, login, seed  # noqa: F401 (client is a fixture)
from tests.helpers.staff import PASSWORD, as_staff, make_staff

pytestmark = pytest.mark.clock  # seeds and claims at "now": tests/pinned_moments.py

KAB = "lk3-kab-serang"
NEW_PASSWORD = "sandi-baru-siti-2026"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Accounts lock at the 3rd failure here (5 by default), to spare argon2 rounds."""
    return Settings(_env_file=None, database_url=database_url, login_failures_per_account=3)


def use_cookie(client: httpx.AsyncClient, cookie: str) -> None:
    """Make `client` a browser holding (a copy of) this session cookie."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)


async def try_login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    token = CSRF.search((await client.get("/login")).text).group(1)
    return await client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def claim(runtime: Runtime, staff, request: Request) -> None:
    assert as_staff(runtime, staff, claim_request, request_id=request.id, routing=runtime.routing).won


def moves(runtime: Runtime, request: Request) -> list[tuple[str, str | None, str]]:
    """The release and transfer events of a request: (action, reason, actor)."""
    with Session(runtime.db) as session:
        events = session.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == request.id, RequestEvent.kind == "status")
            .order_by(col(RequestEvent.id))
        )
        return [
            (e.detail["action"], e.note, e.actor) for e in events if e.detail.get("action") in ("release", "transfer")
        ]


async def test_deactivation_ends_sessions_and_hands_cases_to_a_colleague_or_the_queue(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = make_staff(runtime, "kepala", role="admin")
    dewi = make_staff(runtime, "dewi", queues=(LK3, KAB))
    rina = make_staff(runtime, "rina", queues=(LK3,))
    shared, own = seed(runtime), seed(runtime, queue=KAB, region="kab-serang")
    claim(runtime, dewi, shared)
    claim(runtime, dewi, own)
    await login(client, "dewi")
    dewi_cookie = client.cookies[SESSION_COOKIE]

    token = await login(client, "kepala")
    page = (await client.get(f"/dashboard/admin/staff/{dewi.id}")).text
    assert shared.ticket_code in page and own.ticket_code in page and f'<option value="{rina.id}">' in page
    url = f"/dashboard/admin/staff/{dewi.id}/deactivate"
    refused = await client.post(
        url, data={"csrf_token": token, "reason": " ", "hand_to": str(rina.id)}, follow_redirects=True
    )
    assert "Tulis alasannya" in refused.text and 'id="inactive"' not in refused.text

    reason = "Pindah tugas ke Dinsos Provinsi"
    done = await client.post(
        url, data={"csrf_token": token, "reason": reason, "hand_to": str(rina.id)}, follow_redirects=True
    )
    assert "1 kasus diserahkan ke rekan, 1 dikembalikan ke antrean" in done.text and 'id="inactive"' in done.text
    with Session(runtime.db) as session:
        assert not session.get(Staff, dewi.id).active
        assert session.exec(select(StaffSession).where(StaffSession.staff_id == dewi.id)).all() == []
        now_shared, now_own = session.get(Request, shared.id), session.get(Request, own.id)
        assert (now_shared.status, now_shared.assigned_staff_id) == ("claimed", rina.id)  # rina works in LK3
        assert (now_own.status, now_own.assigned_staff_id) == ("new", None)  # rina does not work in KAB
        logged = session.exec(select(AuditLog).where(AuditLog.action == "deactivate_staff")).one()
        assert (logged.actor, logged.target) == (admin.actor, f"staff:{dewi.id}")
    assert moves(runtime, shared) == [("transfer", reason, admin.actor)]
    assert moves(runtime, own) == [("release", reason, admin.actor)]
    assert reason in (await client.get(f"/dashboard/requests/{shared.id}")).text  # in the history staff read

    use_cookie(client, dewi_cookie)  # her phone, still holding the cookie
    answer = await client.get("/dashboard")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert (await try_login(client, "dewi", PASSWORD)).status_code == 401


async def test_a_reset_password_is_shown_once_lifts_the_lock_and_must_be_changed_first(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    make_staff(runtime, "kepala", role="admin")
    siti = make_staff(runtime, "siti", queues=(LK3,))
    await login(client, "siti")
    old_cookie = client.cookies[SESSION_COOKIE]
    statuses = [(await try_login(client, "siti", f"lupa-{n}")).status_code for n in range(4)]
    assert statuses == [401] * 3 + [429]  # she forgot it and is locked out

    token = await login(client, "kepala")
    reset = await client.post(f"/dashboard/admin/staff/{siti.id}/reset-password", data={"csrf_token": token})
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    temporary = re.search(r'id="temporary-password">([^<]+)<', reset.text).group(1)
    assert temporary not in (await client.get(f"/dashboard/admin/staff/{siti.id}")).text

    use_cookie(client, old_cookie)
    assert (await client.get("/dashboard")).headers["location"].startswith("/login")
    first = await try_login(client, "siti", temporary)
    assert first.status_code == 303 and first.headers["location"] == PASSWORD_PAGE
    for path in ("/dashboard", "/dashboard/requests", f"/dashboard/requests/{seed(runtime).id}"):
        answer = await client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, PASSWORD_PAGE), path
    page = await client.get(PASSWORD_PAGE)
    assert "Admin mengatur ulang kata sandi Anda" in page.text and "current_password" not in page.text
    form = {"csrf_token": CSRF.search(page.text).group(1), "new_password": NEW_PASSWORD}
    mismatch = await client.post(PASSWORD_PAGE, data=form | {"new_password_again": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422 and "tidak sama" in mismatch.text
    changed = await client.post(PASSWORD_PAGE, data=form | {"new_password_again": NEW_PASSWORD}, follow_redirects=True)
    assert changed.status_code == 200 and "Kata sandi sudah diganti" in changed.text

    assert (await try_login(client, "siti", temporary)).status_code == 401  # one-time
    assert (await try_login(client, "siti", NEW_PASSWORD)).headers["location"] == "/dashboard"
    with Session(runtime.db) as session:
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.target == f"staff:{siti.id}"))]
    assert "reset_password" in actions and "change_password" in actions


async def test_changing_ones_password_ends_the_other_sessions(client: httpx.AsyncClient, runtime: Runtime) -> None:
    make_staff(runtime, "siti", queues=(LK3,))
    await login(client, "siti")
    phone = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    await login(client, "siti")  # the office laptop, another browser
    page = await client.get(PASSWORD_PAGE)
    form = {
        "csrf_token": CSRF.search(page.text).group(1),
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    wrong = await client.post(PASSWORD_PAGE, data=form | {"current_password": "bukan-sandinya"})
    assert wrong.status_code == 422 and "Kata sandi saat ini salah" in wrong.text
    unchanged = {"current_password": PASSWORD, "new_password": PASSWORD, "new_password_again": PASSWORD}
    same = await client.post(PASSWORD_PAGE, data=form | unchanged)
    assert same.status_code == 422 and "harus berbeda dari yang lama" in same.text
    assert (await client.post(PASSWORD_PAGE, data=form | {"current_password": PASSWORD})).status_code == 303
    assert (await client.get("/dashboard")).status_code == 200  # this laptop stays logged in
    use_cookie(client, phone)
    assert (await client.get("/dashboard")).headers["location"].startswith("/login")


async def test_logout_ends_a_copied_cookie_on_another_instance(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    make_staff(runtime, "siti", queues=(LK3,))
    token = await login(client, "siti")
    other_runtime = build_runtime(settings)  # a second instance on the same database
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime=other_runtime)), base_url="http://testserver"
    )
    try:
        use_cookie(other, client.cookies[SESSION_COOKIE])
        assert (await other.get("/dashboard")).status_code == 200
        assert (await client.post("/logout", data={"csrf_token": token})).status_code == 303
        answer = await other.get("/dashboard")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    finally:
        await other.aclose()
        other_runtime.close()
    with Session(runtime.db) as session:
        assert session.exec(select(StaffSession)).all() == []


async def test_admin_changes_queues_and_region_and_cases_out_of_sight_go_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = make_staff(runtime, "kepala", role="admin")
    dewi = make_staff(runtime, "dewi", queues=(LK3,))
    held, theirs = seed(runtime), seed(runtime, queue=KAB, region="kab-serang")
    claim(runtime, dewi, held)
    token = await login(client, "kepala")
    url = f"/dashboard/admin/staff/{dewi.id}/assignment"
    form = {"csrf_token": token, "queues": [KAB], "region": "kab-serang"}
    refused = await client.post(url, data=form, follow_redirects=True)
    assert "memegang 1 kasus terbuka" in refused.text
    with Session(runtime.db) as session:
        assert staff_queue_codes(session, staff_id=dewi.id) == {LK3}  # nothing changed

    reason = "Pindah ke LK3 Kab. Serang"
    saved = await client.post(url, data=form | {"reason": reason}, follow_redirects=True)
    assert "1 kasus dikembalikan ke antrean" in saved.text
    with Session(runtime.db) as session:
        assert staff_queue_codes(session, staff_id=dewi.id) == {KAB}
        assert session.get(Staff, dewi.id).region == "kab-serang"
        assert session.get(Request, held.id).status == "new"
    assert moves(runtime, held) == [("release", reason, admin.actor)]
    await login(client, "dewi")
    assert (await client.get(f"/dashboard/requests/{theirs.id}")).status_code == 200
    assert (await client.get(f"/dashboard/requests/{held.id}")).status_code == 404
