"""The send rate every instance shares: one turn per send, taken in one statement before the platform call.

A send starts only with a turn (`take_send_turn`): one statement takes the channel's next send slot from
its `send_rate` row and marks the message in flight (`send_started_at`, a short lease) before the platform
call. A turn is given only when due on three counts:
- its slot: slots are 1/rate apart and handed out one at a time, to whichever instance asks when one is
  due, so no instance's backlog can come out as a burst (nothing is reserved ahead to be let go together);
- no flood wait: `pause_sends` (one 429's `retry_after`) stops every instance at its next turn;
- the arrival window (`send_window`): the send `rate` turns back, whichever instance made it, reached the
  platform at least a second ago. A send's arrival is known only by its answer, so the window holds the
  latest time it can have arrived (when its answer came, `bound_send_arrival`; until
  then, the turn plus a grace), and a send that ran late pushes back the one `rate` turns after it instead
  of landing in the same second with it.
Several instances asking for the same slot cost one refused ask each (they learn when to ask again);
a lone instance asks once a send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from sqlmodel import Session

from bot.domain.statuses import OutboxStatus
from storage.database import dialect_of
from storage.delivery import ClaimedMessage
from storage.models import OutboxMessage, SendRate, SendWindow, table_of
from storage.types import UTCDateTime

_OUTBOX = table_of(OutboxMessage)


@dataclass(frozen=True, slots=True)
class SendTurn:
    """The answer to asking for a message's send slot.

    `go`: the slot is taken and the message marked in flight: send it now; `ask_again_at` is when the next
    slot frees. Otherwise `ask_again_at` is the earliest the turn can be due (the slot frees, the flood wait
    ends, the arrival window moves on). `lost`: the claim ran out and another instance claimed the message
    since; drop it.
    """

    go: bool
    ask_again_at: datetime
    lost: bool = False
    turn: int | None = None  # the send's number, to bound its arrival by once it is answered


@dataclass(frozen=True, slots=True)
class Pacing:
    """How one channel's sends are spaced: slots `interval` apart, a turn up to `catch_up` late keeping the
    cadence; at most `window` sends reaching the platform in any `span` (none when `window` is 0); a send not
    yet answered counts as arrived `grace` after its turn."""

    interval: timedelta
    catch_up: timedelta
    window: int
    span: timedelta = timedelta(seconds=1)
    grace: timedelta = timedelta(seconds=1)


def ensure_send_rate(session: Session, *, channel: str, now: datetime) -> None:
    """The channel's `send_rate` row, created once (every instance may try at once)."""
    insert = sa.dialects.postgresql.insert if dialect_of(session) == "postgresql" else sa.dialects.sqlite.insert
    session.execute(insert(SendRate).values(channel=channel, next_slot_at=now, turns=0).on_conflict_do_nothing())


