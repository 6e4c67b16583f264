"""A citizen's rights over their data (UU PDP No. 27/2022): see it, erase it; and retention purges.

Erasure and purges blank the personal fields (free text, phone, pin, photos, contact times,
platform ids) and keep the ticket rows (category, region, queue, status, times) for statistics.
Staff's own words about the case (case notes, closing notes, release/transfer/reopen reasons) go too:
they often retell the story or name the citizen. Event rows keep their kind, status and time, since
statistics and response times are computed from them. Staff then see that the data was erased at the
citizen's request, and "[dihapus]" where a text used to be.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select, update

from bot.i18n.render import Renderer
from bot.messages import Channel, Reply
from storage import due_work
from storage.casework import appointments_of
from storage.contacts import save_conversation
from storage.delivery import drop_held_until_safe
from storage.models import (
    CLOSED_STATUSES,
    CaseMessage,
    Contact,
    DueWork,
    OutboxMessage,
    Request,
    RequestEvent,
    RequestNote,
)
from storage.requests import add_event
from storage.staff import audit

ERASED_TEXT = "[dihapus]"
PLATFORM_ID_GRACE = timedelta(minutes=10)


def my_data_replies(session: Session, *, contact: Contact, renderer: Renderer, now: datetime) -> list[Reply]:
    """What the service holds about this contact, as text they can read in the chat."""
    language = contact.language
    t = renderer.text
    consent = renderer.when(language, contact.consent_at) if contact.consent_at else t(language, "privacy.none")
    lines = [t(language, "privacy.data_title"),
             t(language, "privacy.data_contact", channel=contact.channel, language=language, consent=consent,
               times=t(language, f"contact_time.{contact.contact_times}") if contact.contact_times else "-")]
    requests = session.exec(select(Request).where(Request.contact_id == contact.id).order_by(col(Request.id))).all()
    for request in requests:
        lines.append(_request_lines(session, request, renderer, language))
    if not requests:
        lines.append(t(language, "privacy.no_requests"))
    lines.append(t(language, "privacy.data_footer"))
    audit(session, actor=f"citizen:{contact.id}", action="citizen_data_view", target=f"contact:{contact.id}", at=now)
    return [Reply("\n\n".join(lines))]


def _request_lines(session: Session, request: Request, renderer: Renderer, language: str) -> str:
    t = renderer.text
    what = t(language, f"pmks.{request.category}") if request.category else t(language, f"topic.{request.topic}")
    place = request.landmark or (f"{request.latitude:.5f}, {request.longitude:.5f}" if request.latitude is not None else "-")
    appointments = ", ".join(renderer.when(language, a.starts_at) for a in appointments_of(session, request_id=request.id)
                             if a.status == "confirmed") or "-"
    return t(language, "privacy.data_request", code=request.ticket_code, what=what,
             created=renderer.when(language, request.created_at), status=t(language, f"status.names.{request.status}"),
             place=place, description=request.description or "-", phone=request.phone or "-",
             photos=len(request.photo_refs or []), appointments=appointments)


def erase_contact_data(session: Session, *, contact: Contact, now: datetime) -> None:
    """Erase the contact's personal data at once; platform ids go after the confirmation is out."""
    requests = session.exec(select(Request).where(Request.contact_id == contact.id)).all()
    for request in requests:
        _blank_request(session, request)
        add_event(session, request_id=request.id, kind="erased", actor=f"citizen:{contact.id}", at=now,
                  detail={"reason": "citizen_request"})
    drop_held_until_safe(session, contact_id=contact.id)
    session.exec(update(OutboxMessage).where(OutboxMessage.contact_id == contact.id,
                                             col(OutboxMessage.status).notin_(("pending", "sending")))
                 .values(payload={"text": ERASED_TEXT, "choices": []}))
    session.exec(update(DueWork).where(DueWork.contact_id == contact.id, DueWork.state == "pending")
                 .values(state="dropped", outcome="erased at the citizen's request", finished_at=now))
    contact.consent_at = contact.consent_version = contact.contact_times = None
    save_conversation(session, contact_id=contact.id, flow="menu", step="", data={}, now=now)
    audit(session, actor=f"citizen:{contact.id}", action="erase", target=f"contact:{contact.id}", at=now,
          detail={"requests": len(requests)})
    if contact.channel == Channel.WEBCHAT.value:
        forget_platform_ids(session, contact=contact)
    else:
        due_work.schedule(session, kind="forget_platform_ids", dedupe_key=f"forget:{contact.id}",
                          due_at=now + PLATFORM_ID_GRACE, now=now, contact_id=contact.id)


def forget_platform_ids(session: Session, *, contact: Contact) -> None:
    """Replace the platform ids with a random value: the person can no longer be found or reached."""
    contact.platform_user_id = f"erased:{secrets.token_hex(16)}"
    contact.address = None
    session.exec(update(OutboxMessage).where(OutboxMessage.contact_id == contact.id)
                 .values(payload={"text": ERASED_TEXT, "choices": []}))


def _blank_request(session: Session, request: Request) -> None:
    """Blank the citizen's data and staff's words on one request; its event rows stay for the figures."""
    request.description = request.landmark = request.phone = request.contact_times = None
    request.latitude = request.longitude = None
    request.photo_refs = []
    if request.outcome_note is not None:
        request.outcome_note = ERASED_TEXT
    session.exec(update(CaseMessage).where(CaseMessage.request_id == request.id).values(text=ERASED_TEXT))
    session.exec(update(RequestNote).where(RequestNote.request_id == request.id).values(text=ERASED_TEXT))
    # Only the words: kind, statuses, actor and time are what reports and response times read.
    session.exec(update(RequestEvent).where(RequestEvent.request_id == request.id, col(RequestEvent.note).is_not(None))
                 .values(note=ERASED_TEXT))


def purgeable_requests(session: Session, *, now: datetime, retention_days: int) -> list[Request]:
    """Closed requests whose last closing is older than the retention period and not yet purged."""
    cutoff = now - timedelta(days=retention_days)
    last_close = (
        select(RequestEvent.request_id)
        .where(RequestEvent.kind == "status", col(RequestEvent.to_status).in_(CLOSED_STATUSES))
        .group_by(RequestEvent.request_id)
        .having(func.max(RequestEvent.at) < cutoff)
    )
    purged = select(RequestEvent.request_id).where(col(RequestEvent.kind).in_(("purged", "erased")))
    return list(session.exec(
        select(Request).where(col(Request.status).in_(CLOSED_STATUSES), col(Request.id).in_(last_close),
                              col(Request.id).notin_(purged)).order_by(col(Request.id))
    ))


def purge_closed_requests(session: Session, *, now: datetime, retention_days: int) -> int:
    requests = purgeable_requests(session, now=now, retention_days=retention_days)
    for request in requests:
        _blank_request(session, request)
        add_event(session, request_id=request.id, kind="purged", actor="system", at=now,
                  detail={"retention_days": retention_days})
    if requests:
        audit(session, actor="system", action="retention_purge", target="requests", at=now,
              detail={"count": len(requests)})
    return len(requests)
