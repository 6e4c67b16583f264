"""Tables of the service. The schema itself comes from Alembic migrations, never `create_all`.

Response times are computed from `RequestEvent` rows (folded into `ResponseTime` as they are written),
never from the mutable columns of `Request`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.domain.statuses import AppointmentStatus, DueWorkState, OutboxStatus, RequestStatus
from storage.crypto import EncryptedBytes, EncryptedJSON, EncryptedText
from storage.types import JSONType, UTCDateTime


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def persisted_id(row: _Row) -> int:
    """The id of a row read from the database or flushed to it.

    Every table's `id` is typed `int | None` because a row built in Python has none until it is flushed.
    Code that holds a stored row asks here for an `int`; a row that was never flushed is a bug, so it raises.
    """
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: it was never flushed")
    return row.id


def id_column(model: type[SQLModel]) -> sa.ColumnElement[int]:
    """A table's `id` in a query of columns: never NULL there, though the attribute says `int | None`."""
    return table_of(model).c.id


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table of a table model, for statements written in SQLAlchemy Core (upserts, hot paths)."""
    # SQLAlchemy's declarative mapping sets `__table__` on every table model; SQLModel does not declare it.
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


class Contact(SQLModel, table=True):
    """A citizen on one channel. Web chat contacts are keyed on a hash of their session id."""

    __tablename__ = "contact"

    __table_args__ = (sa.UniqueConstraint("channel", "platform_user_id", name="uq_contact_platform"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    platform_user_id: str = Field(max_length=128)
    address: str | None = Field(default=None, max_length=128)  # where to send, if not the user id
    language: str = Field(default="id", max_length=8)
    consent_at: datetime | None = _utc(nullable=True)
    consent_version: str | None = Field(default=None, max_length=32)
    contact_times: str | None = Field(default=None, max_length=32)
    created_at: datetime = _utc()
    last_inbound_at: datetime | None = _utc(nullable=True)
    unreachable_at: datetime | None = _utc(nullable=True)  # blocked the bot: stop sending
    #: Web chat only: when the page last used the session (to the hour); it ends WEBCHAT_SESSION_DAYS after.
    session_seen_at: datetime | None = _utc(nullable=True)


class Conversation(SQLModel, table=True):
    """Where a contact is in a flow: a plain string state plus the answers given so far."""

    __tablename__ = "conversation"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", unique=True)
    flow: str = Field(default="menu", max_length=32)
    step: str = Field(default="", max_length=32)
    data: dict = Field(default_factory=dict, sa_type=EncryptedJSON)
    updated_at: datetime = _utc(index=True)


class Queue(SQLModel, table=True):
    """One agency in one region (e.g. `lk3-kota-serang`); rows follow the routing file."""

    __tablename__ = "queue"

    code: str = Field(primary_key=True, max_length=48)
    agency: str = Field(max_length=16)
    region: str = Field(max_length=32)
    name: str = Field(max_length=96)


class Request(SQLModel, table=True):
    """A PMKS sighting or a counseling request, from submission to closing."""

    __tablename__ = "request"

    __table_args__ = (
        sa.Index("ix_request_queue_status", "queue_code", "status"),
        sa.Index("ix_request_contact", "contact_id"),
        # The dashboard (storage/dashboard_queries.py): keyset pages, per-queue pages, open counts.
        sa.Index("ix_request_created_id", "created_at", "id"),
        sa.Index("ix_request_queue_created", "queue_code", "created_at", "id"),
        sa.Index("ix_request_status_queue", "status", "queue_code"),
        sa.Index("ix_request_category_created", "category", "created_at", "id"),
        sa.Index("ix_request_topic_created", "topic", "created_at", "id"),
        sa.Index("ix_request_region_created", "region", "created_at", "id"),
        # "Kasus saya" and the list's holder filter (bot/web/dashboard/casework.py, filters.py): migration 0014.
        sa.Index("ix_request_assigned_created", "assigned_staff_id", "created_at", "id"),
        # Reporters of merged requests hear the survivor's updates (bot/services/notify.py): a lookup per update.
        sa.Index("ix_request_merged_into", "merged_into_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_code: str = Field(max_length=16, unique=True)
    kind: str = Field(max_length=16)  # "sighting" | "counseling"
    category: str | None = Field(default=None, max_length=48)
    topic: str | None = Field(default=None, max_length=48)
    region: str | None = Field(default=None, max_length=32)
    kecamatan_code: str | None = Field(default=None, max_length=16)
    latitude: float | None = None
    longitude: float | None = None
    landmark: str | None = Field(default=None, sa_type=EncryptedText)
    description: str | None = Field(default=None, sa_type=EncryptedText)
    photo_refs: list = Field(default_factory=list, sa_type=JSONType)
    anonymous: bool = False
    for_whom: str | None = Field(default=None, max_length=16)
    contact_way: str | None = Field(default=None, max_length=16)
    phone: str | None = Field(default=None, sa_type=EncryptedText)
    contact_times: str | None = Field(default=None, max_length=32)
    danger_flag: bool = False
    urgency: str = Field(max_length=8)
    queue_code: str = Field(foreign_key="queue.code", max_length=48)
    status: str = Field(default=RequestStatus.NEW, max_length=16)
    assigned_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    merged_into_id: int | None = Field(default=None, foreign_key="request.id")
    outcome_note: str | None = Field(default=None, sa_type=EncryptedText)
    # The person in need as staff identified them, for Dinas Sosial's by-name-by-address list (BNBA): a
    # reporter rarely knows the name of someone they saw, so staff fill these in (bot/services/bnba.py).
    person_name: str | None = Field(default=None, sa_type=EncryptedText)
    person_nik: str | None = Field(default=None, sa_type=EncryptedText)
    person_address: str | None = Field(default=None, sa_type=EncryptedText)
    claim_due_at: datetime = _utc()
    first_contact_due_at: datetime = _utc()
    created_at: datetime = _utc(index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")


class StoredPhoto(SQLModel, table=True):
    """A photo a citizen sent, fetched when it arrived, cleaned of metadata and kept encrypted.

    Until the request is sent it belongs to the contact's draft (`request_id` NULL) and goes with it; then
    to the request, whose `photo_refs` list it as "photo:<id>" in the order sent, and it goes with the
    request's personal data (retention purge, erasure). See bot/services/photos.py.
    """

    __tablename__ = "stored_photo"
    __table_args__ = (
        sa.Index("ix_stored_photo_contact", "contact_id", "request_id"),
        sa.Index("ix_stored_photo_request", "request_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    request_id: int | None = Field(default=None, foreign_key="request.id")
    content_type: str = Field(max_length=16)  # image/jpeg, image/png, image/webp
    width: int
    height: int
    data: bytes = Field(sa_type=EncryptedBytes)
    created_at: datetime = _utc()


class RequestEvent(SQLModel, table=True):
    """One thing that happened to a request, with who did it and when; the source of all metrics.

    `detail` holds codes and ids only (queues, actions, levels; reports and metrics read it with SQL);
    a staff member's own words (the reason of a release, transfer or reopening, a closing note) may
    name the citizen or their story, so they are kept apart in `note`, encrypted.
    """

    __tablename__ = "request_event"

    __table_args__ = (sa.Index("ix_request_event_request", "request_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    kind: str = Field(max_length=24)  # "created", "status", ...
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    actor: str = Field(max_length=64)  # "citizen:12", "staff:3", "system"
    at: datetime = _utc()
    detail: dict = Field(default_factory=dict, sa_type=JSONType)
    note: str | None = Field(default=None, sa_type=EncryptedText)


class ResponseTime(SQLModel, table=True):
    """The moments of one request that its response times are measured between, kept as events arrive.

    Why a table: folding every request's events at report time took seconds at a million requests; this
    narrow row (one per request, updated by `storage.requests.add_event` in the event's transaction)
    lets the report join requests to it by key. It is derived data: `RequestEvent` stays the source,
    and migration 0008 (or `storage.response_times.rebuild`) fills it from the events.
    """

    __tablename__ = "response_time"

    request_id: int = Field(primary_key=True, foreign_key="request.id")
    created_at: datetime | None = _utc(nullable=True)  # the "created" event
    claimed_at: datetime | None = _utc(nullable=True)  # the FIRST status event to "claimed"
    contacted_at: datetime | None = _utc(nullable=True)  # the first "first_contact" event
    first_closed_at: datetime | None = _utc(nullable=True)  # the first closing status event
    last_closed_at: datetime | None = _utc(nullable=True)  # the last closing status event
    closed_now: bool = False  # whether the latest status event is a closing one (not reopened since)


class ReportWeek(SQLModel, table=True):
    """A closed WIB week whose response-time sketches are stored (`ReportWeekSketch`), and whether they still hold.

    Why: exact percentiles over a long range cost more than the report page may take (bench/README.md);
    a week that ended and whose SLA deadlines all passed changes only when an event of one of its requests
    arrives, so its figures are kept as mergeable sketches. `storage.response_times.record_event` marks the
    week stale for any event of a request with an id in [low_request_id, high_request_id]; the report
    computes it again on its next read.
    """

    __tablename__ = "report_week"

    week: date = Field(primary_key=True)  # its Monday (WIB)
    low_request_id: int
    high_request_id: int
    requests: int
    computed_at: datetime = _utc()
    stale: bool = False


class ReportWeekSketch(SQLModel, table=True):
    """One group's figures in a stored week: counts exact, durations as DDSketch bucket counts (bot/sketches.py).

    `dimension` "all" holds a (queue, region)'s requests; "staff_id" and "subject" split them further by
    `key`. Queue and region stay on every row so a coordinator's visible queues and filters still apply.
    """

    __tablename__ = "report_week_sketch"
    __table_args__ = (sa.Index("ix_report_week_sketch_week", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    week: date = Field(foreign_key="report_week.week")
    queue_code: str = Field(max_length=48)
    region: str | None = Field(default=None, max_length=32)
    dimension: str = Field(max_length=16)
    key: str | None = Field(default=None, max_length=64)
    requests: int
    claim_ok_sum: int
    claim_ok_n: int
    contact_ok_sum: int
    contact_ok_n: int
    sketch: bytes = Field(sa_type=sa.LargeBinary)


class OutboxMessage(SQLModel, table=True):
    """A reply committed with the state change that caused it, waiting for (or done with) delivery."""

    __tablename__ = "outbox_message"

    __table_args__ = (
        sa.Index("ix_outbox_due", "channel", "status", "next_attempt_at"),
        sa.Index("ix_outbox_contact", "contact_id", "id"),
        sa.Index("ix_outbox_status_id", "status", "id"),  # dead letters on the dashboard
        # The request page asks how far each counselor message got; most rows carry none, so only those are indexed.
        sa.Index(
            "ix_outbox_case_message",
            "case_message_id",
            sqlite_where=sa.text("case_message_id IS NOT NULL"),
            postgresql_where=sa.text("case_message_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    channel: str = Field(max_length=16)
    payload: dict = Field(sa_type=EncryptedJSON)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)
    platform_message_id: str | None = Field(default=None, max_length=128)
    last_error: str | None = Field(default=None, max_length=500)
    #: When this claim's send began (its slot taken), committed before the platform call: a `sending` row with
    #: it set may have reached the platform; one without it never left (storage/delivery.py).
    send_started_at: datetime | None = _utc(nullable=True)
    #: The counselor's message (`CaseMessage`) this row carries to the citizen: its delivery is first contact
    #: (bot/services/first_contact.py). A pointer without a foreign key: case messages are never deleted.
    case_message_id: int | None = None


class OutboxWamid(SQLModel, table=True):
    """One WhatsApp message we sent (a part of an outbox message), or a status that came before its send did.

    A reply split into several WhatsApp messages has a row per part, so a status for any part finds
    its outbox message, and a failure of any part is the message's. Meta may post a message's status
    before our send call has its answer (and the worker has stored the wamid): that status is kept
    here without an outbox id and applied when the wamid is stored (`storage.whatsapp_statuses`).
    """

    __tablename__ = "outbox_wamid"
    __table_args__ = (
        sa.Index("ix_outbox_wamid_outbox", "outbox_id"),
        # Only statuses still waiting for their send are ever swept; the index stays that small.
        sa.Index(
            "ix_outbox_wamid_unmatched",
            "updated_at",
            postgresql_where=sa.text("outbox_id IS NULL"),
            sqlite_where=sa.text("outbox_id IS NULL"),
        ),
    )

    wamid: str = Field(primary_key=True, max_length=128)
    outbox_id: int | None = Field(default=None, foreign_key="outbox_message.id", ondelete="CASCADE")
    status: str = Field(default=OutboxStatus.SENT, max_length=16)  # one of WHATSAPP_STATUSES, forward only
    error_code: int | None = None
    error: str | None = Field(default=None, max_length=300)  # Meta's code and title, never content
    updated_at: datetime = _utc()


class ProcessedInbound(SQLModel, table=True):
    """Platform message ids already handled, so a re-delivered message is acknowledged and ignored.

    Kept for `INBOUND_DEDUPE_DAYS`, longer than any platform re-delivers; the nightly pruning forgets older ones.
    """

    __tablename__ = "processed_inbound"

    channel: str = Field(primary_key=True, max_length=16)
    message_id: str = Field(primary_key=True, max_length=128)
    processed_at: datetime = _utc()


class StatusLookup(SQLModel, table=True):
    """A `status KODE` of a ticket that was not the contact's own, counted against guessing codes.

    `subject` is `contact:<id>` or `origin:<keyed hash of a network address>`: the address itself is
    never stored. Rows live only as long as the limit's window (bot/services/ticket_lookup.py).
    """

    __tablename__ = "status_lookup"

    __table_args__ = (sa.Index("ix_status_lookup_subject", "subject", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=80)
    at: datetime = _utc(index=True)


class SendRate(SQLModel, table=True):
    """The next free send slot of a channel, shared by every instance: the global rate limit."""

    __tablename__ = "send_rate"

    channel: str = Field(primary_key=True, max_length=16)
    next_slot_at: datetime = _utc()
    #: A flood wait (Telegram's 429): no instance takes a slot of the channel before this.
    paused_until: datetime | None = _utc(nullable=True)
    #: Turns taken so far (a send's number; its place in `SendWindow` is this modulo the window's size).
    turns: int = Field(default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})


class SendWindow(SQLModel, table=True):
    """The latest time each of a channel's last `rate` sends can have reached the platform, shared by every
    instance: a send waits until the one `rate` turns before it arrived a second ago (storage/send_rate.py)."""

    __tablename__ = "send_window"

    channel: str = Field(primary_key=True, max_length=16)
    position: int = Field(primary_key=True)
    turn: int = Field(sa_type=sa.BigInteger)
    arrived_by: datetime = _utc()


class DueWork(SQLModel, table=True):
    """One piece of scheduled work (reminder, follow-up, SLA check, digest) with its due time.

    `dedupe_key` makes scheduling idempotent across instances ("sla_claim:42" is scheduled once).
    """

    __tablename__ = "due_work"
    __table_args__ = (sa.Index("ix_due_work_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    dedupe_key: str = Field(max_length=96, unique=True)
    due_at: datetime = _utc()
    state: str = Field(default=DueWorkState.PENDING, max_length=16)
    request_id: int | None = Field(default=None, foreign_key="request.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    payload: dict = Field(default_factory=dict, sa_type=EncryptedJSON)
    attempts: int = 0
    created_at: datetime = _utc()
    finished_at: datetime | None = _utc(nullable=True)
    outcome: str | None = Field(default=None, max_length=200)


class Staff(SQLModel, table=True):
    """A counselor, coordinator or admin. Coordinators have a region (`provinsi` for the province)."""

    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=96)
    password_hash: str = Field(max_length=256)
    role: str = Field(max_length=16)  # counselor, coordinator, admin
    region: str | None = Field(default=None, max_length=32)
    active: bool = True
    telegram_contact_id: int | None = Field(default=None, foreign_key="contact.id", unique=True)
    link_code_hash: str | None = Field(default=None, max_length=64)
    link_code_expires_at: datetime | None = _utc(nullable=True)
    created_at: datetime = _utc()
    #: Set by an admin's password reset: the temporary password must be replaced before anything else.
    must_change_password: bool = False


class StaffSession(SQLModel, table=True):
    """One dashboard login: its cookie holds a random token, this row only the token's SHA-256.

    Why in the database and not the signed cookie alone: logging out, a deactivation or a password change
    must end a session at once on every instance, also for a copy of the cookie. No row, no session.
    """

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime = _utc()
    expires_at: datetime = _utc(index=True)


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one account or one client address, and until when further tries are refused.

    `subject` is `account:<username>` or `address:<keyed hash of the address>` (the address itself is never
    stored). A row is forgotten at `forget_at`; a successful login forgets its account's row.
    """

    __tablename__ = "login_throttle"

    subject: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    locked_until: datetime | None = _utc(nullable=True)
    forget_at: datetime = _utc(index=True)


class StaffQueue(SQLModel, table=True):
    """Which queues a counselor works in."""

    __tablename__ = "staff_queue"

    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    queue_code: str = Field(foreign_key="queue.code", primary_key=True, max_length=48)


class RequestNote(SQLModel, table=True):
    """A case note, visible to the staff of the request's queue only."""

    __tablename__ = "request_note"
    __table_args__ = (sa.Index("ix_request_note_request", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    staff_id: int = Field(foreign_key="staff.id")
    text: str = Field(sa_type=EncryptedText)
    created_at: datetime = _utc()


class CaseMessage(SQLModel, table=True):
    """One message of the thread between a counselor and the citizen, relayed through the bot."""

    __tablename__ = "case_message"
    __table_args__ = (sa.Index("ix_case_message_request", "request_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    direction: str = Field(max_length=8)  # "out" to the citizen, "in" from the citizen
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    text: str = Field(sa_type=EncryptedText)
    created_at: datetime = _utc()
    #: An outgoing message: when it reached the citizen (bot/services/first_contact.py); None while it waits.
    delivered_at: datetime | None = _utc(nullable=True)


class Appointment(SQLModel, table=True):
    """A slot offered to the citizen; one of a proposal becomes confirmed, the others lapse."""

    __tablename__ = "appointment"
    __table_args__ = (sa.Index("ix_appointment_staff_time", "staff_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    staff_id: int = Field(foreign_key="staff.id")
    proposal: str = Field(max_length=32)  # slots offered together share it
    starts_at: datetime = _utc()
    duration_minutes: int = 60
    mode: str = Field(max_length=16)  # office, home, phone, video
    status: str = Field(default=AppointmentStatus.PROPOSED, max_length=16)
    created_at: datetime = _utc()


class AuditLog(SQLModel, table=True):
    """Every view or export of personal data, and every erasure, with who and when."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_at", "at"),
        sa.Index("ix_audit_log_actor", "actor", "id"),  # the dashboard's audit viewer, by actor
        sa.Index("ix_audit_log_target", "target", "id"),  # ... and by target ("request:42")
        sa.Index("ix_audit_log_action", "action", "id"),  # ... and by action ("export")
    )

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=48)
    target: str = Field(max_length=96)
    at: datetime = _utc()
    detail: dict = Field(default_factory=dict, sa_type=JSONType)


class ApiToken(SQLModel, table=True):
    """A read-only key of the JSON API (`/api/v1`), made by an admin for a province system.

    Only the SHA-256 of the token is stored: tokens are long random strings, so a fast hash is enough
    (no dictionary to guess from), and a stolen database does not give working keys. `region` limits the
    figures to one kabupaten/kota's queues; None means the whole province.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    region: str | None = Field(default=None, max_length=32)
    created_at: datetime = _utc()
    revoked_at: datetime | None = _utc(nullable=True)
