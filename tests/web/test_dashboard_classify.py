"""A request the service could not classify ("belum ditentukan") is classified by staff on its page.

The citizen's words reached the region's Dinas Sosial queue as they were (tests/flows/test_front_door.py);
here a staff member reads them and sets the category, and the request is routed as if the citizen had
said so: a child victim goes to P2TP2A, urgent, unclaimed there.
"""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, select

from bot.runtime import Runtime
from storage.models import Request, RequestEvent
from tests.helpers.chat import Chat
from tests.helpers.dashboard import client, login  # noqa: F401 (client is a fixture)
from tests.helpers.staff import make_staff

pytestmark = pytest.mark.clock  # SLA deadlines from now: tests/pinned_moments.py


def _unclassified_report(runtime: Runtime) -> Request:
    chat = Chat(runtime.engine, user_id="words-as-they-are")
    chat.start()
    chat.press("menu:lapor")
    chat.send("itu lho yang kemarin")
    chat.send("yang di sebelah warung pak haji, kasihan")
    chat.press("reg:kota-serang")
    chat.press("kec:unknown")
    chat.send("sebelah warung")
    chat.press("skip")
    chat.press("contact:anonymous")
    chat.press("consent:yes")
    chat.press("confirm:send")
    with Session(runtime.db) as session:
        return session.exec(select(Request)).one()


async def test_staff_set_the_category_and_the_request_is_routed_again(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = _unclassified_report(runtime)
    assert (request.category, request.queue_code, request.urgency) == (
        "belum_ditentukan",
        "dinsos-kota-serang",
        "normal",
    )
    make_staff(runtime, "dina", queues=("dinsos-kota-serang",))
    csrf = await login(client, "dina")
    page = (await client.get(f"/dashboard/requests/{request.id}")).text
    assert 'id="classify"' in page and "Anak korban kekerasan atau perlakuan salah" in page
    refused = await client.post(f"/dashboard/requests/{request.id}/classify", data={"code": "kdrt", "csrf_token": csrf})
    assert refused.status_code == 303
    with Session(runtime.db) as session:
        assert session.get(Request, request.id).category == "belum_ditentukan"  # a topic is not a category
    done = await client.post(
        f"/dashboard/requests/{request.id}/classify", data={"code": "anak_korban_kekerasan", "csrf_token": csrf}
    )
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/requests"  # no longer her queue
    with Session(runtime.db) as session:
        moved = session.get(Request, request.id)
        kinds = session.exec(select(RequestEvent.kind).where(RequestEvent.request_id == request.id)).all()
    assert (moved.category, moved.queue_code, moved.urgency, moved.status) == (
        "anak_korban_kekerasan",
        "p2tp2a-kota-serang",
        "urgent",
        "new",
    )
    assert moved.claim_due_at < request.claim_due_at and "classified" in kinds


async def test_a_classified_request_shows_no_form_and_refuses_a_second_setting(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = _unclassified_report(runtime)
    make_staff(runtime, "dina", queues=("dinsos-kota-serang",))
    csrf = await login(client, "dina")
    await client.post(f"/dashboard/requests/{request.id}/classify", data={"code": "pengemis", "csrf_token": csrf})
    page = await client.get(f"/dashboard/requests/{request.id}")
    assert 'id="classify"' not in page.text and "Ditetapkan: Pengemis" in page.text
    again = await client.post(
        f"/dashboard/requests/{request.id}/classify",
        data={"code": "gelandangan", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "sudah ditetapkan" in again.text
    with Session(runtime.db) as session:
        assert session.get(Request, request.id).category == "pengemis"
