"""A citizen's rights over their data (UU PDP No. 27/2022): see it, erase it; and retention purges.

Erasure and purges blank the personal fields (free text, phone, pin, photos, contact times,
platform ids, and the name, NIK and address of the person in need that staff added for BNBA) and keep the ticket rows (category, region, queue, status, times) for statistics.
Staff's own words about the case (case notes, closing notes, release/transfer/reopen reasons) go too:
they often retell the story or name the citizen. Event rows keep their kind, status and time, since
statistics and response times are computed from them. Staff then see that the data was erased at the
citizen's request, and "[dihapus]" where a text used to be.

The words were copied on their way: into the outbox (the form's summary, `/dataku` answers, a
counselor's messages, the staff notices that quote the citizen) and into due work (a counselor's
message waiting for the citizen's contact time). Those copies are blanked too, and a message not yet
sent that would carry them is dropped rather than sent as "[dihapus]".
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import Session

from bot.domain.statuses import FINISHED_STATUSES, WAITING_STATUSES, AppointmentStatus, OutboxStatus
from bot.flows.summary import photos_line
from bot.i18n.render import Renderer
from bot.messages import Channel, Reply
from storage import due_work
from storage.casework import appointments_of, blank_case_texts
from storage.contacts import save_conversation
from storage.delivery import forget_messages, staff_notices_naming
from storage.models import Contact, Request, persisted_id
from storage.photos import forget_contact_photos, forget_request_photos
from storage.requests import add_event, closed_before, requests_of_contact
from storage.staff import audit

ERASED_TEXT = "[dihapus]"
ERASED_PAYLOAD = {"text": ERASED_TEXT, "choices": []}
#: Messages a contact has not received: once their words must go, so must these (never "[dihapus]" later).
NEVER_TO_BE_SENT = (OutboxStatus.PENDING, *WAITING_STATUSES)
PLATFORM_ID_GRACE = timedelta(minutes=10)


def my_data_replies(session: Session, *, contact: Contact, renderer: Renderer, now: datetime) -> list[Reply]:
    """What the service holds about this contact, as text they can read in the chat."""
    language = contact.language
    t = renderer.text
    consent = (
        t(language, "privacy.consent_given", when=renderer.when(language, contact.consent_at))
        if contact.consent_at
        else t(language, "privacy.none")
    )
    # Words, not codes: "Web chat, Bahasa Indonesia", as the dashboard and the language menu name them.
    lines = [
        t(language, "privacy.data_title"),
        t(
            language,
            "privacy.data_contact",
            channel=t(language, f"dash_requests.channel_{contact.channel}"),
            language=t(language, f"language.{language}"),
            consent=consent,
            times=t(language, f"contact_time.{contact.contact_times}")
            if contact.contact_times
            else t(language, "privacy.no_times"),
        ),
    ]
    requests = requests_of_contact(session, contact_id=persisted_id(contact))
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
    place = request.landmark or (
        f"{request.latitude:.5f}, {request.longitude:.5f}" if request.latitude is not None else "-"
    )
    appointments = (
        ", ".join(
            renderer.when(language, a.starts_at)
            for a in appointments_of(session, request_id=persisted_id(request))
            if a.status == AppointmentStatus.CONFIRMED
        )
        or "-"
    )
    return t(
        language,
        "privacy.data_request",
        code=request.ticket_code,
        what=what,
        created=renderer.when(language, request.created_at),
        status=t(language, f"status.names.{request.status}"),
        place=place,
        description=request.description or "-",
        phone=request.phone or "-",
        photos=photos_line(len(request.photo_refs or []), partial(t, language)),
        appointments=appointments,
    )


def erase_contact_data(session: Session, *, contact: Contact, now: datetime) -> None:
    """Erase the contact's personal data at once; platform ids go after the confirmation is out."""
    requests = requests_of_contact(session, contact_id=persisted_id(contact))
    due_work.drop_pending(session, contact_id=contact.id, now=now, outcome="erased at the citizen's request")
    for request in requests:
        _blank_request(session, request)
        add_event(
            session,
            request_id=persisted_id(request),
            kind="erased",
            actor=f"citizen:{contact.id}",
            at=now,
            detail={"reason": "citizen_request"},
        )
    # Everything queued so far may quote the request; the confirmation of this erasure is queued after.
    _forget_messages(session, contact_id=contact.id)
    _forget_staff_notices(session, requests)
    contact.consent_at = contact.consent_version = contact.contact_times = None
    save_conversation(session, contact_id=persisted_id(contact), flow="menu", step="", data={}, now=now)
    forget_contact_photos(session, contact_id=persisted_id(contact))  # an unsent draft's photos too
    audit(
        session,
        actor=f"citizen:{contact.id}",
        action="erase",
        target=f"contact:{contact.id}",
        at=now,
        detail={"requests": len(requests)},
    )
    if contact.channel == Channel.WEBCHAT.value:
        forget_platform_ids(session, contact=contact)
    else:  # `replace`: a second erasure within the grace dropped the first one's pending item above
        due_work.schedule(
            session,
            kind="forget_platform_ids",
            dedupe_key=f"forget:{contact.id}",
            due_at=now + PLATFORM_ID_GRACE,
            now=now,
            contact_id=contact.id,
            replace=True,
        )


