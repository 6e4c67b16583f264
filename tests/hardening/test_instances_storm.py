"""Issue 20: two instances through one storm, against a fake Bot API with Telegram's real limits.

Sixty citizens walk the sighting form at once through a round-robin balancer to two instances on one
PostgreSQL; mid-burst one instance is killed with SIGKILL and started again while the Bot API answers
502; when the outage ends, Telegram bans the bot for two seconds (one 429 with `retry_after`). The fake
enforces 30 messages a second per bot and one a second per chat, as Telegram does, and records every
sendMessage with its arrival time. What must hold is what the issue asks: never more than 30 sends in
any one second across both instances; no 429 after the one the fake gave; each chat's messages in order
and a second apart; every message delivered, and only a send begun by the killed instance delivered
twice; the instance started during the outage serving the web chat and the dashboard at once.

Bounded: about 720 messages at 30/s with an 8 s outage, under a minute on the shared machine.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, func, select

from bot.runtime import Runtime
from storage.models import Contact, OutboxMessage, Request
from tests.hardening.conftest import telegram_instance_env
from tests.helpers.fake_bot_api import FakeBotApi, Send, most_in_any_window
from tests.helpers.service_process import ServiceProcess
from tests.helpers.telegram_burst import TelegramBurst

pytestmark = [pytest.mark.parametrize("database_url", ["postgresql"], indirect=True), pytest.mark.storm]

CITIZENS = 60
FIRST_CHAT = 930_000_000
RATE = 30  # Telegram's messages a second per bot, enforced by the fake and configured in the service
KILL_AFTER = 150  # messages accepted before the SIGKILL: mid-burst (each citizen gets 12)
OUTAGE_S = 8.0
BAN_S = 2
WAIT_S = 90.0


@pytest.fixture
def frozen_heap() -> Iterator[None]:
    """Keep full garbage collections of what earlier tests left in this process out of the storm.

    The fake stamps each arrival in this process, so a pause here bunches the stamps: after tests/delivery
    a full collection took 120-180 ms on the shared machine and made "31 in one second" of sends that were
    1/rate apart. Frozen, the objects made so far are not scanned again until the storm is over.
    """
    gc.freeze()
    yield
    gc.unfreeze()


async def test_two_instances_keep_telegrams_limits_through_a_kill_an_outage_and_a_flood_wait(
    database_url: str, tmp_path: Path, runtime: Runtime, frozen_heap: None
) -> None:
    with FakeBotApi() as fake:
        fake.enforce_limits(per_second=RATE, chat_gap=1.0)
        victim, _survivor = services = [
            ServiceProcess(tmp_path, database_url, name=name, env=telegram_instance_env(fake, RATE)) for name in "ab"
        ]
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in services))
        burst = TelegramBurst(fake, [s.base_url for s in services], reply_within_s=WAIT_S)
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as client:
                walks = asyncio.gather(*(burst.citizen(client, FIRST_CHAT + n) for n in range(CITIZENS)))
                try:
                    in_flight = await _storm(fake, victim, runtime, client)
                    await walks
                finally:
                    walks.cancel()
                await _eventually(lambda: _unsent(runtime) == 0, "every outbox message sent")
        finally:
            for service in services:
                service.stop()
        sends = fake.sends_since(0)

    assert most_in_any_window(send.at for send in sends) <= RATE  # sendMessage calls, any answer
    refused = [(s.status, s.refused_for) for s in sends if s.status == 429]
    assert refused == [(429, "ban")], _chats_of_refusals(sends)  # none after the first
    accepted = defaultdict(list)
    for send in sends:
        if send.accepted:
            accepted[send.chat_id].append(send)
    assert all(b.at - a.at >= 1.0 for chat in accepted.values() for a, b in itertools.pairwise(chat))
    twice = _delivered_in_order(runtime, accepted)
    assert twice <= in_flight, "a message sent twice that was not in flight at the kill"
    assert sorted(burst.finished) == [FIRST_CHAT + n for n in range(CITIZENS)]
    with Session(runtime.db) as session:
        assert session.exec(select(func.count()).select_from(Request)).one() == CITIZENS  # every citizen, a ticket
    restarted = victim.log_path.read_text().split("telegram_setup_failed", 1)  # the start during the outage
    assert len(restarted) == 2 and "telegram_connected" in restarted[1]  # connected after it, no restart needed
    assert all("outbox_round_failed" not in s.log_path.read_text() for s in services)


async def _storm(fake: FakeBotApi, victim: ServiceProcess, runtime: Runtime, client: httpx.AsyncClient) -> set[int]:
    """Kill mid-burst, start again during a Bot API outage, ban after it; the outbox ids in flight at the kill."""
    await _eventually(lambda: sum(s.accepted for s in fake.sends_since(0)) >= KILL_AFTER, "the burst under way")
    victim.kill()
    in_flight = _in_flight(runtime)
    outage_ends = fake.outage(OUTAGE_S)
    await asyncio.to_thread(victim.start)
    ready = (await client.get(f"{victim.base_url}/readyz")).json()
    assert (ready["status"], ready["pending"]) == ("ready", ["telegram"])
    session_id = (await client.post(f"{victim.base_url}/api/webchat/sessions")).json()["session_id"]
    answer = await client.post(
        f"{victim.base_url}/api/webchat/sessions/{session_id}/messages",
        json={"text": "halo", "client_message_id": "storm-000001"},
    )
    assert answer.status_code == 200 and answer.json()["replies"], "the web chat did not answer at once"
    assert (await client.get(f"{victim.base_url}/login")).status_code == 200, "the dashboard did not answer at once"
    assert time.monotonic() < outage_ends, "the restart outlasted the outage: nothing was tested"
    await asyncio.sleep(outage_ends - time.monotonic())  # the fake's schedule: the outage is over then
    fake.ban_next_send(BAN_S)
    return in_flight


def _in_flight(runtime: Runtime) -> set[int]:
    """Outbox messages whose send had begun and was not recorded: only these may reach Telegram twice."""
    with Session(runtime.db) as session:
        return set(
            session.exec(
                select(OutboxMessage.id).where(
                    OutboxMessage.status == "sending", OutboxMessage.send_started_at.is_not(None)
                )
            )
        )


def _unsent(runtime: Runtime) -> int:
    with Session(runtime.db) as session:
        return session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.channel == "telegram", OutboxMessage.status.in_(("pending", "sending")))
        ).one()


def _delivered_in_order(runtime: Runtime, accepted: dict[int, list[Send]]) -> set[int]:
    """Each chat received exactly its outbox messages, in order; returns the ids of those that came twice.

    A message sent twice arrives twice in a row: the chat's next one waits until it is recorded as sent.
    """
    with Session(runtime.db) as session:
        rows = session.exec(
            select(OutboxMessage, Contact)
            .join(Contact)
            .where(OutboxMessage.channel == "telegram")
            .order_by(OutboxMessage.id)
        ).all()
    expected: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for message, contact in rows:
        assert message.status == "sent", (message.id, message.status, message.last_error)
        expected[int(contact.platform_user_id)].append((message.id, message.payload["text"]))
    assert set(accepted) == set(expected)
    twice: set[int] = set()
    for chat, messages in expected.items():
        texts = [send.text for send in accepted[chat]]
        position = 0
        for message_id, text in messages:
            assert texts[position : position + 1] == [text], f"chat {chat}: {texts} (expected {text!r} at {position})"
            position += 1
            if texts[position : position + 1] == [text]:
                twice.add(message_id)
                position += 1
        assert position == len(texts), f"chat {chat}: more messages than the outbox holds: {texts[position:]}"
    return twice


def _chats_of_refusals(sends: list[Send]) -> str:
    """Every send to the chats refused for a limit other than the ban: when (from the first send), answer, text."""
    start = sends[0].at if sends else 0.0
    chats = {s.chat_id for s in sends if s.status == 429 and s.refused_for != "ban"}
    return "\n".join(
        f"chat {s.chat_id} at {s.at - start:8.3f} s: {s.status} {s.refused_for or 'accepted'} {s.text[:40]!r}"
        for s in sends
        if s.chat_id in chats
    )


async def _eventually(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        await asyncio.sleep(0.1)
