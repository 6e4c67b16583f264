"""The outbox worker's rules, on both engines: order, retries, dead letters, leases, rates."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.delivery.base import PermanentFailure, RecipientUnreachable, RetryLater, TemporaryFailure
from bot.delivery.worker import OutboxWorker
from bot.engine import utc_now
from bot.messages import Channel
from bot.runtime import Runtime
from storage.delivery import reserve_send_slots
from storage.models import Contact, OutboxMessage
from tests.helpers.chat import Chat
from tests.helpers.fake_sender import FakeSender

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py


class Clock:
    """A clock the test moves by hand; the worker's sleeps advance it instead of waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)  # just after the engine queued the replies

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _worker(runtime: Runtime, clock: Clock, sender: FakeSender, **overrides) -> OutboxWorker:
    settings = Settings(_env_file=None, database_url=runtime.settings.database_url, **overrides)
    worker = OutboxWorker(db=runtime.db, settings=settings, clock=clock, sleep=clock.sleep)
    worker.register(sender)
    return worker


async def _drain_over_time(worker: OutboxWorker, clock: Clock, seconds: int = 5) -> None:
    """Run the worker while the fake clock moves a second at a time (chat spacing needs time)."""
    for _ in range(seconds):
        await worker.drain_once()
        clock.now += timedelta(seconds=1)


def _rows(runtime: Runtime) -> list[OutboxMessage]:
    with Session(runtime.db) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_sends_each_contacts_messages_in_order_and_records_platform_ids(runtime: Runtime, clock: Clock) -> None:
    for user in ("111", "222"):
        Chat(runtime.engine, user_id=user, channel=Channel.TELEGRAM).start()  # greeting + menu each
    sender = FakeSender(clock=clock)
    worker = _worker(runtime, clock, sender, telegram_chat_messages_per_second=1.0)
    assert await worker.drain_once() == 2  # one per chat: the second waits for the chat's spacing
    clock.now += timedelta(seconds=1)
    assert await worker.drain_once() == 2
    for user in ("111", "222"):
        texts = [text for address, text, _ in sender.sent if address == user]
        assert texts[0].startswith("Halo!") and texts[1] == "Apa yang ingin Anda lakukan?"
    rows = _rows(runtime)
    assert {r.status for r in rows} == {"sent"} and all(r.platform_message_id for r in rows)


class _SlowClaimWorker(OutboxWorker):
    """A claim that finds nothing and returns only after the send in flight has finished (a slow database)."""

    def _claim(self, channel: str, now: datetime) -> list:
        claimed = super()._claim(channel, now)
        deadline = time.monotonic() + 5
        while not claimed and time.monotonic() < deadline:
            with Session(self._db) as session:
                if not session.exec(select(OutboxMessage).where(OutboxMessage.status == "sending")).first():
                    break
            time.sleep(0.01)
        return claimed


async def test_a_send_that_ends_during_an_empty_claim_does_not_end_the_drain(runtime: Runtime) -> None:
    """Found in CI: the greeting's send ended while the next claim (which saw it in flight) ran; the drain
    then stopped with nothing in flight and the menu waited for the next wake-up."""
    Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM).start()  # greeting + menu
    sender = FakeSender()
    settings = Settings(_env_file=None, database_url=runtime.settings.database_url,
                        telegram_chat_messages_per_second=1e6)  # real time, but no spacing to wait out
    worker = _SlowClaimWorker(db=runtime.db, settings=settings, clock=utc_now, sleep=asyncio.sleep)
    worker.register(sender)
    assert await worker.drain_once() == 2
    assert [text for _, text, _ in sender.sent][1] == "Apa yang ingin Anda lakukan?"
    assert {r.status for r in _rows(runtime)} == {"sent"}


