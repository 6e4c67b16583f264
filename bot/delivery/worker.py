"""The outbox worker: sends committed replies through the channel senders.

Each channel's messages are claimed a few at a time (at most one per contact, in order). Each send waits
for its turn from the rate every instance shares (`storage.send_rate.take_send_turn`, which explains the
rule; slots `1/rate` plus `SEND_RATE_MARGIN` apart) and follows it at once, so the rate holds across
instances in every second, not on average. This worker tells the database when each send can have arrived
at the latest (when its answer came: the platform counts it somewhere before), which the turn's arrival
window needs.

A flood wait (Telegram's 429 with `retry_after`) stops this instance at once and, through `send_rate`,
every other one at its next turn; a second wait in that time does not add to it. Then the outcome is
recorded: sent; retried later with exponential backoff and jitter; waited out on a rate limit without
using an attempt; dead-lettered with the platform's error; or the contact marked unreachable.
`wake()` after a commit makes replies go out at once.

Telegram has no idempotency key, so a send whose answer is lost with a crashed instance is sent again:
the in-flight mark, committed before the call, names the messages this can happen to, and its lease
(`IN_FLIGHT_LEASE_SECONDS`) is how soon the copy goes (README, "Several instances").
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
from storage import send_rate

log = logging.getLogger("bot.delivery")

#: A send's platform call is given up after this and retried (Telegram's client gives up a read after 5 s;
#: a WhatsApp answer this slow is treated as lost too).
SEND_TIMEOUT_SECONDS = 10.0
#: A message whose send began stays reserved this long: the call's timeout and the time to record its outcome.
#: If the instance dies meanwhile, the message is sent again (perhaps twice) this soon after its send began.
IN_FLIGHT_LEASE_SECONDS = SEND_TIMEOUT_SECONDS + 5.0
BATCH = 100
#: A claim takes at most what the channel's rate sends in this long: claimed messages wait for their turns
#: in this process, and another instance could send them sooner.
CLAIM_SECONDS = 1.0
IDLE_POLL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 900.0
#: Send slots are this much further apart than the configured rate, 20 ms in every second at 30/s: for the
#: wobble between a turn and its arrival that the arrival window cannot see (the platform's clock is not ours).
SEND_RATE_MARGIN = 0.02
#: A chat's messages are this much further apart than `TELEGRAM_CHAT_MESSAGES_PER_SECOND` allows, 50 ms at one
#: a second. The spacing is measured on our clock from when a send was recorded, which comes after its answer,
#: so it only ever errs long; the margin is for the platform's clock, which is not ours (a wall clock stepped
#: by NTP between two sends would otherwise bring them closer on Telegram's than on ours).
CHAT_SPACING_MARGIN = 0.05
#: A turn taken this late after its slot keeps the channel's cadence (the asking instance's own lateness is
#: not lost rate); it comes out of the margin above, so it is kept well under it.
SLOT_CATCH_UP_SECONDS = 0.005
#: Asking for the next turn this long after the slot frees: a timer that fires a hair early asks in vain.
TURN_EPSILON_SECONDS = 0.001
#: Rates above this are no platform's limit (tests set them to send at once): no arrival window is kept.
MAX_WINDOW = 1000
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Arrival:
    """The latest time send number `turn` of `channel` can have reached the platform: when its answer came.

    Not the answer less a round trip: the platform may count a send as late as just before it answers (a
    busy server, or the storm test's fake in a starved thread), and one send counted late is a 31st in a
    second. It costs a round trip of rate at the window's edge (about 27/s at 30/s and 100 ms).
    """

    channel: str
    turn: int
    by: datetime


class OutboxWorker:
    """Drains the outbox per channel; several workers (instances) may run against one database."""

    def __init__(
        self,
        *,
        db: sa.Engine,
        settings: Settings,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic  # a test's clock moves both, so a slow machine's real seconds do not count
        self._senders: dict[str, Sender] = {}
        self._paused_until: dict[str, datetime] = {}  # a flood wait this instance met, before others see it
        self._not_before: dict[str, datetime] = {}  # when the channel's next slot frees, as last heard
        self._last_turn_clock: tuple[datetime, float] | None = None  # (`_turn_clock()`, monotonic) last read
        self._rate_rows: set[str] = set()  # channels whose send_rate row is known to exist
        self._wake = asyncio.Event()
        self._wakes = 0  # wake() calls so far: a drain claims again after one
        self._next_due: datetime | None = None  # the last round left a message that falls due then
        self._task: asyncio.Task | None = None

    def register(self, sender: Sender) -> None:
        self._senders[sender.channel.value] = sender

    def wake(self) -> None:
        self._wakes += 1
        self._wake.set()

    async def start(self) -> None:
        """Run in the background; senders may be registered later (a channel that connects after start-up)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def drain_once(self) -> int:
        """Send everything that is due now, one channel after the other; returns how many sends were started."""
        self._next_due = None
        return sum([await self._drain(channel, sender) for channel, sender in list(self._senders.items())])

    async def _drain(self, channel: str, sender: Sender) -> int:
        """Claim a channel's due messages a few at a time and start each send at its turn, until none is due.

        Claims again only when something may have become due since the last one: that claim took all it
        could (there may be more), a reply was committed (`wake`), or a finished send's contact has a next
        message and the chat's spacing has passed (a failed send: at once). A claim costs a few tenths of a
        millisecond of CPU: claiming after every send and again after the sends in flight, whether or not
        anything could be due, was four claims per reply in webhook mode. When a next message falls due
        later, `_run` comes back for it then (`_next_due`).
        """
        waiting: deque[store.ClaimedMessage] = deque()
        in_flight: set[asyncio.Task[datetime | None]] = set()
        frees: list[datetime] = []  # when a finished send's contact has its next message due
        started, full, wakes = 0, True, -1
        asked: send_rate.SendTurn | None = None  # the first claimed message's turn, asked for with the claim

        def finished(task: asyncio.Task[datetime | None]) -> None:
            in_flight.discard(task)
            if task.cancelled():
                return
            moment = _LONG_AGO if task.exception() else task.result()
            if moment is not None:
                frees.append(moment)

        try:
            await self._ensure_rate_row(channel)
            while True:
                if not waiting:
                    now = self._clock()
                    if full or wakes != self._wakes or any(moment <= now for moment in frees):
                        wakes, frees[:] = self._wakes, [moment for moment in frees if moment > now]
                        claimed, asked = await asyncio.to_thread(
                            self._claim_and_ask, channel, now, self._may_ask_turn(channel)
                        )
                        waiting.extend(claimed)
                        full = len(waiting) >= self._claim_limit(channel)
                        continue  # a send may have finished while the claim ran
                    if not in_flight:
                        self._next_due = min([*frees, *([self._next_due] if self._next_due else [])], default=None)
                        return started
                    await asyncio.gather(*in_flight)  # what is in flight may hold a contact's next message back
                    continue
                turn, asked = await self._take_turn(channel, waiting, asked), None
                if turn is not None:
                    task = asyncio.create_task(self._deliver(channel, sender, waiting.popleft(), turn))
                    in_flight.add(task)
                    task.add_done_callback(finished)
                    started += 1
        except BaseException:
            for task in in_flight:
                task.cancel()
            raise

    async def _take_turn(
        self, channel: str, waiting: deque[store.ClaimedMessage], asked: send_rate.SendTurn | None = None
    ) -> int | None:
        """Take the send slot of the first waiting message, or wait until one may be free; its turn: send it now.

        Asks no sooner than the slot after the last one this instance took, nor during a flood wait it met
        (which the others learn from the database at their next turn), so a lone instance asks once a send.
        `asked`: the answer already given when the message was claimed (`_claim_and_ask`).
        """
        turn = asked
        if turn is None:
            await self._sleep_until(self._turn_not_before(channel))
            turn = await asyncio.to_thread(self._ask_turn, channel, waiting[0], self._turn_clock())
        self._not_before[channel] = turn.ask_again_at
        if turn.lost:
            log.info("outbox_claim_lost message=%s", waiting.popleft().id)
            return None
        if not turn.go:
            return None
        if waiting[0].may_have_arrived:
            log.warning("outbox_resend_after_lease message=%s", waiting[0].id)  # Telegram may show it twice
        return turn.turn

    def _turn_not_before(self, channel: str) -> datetime:
        return max(self._not_before.get(channel, _LONG_AGO), self._paused_until.get(channel, _LONG_AGO))

    def _may_ask_turn(self, channel: str) -> bool:
        return self._turn_clock() >= self._turn_not_before(channel)

    async def _sleep_until(self, moment: datetime) -> None:
        delay = (moment - self._turn_clock()).total_seconds()
        if delay > 0:
            await self._sleep(delay + TURN_EPSILON_SECONDS)

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the round: a reply committed during it starts another at once
            try:
                await self.drain_once()
            except Exception as error:  # noqa: BLE001 - the database may be away for a while: keep the loop alive
                log.error("outbox_round_failed error=%s", type(error).__name__)
            idle = IDLE_POLL_SECONDS
            if self._next_due is not None:  # a contact's next message, once the chat's spacing has passed
                idle = min(idle, max(0.0, (self._next_due - self._clock()).total_seconds()) + TURN_EPSILON_SECONDS)
            try:  # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a stop() that
                async with asyncio.timeout(idle):  # comes as wake() does, and run on forever
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _claim(self, channel: str, now: datetime) -> list[store.ClaimedMessage]:
        with self._db.begin() as connection:
            return store.claim_due_messages(
                connection,
                channel=channel,
                now=now,
                limit=self._claim_limit(channel),
                lease=self._lease(),
                chat_spacing=self._chat_spacing(channel),
            )

    def _claim_and_ask(
        self, channel: str, now: datetime, ask: bool
    ) -> tuple[list[store.ClaimedMessage], send_rate.SendTurn | None]:
        """Claim, then (if `ask`: the instance may ask now) ask for the first message's turn, in one thread hop.

        Two transactions as before (the claim's lease, then the turn with its in-flight mark), one hand-off
        between the event loop and a thread fewer per send: in webhook mode most claims find one message.
        The turn's time is read here, after the claim, as `_take_turn` reads it just before asking.
        """
        claimed = self._claim(channel, now)
        if not claimed or not ask:
            return claimed, None
        return claimed, self._ask_turn(channel, claimed[0], self._turn_clock())

    def _ask_turn(self, channel: str, message: store.ClaimedMessage, now: datetime) -> send_rate.SendTurn:
        with self._db.begin() as connection:
            return send_rate.take_send_turn(
                connection,
                channel=channel,
                message=message,
                now=now,
                pacing=self._pacing(channel),
                in_flight=timedelta(seconds=IN_FLIGHT_LEASE_SECONDS),
            )

    def _turn_clock(self) -> datetime:
        """Now, for send slots: the clock, but never behind the last reading plus the monotonic time since.

        Slots are wall-clock times shared by every instance; a clock stepped back (NTP) or held still (a
        test's frozen time) would otherwise stop this instance's turns while real time goes on.
        """
        wall, ticks = self._clock(), self._monotonic()
        if self._last_turn_clock is not None:
            last_wall, last_ticks = self._last_turn_clock
            wall = max(wall, last_wall + timedelta(seconds=ticks - last_ticks))
        self._last_turn_clock = (wall, ticks)
        return wall

    async def _ensure_rate_row(self, channel: str) -> None:
        if channel not in self._rate_rows:
            await asyncio.to_thread(self._write, send_rate.ensure_send_rate, channel=channel, now=self._clock())
            self._rate_rows.add(channel)

    async def _deliver(self, channel: str, sender: Sender, message: store.ClaimedMessage, turn: int) -> datetime | None:
        """Send the message and record the outcome; returns when its contact's next message falls due, if any."""
        recipient = Recipient(message.contact_id, message.address, message.language, message.last_inbound_at)
        try:
            sent = await asyncio.wait_for(
                sender.send(recipient, Reply.from_json(message.payload)), SEND_TIMEOUT_SECONDS
            )
        except Exception as error:  # noqa: BLE001 - any failure of a send is recorded on its row, to retry or give up
            arrival = _Arrival(channel, turn, self._turn_clock())
            if isinstance(error, RetryLater) and not error.per_recipient:  # this instance stops at once
                until = self._turn_clock() + timedelta(seconds=error.after_seconds)
                self._paused_until[channel] = max(until, self._paused_until.get(channel, until))
            # Shielded: a worker stopped now still records what the platform answered (else the message
            # would wait out its in-flight lease and go again).
            await asyncio.shield(asyncio.to_thread(self._record_failure, channel, message, error, arrival))
            return _LONG_AGO  # a dead letter or an unreachable contact frees the next message now
        arrival = _Arrival(channel, turn, self._turn_clock())
        held = await asyncio.shield(asyncio.to_thread(self._record_sent, sender, message, platform_ids(sent), arrival))
        count_outbound(channel, "held" if held else "sent")
        if held and isinstance(sender, TracksStatuses):  # a status that overtook the send's answer held it
            await sender.notify_held(recipient)
        return self._clock() + self._chat_spacing(channel) if message.has_next else None

    def _bound_arrival(self, session: Session, arrival: _Arrival) -> None:
        send_rate.bound_send_arrival(
            session,
            channel=arrival.channel,
            turn=arrival.turn,
            window=self._pacing(arrival.channel).window,
            arrived_by=arrival.by,
        )

    def _record_sent(self, sender: Sender, message: store.ClaimedMessage, ids: list[str], arrival: _Arrival) -> bool:
        """Mark the message sent with its platform ids; True when a status that came first held it.

        A counselor's message that has now reached the citizen is their first contact (on WhatsApp only
        once Meta reports it delivered, which may have overtaken this answer).
        """
        now = self._clock()
        with Session(self._db) as session, session.begin():
            self._bound_arrival(session, arrival)
            held = False
            if isinstance(sender, TracksStatuses):
                held = sender.record_sent(session, message_id=message.id, platform_ids=ids, now=now)
            else:
                store.mark_sent(session, message_id=message.id, platform_message_id=ids[-1] if ids else None, now=now)
            if message.case_message_id is not None:
                record_arrivals(session, outbox_ids=[message.id], now=now)
            return held

    def _record_failure(self, channel: str, message: store.ClaimedMessage, error: Exception, arrival: _Arrival) -> None:
        now = self._clock()
        reason = f"{type(error).__name__}: {error}"[:500]
        log.warning(
            "outbox_send_failed message=%s contact=%s error=%s", message.id, message.contact_id, type(error).__name__
        )
        with Session(self._db) as session, session.begin():
            self._bound_arrival(session, arrival)
            outcome = self._record_failure_in(session, channel, message, error, reason, now)
        count_outbound(channel, outcome)

    def _record_failure_in(
        self,
        session: Session,
        channel: str,
        message: store.ClaimedMessage,
        error: Exception,
        reason: str,
        now: datetime,
    ) -> str:
        """Write what the failure means for the message; returns the outcome's name for the metrics."""
        if isinstance(error, HoldUntilReply):
            store.hold_message(session, message_id=message.id, reason=reason)
            return "held"
        if isinstance(error, RetryLater):
            if not error.per_recipient:  # a flood wait applies to the whole bot: every instance waits it out
                until = self._paused_until.get(channel, now + timedelta(seconds=error.after_seconds))
                send_rate.pause_sends(session, channel=channel, until=until)
            store.schedule_retry(
                session,
                message_id=message.id,
                error=reason,
                count_attempt=False,
                at=now + timedelta(seconds=error.after_seconds),
            )
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

    def _pacing(self, channel: str) -> send_rate.Pacing:
        """Slots 1/rate (plus the margin) apart, and at most `rate` arrivals in any second (a rate too high
        to be a platform's limit, as tests set, keeps no window)."""
        rate = self._rate(channel)
        return send_rate.Pacing(
            interval=self._interval(channel),
            catch_up=timedelta(seconds=SLOT_CATCH_UP_SECONDS),
            window=max(1, math.floor(rate)) if rate <= MAX_WINDOW else 0,
        )

    def _claim_limit(self, channel: str) -> int:
        return max(1, min(BATCH, math.ceil(self._rate(channel) * CLAIM_SECONDS)))

    def _chat_spacing(self, channel: str) -> timedelta:
        if channel == "telegram":
            return timedelta(seconds=(1 + CHAT_SPACING_MARGIN) / self._settings.telegram_chat_messages_per_second)
        return timedelta(0)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with "equal jitter" (half fixed, half random): 1-2 s, 2-4 s, 4-8 s ... up to 15 minutes."""
    ceiling = min(MAX_BACKOFF_SECONDS, 2.0**attempts)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