_RATE = table_of(SendRate)
_WINDOW = table_of(SendWindow)
# PostgreSQL: one statement, one round trip, under the rate row's lock (the UPDATE's). The slot goes only to a
# message this claim still holds, and the message is marked in flight only with the slot. `window_until`: the
# latest arrival of the send `window` turns back, which this turn must follow by `span`.
_TURN_POSTGRESQL = (
    sa.text(f"""
WITH mine AS (
    SELECT id FROM outbox_message
    WHERE id = :turn_message AND status = '{OutboxStatus.SENDING}' AND attempts = :turn_attempt
), granted AS (
    UPDATE send_rate
    SET next_slot_at = CASE WHEN next_slot_at >= :turn_catch_up_from THEN next_slot_at ELSE :turn_now END
                       + :turn_interval,
        turns = turns + 1
    WHERE channel = :turn_channel AND next_slot_at <= :turn_now
      AND (paused_until IS NULL OR paused_until <= :turn_now) AND EXISTS (SELECT 1 FROM mine)
      AND NOT EXISTS (SELECT 1 FROM send_window AS w WHERE :turn_window > 0 AND w.channel = :turn_channel
                      AND w.position = send_rate.turns % GREATEST(:turn_window, 1)
                      AND w.arrived_by > :turn_window_from)
    RETURNING next_slot_at, turns - 1 AS turn
), placed AS (
    INSERT INTO send_window (channel, position, turn, arrived_by)
    SELECT :turn_channel, turn % GREATEST(:turn_window, 1), turn, :turn_grace_until FROM granted WHERE :turn_window > 0
    ON CONFLICT (channel, position) DO UPDATE SET turn = excluded.turn, arrived_by = excluded.arrived_by
    RETURNING turn
), marked AS (
    UPDATE outbox_message SET send_started_at = :turn_now, next_attempt_at = :turn_in_flight_until
    WHERE id = :turn_message AND status = '{OutboxStatus.SENDING}' AND attempts = :turn_attempt AND EXISTS (SELECT 1 FROM granted)
    RETURNING id
)
SELECT (SELECT id FROM marked) AS marked, (SELECT next_slot_at FROM granted) AS granted_next,
       (SELECT turn FROM granted) AS turn, EXISTS (SELECT 1 FROM mine) AS ours, rate.next_slot_at, rate.paused_until,
       (SELECT w.arrived_by FROM send_window AS w WHERE :turn_window > 0 AND w.channel = :turn_channel
        AND w.position = rate.turns % GREATEST(:turn_window, 1)) AS window_until
FROM send_rate AS rate WHERE rate.channel = :turn_channel
""")
    .bindparams(
        *(
            sa.bindparam(name, type_=sa.DateTime(timezone=True))
            for name in (
                "turn_now",
                "turn_catch_up_from",
                "turn_in_flight_until",
                "turn_window_from",
                "turn_grace_until",
            )
        ),
        sa.bindparam("turn_interval", type_=sa.Interval()),
    )
    .columns(
        marked=sa.Integer,
        granted_next=UTCDateTime,
        turn=sa.BigInteger,
        ours=sa.Boolean,
        next_slot_at=UTCDateTime,
        paused_until=UTCDateTime,
        window_until=UTCDateTime,
    )
)


def take_send_turn(
    connection: sa.Connection,
    *,
    channel: str,
    message: ClaimedMessage,
    now: datetime,
    pacing: Pacing,
    in_flight: timedelta,
) -> SendTurn:
    """Take the channel's next send slot for `message` if its turn is due now, and mark the message in flight.

    Due: the slot has come (one taken up to `catch_up` after its time keeps the cadence: the asking
    instance's own lateness is not a gap in the rate; a later one starts it afresh), no flood wait holds
    the channel, and the send `pacing.window` turns back can have arrived no later than `span` ago. Nothing is
    taken for a message this claim no longer holds. The mark (`send_started_at`, reserved for `in_flight`)
    is committed with the slot, before the platform call. A Core connection in a transaction, not a Session:
    this runs before every send, and statements built once keep it to a fraction of a millisecond.
    """
    params = {
        "turn_channel": channel,
        "turn_message": message.id,
        "turn_attempt": message.attempts,
        "turn_now": now,
        "turn_catch_up_from": now - pacing.catch_up,
        "turn_interval": pacing.interval,
        "turn_window": pacing.window,
        "turn_window_from": now - pacing.span,
        "turn_grace_until": now + pacing.grace,
        "turn_in_flight_until": now + in_flight,
    }
    row: tuple[Any, ...]
    if connection.dialect.name == "postgresql":
        row = tuple(connection.execute(_TURN_POSTGRESQL, params).one())
    else:  # one writer at a time (BEGIN IMMEDIATE): the same steps, one by one
        row = _take_send_turn_sqlite(connection, params)
    marked, granted_next, turn, ours, next_slot_at, paused_until, window_until = row
    if marked is not None:
        return SendTurn(go=True, ask_again_at=granted_next, turn=turn)
    if not ours or granted_next is not None:  # taken again elsewhere (the slot, if any, goes unused)
        return SendTurn(go=False, ask_again_at=now, lost=True)
    window_ends = window_until + pacing.span if window_until is not None else None
    waits = [moment for moment in (paused_until, window_ends) if moment is not None and moment > now]
    if next_slot_at > now:
        waits.append(next_slot_at)
    # None of them: read before another instance's turn, which this one waited for, took the slot.
    return SendTurn(go=False, ask_again_at=max(waits, default=now + pacing.interval))


