"""The outbox worker: sends committed replies through the channel senders.

Each round claims due messages of one channel (at most one per contact, in order), takes that
many send slots from the rate shared by all instances, sends each at its slot, and records the
outcome: sent; retried later with backoff and jitter; dead-lettered with the platform's error;
or the contact marked unreachable. `wake()` after a commit makes replies go out at once.

Telegram counts messages as they ARRIVE, and a send's arrival wobbles behind its slot: the event loop
wakes it late, the request waits behind other work, the network varies. Slots alone then let a late send
and the on-time ones after it land in one second, and Telegram answers 429 (bench/delivery.py measured
that). So each process also paces its sends (`_Pacer`): a send starts only once a second has passed since
the latest possible arrival of the send `rate` places before it, where the latest possible arrival of a
send is when its answer came back less the fastest round trip seen. Only wobble costs time, not the
round trip itself. Slots sit `SEND_RATE_MARGIN` further apart than 1/rate for what the pacer cannot
see: another instance's wobble. A flood wait (429) stops the channel until `retry_after` from now; a
second one in that time does not add to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from bot.config import Settings
from bot.delivery.base import (
    HoldUntilReply,
    PermanentFailure,
    Recipient,
    RecipientUnreachable,
    RetryLater,
    Sender,
    TemporaryFailure,
    TracksStatuses,
    platform_ids,
)
from bot.messages import Reply
from bot.observability import count_outbound
from bot.services.first_contact import record_arrivals
from storage import delivery as store

log = logging.getLogger("bot.delivery")

SEND_TIMEOUT_SECONDS = 30.0
BATCH = 100
IDLE_POLL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 900.0
#: The next round is claimed this long before the current round's last slot (see `drain_once`).
CLAIM_AHEAD_SECONDS = 0.5
#: Send slots are this much further apart than the configured rate asks (see the module docstring).
SEND_RATE_MARGIN = 0.02


class _Pacer:
    """Spaces this process's sends of one channel so that at most `size` arrive within `span`."""

    def __init__(self, size: int, span: timedelta) -> None:
        self._arrivals: deque[asyncio.Future[datetime]] = deque(maxlen=size)  # latest possible, per send
        self._span = span
        self._fastest: timedelta | None = None  # the fastest answered send: the network's round trip
        self._not_before: datetime | None = None
        self._turn = asyncio.Lock()

    def pause_until(self, moment: datetime) -> None:
        """A flood wait: no send starts before `moment`."""
        self._not_before = max(moment, self._not_before or moment)

    async def wait_turn(self, clock: Callable[[], datetime], sleep: Callable[[float], Awaitable[None]]
                        ) -> Callable[[bool], None]:
        """Wait until this send may start; call the returned function when it is answered (True) or failed."""
        async with self._turn:
            oldest = self._arrivals[0] if len(self._arrivals) == self._arrivals.maxlen else None
            if oldest is not None and not oldest.done():  # a send still under way a whole span later:
                await asyncio.wait([oldest], timeout=self._span.total_seconds())  # bounded, then go on
            earliest = oldest.result() + self._span if oldest is not None and oldest.done() else None
            for moment in (earliest, self._not_before):
                if moment is not None and (delay := (moment - clock()).total_seconds()) > 0:
                    await sleep(delay)
            arrival: asyncio.Future[datetime] = asyncio.get_running_loop().create_future()
            self._arrivals.append(arrival)
            started = clock()

        def answered(ok: bool) -> None:
            finished = clock()
            if ok:  # a failure may not have reached the network at all: not a round trip
                self._fastest = min(self._fastest or finished - started, finished - started)
            if not arrival.done():
                arrival.set_result(finished - (self._fastest or timedelta(0)))

        return answered


