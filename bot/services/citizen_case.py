"""The citizen's side of a case: buttons on appointment and follow-up messages, linking staff chats."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.i18n.render import Renderer
from bot.messages import Channel, Reply
from bot.services.appointments import ask_other_times, pick_slot, record_rating
from bot.services.safe_to_talk import answer_safe_question
from bot.services.staff_accounts import link_telegram
from storage.models import Contact, Request, persisted_id
from storage.requests import add_event


def handle_case_choice(
    session: Session, *, contact: Contact, choice: str, renderer: Renderer, now: datetime
) -> Reply | None:
    """Dispatch `appt:<id>`, `apptother:<proposal>`, `rate:<id>:<n>`, `better:<id>:yes|no`, `safe:<id>:yes|later`.

    None when the button means nothing for this contact any more: the engine answers it as a stale press.
    """
    kind, _, rest = choice.partition(":")
    try:
        if kind == "appt":
            return pick_slot(session, contact=contact, appointment_id=int(rest), renderer=renderer, now=now)
        if kind == "apptother":
            return ask_other_times(session, contact=contact, proposal=rest, renderer=renderer, now=now)
        if kind == "rate":
            appointment_id, rating = rest.split(":")
            return record_rating(
                session,
                contact=contact,
                appointment_id=int(appointment_id),
                rating=int(rating),
                renderer=renderer,
                now=now,
            )
        if kind == "better":
            request_id, answer = rest.split(":")
            return _record_condition(session, contact, int(request_id), answer, renderer, now)
        if kind == "safe":
            request_id, answer = rest.split(":")
            return answer_safe_question(
                session, contact=contact, request_id=int(request_id), answer=answer, renderer=renderer, now=now
            )
    except ValueError:
        pass  # a forged or mangled button: answered like any stale one
    return None


def _record_condition(
    session: Session, contact: Contact, request_id: int, answer: str, renderer: Renderer, now: datetime
) -> Reply | None:
    """The answer to "apakah kondisinya sudah membaik?" a week after a sighting was resolved."""
    request = session.get(Request, request_id)
    if request is None or request.contact_id != contact.id or answer not in ("yes", "no"):
        return None
    add_event(
        session,
        request_id=persisted_id(request),
        kind="followup_answer",
        actor=f"citizen:{contact.id}",
        at=now,
        detail={"question": "condition_better", "answer": answer},
    )
    return Reply(renderer.text(contact.language, f"followup.thanks_{answer}"))


def link_staff_chat(session: Session, *, contact: Contact, code: str, renderer: Renderer, now: datetime) -> Reply:
    """`/tautkan KODE` from Telegram links the chat to the staff account that showed the code."""
    if contact.channel != Channel.TELEGRAM.value:
        return Reply(renderer.text(contact.language, "staff.link_telegram_only"))
    staff = link_telegram(session, code=code, contact_id=persisted_id(contact), now=now) if code else None
    if staff is None:
        return Reply(renderer.text(contact.language, "staff.link_failed"))
    return Reply(renderer.text(contact.language, "staff.linked", name=staff.display_name))
