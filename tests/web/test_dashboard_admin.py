"""Admin pages: accounts with a password shown once, Telegram link codes, the audit log, dead letters."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.services.staff_accounts import link_telegram
from storage.models import AuditLog, Contact, OutboxMessage, Staff
from tests.helpers.dashboard import CSRF, client, login, seed  # noqa: F401 (client is a fixture)
from tests.helpers.staff import make_staff

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py


async def test_only_admins_reach_admin_pages(client: httpx.AsyncClient, runtime: Runtime) -> None:
    make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    token = await login(client, "siti")
    for path in ("/dashboard/admin/staff", "/dashboard/admin/audit", "/dashboard/admin/dead-letters"):
        assert (await client.get(path)).status_code == 403
    answer = await client.post("/dashboard/admin/staff", data={"csrf_token": token, "username": "x", "role": "admin"})
    assert answer.status_code == 403
    assert "/dashboard/admin/staff" not in (await client.get("/dashboard")).text  # no admin link in the menu


async def test_admin_creates_an_account_whose_password_is_shown_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = make_staff(runtime, "kepala", role="admin")
    token = await login(client, "kepala")
    created = await client.post(
        "/dashboard/admin/staff",
        data={
            "csrf_token": token,
            "username": "dewi",
            "display_name": "Dewi Lestari",
            "role": "counselor",
            "queues": ["lk3-kota-serang", "lk3-kab-serang"],
        },
    )
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    password = re.search(r'id="generated-password">([^<]+)<', created.text).group(1)
    with Session(runtime.db) as session:
        dewi = session.exec(select(Staff).where(Staff.username == "dewi")).one()
        assert (dewi.role, dewi.display_name) == ("counselor", "Dewi Lestari")
        audit = session.exec(select(AuditLog).where(AuditLog.action == "create_staff")).one()
        assert (audit.actor, audit.target) == (admin.actor, f"staff:{dewi.id}")
    assert password not in (await client.get("/dashboard/admin/staff")).text

    refused = await client.post(
        "/dashboard/admin/staff", data={"csrf_token": token, "username": "tanpa", "role": "counselor"}
    )
    assert refused.status_code == 422 and "Akun tidak bisa dibuat" in refused.text
    assert "Konselor perlu paling sedikit satu antrean." in refused.text  # the reason, in the catalog's words

    await client.post("/logout", data={"csrf_token": CSRF.search((await client.get("/dashboard")).text).group(1)})
    page = await client.get("/login")
    answer = await client.post(
        "/login", data={"username": "dewi", "password": password, "csrf_token": CSRF.search(page.text).group(1)}
    )
    assert answer.status_code == 303


async def test_link_codes_for_a_colleague_and_for_oneself(client: httpx.AsyncClient, runtime: Runtime) -> None:
    make_staff(runtime, "kepala", role="admin")
    siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    token = await login(client, "kepala")
    issued = await client.post(f"/dashboard/admin/staff/{siti.id}/link-code", data={"csrf_token": token})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    code = re.search(r'id="link-code">/tautkan ([A-Z0-9]+)<', issued.text).group(1)
    now = datetime.now(UTC)
    with Session(runtime.db) as session, session.begin():
        contact = Contact(channel="telegram", platform_user_id="555", created_at=now)
        session.add(contact)
        session.flush()
        assert link_telegram(session, code=code, contact_id=contact.id, now=now).id == siti.id
    assert (await client.post("/dashboard/admin/staff/999/link-code", data={"csrf_token": token})).status_code == 404

    own_token = await login(client, "siti")
    own = await client.post("/dashboard/account/link-code", data={"csrf_token": own_token})
    assert own.status_code == 200 and "/tautkan " in own.text
    with Session(runtime.db) as session:
        assert session.get(Staff, siti.id).link_code_hash is not None


async def test_audit_log_and_dead_letters(client: httpx.AsyncClient, runtime: Runtime) -> None:
    request = seed(runtime)
    make_staff(runtime, "siti", queues=("lk3-kota-serang",))
    await login(client, "siti")
    await client.get(f"/dashboard/requests/{request.id}")
    now = datetime.now(UTC)
    with Session(runtime.db) as session, session.begin():
        contact = Contact(channel="telegram", platform_user_id="777", created_at=now)
        session.add(contact)
        session.flush()
        session.add(
            OutboxMessage(
                contact_id=contact.id,
                channel="telegram",
                payload={"text": "pesan rahasia warga"},
                status="dead",
                attempts=5,
                next_attempt_at=now,
                created_at=now,
                last_error="Forbidden: bot was blocked by the user",
            )
        )
    make_staff(runtime, "kepala", role="admin")
    await login(client, "kepala")

    log = (await client.get("/dashboard/admin/audit", params={"target": f"request:{request.id}"})).text
    entries = log.split('<table id="audit-log">')[1].split("</table>")[0]
    assert "Membuka permintaan" in entries and "Masuk" not in entries  # only that request's rows, in words
    dead = (await client.get("/dashboard/admin/dead-letters")).text
    assert "Forbidden: bot was blocked by the user" in dead and "pesan rahasia" not in dead
