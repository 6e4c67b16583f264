"""The send rate every instance shares (storage/send_rate.py), on both engines: turns, flood waits, the window."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.messages import Channel
from bot.runtime import Runtime
from storage import delivery as store
from storage import send_rate
from storage.models import OutboxMessage
from tests.helpers.chat import Chat

SLOTS = send_rate.Pacing(interval=timedelta(milliseconds=100), catch_up=timedelta(milliseconds=5), window=0)


def _claimed(runtime: Runtime, chats: int, now: datetime) -> list[store.ClaimedMessage]:
    """One claimed message (the greeting) for each of `chats` Telegram chats."""
    for user in range(chats):
        Chat(runtime.engine, user_id=str(user), channel=Channel.TELEGRAM).start()
    with Session(runtime.db) as session, session.begin():
        send_rate.ensure_send_rate(session, channel="telegram", now=now)
        return store.claim_due_messages(
            session, channel="telegram", now=now, limit=100, lease=timedelta(seconds=60), chat_spacing=timedelta(0)
        )


def _turn(
    runtime: Runtime, message: store.ClaimedMessage, now: datetime, pacing: send_rate.Pacing = SLOTS
) -> send_rate.SendTurn:
    with runtime.db.begin() as connection:
        return send_rate.take_send_turn(
            connection, channel="telegram", message=message, now=now, pacing=pacing, in_flight=timedelta(seconds=15)
        )


def _answered(runtime: Runtime, turn: send_rate.SendTurn, window: int, arrived_by: datetime) -> None:
    with Session(runtime.db) as session, session.begin():
        send_rate.bound_send_arrival(session, channel="telegram", turn=turn.turn, window=window, arrived_by=arrived_by)


def test_turns_of_concurrent_instances_keep_the_rate_in_every_window(runtime: Runtime) -> None:
    """Four instances ask for turns for their own messages as fast as the answers allow, in real time: the
    turns handed out are a slot apart (less the catch-up), so no window holds more than the rate allows."""
    claimed = _claimed(runtime, 20, datetime.now(UTC) + timedelta(seconds=1))
    assert len(claimed) == 20
    granted: list[datetime] = []
    refused = 0
    lock = threading.Lock()

    def instance(mine: list[store.ClaimedMessage]) -> None:
        """As the worker does: ask again when the answer says the next slot frees (granted or not)."""
        nonlocal refused
        deadline = time.monotonic() + 20
        for message in mine:
            while time.monotonic() < deadline:
                now = datetime.now(UTC)
                turn = _turn(runtime, message, now)
                assert not turn.lost
                with lock:
                    granted.extend([now] if turn.go else [])
                    refused += not turn.go
                time.sleep(max(0.0, (turn.ask_again_at - datetime.now(UTC)).total_seconds()))
                if turn.go:
                    break

    threads = [threading.Thread(target=instance, args=(claimed[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    ordered = sorted(granted)
    assert len(ordered) == 20
    assert min((b - a).total_seconds() for a, b in itertools.pairwise(ordered)) >= 0.1 - 0.005
    for first, later in zip(ordered, ordered[5:]):  # six turns always span at least five slots
        assert (later - first).total_seconds() >= 5 * 0.1 - 0.005
    assert refused <= 3 * 20 + 5  # about one refused ask per other instance and slot: contention, not a poll
    with Session(runtime.db) as session:
        marks = session.exec(select(OutboxMessage).where(OutboxMessage.status == "sending")).all()
        assert len(marks) == 20 and all(m.send_started_at is not None for m in marks)


def test_a_flood_wait_met_by_one_instance_stops_every_instance_until_it_ends(runtime: Runtime) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)
    first, second = _claimed(runtime, 2, now)
    assert _turn(runtime, first, now).go
    with Session(runtime.db) as session, session.begin():  # the first one's send met a 429 with retry_after=7
        send_rate.pause_sends(session, channel="telegram", until=now + timedelta(seconds=7))
        send_rate.pause_sends(session, channel="telegram", until=now + timedelta(seconds=3))  # a shorter one: no change
    refused = _turn(runtime, second, now + timedelta(seconds=1))
    assert not refused.go and not refused.lost and refused.ask_again_at == now + timedelta(seconds=7)
    assert _turn(runtime, second, now + timedelta(seconds=7)).go
    with Session(runtime.db) as session:
        row = session.get(OutboxMessage, second.id)
        assert row.send_started_at == now + timedelta(seconds=7)
        assert row.next_attempt_at == now + timedelta(seconds=7 + 15)  # the short in-flight lease


def test_a_send_that_arrived_late_pushes_back_the_one_a_window_after_it(runtime: Runtime) -> None:
    """Slots alone would let a late send and those a second after it land in one second; the window holds
    the turn `window` sends later until the late one's arrival is a second old. An unanswered send counts
    as arrived `grace` after its turn."""
    window = send_rate.Pacing(
        interval=timedelta(milliseconds=10), catch_up=timedelta(0), window=3, grace=timedelta(seconds=1)
    )
    now = datetime.now(UTC) + timedelta(seconds=1)
    messages = _claimed(runtime, 5, now)
    turns = [_turn(runtime, m, now + timedelta(milliseconds=10 * n), window) for n, m in enumerate(messages[:3])]
    assert [t.turn for t in turns if t.go] == [0, 1, 2]
    _answered(runtime, turns[0], 3, now + timedelta(milliseconds=500))  # its answer came half a second late
    _answered(runtime, turns[2], 3, now + timedelta(milliseconds=25))  # on time; turn 1 is never answered
    held = _turn(runtime, messages[3], now + timedelta(milliseconds=900), window)
    assert not held.go and held.ask_again_at == now + timedelta(milliseconds=1500)
    assert _turn(runtime, messages[3], now + timedelta(milliseconds=1500), window).turn == 3
    unanswered = _turn(runtime, messages[4], now + timedelta(milliseconds=1600), window)
    assert not unanswered.go and unanswered.ask_again_at == now + timedelta(milliseconds=10 + 1000 + 1000)
    assert _turn(runtime, messages[4], now + timedelta(milliseconds=2010), window).turn == 4
