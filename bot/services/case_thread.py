"""Talking to the citizen through the bot, and case notes. Counselors never give their own number."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.i18n.render import Renderer
from bot.messages import Reply
from bot.services.access import StaffView, visible_request
from bot.services.case_rules import MAX_MESSAGE, CaseAct, CaseActionError, authorize
from bot.services.claims import record_first_contact
from bot.services.notify import notify_citizen, notify_staff
from bot.services.safe_to_talk import ask_if_needed
from storage.casework import add_case_message, add_note, open_thread_of
from storage.models import Contact, Staff, persisted_id


def message_citizen(
    session: Session, *, view: StaffView, request_id: int, text: str, now: datetime, reason: str = ""
) -> bool:
    """Send the citizen a message from the counselor; the first one to reach them counts as first contact.

    It goes when the citizen may receive it (quiet hours, their safe time), and first contact is recorded
    when it arrives, not now (bot/services/first_contact.py). In an urgent case it also waits until the
    citizen says it is safe to talk (safe_to_talk.py); True then, so the counselor is told it was kept.
    """
    request = visible_request(session, view, request_id)
    text = text.strip()
    if not text or len(text) > MAX_MESSAGE:
        raise CaseActionError("case.error_message_length")
    if request.anonymous or request.contact_id is None:
        raise CaseActionError("case.error_anonymous")
    authorize(session, view=view, request=request, act=CaseAct.CONTACT, reason=reason, now=now)
    message = add_case_message(
        session, request_id=persisted_id(request), direction="out", staff_id=view.id, text=text, now=now
    )
    session.flush()  # its id travels with the update, so its delivery can be recorded
    hold = ask_if_needed(session, request=request, actor=view.actor, now=now)
    notify_citizen(
        session,
        request=request,
        key="case.from_counselor",
        now=now,
        params={"text": text},
        extra={"case_message": message.id, **({"hold_until_safe": True} if hold else {})},
    )
    return hold


def record_call(session: Session, *, view: StaffView, request_id: int, now: datetime, reason: str = "") -> None:
    """A phone call made outside the bot counts as first contact too."""
    request = visible_request(session, view, request_id)
    authorize(session, view=view, request=request, act=CaseAct.CONTACT, reason=reason, now=now)
    record_first_contact(session, request=request, actor=view.actor, how="phone", now=now)


def relay_from_citizen(
    session: Session, *, contact: Contact, text: str, renderer: Renderer, now: datetime
) -> Reply | None:
    """Pass a citizen's free text to the counselor of their open case; None when there is none."""
    request = open_thread_of(session, contact_id=persisted_id(contact))
    if request is None:
        return None
    add_case_message(session, request_id=persisted_id(request), direction="in", text=text[:MAX_MESSAGE], now=now)
    holder = session.get(Staff, request.assigned_staff_id) if request.assigned_staff_id else None
    if holder is not None:
        notify_staff(
            session,
            staff=[holder],
            key="case.staff_new_message",
            renderer=renderer,
            now=now,
            params={"code": request.ticket_code, "text": text[:MAX_MESSAGE]},
        )
    return Reply(renderer.text(contact.language, "case.relayed", code=request.ticket_code))


def add_case_note(session: Session, *, view: StaffView, request_id: int, text: str, now: datetime) -> None:
    request = visible_request(session, view, request_id)
    text = text.strip()
    if not text or len(text) > MAX_MESSAGE:
        raise CaseActionError("case.error_message_length")
    authorize(session, view=view, request=request, act=CaseAct.NOTE, reason="", now=now)
    add_note(session, request_id=persisted_id(request), staff_id=view.id, text=text, now=now)
