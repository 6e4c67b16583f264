"""A send slot beyond the claim's lease must not let a second instance claim (and send) the message again."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.delivery.worker import OutboxWorker
from bot.engine import utc_now
from bot.messages import Channel
from bot.runtime import Runtime
from storage import delivery as store
from storage.models import OutboxMessage, SendRate
from tests.helpers.chat import Chat
from tests.helpers.fake_sender import FakeSender

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py


async def test_a_slot_beyond_the_lease_keeps_the_message_reserved(runtime: Runtime) -> None:
    """Found here: 5 chats at one send per 10 s, a 20 s lease: the last three slots lie past the lease, and
    a second instance 21 s later claimed them too (their lease had run out) while the first still waited."""
    for user in range(5):
        Chat(runtime.engine, user_id=str(user), channel=Channel.TELEGRAM).start()
    settings = Settings(_env_file=None, database_url=runtime.settings.database_url, telegram_messages_per_second=0.1,
                        telegram_chat_messages_per_second=1e6, delivery_lease_seconds=20)
    hold = asyncio.Event()

    async def wait_for_slot(_seconds: float) -> None:
        await hold.wait()  # the first instance is still waiting for its slots when the second looks

    first = OutboxWorker(db=runtime.db, settings=settings, clock=utc_now, sleep=wait_for_slot)
    first.register(FakeSender())
    started = utc_now()
    round_ = asyncio.create_task(first.drain_once())
    deadline = time.monotonic() + 10
    while not _slots_reserved(runtime, started + timedelta(seconds=40)):
        assert time.monotonic() < deadline, "the first instance reserved no slots"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # its lease extensions are written right after the slots
    with Session(runtime.db) as session, session.begin():
        later = store.claim_due_messages(session, channel="telegram", now=started + timedelta(seconds=21), limit=100,
                                         lease=timedelta(seconds=20), chat_spacing=timedelta(0))
    with Session(runtime.db) as session:
        first_messages = {m.contact_id: m.id for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))
                          if m.id == min(x.id for x in session.exec(select(OutboxMessage))
                                         .all() if x.contact_id == m.contact_id)}
    waiting_past_lease = sorted(first_messages.values())[2:]  # slots at +20 s, +30 s, +40 s
    assert not {m.id for m in later} & set(waiting_past_lease)
    round_.cancel()
    await asyncio.gather(round_, return_exceptions=True)


def _slots_reserved(runtime: Runtime, until) -> bool:
    with Session(runtime.db) as session:
        rate = session.get(SendRate, "telegram")
        return rate is not None and rate.next_slot_at >= until
