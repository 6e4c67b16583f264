"""Scheduling follow-up work at the moment something happens (a draft changes, a request arrives)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.routing import RoutingTable
from bot.scheduler.work import DRAFT_EXPIRES_AFTER, DRAFT_NUDGE_AFTER
from bot.sla import escalation_due
from storage import due_work
from storage.models import Request


def plan_draft_reminders(
    session: Session,
    *,
    contact_id: int,
    has_draft: bool,
    had_draft: bool,
    last_answer_at: datetime | None,
    now: datetime,
) -> None:
    """Keep one nudge an hour after the last answer and one expiry a week after, per contact.

    They are written when a draft starts or the citizen comes back after an hour or more, not on every
    answer (two upserts on every message were a tenth of the engine's work): a nudge or expiry that falls
    due while the citizen is still answering moves itself to an hour (a week) after the last answer
    (bot/scheduler/work.py). Either can only have finished after an hour of silence, which is why an
    answer after a shorter silence finds both still pending.
    """
    keys = (
        ("draft_nudge", f"draft_nudge:{contact_id}", DRAFT_NUDGE_AFTER),
        ("draft_expiry", f"draft_expiry:{contact_id}", DRAFT_EXPIRES_AFTER),
    )
    if has_draft and had_draft and last_answer_at is not None and now - last_answer_at < DRAFT_NUDGE_AFTER:
        return
    for kind, key, after in keys:
        if has_draft:
            due_work.schedule(
                session, kind=kind, dedupe_key=key, due_at=now + after, now=now, contact_id=contact_id, replace=True
            )
        elif had_draft:
            due_work.cancel(session, dedupe_key=key, now=now, outcome="draft finished")


def plan_sla_checks(
    session: Session,
    *,
    request: Request,
    routing: RoutingTable,
    now: datetime,
    escalate_at: datetime | None = None,
    replace: bool = False,
) -> None:
    """Check the claim SLA when it falls due, and again at twice the SLA for the province; and the first contact.

    `replace` moves checks already planned (a request made urgent after it was sent).
    """
    escalate_at = escalate_at or escalation_due(request.urgency, request.created_at, routing.sla, routing.calendar)
    due_work.schedule(
        session,
        kind="sla_claim",
        dedupe_key=f"sla_claim:{request.id}",
        due_at=request.claim_due_at,
        now=now,
        request_id=request.id,
        payload={"level": "queue"},
        replace=replace,
    )
    due_work.schedule(
        session,
        kind="sla_claim",
        dedupe_key=f"sla_escalation:{request.id}",
        due_at=escalate_at,
        now=now,
        request_id=request.id,
        payload={"level": "province"},
        replace=replace,
    )
    due_work.schedule(
        session,
        kind="sla_first_contact",
        dedupe_key=f"sla_first_contact:{request.id}",
        due_at=request.first_contact_due_at,
        now=now,
        request_id=request.id,
        payload={"level": "queue"},
        replace=replace,
    )
