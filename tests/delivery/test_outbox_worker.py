"""The outbox worker's rules, on both engines: order, retries, dead letters, leases, rates."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.delivery.base import PermanentFailure, RecipientUnreachable, RetryLater, TemporaryFailure
from bot.delivery.worker import CHAT_SPACING_MARGIN, OutboxWorker
from bot.engine import ConversationEngine, utc_now
from bot.messages import Channel
from bot.runtime import Runtime
from storage.models import Contact, OutboxMessage, SendRate
from tests.helpers.chat import Chat
from tests.helpers.fake_sender import FakeSender

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py


class Clock:
    """A clock the test moves by hand; the worker's sleeps advance it instead of waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)  # just after the engine queued the replies

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        """The worker's monotonic time: this clock's, so a loaded machine's real seconds never move a turn."""
        return self.now.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _worker(runtime: Runtime, clock: Clock, sender: FakeSender, **overrides) -> OutboxWorker:
    settings = Settings(_env_file=None, database_url=runtime.settings.database_url, **overrides)
    worker = OutboxWorker(db=runtime.db, settings=settings, clock=clock, sleep=clock.sleep, monotonic=clock.monotonic)
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
    for _ in range(40):  # a tenth of a second at a time, as the run loop would come back
        if len(sender.sent) == 4:
            break
        clock.now += timedelta(seconds=0.1)
        await worker.drain_once()
    spacing = timedelta(seconds=1 + CHAT_SPACING_MARGIN)  # a second on our clock may be less on Telegram's
    for user in ("111", "222"):
        sends = [(text, at) for address, text, at in sender.sent if address == user]
        assert [text.split("\n")[0][:5] for text, _ in sends] == ["Halo!", "Apa y"]
        assert sends[1][1] - sends[0][1] >= spacing, sends
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
    settings = Settings(
        _env_file=None, database_url=runtime.settings.database_url, telegram_chat_messages_per_second=1e6
    )  # real time, but no spacing to wait out
    worker = _SlowClaimWorker(db=runtime.db, settings=settings, clock=utc_now, sleep=asyncio.sleep)
    worker.register(sender)
    assert await worker.drain_once() == 2
    assert [text for _, text, _ in sender.sent][1] == "Apa yang ingin Anda lakukan?"
    assert {r.status for r in _rows(runtime)} == {"sent"}


