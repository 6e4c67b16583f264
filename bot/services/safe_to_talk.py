""" "Is it safe to talk now?" before a counselor's first message reaches the citizen of an urgent case.

A victim's phone may be in the hands of the person they fear. So for an urgent request the citizen
first gets a neutral question with the buttons Aman / Nanti saja, and the counselor's messages are
held in the outbox (`OutboxStatus.HELD_SAFE`) until the citizen answers "aman". Each answer is
a `safe_to_talk` request event (the counselor sees the state on the request page); "nanti" also
tells the counselor on Telegram.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.i18n.render import Renderer
from bot.messages import Choice, Reply
from bot.services.first_contact import record_arrivals
from bot.services.notify import notify_citizen, notify_staff
from storage.casework import last_event
from storage.delivery import release_until_safe
from storage.models import Contact, Request, Staff, persisted_id
from storage.requests import add_event

EVENT = "safe_to_talk"
ASKED, SAFE, LATER = "asked", "safe", "later"
ANSWERS = {"yes": SAFE, "later": LATER}


def safe_state(session: Session, *, request_id: int) -> str | None:
    """`asked`, `safe` or `later` (the citizen's last answer); None when the question was never asked."""
    event = last_event(session, request_id=request_id, kind=EVENT)
    return event.detail.get("state") if event is not None else None


def must_hold(session: Session, *, request_id: int) -> bool:
    """Whether a counselor's message to this request waits: the citizen has not said "aman" (yet)."""
    return safe_state(session, request_id=request_id) != SAFE


def ask_if_needed(session: Session, *, request: Request, actor: str, now: datetime) -> bool:
    """Before a counselor's message to an urgent case: ask once; True when the message is to be held."""
    if request.urgency != "urgent":
        return False
    request_id = persisted_id(request)
    state = safe_state(session, request_id=request_id)
    if state is None:
        add_event(session, request_id=request_id, kind=EVENT, actor=actor, at=now, detail={"state": ASKED})
        notify_citizen(
            session,
            request=request,
            key="case.safe_question",
            now=now,
            dedupe=f"safe:{request_id}",
            choices=_buttons(request_id, with_later=True),
        )
    return state != SAFE


def answer_safe_question(
    session: Session, *, contact: Contact, request_id: int, answer: str, renderer: Renderer, now: datetime
) -> Reply | None:
    """The citizen's "aman" (held messages go out) or "nanti saja" (they stay held; the counselor is told);
    None for a button that is not about this contact's request (answered as a stale press)."""
    request = session.get(Request, request_id)
    state = ANSWERS.get(answer)
    if request is None or request.contact_id != contact.id or state is None:
        return None  # not this contact's request, or a mangled button: a stale press
    add_event(
        session, request_id=request_id, kind=EVENT, actor=f"citizen:{contact.id}", at=now, detail={"state": state}
    )
    if state == SAFE:
        released = release_until_safe(session, contact_id=persisted_id(contact), channel=contact.channel, now=now)
        record_arrivals(session, outbox_ids=released, now=now)  # in a web chat thread they have arrived
        return Reply(renderer.text(contact.language, "case.safe_thanks"))
    holder = session.get(Staff, request.assigned_staff_id) if request.assigned_staff_id else None
    if holder is not None:
        notify_staff(
            session,
            staff=[holder],
            key="case.staff_safe_later",
            renderer=renderer,
            now=now,
            params={"code": request.ticket_code},
        )
    choices = tuple(Choice(cid, renderer.text(contact.language, key)) for cid, key in _buttons(request_id))
    return Reply(renderer.text(contact.language, "case.safe_later_reply"), choices)


def _buttons(request_id: int, *, with_later: bool = False) -> list[tuple[str, str]]:
    """(choice id, catalog key) pairs; after "nanti" only "aman" is left to press."""
    buttons = [(f"safe:{request_id}:yes", "case.safe_yes")]
    return [*buttons, (f"safe:{request_id}:later", "case.safe_later")] if with_later else buttons
