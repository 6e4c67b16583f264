"""Several instances on one PostgreSQL: the same traffic to both, work done once, the global send rate held.

Each instance is the real service in its own process (`ServiceProcess`), with the platforms' fakes on
127.0.0.1 (the fake Graph API and Bot API run in this test process).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, func, select

from bot.engine import utc_now
from bot.flows.state import from_row
from bot.runtime import Runtime
from storage import due_work
from storage.models import Contact, Conversation, OutboxMessage, ProcessedInbound, Request, RequestEvent
from tests.hardening.conftest import telegram_instance_env
from tests.helpers.dashboard import login, seed
from tests.helpers.fake_bot_api import FakeBotApi, most_in_any_window
from tests.helpers.fake_graph_api import FakeGraphAPI
from tests.helpers.service_process import ServiceProcess
from tests.helpers.staff import make_staff
from tests.helpers.webchat_burst import Burst
from tests.helpers.whatsapp import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, message_payload, sign

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
WAIT_S = 90.0


def _count(runtime: Runtime, model: type, *where) -> int:
    with Session(runtime.db) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


async def _eventually(condition, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        assert time.monotonic() < deadline, f"not within {timeout:.0f}s: {what}"
        await asyncio.sleep(0.2)


def _pair(tmp_path: Path, database_url: str, env: dict[str, str]) -> list[ServiceProcess]:
    return [ServiceProcess(tmp_path, database_url, name=name, env=env) for name in ("a", "b")]


# --- the same traffic to both ------------------------------------------------------------------------------


async def test_two_instances_same_traffic_no_duplicates_no_lost_replies_claims_once(
    database_url: str, tmp_path: Path, graph_api: FakeGraphAPI, runtime: Runtime
) -> None:
    env = {
        "WHATSAPP_TOKEN": "test-token-not-real",
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": graph_api.base_url,
        "WHATSAPP_MESSAGES_PER_SECOND": "1000",
    }
    services = _pair(tmp_path, database_url, env)
    await asyncio.gather(*(asyncio.to_thread(s.start) for s in services))
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as client:
            await asyncio.gather(
                *(_whatsapp_citizen(client, services, n) for n in range(10)),
                _web_chats_across(client, services),
                _claims_across(client, services, runtime),
            )
            await _eventually(
                lambda: (
                    _count(
                        runtime,
                        OutboxMessage,
                        OutboxMessage.channel == "whatsapp",
                        OutboxMessage.status.in_(("pending", "sending")),
                    )
                    == 0
                ),
                "every WhatsApp reply sent",
            )
    finally:
        for service in services:
            service.stop()
    with Session(runtime.db) as session:
        rows = list(session.exec(select(OutboxMessage).where(OutboxMessage.channel == "whatsapp")))
        states = list(session.exec(select(Conversation).join(Contact).where(Contact.channel == "whatsapp")))
    assert _count(runtime, ProcessedInbound, ProcessedInbound.channel == "whatsapp") == 10 * CITIZEN_MESSAGES
    assert _count(runtime, Contact, Contact.channel == "whatsapp") == 10
    assert {r.status for r in rows} == {"sent"} and len({r.platform_message_id for r in rows}) == len(rows)
    assert len(graph_api.messages) == len(rows)  # each reply reached Meta once: none lost, none twice
    # The two different messages a citizen sent to both instances at the same moment are both in the state.
    forms = [from_row(s.flow, s.step, s.data).form for s in states]
    assert len(forms) == 10 and all(
        f is not None and f.danger and f.answers.get("region") == "kota-serang" for f in forms
    )


#: Per citizen: three messages each delivered to both instances, then two different ones at the same moment.
CITIZEN_MESSAGES = 5


async def _whatsapp_citizen(client: httpx.AsyncClient, services: list[ServiceProcess], n: int) -> None:
    identity = {"wa_id": f"62812000{n:05d}", "bsuid": None}

    def body(message: dict) -> bytes:
        return message_payload(message, **identity)

    async def post(service: ServiceProcess, raw: bytes) -> int:
        headers = {"content-type": "application/json", "X-Hub-Signature-256": sign(raw)}
        return (await client.post(f"{service.base_url}/webhooks/whatsapp", content=raw, headers=headers)).status_code

    for message in (
        {"type": "text", "text": {"body": "halo"}},
        {
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "menu:lapor", "title": "x"}},
        },
        {"type": "text", "text": {"body": "anak jalanan"}},
    ):
        raw = body(message)  # the same delivery to both instances at once: a retry landing elsewhere
        assert await asyncio.gather(post(services[0], raw), post(services[1], raw)) == [200, 200]
    danger = body({"type": "text", "text": {"body": "tolong saya dipukul"}})
    region = body(
        {
            "type": "interactive",
            "interactive": {"type": "list_reply", "list_reply": {"id": "reg:kota-serang", "title": "x"}},
        }
    )
    assert await asyncio.gather(post(services[0], danger), post(services[1], region)) == [200, 200]


async def _web_chats_across(client: httpx.AsyncClient, services: list[ServiceProcess]) -> None:
    """Each message of a conversation to the other instance than the one before (a round-robin balancer)."""
    burst = Burst(*(s.base_url for s in services))
    await asyncio.gather(*(burst.conversation(client, n) for n in range(10)))


async def _claims_across(_client: httpx.AsyncClient, services: list[ServiceProcess], runtime: Runtime) -> None:
    """Two counselors, one on each instance, press "claim" on the same ten requests at the same moment."""
    ids = [seed(runtime, queue="lk3-kota-serang").id for _ in range(10)]
    browsers = [httpx.AsyncClient(base_url=s.base_url, timeout=httpx.Timeout(20.0)) for s in services]
    try:
        tokens = []
        for name, browser in zip(("siti", "rina"), browsers):
            make_staff(runtime, name, queues=("lk3-kota-serang",))
            tokens.append(await login(browser, name))
        for request_id in ids:
            answers = await asyncio.gather(
                *(
                    browser.post(f"/dashboard/requests/{request_id}/claim", data={"csrf_token": token})
                    for browser, token in zip(browsers, tokens)
                )
            )
            assert [a.status_code for a in answers] == [303, 303]
    finally:
        for browser in browsers:
            await browser.aclose()
    with Session(runtime.db) as session:
        for request_id in ids:
            claims = session.exec(
                select(RequestEvent).where(RequestEvent.request_id == request_id, RequestEvent.to_status == "claimed")
            ).all()
            assert len(claims) == 1 and session.get(Request, request_id).assigned_staff_id == claims[0].detail["staff"]


# --- issue 6: delivery across instances and across a SIGKILL ------------------------------------------------


def _per_chat(fake: FakeBotApi) -> Counter:
    """Messages the fake accepted, per chat."""
    return Counter(send.chat_id for send in fake.sends_since(0) if send.accepted)


def _seed_follow_ups(runtime: Runtime, count: int, first_chat: int = 900_000_000) -> list[int]:
    """`count` Telegram citizens, each with one follow-up due now (urgent: no quiet hours in a test)."""
    now = utc_now()
    chats = [first_chat + n for n in range(count)]
    with Session(runtime.db) as session, session.begin():
        contacts = [
            Contact(channel="telegram", platform_user_id=str(chat), language="id", created_at=now, last_inbound_at=now)
            for chat in chats
        ]
        session.add_all(contacts)
        session.flush()
        for contact in contacts:
            due_work.schedule(
                session,
                kind="citizen_update",
                dedupe_key=f"follow-up:{contact.id}",
                due_at=now - timedelta(seconds=1),
                now=now,
                contact_id=contact.id,
                payload={"key": "update.claimed", "params": {"code": "ABC-DEF"}, "urgent": True},
            )
    return chats


async def test_two_instances_deliver_1000_follow_ups_once_within_the_global_rate(
    database_url: str, tmp_path: Path, runtime: Runtime
) -> None:
    """Issue 6. The rate is counted where it matters, at the platform. Slots are shared, 1/rate apart and
    taken one at a time when due; what they cannot see is one instance's send running late while the
    other's are on time. Here both instances and the fake that timestamps arrivals share two cores: when
    other tests load them, the fake itself is starved for a moment and then stamps a second's backlog
    together (111, 179 and 195 in one second of 100 were seen so, on code whose slots were 1/rate apart).
    So the rate is judged over five-second windows, which such a stall can push over by one second's
    worth at most (1.2x), while two instances that did not share the rate would arrive at twice it."""
    rate = 100
    with FakeBotApi() as fake:
        chats = _seed_follow_ups(runtime, 1000)
        services = _pair(tmp_path, database_url, telegram_instance_env(fake, rate))
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in services))
        try:
            await _eventually(lambda: sum(_per_chat(fake).values()) >= 1000, "1,000 follow-ups at the fake")
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
        finally:
            for service in services:
                service.stop()
        received = _per_chat(fake)
        arrivals = [send.at for send in fake.sends_since(0) if send.accepted]
    assert set(received) == set(chats) and set(received.values()) == {1}  # each exactly once
    assert most_in_any_window(arrivals, seconds=5.0) <= rate * 5 * 1.2
    assert max(arrivals) - min(arrivals) >= (1000 - 1) / rate - 0.1  # on average, never faster than the rate
    assert all(service.log_tail().count("due_work_failed") == 0 for service in services)


async def test_sigkill_with_follow_ups_due_and_in_flight_loses_none(
    database_url: str, tmp_path: Path, runtime: Runtime
) -> None:
    """Issue 6: after a SIGKILL mid-delivery and a restart, every follow-up arrives; only those in flight at the
    kill (their send begun, not yet recorded as sent: issue 20's in-flight mark) may arrive twice."""
    with FakeBotApi() as fake:
        chats = _seed_follow_ups(runtime, 300)
        service = ServiceProcess(tmp_path, database_url, name="delivery", env=telegram_instance_env(fake, 50)).start()
        try:
            # Killed while delivering: every follow-up has become an outbox message, a third of them are out.
            await _eventually(lambda: _count(runtime, OutboxMessage) == 300, "the follow-ups queued")
            await _eventually(lambda: sum(_per_chat(fake).values()) >= 100, "the first hundred sent")
            service.kill()
            sent_before_kill = sum(_per_chat(fake).values())
            with Session(runtime.db) as session:
                in_flight = {
                    int(c.platform_user_id)
                    for m, c in session.exec(
                        select(OutboxMessage, Contact)
                        .join(Contact)
                        .where(OutboxMessage.status == "sending", OutboxMessage.send_started_at.is_not(None))
                    )
                }
            assert sent_before_kill < 300, "the kill came after the delivery: nothing tested"
            service.start()
            await _eventually(lambda: set(_per_chat(fake)) == set(chats), "every follow-up after the restart")
            await _eventually(
                lambda: _count(runtime, OutboxMessage, OutboxMessage.status != "sent") == 0,
                "every outbox row recorded as sent",
            )
        finally:
            service.stop()
        received = _per_chat(fake)
    twice = {chat for chat, times in received.items() if times > 1}
    assert max(received.values()) <= 2 and twice <= in_flight
    assert _count(runtime, OutboxMessage) == 300
