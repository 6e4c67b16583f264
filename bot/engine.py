"""The conversation engine: one inbound message, one short transaction.

Load the contact and conversation, store the photo a message brought (the flow sees only its
reference), run the pure flow step, apply its effects (create the request, look up a status, switch
language), save the new state, drop photos no draft holds any more and write every reply to the
outbox, all in one commit. A platform message id seen before is acknowledged and ignored, so a
re-delivery (a webhook retried after a crash) never creates a second request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import assert_never

import sqlalchemy as sa
from sqlmodel import Session

from bot.config import Settings
from bot.domain.regions import RegionCatalog
from bot.flows import router
from bot.flows.base import (
    CaseChoice,
    EraseMyData,
    EscalateRequest,
    FlowContext,
    LinkStaff,
    LookupStatus,
    OpenRequest,
    Output,
    RelayToCase,
    SetLanguage,
    ShowMyData,
    StaffAction,
    StalePress,
    StepResult,
    SubmitRequest,
    stale_press,
)
from bot.flows.state import ConversationState, from_row, to_row
from bot.i18n import Catalog
from bot.i18n.render import Renderer
from bot.messages import Channel, Inbound, InboundKind, Reply
from bot.observability import count_inbound
from bot.routing import RoutingTable
from bot.scheduler.plans import plan_draft_reminders
from bot.services.appointments import record_feedback_comment
from bot.services.case_thread import relay_from_citizen
from bot.services.citizen_case import handle_case_choice, link_staff_chat
from bot.services.escalation import escalate_request
from bot.services.intake import submit_request
from bot.services.photos import keep_draft_photos, store_arrived_photo
from bot.services.privacy import erase_contact_data, my_data_replies
from bot.services.staff_chat import run_staff_action
from bot.services.ticket_lookup import StatusLookupLimits, answer_status
from bot.understanding import understanding_for
from storage.contacts import (
    StoredConversation,
    get_or_create_contact,
    load_conversation,
    mark_inbound_processed,
    record_inbound,
    save_conversation,
)
from storage.delivery import release_held_messages
from storage.models import Contact, persisted_id
from storage.outbox import enqueue_messages
from storage.requests import newest_open_request
from storage.staff import is_staff_contact


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """A reply as committed to the outbox; `seq` is its outbox id."""

    seq: int
    reply: Reply


@dataclass(frozen=True, slots=True)
class EngineResult:
    """What one inbound message did, for the channel that brought it.

    `stale_press`: the message was a press on buttons of a question no longer asked (the replies say so);
    a channel that answers presses itself tells it on the button, in `language`, the contact's.
    """

    contact_id: int | None
    replies: tuple[QueuedReply, ...]
    duplicate: bool = False
    stale_press: bool = False
    language: str = ""


class ConversationEngine:
    """Runs flows against the database; shared by every channel, safe to call from many threads."""

    def __init__(
        self,
        *,
        db: sa.Engine,
        settings: Settings,
        catalog: Catalog,
        regions: RegionCatalog,
        routing: RoutingTable,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._settings = settings
        self._catalog = catalog
        self._regions = regions
        self._routing = routing
        self._clock = clock
        self._numbers = {**settings.emergency_numbers, **routing.public_figures()}
        self._renderer = Renderer(catalog, settings.tz, numbers=self._numbers)
        self._understanding = understanding_for(catalog, regions)
        self._urgent_topics = routing.urgent_topics()
        self._lookup_limits = StatusLookupLimits(
            per_contact=settings.status_lookups_per_contact,
            per_address=settings.status_lookups_per_address,
            window=timedelta(minutes=settings.status_lookup_window_minutes),
            secret=settings.secret_key,
        )

    def start(self, *, channel: Channel, user_id: str, language: str = "") -> EngineResult:
        """Open a conversation (a new web chat session): greeting and menu."""
        with self._transaction() as session:
            now = self._clock()
            contact = self._contact(session, channel, user_id, language, now)
            conversation = load_conversation(session, contact_id=persisted_id(contact))
            state = _state_of(conversation)
            result = router.start_conversation(state, self._context(contact.language))
            return self._finish(session, contact, result, now)

    def handle(self, inbound: Inbound) -> EngineResult:
        """Process one inbound message exactly once and return the replies it queued."""
        with self._transaction() as session:
            now = self._clock()
            if not mark_inbound_processed(session, channel=inbound.channel, message_id=inbound.message_id, now=now):
                count_inbound(inbound.channel.value, duplicate=True)
                return EngineResult(contact_id=None, replies=(), duplicate=True)
            contact = self._contact(
                session, inbound.channel, inbound.user_id, inbound.language_hint, now, known_as=inbound.reply_address
            )
            # Writing to us again means they can be reached again (and at the address they wrote from).
            record_inbound(session, contact=contact, now=now, address=inbound.reply_address)
            contact_id = persisted_id(contact)
            release_held_messages(session, contact_id=contact_id, now=now)
            conversation = load_conversation(session, contact_id=contact_id)
            before = _state_of(conversation)
            inbound = store_arrived_photo(session, contact_id=contact_id, inbound=inbound, now=now)
            ctx = self._context(
                contact.language,
                is_staff=self._is_staff(session, contact),
                open_request=self._open_request(session, contact, before, inbound),
            )
            result = router.handle(before, inbound, ctx, first_contact=conversation is None)
            plan_draft_reminders(
                session,
                contact_id=contact_id,
                has_draft=result.state.has_draft,
                had_draft=before.has_draft,
                last_answer_at=_last_answer_at(conversation),
                now=now,
            )
            finished = self._finish(session, contact, result, now, origin=inbound.origin)
            keep_draft_photos(
                session,
                contact_id=contact_id,
                before=before,
                after=result.state,
                arrived=inbound.kind is InboundKind.PHOTO,
            )
        count_inbound(inbound.channel.value, duplicate=False)  # committed
        return finished

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _contact(
        self, session: Session, channel: Channel, user_id: str, language: str, now: datetime, known_as: str = ""
    ) -> Contact:
        language = language if language in ("id", "en") else self._settings.default_language
        return get_or_create_contact(
            session, channel=channel.value, platform_user_id=user_id, language=language, now=now, known_as=known_as
        )

    def _context(
        self, language: str, *, is_staff: bool = False, open_request: OpenRequest | None = None
    ) -> FlowContext:
        return FlowContext(
            language,
            self._catalog,
            self._regions,
            self._numbers,
            is_staff,
            self._understanding,
            open_request,
            self._urgent_topics,
        )

    @staticmethod
    def _open_request(
        session: Session, contact: Contact, state: ConversationState, inbound: Inbound
    ) -> OpenRequest | None:
        """Text outside a form may be for the counselor of an open case, or danger about a sent request."""
        if inbound.kind is not InboundKind.TEXT or state.form is not None or contact.id is None:
            return None
        found = newest_open_request(session, contact_id=contact.id)
        return OpenRequest(*found) if found else None

    @staticmethod
    def _is_staff(session: Session, contact: Contact) -> bool:
        """Staff mode exists only in Telegram chats linked with `/tautkan`."""
        return contact.channel == Channel.TELEGRAM.value and is_staff_contact(session, contact_id=persisted_id(contact))

    def _finish(
        self, session: Session, contact: Contact, result: StepResult, now: datetime, origin: str = ""
    ) -> EngineResult:
        said = list(self._apply(session, contact, result.outputs, now, origin))
        replies = [output for output in said if isinstance(output, Reply)]
        flow, step, data = to_row(result.state)
        contact_id = persisted_id(contact)
        save_conversation(session, contact_id=contact_id, flow=flow, step=step, data=data, now=now)
        # Returned to the caller: a web chat page gets them in the answer to its own request.
        ids = enqueue_messages(
            session,
            contact_id=contact_id,
            channel=contact.channel,
            payloads=[r.to_json() for r in replies],
            now=now,
            answered=True,
        )
        return EngineResult(
            contact_id,
            tuple(QueuedReply(row_id, reply) for row_id, reply in zip(ids, replies)),
            stale_press=any(isinstance(output, StalePress) for output in said),
            language=contact.language,
        )

    def _apply(
        self, session: Session, contact: Contact, outputs: Iterable[Output], now: datetime, origin: str
    ) -> Iterable[Reply | StalePress]:
        """Replies pass through; effects run here, in order, and may answer with replies of their own.

        A stale press passes through too, for `_finish` to report; a case button that means nothing any
        more is answered as one.
        """
        for output in outputs:
            match output:
                case Reply() | StalePress():
                    yield output
                case SetLanguage():
                    contact.language = output.language
                case SubmitRequest():
                    yield from submit_request(
                        session,
                        contact=contact,
                        effect=output,
                        routing=self._routing,
                        ctx=self._context(contact.language),
                        renderer=self._renderer,
                        now=now,
                    )
                case LookupStatus():
                    yield answer_status(
                        session,
                        contact=contact,
                        ticket_code=output.ticket_code,
                        origin=origin,
                        ctx=self._context(contact.language),
                        renderer=self._renderer,
                        limits=self._lookup_limits,
                        now=now,
                    )
                case CaseChoice():
                    answer = handle_case_choice(
                        session, contact=contact, choice=output.choice, renderer=self._renderer, now=now
                    )
                    yield from (answer,) if answer else stale_press(self._context(contact.language))
                case RelayToCase():
                    relayed = record_feedback_comment(
                        session, contact=contact, text=output.text, renderer=self._renderer, now=now
                    ) or relay_from_citizen(
                        session, contact=contact, text=output.text, renderer=self._renderer, now=now
                    )
                    yield from (relayed,) if relayed else output.otherwise
                case ShowMyData():
                    yield from my_data_replies(session, contact=contact, renderer=self._renderer, now=now)
                case EraseMyData():
                    erase_contact_data(session, contact=contact, now=now)
                case StaffAction():
                    yield from run_staff_action(
                        session, contact=contact, action=output, routing=self._routing, renderer=self._renderer, now=now
                    )
                case EscalateRequest():
                    escalated = escalate_request(
                        session,
                        contact=contact,
                        ticket_code=output.ticket_code,
                        text=output.text,
                        routing=self._routing,
                        renderer=self._renderer,
                        now=now,
                    )
                    yield from (escalated,) if escalated else ()
                case LinkStaff():
                    yield link_staff_chat(session, contact=contact, code=output.code, renderer=self._renderer, now=now)
                case _:
                    assert_never(output)


class _Transaction:
    """A session in one transaction, committed on success, rolled back on any error."""

    def __init__(self, db: sa.Engine) -> None:
        self._db = db
        self._session: Session | None = None

    def __enter__(self) -> Session:
        self._session = Session(self._db, expire_on_commit=False)
        self._session.begin()
        return self._session

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._session is not None
        try:
            if exc_type is None:
                self._session.commit()
            else:
                self._session.rollback()
        finally:
            self._session.close()


def _state_of(conversation: StoredConversation | None) -> ConversationState:
    if conversation is None:
        return ConversationState()
    return from_row(conversation.flow, conversation.step, conversation.data)


def _last_answer_at(conversation: StoredConversation | None) -> datetime | None:
    return None if conversation is None else conversation.updated_at
