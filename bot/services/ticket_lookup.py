"""`status KODE` typed anywhere: the reporter sees their ticket in full, anyone else its state only.

A ticket code is on paper, in a screenshot, in a family member's phone: a citizen who reopened the web
chat in another browser, or asks from WhatsApp about a report made on the web, must still learn how it
stands. So any contact may look up any code, on every channel, and learn the state and the date of its
last change; what the ticket says (kind, place, story, phone, who handles it) stays with the contact who
filed it (bot/services/status.py). Lookups that are not the contact's own are limited per contact and per
network address (`StatusLookupLimits`), so codes cannot be guessed wholesale; the address is kept only as
a keyed hash, and only for the window.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.flows.base import FlowContext
from bot.i18n.render import Renderer
from bot.messages import Reply
from bot.services.status import status_reply
from storage.models import Contact, Request, persisted_id
from storage.requests import find_contact_request, find_request, last_status_change
from storage.status_lookups import take_lookup


@dataclass(frozen=True, slots=True)
class StatusLookupLimits:
    """How many lookups of others' tickets a contact, and a network address, may make per window."""

    per_contact: int
    per_address: int
    window: timedelta
    secret: str  # keys the hash of a network address, so the stored hash cannot be reversed by trying all


def answer_status(
    session: Session,
    *,
    contact: Contact,
    ticket_code: str,
    origin: str,
    ctx: FlowContext,
    renderer: Renderer,
    limits: StatusLookupLimits,
    now: datetime,
) -> Reply:
    """The full answer for the contact's own ticket; the state only (or "not found") for any other code."""
    if find_contact_request(session, ticket_code=ticket_code, contact_id=persisted_id(contact)) is not None:
        return status_reply(session, contact=contact, ticket_code=ticket_code, ctx=ctx, tz=renderer.tz)
    if not take_lookup(session, limits=_subjects(contact, origin, limits), since=now - limits.window, now=now):
        minutes = int(limits.window.total_seconds() // 60)
        return Reply(ctx.t("status_lookup.too_many", minutes=minutes))
    request = find_request(session, ticket_code=ticket_code)
    if request is None:
        return Reply(ctx.t("status_lookup.not_found", code=ticket_code))
    # A report merged into an earlier one follows it, as its reporter sees it (bot/services/status.py).
    survivor = session.get_one(Request, request.merged_into_id) if request.merged_into_id else request
    changed = last_status_change(session, request_id=persisted_id(survivor)) or survivor.created_at
    return Reply(
        ctx.t(
            "status_lookup.state_only",
            code=request.ticket_code,
            status=ctx.t(f"status.names.{survivor.status}"),
            updated=renderer.when(ctx.language, changed),
        )
    )


def _subjects(contact: Contact, origin: str, limits: StatusLookupLimits) -> dict[str, int]:
    subjects = {f"contact:{contact.id}": limits.per_contact}
    if origin:
        digest = hmac.new(limits.secret.encode(), origin.encode(), hashlib.sha256).hexdigest()[:32]
        subjects[f"origin:{digest}"] = limits.per_address
    return subjects