# SQLite's steps, built once (see take_send_turn).
_OURS = sa.select(_OUTBOX.c.id).where(
    _OUTBOX.c.id == sa.bindparam("turn_message"),
    _OUTBOX.c.status == OutboxStatus.SENDING,
    _OUTBOX.c.attempts == sa.bindparam("turn_attempt"),
)
_RATE_NOW = sa.select(_RATE.c.next_slot_at, _RATE.c.paused_until, _RATE.c.turns).where(
    _RATE.c.channel == sa.bindparam("turn_channel")
)
_WINDOW_AT = sa.select(_WINDOW.c.arrived_by).where(
    _WINDOW.c.channel == sa.bindparam("turn_channel"), _WINDOW.c.position == sa.bindparam("turn_position")
)
_ADVANCE = (
    sa.update(_RATE)
    .where(_RATE.c.channel == sa.bindparam("turn_channel"))
    .values(next_slot_at=sa.bindparam("turn_next"), turns=_RATE.c.turns + 1)
)
_PLACE = (
    sa.dialects.sqlite.insert(_WINDOW)
    .values(
        channel=sa.bindparam("turn_channel"),
        position=sa.bindparam("turn_position"),
        turn=sa.bindparam("turn_number"),
        arrived_by=sa.bindparam("turn_grace_until"),
    )
    .on_conflict_do_update(
        index_elements=["channel", "position"],
        set_={"turn": sa.bindparam("turn_number"), "arrived_by": sa.bindparam("turn_grace_until")},
    )
)
_MARK = (
    sa.update(_OUTBOX)
    .where(_OUTBOX.c.id == sa.bindparam("turn_message"))
    .values(send_started_at=sa.bindparam("turn_now"), next_attempt_at=sa.bindparam("turn_in_flight_until"))
)


def _take_send_turn_sqlite(connection: sa.Connection, params: dict[str, Any]) -> tuple:
    now, window = params["turn_now"], params["turn_window"]
    ours = connection.execute(_OURS, params).first() is not None
    next_slot_at, paused_until, turns = connection.execute(_RATE_NOW, params).one()
    position = turns % window if window > 0 else 0
    window_until = connection.execute(_WINDOW_AT, {**params, "turn_position": position}).scalar() if window else None
    if (
        not ours
        or next_slot_at > now
        or (paused_until is not None and paused_until > now)
        or (window_until is not None and window_until > params["turn_window_from"])
    ):
        return None, None, None, ours, next_slot_at, paused_until, window_until
    base = next_slot_at if next_slot_at >= params["turn_catch_up_from"] else now
    granted_next = base + params["turn_interval"]
    connection.execute(_ADVANCE, {**params, "turn_next": granted_next})
    if window:
        connection.execute(_PLACE, {**params, "turn_position": position, "turn_number": turns})
    connection.execute(_MARK, params)
    return params["turn_message"], granted_next, turns, ours, next_slot_at, paused_until, window_until


_BOUND = (
    sa.update(_WINDOW)
    .where(
        _WINDOW.c.channel == sa.bindparam("bound_channel"),
        _WINDOW.c.position == sa.bindparam("bound_position"),
        _WINDOW.c.turn == sa.bindparam("bound_turn"),
    )
    .values(arrived_by=sa.bindparam("bound_by"))
)


def bound_send_arrival(session: Session, *, channel: str, turn: int, window: int, arrived_by: datetime) -> None:
    """A send was answered: it reached the platform no later than `arrived_by` (its place in the window).

    Written in the transaction that records the send's outcome (one statement more there, built once).
    """
    if window > 0:
        session.connection().execute(
            _BOUND,
            {"bound_channel": channel, "bound_position": turn % window, "bound_turn": turn, "bound_by": arrived_by},
        )


def pause_sends(session: Session, *, channel: str, until: datetime) -> None:
    """A flood wait: no instance takes a slot of the channel before `until` (two waits do not add up)."""
    session.connection().execute(
        sa.update(_RATE)
        .where(_RATE.c.channel == channel, sa.or_(_RATE.c.paused_until.is_(None), _RATE.c.paused_until < until))
        .values(paused_until=until)
    )
