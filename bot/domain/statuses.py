"""The status vocabularies of requests, appointments, outbox messages and due work, and their groups.

Each is a `StrEnum`, so a member is the very string stored in its column (no migration, no conversion
when a row is read) while a misspelt status is an attribute error that mypy reports. The groups are
defined here once: every module that asks "is it open?" or "did it reach the platform?" uses them.
"""

from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    """A request's life: new -> claimed -> in_progress -> an outcome; a reopen goes back to claimed work or to new."""

    NEW = "new"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REFERRED = "referred"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


OPEN_STATUSES: tuple[RequestStatus, ...] = (RequestStatus.NEW, RequestStatus.CLAIMED, RequestStatus.IN_PROGRESS)
#: Open and held by a counselor.
ASSIGNED_STATUSES: tuple[RequestStatus, ...] = (RequestStatus.CLAIMED, RequestStatus.IN_PROGRESS)
#: The outcomes, in the order staff are offered them when closing.
CLOSED_STATUSES: tuple[RequestStatus, ...] = (
    RequestStatus.RESOLVED,
    RequestStatus.REFERRED,
    RequestStatus.UNREACHABLE,
    RequestStatus.CANCELLED,
)


class AppointmentStatus(StrEnum):
    """proposed -> confirmed -> done | no_show | cancelled; a reschedule is a new proposal."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"  # offered, but the citizen picked another slot or asked for other times


#: Still on: offered, or agreed on and not yet met.
OPEN_APPOINTMENT_STATUSES: tuple[AppointmentStatus, ...] = (AppointmentStatus.PROPOSED, AppointmentStatus.CONFIRMED)
#: What a counselor records after a confirmed appointment's time.
ATTENDANCE_STATUSES: tuple[AppointmentStatus, ...] = (AppointmentStatus.DONE, AppointmentStatus.NO_SHOW)
#: Never going to take place: called off, or an offer not taken.
CALLED_OFF_APPOINTMENT_STATUSES: tuple[AppointmentStatus, ...] = (
    AppointmentStatus.CANCELLED,
    AppointmentStatus.WITHDRAWN,
)


class OutboxStatus(StrEnum):
    """Where an outbox message is on its way to the citizen (storage/delivery.py, storage/outbox.py)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    DEAD = "dead"
    UNREACHABLE = "unreachable"
    HELD = "held"  # waits for the person to write again (WhatsApp's 24-hour window)
    #: A counselor's message to an urgent case, kept until the citizen answers that it is safe to talk
    #: (bot/services/safe_to_talk.py). Never claimed for sending, never shown by the web chat.
    HELD_SAFE = "held_safe"
    #: A web chat message written while no page asked for it (a counselor's message, an appointment offer, a
    #: follow-up): it waits, whatever its age, until the page fetches it, and is "delivered" from then on.
    UNREAD = "unread"


#: Due to be sent or being sent.
UNSENT_STATUSES: tuple[OutboxStatus, ...] = (OutboxStatus.PENDING, OutboxStatus.SENDING)
#: Reached the platform (and perhaps the person).
SENT_STATUSES: tuple[OutboxStatus, ...] = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ)
#: Given up on: failed on the platform, dead-lettered, or the contact blocked the bot.
FAILED_STATUSES: tuple[OutboxStatus, ...] = (OutboxStatus.FAILED, OutboxStatus.DEAD, OutboxStatus.UNREACHABLE)
#: Done with: sent, or failed for good. Only these are ever pruned (and a web chat message unread past any
#: session's life: storage/pruning.py).
FINISHED_STATUSES: tuple[OutboxStatus, ...] = (*SENT_STATUSES, *FAILED_STATUSES)
#: Waiting for the citizen (to write again, to say it is safe to talk, to open the web chat page): sent
#: (or shown) only if they do.
WAITING_STATUSES: tuple[OutboxStatus, ...] = (OutboxStatus.HELD, OutboxStatus.HELD_SAFE, OutboxStatus.UNREAD)
#: What WhatsApp reports of a message we sent; a part (`OutboxWamid`) only ever holds one of these.
WHATSAPP_STATUSES: tuple[OutboxStatus, ...] = (*SENT_STATUSES, OutboxStatus.FAILED)


class DueWorkState(StrEnum):
    """A scheduled work item: pending -> running -> done | dropped | failed (storage/due_work.py)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DROPPED = "dropped"
    FAILED = "failed"


#: Not finished yet: still to run, or being run.
UNFINISHED_WORK: tuple[DueWorkState, ...] = (DueWorkState.PENDING, DueWorkState.RUNNING)
#: Finished one way or another; only these are ever pruned.
FINISHED_WORK: tuple[DueWorkState, ...] = (DueWorkState.DONE, DueWorkState.DROPPED, DueWorkState.FAILED)
