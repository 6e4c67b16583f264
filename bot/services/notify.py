"""Telling people what happened: discreet updates to citizens, notices to staff on Telegram.

Citizen updates go through due work, so they wait for the citizen's contact times and quiet hours;
an urgent request's too, when its citizen gave a safe time (bot/scheduler/work.py). Staff notices go
to the Telegram chat a staff member linked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlmodel import Session

from bot.i18n.render import Renderer
from bot.messages import Choice, Reply
from storage import due_work
from storage.duplicates import merged_into
from storage.models import Contact, Request, Staff, persisted_id
from storage.outbox import enqueue_messages

#: A button of a queued update, as stored in its JSON payload: [id, catalog key] or [id, catalog key, params].
ChoiceSpec = Sequence[str | dict[str, Any]]

#: The ways a citizen may choose to be contacted; `contact_way` holds one of them, or "anonymous".
CONTACT_WAYS: tuple[str, ...] = ("chat", "phone")


def promised_contact_way(request: Request) -> str | None:
    """How staff will reach the reporter ("chat" or "phone"), None for an anonymous one: promise nothing then."""
    return request.contact_way if not request.anonymous and request.contact_way in CONTACT_WAYS else None


def claimed_update_key(request: Request) -> str:
    """The "taken up" notice that names the way the reporter chose, or promises no contact at all."""
    way = promised_contact_way(request)
    return f"update.claimed_{way}" if way else "update.claimed"


def notify_citizen(
    session: Session,
    *,
    request: Request,
    key: str,
    now: datetime,
    params: dict[str, Any] | None = None,
    choices: Sequence[ChoiceSpec] | None = None,
    due_at: datetime | None = None,
    dedupe: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Queue a discreet message to the request's reporter; `choices` are (id, catalog key) pairs."""
    if request.contact_id is None:
        return
    due_work.schedule(
        session,
        kind="citizen_update",
        dedupe_key=dedupe or f"update:{request.id}:{key}:{now.timestamp():.6f}",
        due_at=due_at or now,
        now=now,
        request_id=request.id,
        contact_id=request.contact_id,
        payload={
            "key": key,
            "params": {"code": request.ticket_code, **(params or {})},
            "choices": choices or [],
            "urgent": request.urgency == "urgent",
            **(extra or {}),
        },
    )


def notify_merged_reporters(session: Session, *, request: Request, key: str, now: datetime) -> None:
    """Queue a status update to the reporters of requests merged into this one, each under their own ticket.

    Only status updates go this way (claimed, appointment set, closed): the counselor's messages and
    appointment offers stay between the counselor and the request's own reporter. A citizen who
    reported twice hears once.
    """
    told = {request.contact_id}
    for merged in merged_into(session, request_id=persisted_id(request)):
        if merged.contact_id not in told:
            told.add(merged.contact_id)
            notify_citizen(session, request=merged, key=key, now=now)


def render_update(renderer: Renderer, language: str, payload: dict[str, Any]) -> Reply:
    """Render a stored update in the recipient's language.

    Parameters that are `{"at": iso}` become a local date-time and `{"key": k}` a catalog text, so
    the payload stays language-free until it is sent. A choice is (id, key) or (id, key, params).
    """
    params = {k: _param(renderer, language, v) for k, v in payload.get("params", {}).items()}
    choices = []
    for cid, ckey, *extra in payload.get("choices", []):
        own = {k: _param(renderer, language, v) for k, v in (extra[0] if extra else {}).items()}
        choices.append(Choice(cid, renderer.text(language, ckey, **{**params, **own})))
    return Reply(renderer.text(language, payload["key"], **params), tuple(choices))


def _param(renderer: Renderer, language: str, value: Any) -> Any:
    if isinstance(value, dict) and "at" in value:
        return renderer.when(language, value["at"])
    if isinstance(value, dict) and "key" in value:
        return renderer.text(language, value["key"])
    return value


def notify_staff(
    session: Session,
    *,
    staff: Iterable[Staff],
    key: str,
    renderer: Renderer,
    now: datetime,
    params: dict[str, Any],
    choices: Sequence[ChoiceSpec] | None = None,
) -> int:
    """Send a notice to each staff member's linked Telegram chat; returns how many were queued."""
    queued = 0
    for member in {s.id: s for s in staff}.values():
        if member.telegram_contact_id is None or not member.active:  # a deactivated account hears nothing more
            continue
        contact = session.get(Contact, member.telegram_contact_id)
        if contact is None or contact.unreachable_at is not None:
            continue
        reply = render_update(renderer, contact.language, {"key": key, "params": params, "choices": choices or []})
        enqueue_messages(
            session, contact_id=persisted_id(contact), channel=contact.channel, payloads=[reply.to_json()], now=now
        )
        queued += 1
    return queued


def queue_staff_notice(
    session: Session,
    *,
    staff_ids: Iterable[int | None],
    key: str,
    params: dict[str, Any],
    now: datetime,
    request_id: int | None = None,
) -> None:
    """Tell staff on Telegram from a service that has no renderer: due work that `notify_staff` sends now.

    Used for what a colleague did to a case (bot/services/case_rules.py) and for transfers. The notice is
    rendered when it goes, in each recipient's language; `params["text"]`, a staff member's own words,
    is blanked with the request's other texts when the citizen's data are erased.
    """
    ids = sorted({i for i in staff_ids if i is not None})
    if ids:
        due_work.schedule(
            session,
            kind="staff_notice",
            dedupe_key=f"staff_notice:{uuid4().hex}",
            due_at=now,
            now=now,
            request_id=request_id,
            payload={"staff": ids, "key": key, "params": params},
        )