async def _sent_within(sender: FakeSender, count: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while len(sender.sent) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return len(sender.sent) >= count


class _ReplyDuringClaimWorker(OutboxWorker):
    """The first claim finds nothing, and a reply is committed and woken for while it runs."""

    committed = False
    chat_engine: ConversationEngine
    loop: asyncio.AbstractEventLoop

    def _claim(self, channel: str, now: datetime) -> list:
        claimed = super()._claim(channel, now)
        if not self.committed:
            self.committed = True
            Chat(self.chat_engine, user_id="111", channel=Channel.TELEGRAM).start()  # greeting + menu
            self.loop.call_soon_threadsafe(self.wake)
        return claimed


async def test_a_reply_committed_while_a_claim_runs_goes_out_without_waiting_for_the_idle_poll(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wake came during a round that found nothing; it was cleared after it, and the reply waited for
    the idle poll (half a second, here a minute)."""
    monkeypatch.setattr("bot.delivery.worker.IDLE_POLL_SECONDS", 60.0)
    sender = FakeSender()
    settings = Settings(_env_file=None, database_url=runtime.settings.database_url)
    worker = _ReplyDuringClaimWorker(db=runtime.db, settings=settings, clock=utc_now)
    worker.chat_engine, worker.loop = runtime.engine, asyncio.get_running_loop()
    worker.register(sender)
    await worker.start()
    try:
        assert await _sent_within(sender, 1, 10)
    finally:
        await worker.stop()
    assert sender.sent[0][1].startswith("Halo!")


async def test_a_contacts_next_message_goes_out_once_the_chat_spacing_has_passed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not at the next idle poll (a minute here) or the next reply someone else gets: the worker knows
    the chat has another message and comes back for it when the spacing allows."""
    monkeypatch.setattr("bot.delivery.worker.IDLE_POLL_SECONDS", 60.0)
    Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM).start()  # greeting + menu, one chat
    sender = FakeSender(clock=time.monotonic)
    settings = Settings(
        _env_file=None, database_url=runtime.settings.database_url, telegram_chat_messages_per_second=5.0
    )
    worker = OutboxWorker(db=runtime.db, settings=settings, clock=utc_now)
    worker.register(sender)
    await worker.start()
    try:
        assert await _sent_within(sender, 2, 10)
    finally:
        await worker.stop()
    (_, first, first_at), (_, second, second_at) = sender.sent
    assert first.startswith("Halo!") and second == "Apa yang ingin Anda lakukan?"
    assert second_at - first_at >= 0.2 - 0.01


async def test_chat_spacing_and_global_rate_hold_in_real_time(runtime: Runtime) -> None:
    """Real clock and sleeps (about one second): sends never run ahead of their rate slots."""
    for user in range(10):
        Chat(runtime.engine, user_id=str(user), channel=Channel.TELEGRAM).start()
    sender = FakeSender(clock=time.monotonic)
    settings = Settings(
        _env_file=None,
        database_url=runtime.settings.database_url,
        telegram_messages_per_second=20.0,
        telegram_chat_messages_per_second=4.0,
    )
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


class _Busy(Exception):
    """The first instance turns to other work instead of waiting out the flood wait itself."""


async def test_a_429_met_by_one_worker_holds_every_worker_until_it_ends(runtime: Runtime, clock: Clock) -> None:
    for user in ("111", "222", "333"):
        Chat(runtime.engine, user_id=user, channel=Channel.TELEGRAM).start()

    async def no_long_waits(seconds: float) -> None:
        if seconds > 1:
            raise _Busy
        await clock.sleep(seconds)

    settings = Settings(
        _env_file=None,
        database_url=runtime.settings.database_url,
        delivery_lease_seconds=5,
        telegram_chat_messages_per_second=1e6,
    )
    first = OutboxWorker(db=runtime.db, settings=settings, clock=clock, sleep=no_long_waits)
    first.register(FakeSender(clock=clock, failures=[RetryLater(30)]))
    with pytest.raises(_Busy):
        await first.drain_once()  # its first send met the 429; it will not wait 30 s for the next
    paused_until = await _paused_until(runtime)  # written as the 429 is recorded, beside the drain
    assert paused_until >= clock.now + timedelta(seconds=29)
    clock.now += timedelta(seconds=6)  # the first one's claims have run out; its flood wait has not
    second_sender = FakeSender(clock=clock)
    second = OutboxWorker(db=runtime.db, settings=settings, clock=clock, sleep=clock.sleep)
    second.register(second_sender)
    # Rounds of the second worker as its run loop makes them: how many sends one round starts depends on
    # which claims of the first have run out by then, so the test waits for all six replies, a bounded
    # number of rounds, and asserts none went out before the flood wait ended.
    for _ in range(10):
        if len(second_sender.sent) == 6:
            break
        await second.drain_once()
        clock.now += timedelta(seconds=1)
    sent_at = [at for _, _, at in second_sender.sent]
    # Send turns never let their clock stand still (a frozen clock would stop them), so they run a few
    # milliseconds of real time ahead of this hand-moved one: waiting out 24 s is what is asserted.
    assert len(sent_at) == 6 and min(sent_at) >= paused_until - timedelta(milliseconds=100), (paused_until, sent_at)


async def _paused_until(runtime: Runtime) -> datetime:
    deadline = time.monotonic() + 5
    while True:
        with Session(runtime.db) as session:
            paused_until = session.get(SendRate, "telegram").paused_until
        if paused_until is not None:
            return paused_until
        assert time.monotonic() < deadline, "no flood wait written"
        await asyncio.sleep(0.01)
