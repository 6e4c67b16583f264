"""The person in need on a sighting, as staff identify them, for Dinas Sosial's by-name-by-address list (BNBA).

Why staff fill these in: a reporter rarely knows the name of the person they saw on the street, and never
their NIK; the officer who goes out and meets them does. So the BNBA list holds only what staff recorded on
the request page, and never the reporter, who may be anonymous and whose name the service does not ask.
Name, NIK and address are personal data (UU PDP): stored encrypted, blanked by erasure and the retention
purge (bot/services/privacy.py), changed only by whoever holds the request or a coordinator or admin who
sees it, and every change is a request event and an audit row naming the fields, never their values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.services.access import StaffView, visible_request
from bot.services.case_rules import CaseActionError
from storage.casework import request_events
from storage.models import Request, persisted_id
from storage.requests import add_event
from storage.staff import audit

FIELDS: tuple[str, ...] = ("name", "nik", "address")
MAX_NAME = 120
MAX_ADDRESS = 300
#: Staff may copy a NIK with the spaces or dots of a printed KTP.
_NIK_SEPARATORS = re.compile(r"[\s.\-]")
#: Province, kabupaten/kota and kecamatan (6 digits), birth date DDMMYY (women: day + 40), a 4-digit serial.
_NIK = re.compile(r"[1-9]\d{5}(?P<day>\d{2})(?P<month>\d{2})\d{6}")


@dataclass(frozen=True, slots=True)
class PersonDetails:
    """What staff typed, cleaned: None where a field was left empty."""

    name: str | None
    nik: str | None
    address: str | None


def may_record_person(view: StaffView, request: Request) -> bool:
    """The holder of a sighting, or a coordinator or admin who sees it (not another counselor of the queue)."""
    lead = view.role in ("coordinator", "admin")
    return request.kind == "sighting" and view.can_see(request) and (lead or request.assigned_staff_id == view.id)


def normalise_nik(raw: str) -> str | None:
    """16 digits with a plausible birth date ("3604 0112 0885 0003" is fine); CaseActionError otherwise."""
    digits = _NIK_SEPARATORS.sub("", raw)
    if not digits:
        return None
    match = _NIK.fullmatch(digits)
    if match is None:
        raise CaseActionError("bnba.error_nik")
    day, month = int(match["day"]), int(match["month"])
    if not (1 <= day <= 31 or 41 <= day <= 71) or not 1 <= month <= 12:
        raise CaseActionError("bnba.error_nik")
    return digits


def _clean(text: str, limit: int) -> str | None:
    value = " ".join(text.split())
    if len(value) > limit:
        raise CaseActionError("bnba.error_too_long")
    return value or None


def record_person(
    session: Session, *, view: StaffView, request_id: int, name: str, nik: str, address: str, now: datetime
) -> list[str]:
    """Store the person's name, NIK and address as given (empty clears); returns the fields that changed."""
    request = visible_request(session, view, request_id)
    if not may_record_person(view, request):
        raise CaseActionError("bnba.error_not_allowed")
    if any(event.kind in ("erased", "purged") for event in request_events(session, request_id=persisted_id(request))):
        raise CaseActionError("bnba.error_erased")
    details = PersonDetails(_clean(name, MAX_NAME), normalise_nik(nik), _clean(address, MAX_ADDRESS))
    changed = [field for field in FIELDS if getattr(request, f"person_{field}") != getattr(details, field)]
    if not changed:
        return []
    request.person_name, request.person_nik, request.person_address = details.name, details.nik, details.address
    add_event(
        session,
        request_id=persisted_id(request),
        kind="person_recorded",
        actor=view.actor,
        at=now,
        detail={"fields": changed},
    )
    audit(
        session,
        actor=view.actor,
        action="edit_person",
        target=f"request:{request.id}",
        at=now,
        detail={"fields": changed},
    )
    return changed