async def test_chat_spacing_and_global_rate_hold_in_real_time(runtime: Runtime) -> None:
    """Real clock and sleeps (about one second): sends never run ahead of their rate slots."""
    for user in range(10):
        Chat(runtime.engine, user_id=str(user), channel=Channel.TELEGRAM).start()
    sender = FakeSender(clock=time.monotonic)
    settings = Settings(_env_file=None, database_url=runtime.settings.database_url,
                        telegram_messages_per_second=20.0, telegram_chat_messages_per_second=4.0)
    worker = OutboxWorker(db=runtime.db, settings=settings, clock=utc_now)
    worker.register(sender)
    started = time.monotonic()
    deadline = started + 10
    while len(sender.sent) < 20 and time.monotonic() < deadline:
        if not await worker.drain_once():
            await asyncio.sleep(0.02)
    assert len(sender.sent) == 20
    times = sorted(at for _, _, at in sender.sent)
    # The i-th send never comes before the i-th slot at 20/s. A loaded machine may make sends late (and
    # late ones bunch up behind punctual ones), but never early: that is the promise to the platform.
    for i, at in enumerate(times):
        assert at - started >= i / 20 - 0.01
    for user in range(10):
        mine = [at for address, _, at in sender.sent if address == str(user)]
        assert mine[1] - mine[0] >= 0.25 - 0.01


async def test_rate_limit_is_waited_out_without_using_an_attempt(runtime: Runtime, clock: Clock) -> None:
    Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM).start()
    sender = FakeSender(clock=clock, failures=[RetryLater(7)])
    worker = _worker(runtime, clock, sender)
    await worker.drain_once()
    first = _rows(runtime)[0]
    assert (first.status, first.attempts, first.next_attempt_at) == ("pending", 0, clock.now + timedelta(seconds=7))
    clock.now += timedelta(seconds=7)
    await _drain_over_time(worker, clock)
    assert [r.status for r in _rows(runtime)] == ["sent", "sent"] and len(sender.sent) == 2


async def test_temporary_failures_back_off_then_dead_letter(runtime: Runtime, clock: Clock) -> None:
    Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM).start()
    sender = FakeSender(clock=clock, failures=[TemporaryFailure("502 Bad Gateway")] * 3)
    worker = _worker(runtime, clock, sender, delivery_max_attempts=3)
    for _ in range(3):
        await worker.drain_once()
        clock.now += timedelta(minutes=20)
    first = _rows(runtime)[0]
    assert (first.status, first.attempts) == ("dead", 3) and "502 Bad Gateway" in first.last_error
    assert not any(text.startswith("Halo!") for _, text, _ in sender.sent)


async def test_bad_request_is_dead_at_once(runtime: Runtime, clock: Clock) -> None:
    Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM).start()
    sender = FakeSender(clock=clock, failures=[PermanentFailure("Bad Request: message text is empty")])
    await _drain_over_time(_worker(runtime, clock, sender), clock)
    assert _rows(runtime)[0].status == "dead" and _rows(runtime)[1].status == "sent"


async def test_blocked_user_is_marked_unreachable_and_not_retried(runtime: Runtime, clock: Clock) -> None:
    Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM).start()
    sender = FakeSender(clock=clock, failures=[RecipientUnreachable("Forbidden: bot was blocked by the user")])
    worker = _worker(runtime, clock, sender)
    await worker.drain_once()
    clock.now += timedelta(hours=1)
    assert await worker.drain_once() == 0 and sender.sent == []
    assert [r.status for r in _rows(runtime)] == ["unreachable", "unreachable"]
    with Session(runtime.db) as session:
        assert session.exec(select(Contact)).one().unreachable_at is not None


async def test_message_of_a_crashed_worker_is_sent_again_after_its_lease(runtime: Runtime, clock: Clock) -> None:
    chat = Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM)
    chat.start()
    with Session(runtime.db) as session, session.begin():  # a worker claimed it and died mid-send
        row = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        row.status, row.attempts, row.next_attempt_at = "sending", 1, clock.now + timedelta(seconds=60)
    sender = FakeSender(clock=clock)
    worker = _worker(runtime, clock, sender)
    assert await worker.drain_once() == 0  # in flight elsewhere: neither it nor the next one moves
    clock.now += timedelta(seconds=61)
    await _drain_over_time(worker, clock)
    assert [text[:5] for _, text, _ in sender.sent] == ["Halo!", "Apa y"]


def test_send_slots_of_concurrent_instances_never_overlap(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    slots: list[datetime] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(5):
            with Session(runtime.db) as session, session.begin():
                mine = reserve_send_slots(session, channel="telegram", count=3,
                                          interval=timedelta(milliseconds=100), now=now)
            with lock:
                slots.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    ordered = sorted(slots)
    assert len(set(ordered)) == 60
    assert all(b - a == timedelta(milliseconds=100) for a, b in itertools.pairwise(ordered))
