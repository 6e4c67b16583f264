"""Leases of claimed messages: a claim that ran out never sends twice; a crash re-sends only a send that began."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.delivery.base import Recipient
from bot.delivery.worker import IN_FLIGHT_LEASE_SECONDS, OutboxWorker
from bot.engine import utc_now
from bot.messages import Channel, Reply
from bot.runtime import Runtime
from storage import delivery as store
from storage import send_rate
from storage.models import OutboxMessage
from tests.helpers.chat import Chat
from tests.helpers.fake_sender import FakeSender

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

CLAIM_LEASE = timedelta(seconds=60)


def _claim(runtime: Runtime, now: datetime, lease: timedelta = CLAIM_LEASE) -> list[store.ClaimedMessage]:
    with Session(runtime.db) as session, session.begin():
        send_rate.ensure_send_rate(session, channel="telegram", now=now)
        return store.claim_due_messages(
            session, channel="telegram", now=now, limit=100, lease=lease, chat_spacing=timedelta(0)
        )


def _turn(runtime: Runtime, message: store.ClaimedMessage, now: datetime) -> send_rate.SendTurn:
    with runtime.db.begin() as connection:
        return send_rate.take_send_turn(
            connection,
            channel="telegram",
            message=message,
            now=now,
            pacing=send_rate.Pacing(interval=timedelta(milliseconds=1), catch_up=timedelta(0), window=0),
            in_flight=timedelta(seconds=IN_FLIGHT_LEASE_SECONDS),
        )


def test_a_claim_that_ran_out_cannot_be_sent_by_the_instance_that_lost_it(runtime: Runtime) -> None:
    """Found before (issue 6): a message waiting past its claim's lease was claimed by a second instance and
    sent by both. The attempt number is the claim's fencing token: only the newer claim gets a turn."""
    for user in range(3):
        Chat(runtime.engine, user_id=str(user), channel=Channel.TELEGRAM).start()
    now = utc_now() + timedelta(seconds=1)
    first = _claim(runtime, now, lease=timedelta(seconds=20))
    later = _claim(runtime, now + timedelta(seconds=21))  # the first instance is still waiting for its turns
    assert [m.id for m in later] == [m.id for m in first]
    for n, (old, new) in enumerate(zip(first, later)):
        at = now + timedelta(seconds=21, milliseconds=10 * n)  # a turn a slot
        assert _turn(runtime, old, at).lost
        assert _turn(runtime, new, at).go


def test_after_a_crash_only_a_send_that_began_may_go_twice(runtime: Runtime) -> None:
    """An instance claimed two messages and died while sending the first: that one may have reached the
    platform and goes again after the short in-flight lease, flagged; the other never left and goes once,
    after its claim's lease."""
    for user in ("111", "222"):
        Chat(runtime.engine, user_id=user, channel=Channel.TELEGRAM).start()
    now = utc_now() + timedelta(seconds=1)
    started, waiting = _claim(runtime, now)[:2]
    assert _turn(runtime, started, now).go  # in flight when the instance died
    after_send_lease = now + timedelta(seconds=IN_FLIGHT_LEASE_SECONDS + 1)
    again = _claim(runtime, after_send_lease)
    assert [(m.id, m.may_have_arrived) for m in again] == [(started.id, True)]
    assert CLAIM_LEASE.total_seconds() > IN_FLIGHT_LEASE_SECONDS + 1
    later = _claim(runtime, now + CLAIM_LEASE + timedelta(seconds=1))
    assert [(m.id, m.may_have_arrived) for m in later] == [(waiting.id, False)]


class _Witness(FakeSender):
    """A sender that looks at the message's row, from another connection, while its platform call runs."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.seen: list[tuple[str, datetime | None, datetime]] = []

    async def send(self, recipient: Recipient, reply: Reply) -> str:
        with Session(self.runtime.db) as session:
            row = session.exec(select(OutboxMessage).where(OutboxMessage.status == "sending")).one()
            self.seen.append((row.status, row.send_started_at, row.next_attempt_at))
        return await super().send(recipient, reply)


async def test_the_in_flight_mark_is_committed_before_the_platform_call(runtime: Runtime) -> None:
    Chat(runtime.engine, user_id="111", channel=Channel.TELEGRAM).start()
    settings = Settings(
        _env_file=None, database_url=runtime.settings.database_url, telegram_chat_messages_per_second=1e6
    )
    worker = OutboxWorker(db=runtime.db, settings=settings, clock=utc_now)
    witness = _Witness(runtime)
    worker.register(witness)
    assert await worker.drain_once() == 2
    assert len(witness.seen) == 2
    for status, started, lease_until in witness.seen:
        assert status == "sending" and started is not None
        assert lease_until - started == timedelta(seconds=IN_FLIGHT_LEASE_SECONDS)  # seconds, not the claim's minute
    with Session(runtime.db) as session:
        assert {row.status for row in session.exec(select(OutboxMessage))} == {"sent"}
