"""Answer a citizen's "status KODE": only their own tickets, in their language and in WIB."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.flows.base import FlowContext
from bot.i18n.dates import format_datetime
from bot.messages import Reply
from storage.models import Contact, Request, persisted_id
from storage.requests import find_contact_request, get_queue


def status_reply(session: Session, *, contact: Contact, ticket_code: str, ctx: FlowContext, tz: ZoneInfo) -> Reply:
    request = find_contact_request(session, ticket_code=ticket_code, contact_id=persisted_id(contact))
    if request is None:
        return Reply(ctx.t("status.not_found", code=ticket_code))
    # A report merged into an earlier one follows it: its reporter sees how the surviving case stands.
    survivor = session.get_one(Request, request.merged_into_id) if request.merged_into_id else request
    queue = get_queue(session, code=survivor.queue_code)
    created = format_datetime(ctx.catalog, ctx.language, request.created_at, tz)  # as /dataku and every update say it
    return Reply(
        ctx.t(
            "status.result",
            code=request.ticket_code,
            kind=ctx.t(f"status.kind_{request.kind}"),
            status=ctx.t(f"status.names.{survivor.status}"),
            created=created,
            queue=queue.name if queue else survivor.queue_code,
        )
    )
