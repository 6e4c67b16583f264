"""The nightly pruning: finished messages, finished work and handled inbound ids are bounded, nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pydantic
import pytest
import time_machine
from sqlmodel import Session, select

from bot.config import Settings
from bot.messages import Channel
from bot.runtime import Runtime
from bot.services import pruning
from storage import due_work
from storage.contacts import get_or_create_contact, mark_inbound_processed
from storage.delivery import hold_message, mark_dead, mark_sent
from storage.models import DueWork, OutboxMessage, OutboxWamid, ProcessedInbound
from storage.outbox import enqueue_messages, mark_fetched
from storage.whatsapp_statuses import record_sent
from tests.helpers.chat import Chat

pytestmark = pytest.mark.clock  # the scheduler plans the night's work from the clock: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")
NIGHT = datetime(2026, 3, 10, 2, 30, tzinfo=WIB)  # the pruning's fire time, a Tuesday
OLD, RECENT = NIGHT - timedelta(days=40), NIGHT - timedelta(days=5)  # the windows are 30, 30 and 14 days


def _messages(runtime: Runtime) -> dict[str, str]:
    with Session(runtime.db) as session:
        return {m.payload["text"]: m.status for m in session.exec(select(OutboxMessage))}


def _queue(session: Session, contact_id: int, *texts: str, now: datetime, held_until_safe: bool = False) -> list[int]:
    return enqueue_messages(
        session,
        contact_id=contact_id,
        channel="telegram",
        now=now,
        payloads=[{"text": text, "choices": []} for text in texts],
        hold_until_safe=held_until_safe,
    )


def _outbox_of_every_kind(runtime: Runtime) -> None:
    with Session(runtime.db) as session, session.begin():
        contact = get_or_create_contact(session, channel="telegram", platform_user_id="5001", language="id", now=OLD)
        sent, with_parts, dead, _pending, held, late = _queue(
            session,
            contact.id,
            "old sent",
            "old sent in parts",
            "old dead",
            "old pending",
            "old held",
            "old, sent lately",
            now=OLD,
        )
        _queue(session, contact.id, "old held until safe", now=OLD, held_until_safe=True)
        mark_sent(session, message_id=sent, platform_message_id="1", now=OLD)
        record_sent(session, outbox_id=with_parts, wamids=["wamid.old.1", "wamid.old.2"], now=OLD)
        mark_dead(session, message_id=dead, error="Forbidden")
        hold_message(session, message_id=held, reason="window closed")
        mark_sent(session, message_id=late, platform_message_id="2", now=RECENT)  # held a month, then sent
        [recent] = _queue(session, contact.id, "recent sent", now=RECENT)
        mark_sent(session, message_id=recent, platform_message_id="3", now=RECENT)


def _work_of_every_state(runtime: Runtime) -> None:
    with Session(runtime.db) as session, session.begin():
        for key in ("old done", "old dropped", "recent done", "pending"):
            due_work.schedule(
                session,
                kind="citizen_update",
                dedupe_key=key,
                now=OLD,
                due_at=NIGHT + timedelta(days=1) if key == "pending" else OLD,
            )
        ids = dict(session.exec(select(DueWork.dedupe_key, DueWork.id)).all())
        due_work.finish(session, work_id=ids["old done"], state="done", outcome="sent", now=OLD)
        due_work.cancel(session, dedupe_key="old dropped", now=OLD, outcome="draft finished")
        due_work.finish(session, work_id=ids["recent done"], state="done", outcome="sent", now=RECENT)


def test_the_night_prunes_finished_rows_past_their_window_and_keeps_the_rest(runtime: Runtime) -> None:
    _outbox_of_every_kind(runtime)
    _work_of_every_state(runtime)
    with Session(runtime.db) as session, session.begin():
        mark_inbound_processed(session, channel="telegram", message_id="old-update", now=NIGHT - timedelta(days=15))
    citizen = Chat(runtime.engine, user_id="6281200000001", channel=Channel.WHATSAPP)
    with time_machine.travel(NIGHT - timedelta(days=6, hours=23), tick=False):  # within WhatsApp's 7 days of retries
        assert citizen.send("halo", message_id="wamid.retried")
    with time_machine.travel(NIGHT, tick=False):
        runtime.due_work.run_due()
        assert citizen.send("halo", message_id="wamid.retried") == []  # a re-delivery is still refused
    kept = {text: status for text, status in _messages(runtime).items() if text.startswith(("old", "recent"))}
    assert kept == {
        "old pending": "pending",
        "old held": "held",
        "old held until safe": "held_safe",
        "old, sent lately": "sent",
        "recent sent": "sent",
    }  # not "old sent", "... in parts", "old dead"
    with Session(runtime.db) as session:
        assert session.exec(select(OutboxWamid)).all() == []  # a pruned message's parts go with it
        keys = set(session.exec(select(DueWork.dedupe_key)).all())
        assert {"recent done", "pending"} <= keys and not {"old done", "old dropped"} & keys
        handled = set(session.exec(select(ProcessedInbound.message_id)).all())
        assert "wamid.retried" in handled and "old-update" not in handled
        night = session.exec(select(DueWork).where(DueWork.kind == "table_pruning")).one()
        assert (night.state, night.outcome) == ("done", "pruned 3 messages, 2 work, 1 inbound ids")


def test_a_long_backlog_goes_a_batch_per_tick_until_none_is_left(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pruning, "BATCH", 2)
    with Session(runtime.db) as session, session.begin():
        contact = get_or_create_contact(session, channel="telegram", platform_user_id="5002", language="id", now=OLD)
        for message_id in _queue(session, contact.id, *(f"old {n}" for n in range(5)), now=OLD):
            mark_sent(session, message_id=message_id, platform_message_id=str(message_id), now=OLD)
    left, outcomes = [], []
    with time_machine.travel(NIGHT, tick=False) as traveller:
        for _ in range(4):  # each run of the scheduler is one transaction of at most a batch per table
            runtime.due_work.run_due()
            left.append(len(_messages(runtime)))
            with Session(runtime.db) as session:
                night = session.exec(select(DueWork).where(DueWork.kind == "table_pruning")).one()
                outcomes.append((night.state, night.outcome.split(",")[0]))
            traveller.shift(timedelta(seconds=5))
    assert left == [3, 1, 0, 0]
    assert outcomes == [
        ("pending", "pruned 2 messages"),
        ("pending", "pruned 2 messages"),
        ("done", "pruned 1 messages"),
        ("done", "pruned 1 messages"),
    ]


def test_a_web_chat_message_no_page_has_fetched_stays_until_its_session_has_surely_ended(runtime: Runtime) -> None:
    """A counselor's message to a closed browser is shown when the page is opened again, however late."""
    with Session(runtime.db) as session, session.begin():
        contact = get_or_create_contact(session, channel="webchat", platform_user_id="a" * 64, language="id", now=OLD)
        shown, _ = enqueue_messages(
            session,
            contact_id=contact.id,
            channel="webchat",
            now=OLD,
            payloads=[{"text": "web shown"}, {"text": "web not yet shown"}],
        )
        mark_fetched(session, ids=[shown], now=OLD)
        enqueue_messages(
            session,
            contact_id=contact.id,
            channel="webchat",
            now=NIGHT - timedelta(days=91),
            payloads=[{"text": "web not shown in 91 days"}],
        )  # no session lasts that long unused
    with time_machine.travel(NIGHT, tick=False):
        runtime.due_work.run_due()
    assert {text: status for text, status in _messages(runtime).items() if text.startswith("web")} == {
        "web not yet shown": "unread"
    }


@pytest.mark.parametrize("setting", [{"inbound_dedupe_days": 6}, {"due_work_keep_days": 7}, {"outbox_keep_days": 0}])
def test_windows_shorter_than_what_depends_on_them_are_refused(setting: dict[str, int]) -> None:
    """Under 7 days WhatsApp's retries would be taken as new messages; under 8 the planner would re-run a night."""
    with pytest.raises(pydantic.ValidationError):
        Settings(_env_file=None, **setting)
