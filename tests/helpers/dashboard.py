"""The staff dashboard over HTTP, as a staff member's browser uses it: login and seeded rows.

`client` (tests/helpers/app_client.py) is re-exported: a dashboard test module imports it from here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import Session

from bot.domain.tickets import new_ticket_code
from bot.runtime import Runtime
from storage.models import Contact, Request
from storage.requests import add_event, create_request
from tests.helpers.app_client import client  # noqa: F401 (a fixture, re-exported)
from tests.helpers.staff import PASSWORD

LK3 = "lk3-kota-serang"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def login(client: httpx.AsyncClient, username: str) -> str:
    """Log in with the shared test password; return the session's CSRF token for later forms."""
    page = await client.get("/login")
    token = CSRF.search(page.text).group(1)
    answer = await client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    overview = await client.get("/dashboard")
    assert overview.status_code == 200
    return CSRF.search(overview.text).group(1)


def seed(
    runtime: Runtime,
    *,
    queue: str = LK3,
    created_at: datetime | None = None,
    urgency: str = "normal",
    status: str = "new",
    contact: bool = False,
    **fields: object,
) -> Request:
    """A request as intake would store it, with its `created` event; `contact=True` gives it a web chat citizen."""
    now = created_at or datetime.now(UTC)
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        contact_id = None
        if contact:
            citizen = Contact(
                channel="webchat",
                platform_user_id=f"c-{new_ticket_code()}",
                created_at=now,
                consent_at=now,
                last_inbound_at=now,
            )
            session.add(citizen)
            session.flush()
            contact_id = citizen.id
        defaults = {"kind": "counseling", "topic": "konflik_keluarga", "region": "kota-serang"}
        request = Request(
            **(defaults | fields),
            urgency=urgency,
            queue_code=queue,
            status=status,
            created_at=now,
            claim_due_at=now + timedelta(hours=24),
            first_contact_due_at=now + timedelta(hours=72),
            contact_id=contact_id,
        )
        create_request(session, request=request, new_code=new_ticket_code)
        add_event(
            session,
            request_id=request.id,
            kind="created",
            actor="citizen:1",
            at=now,
            to_status="new",
            detail={"queue": queue, "urgency": urgency},
        )
        return request