class OutboxWorker:
    """Drains the outbox per channel; several workers (instances) may run against one database."""

    def __init__(
        self,
        *,
        db: sa.Engine,
        settings: Settings,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._senders: dict[str, Sender] = {}
        self._pacers: dict[str, _Pacer] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def register(self, sender: Sender) -> None:
        self._senders[sender.channel.value] = sender

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self._senders and self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def drain_once(self) -> int:
        """Send everything that is due now, round after round; returns how many were attempted.

        A round's sends run as tasks; the next round is claimed while the last ones are still waiting for
        their slots (CLAIM_AHEAD), so at a sustained rate its slots follow on without a gap.
        """
        total = 0
        for channel, sender in self._senders.items():
            in_flight: set[asyncio.Task] = set()
            try:
                while True:
                    was_in_flight = bool(in_flight)
                    count = await self._round(channel, sender, in_flight)
                    total += count
                    if count:
                        continue
                    if in_flight:  # what is in flight may be all that holds a contact's next message back
                        await asyncio.gather(*in_flight)
                    elif not was_in_flight:
                        break
                    # else a send finished while the round's claim ran: it may have freed a contact's next message
            except BaseException:
                for task in in_flight:
                    task.cancel()
                raise
        return total

    async def _run(self) -> None:
        while True:
            try:
                attempted = await self.drain_once()
            except Exception as error:  # noqa: BLE001 - the database may be away for a while: keep the loop alive
                log.error("outbox_round_failed error=%s", type(error).__name__)
                attempted = 0
            if not attempted:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    async def _round(self, channel: str, sender: Sender, in_flight: set[asyncio.Task]) -> int:
        now = self._clock()
        claimed = await asyncio.to_thread(self._claim, channel, now)
        if not claimed:
            return 0
        # Slots start from the time of reserving, not of claiming: a slot in the past is a burst.
        slots = await asyncio.to_thread(self._reserve, channel, len(claimed), self._clock())
        # A deep backlog (a slow rate, many instances) can put a slot past the lease: another instance would
        # then claim the message again and send it twice. Such messages keep their lease until their slot.
        lease = self._lease()
        late = {m.id: slot + lease for m, slot in zip(claimed, slots) if slot > now + lease / 2}
        if late:
            await asyncio.to_thread(self._write, store.extend_leases, leases=late)
        for message, slot in zip(claimed, slots):
            task = asyncio.create_task(self._deliver(channel, sender, message, slot))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        ahead = (slots[-1] - self._clock()).total_seconds() - CLAIM_AHEAD_SECONDS
        if ahead > 0:
            await self._sleep(ahead)
        return len(claimed)

    def _claim(self, channel: str, now: datetime) -> list[store.ClaimedMessage]:
        with Session(self._db) as session, session.begin():
            return store.claim_due_messages(
                session, channel=channel, now=now, limit=BATCH, lease=self._lease(),
                chat_spacing=self._chat_spacing(channel),
            )

    def _reserve(self, channel: str, count: int, now: datetime) -> list[datetime]:
        with Session(self._db) as session, session.begin():
            return store.reserve_send_slots(
                session, channel=channel, count=count, interval=self._interval(channel), now=now
            )

    async def _deliver(self, channel: str, sender: Sender, message: store.ClaimedMessage, slot: datetime) -> None:
        delay = (slot - self._clock()).total_seconds()
        if delay > 0:
            await self._sleep(delay)
        answered = await self._pacer(channel).wait_turn(self._clock, self._sleep)
        recipient = Recipient(message.contact_id, message.address, message.language, message.last_inbound_at)
        try:
            sent = await asyncio.wait_for(
                sender.send(recipient, Reply.from_json(message.payload)), SEND_TIMEOUT_SECONDS
            )
        except Exception as error:  # noqa: BLE001 - any failure of a send is recorded on its row, to retry or give up
            answered(False)
            if isinstance(error, RetryLater) and not error.per_recipient:
                self._pacer(channel).pause_until(self._clock() + timedelta(seconds=error.after_seconds))
            await asyncio.to_thread(self._record_failure, channel, message, error)
            return
        answered(True)
        held = await asyncio.to_thread(self._record_sent, sender, message, platform_ids(sent))
        count_outbound(channel, "held" if held else "sent")
        if held and isinstance(sender, TracksStatuses):  # a status that overtook the send's answer held it
            await sender.notify_held(recipient)

    def _record_sent(self, sender: Sender, message: store.ClaimedMessage, ids: list[str]) -> bool:
        """Mark the message sent with its platform ids; True when a status that came first held it.

        A counselor's message that has now reached the citizen is their first contact (on WhatsApp only
        once Meta reports it delivered, which may have overtaken this answer).
        """
        now = self._clock()
        with Session(self._db) as session, session.begin():
            held = False
            if isinstance(sender, TracksStatuses):
                held = sender.record_sent(session, message_id=message.id, platform_ids=ids, now=now)
            else:
                store.mark_sent(session, message_id=message.id, platform_message_id=ids[-1] if ids else None, now=now)
            if message.case_message_id is not None:
                record_arrivals(session, outbox_ids=[message.id], now=now)
            return held

    def _record_failure(self, channel: str, message: store.ClaimedMessage, error: Exception) -> None:
        now = self._clock()
        reason = f"{type(error).__name__}: {error}"[:500]
        log.warning("outbox_send_failed message=%s contact=%s error=%s", message.id, message.contact_id,
                    type(error).__name__)
        with Session(self._db) as session, session.begin():
            outcome = self._record_failure_in(session, channel, message, error, reason, now)
        count_outbound(channel, outcome)

    def _record_failure_in(self, session: Session, channel: str, message: store.ClaimedMessage, error: Exception,
                           reason: str, now: datetime) -> str:
        """Write what the failure means for the message; returns the outcome's name for the metrics."""
        if isinstance(error, HoldUntilReply):
            store.hold_message(session, message_id=message.id, reason=reason)
            return "held"
        if isinstance(error, RetryLater):
            if not error.per_recipient:  # a flood wait applies to the whole bot: no slots before it ends
                store.delay_send_slots(session, channel=channel, until=now + timedelta(seconds=error.after_seconds),
                                       now=now)
            store.schedule_retry(session, message_id=message.id, error=reason, count_attempt=False,
                                 at=now + timedelta(seconds=error.after_seconds))
            return "rate_limited"
        if isinstance(error, RecipientUnreachable):
            store.mark_contact_unreachable(session, contact_id=message.contact_id, now=now, error=reason)
            return "unreachable"
        if isinstance(error, PermanentFailure) or message.attempts >= self._settings.delivery_max_attempts:
            store.mark_dead(session, message_id=message.id, error=reason)
            return "dead"
        if not isinstance(error, (TemporaryFailure, TimeoutError)):
            log.error("outbox_sender_bug message=%s error=%s", message.id, type(error).__name__)
        store.schedule_retry(session, message_id=message.id, error=reason, at=now + backoff(message.attempts))
        return "retry"

    def _write(self, operation: Callable[..., None], **kwargs: object) -> None:
        with Session(self._db) as session, session.begin():
            operation(session, **kwargs)

    def _rate(self, channel: str) -> float:
        return {
            "telegram": self._settings.telegram_messages_per_second,
            "whatsapp": self._settings.whatsapp_messages_per_second,
        }.get(channel, 1000.0)

    def _lease(self) -> timedelta:
        return timedelta(seconds=self._settings.delivery_lease_seconds)

    def _interval(self, channel: str) -> timedelta:
        return timedelta(seconds=(1 + SEND_RATE_MARGIN) / self._rate(channel))

    def _pacer(self, channel: str) -> _Pacer:
        """`rate` arrivals (at least one) per the time that many slots take."""
        if channel not in self._pacers:
            size = max(1, round(self._rate(channel)))
            self._pacers[channel] = _Pacer(size, self._interval(channel) * size)
        return self._pacers[channel]

    def _chat_spacing(self, channel: str) -> timedelta:
        if channel == "telegram":
            return timedelta(seconds=1 / self._settings.telegram_chat_messages_per_second)
        return timedelta(0)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: 2 s, 4 s, 8 s ... capped at 15 minutes."""
    ceiling = min(MAX_BACKOFF_SECONDS, 2.0 ** attempts)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