def forget_platform_ids(session: Session, *, contact: Contact) -> None:
    """Replace the platform ids with a random value: the person can no longer be found or reached.

    Their messages not yet sent can never be delivered now, so they go; every other one is blanked.
    """
    contact.platform_user_id = f"erased:{secrets.token_hex(16)}"
    contact.address = None
    _forget_messages(session, contact_id=contact.id)


def _forget_messages(session: Session, *, contact_id: int | None = None, ids: Sequence[int] | None = None) -> None:
    """Drop the messages not sent yet, blank the others (one in the middle of its send too)."""
    forget_messages(
        session,
        contact_id=contact_id,
        ids=ids,
        drop=NEVER_TO_BE_SENT,
        blank=(*FINISHED_STATUSES, OutboxStatus.SENDING),
        blank_with=ERASED_PAYLOAD,
    )


def _blank_request(session: Session, request: Request) -> None:
    """Blank the citizen's data and staff's words on one request; its event rows stay for the figures."""
    request.description = request.landmark = request.phone = request.contact_times = None
    request.person_name = request.person_nik = request.person_address = None  # what staff added for BNBA
    request.latitude = request.longitude = None
    request.photo_refs = []
    forget_request_photos(session, request_ids=[persisted_id(request)])  # the stored photos themselves
    if request.outcome_note is not None:
        request.outcome_note = ERASED_TEXT
    request_id = persisted_id(request)
    blank_case_texts(session, request_id=request_id, text=ERASED_TEXT)  # only the words: event rows stay
    due_work.blank_texts(session, text=ERASED_TEXT, request_ids=[request_id])  # a counselor's messages


def _forget_staff_notices(session: Session, requests: Sequence[Request]) -> None:
    """Notices in staff chats quote the citizen (the case card, their replies): those naming the tickets go."""
    _forget_messages(session, ids=staff_notices_naming(session, words=[request.ticket_code for request in requests]))


def purgeable_requests(session: Session, *, now: datetime, retention_days: int) -> list[Request]:
    """Closed requests whose last closing is older than the retention period and not yet purged."""
    return closed_before(session, cutoff=now - timedelta(days=retention_days))


def purge_closed_requests(session: Session, *, now: datetime, retention_days: int) -> int:
    """Blank the requests past retention and every copy of their words: messages, staff notices, work.

    The reporter's messages all go blank, whenever sent: a summary, a `/dataku` answer or a counselor's
    message may quote the request. The reporter may still be using the service, so messages still to be
    sent stay, unless they have waited longer than the retention period themselves.
    """
    requests = purgeable_requests(session, now=now, retention_days=retention_days)
    due_work.drop_pending(
        session,
        request_ids=[persisted_id(request) for request in requests],
        now=now,
        outcome="purged after the retention period",
    )
    for request in requests:
        _blank_request(session, request)
        add_event(
            session,
            request_id=persisted_id(request),
            kind="purged",
            actor="system",
            at=now,
            detail={"retention_days": retention_days},
        )
    for contact_id in sorted({request.contact_id for request in requests if request.contact_id is not None}):
        forget_messages(
            session,
            contact_id=contact_id,
            drop=NEVER_TO_BE_SENT,
            blank=FINISHED_STATUSES,
            blank_with=ERASED_PAYLOAD,
            drop_created_before=now - timedelta(days=retention_days),
        )
    _forget_staff_notices(session, requests)
    if requests:
        audit(
            session,
            actor="system",
            action="retention_purge",
            target="requests",
            at=now,
            detail={"count": len(requests)},
        )
    return len(requests)
