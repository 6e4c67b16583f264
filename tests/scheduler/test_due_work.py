"""Scheduled work with time control: draft nudges and expiry, quiet hours, SLA checks, exactly once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from bot.runtime import Runtime
from storage.models import Conversation, DueWork, OutboxMessage, RequestEvent
from tests.helpers.chat import Chat

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def _texts(runtime: Runtime) -> list[str]:
    with Session(runtime.db) as session:
        return [m.payload["text"] for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]


def _half_a_report(chat: Chat) -> None:
    chat.start()
    chat.press("menu:lapor")
    chat.press("grp:anak")


def _report(chat: Chat, region: str = "kota-serang") -> str:
    chat.start()
    chat.press("menu:lapor")
    chat.send("anak jalanan")
    chat.press(f"reg:{region}")
    chat.press("kec:unknown")
    chat.send("depan pasar")
    chat.send("anak mengamen sampai malam")
    chat.press("skip")
    chat.press("contact:chat")
    chat.press("consent:yes")
    chat.press("confirm:send")
    return chat.ticket_code()


def test_draft_left_for_an_hour_gets_one_discreet_nudge(chat: Chat, runtime: Runtime) -> None:
    with time_machine.travel(wib(2026, 11, 24, 10, 0), tick=False) as traveller:
        _half_a_report(chat)
        count = len(_texts(runtime))
        traveller.shift(timedelta(minutes=59))
        runtime.due_work.run_due()
        assert len(_texts(runtime)) == count
        traveller.shift(timedelta(minutes=2))
        runtime.due_work.run_due()
        assert len(_texts(runtime)) == count + 1
        nudge = _texts(runtime)[-1]
        assert nudge.startswith("Pesan dari layanan Dinas Sosial") and "anak" not in nudge.lower()
        traveller.shift(timedelta(hours=3))
        runtime.due_work.run_due()
        assert len(_texts(runtime)) == count + 1  # once only
    chat.press("cat:anak_jalanan")  # the draft is still there after the nudge
    assert "reg:kota-serang" in chat.choice_ids


def test_coming_back_moves_the_nudge(chat: Chat, runtime: Runtime) -> None:
    with time_machine.travel(wib(2026, 11, 24, 10, 0), tick=False) as traveller:
        _half_a_report(chat)
        traveller.shift(timedelta(minutes=50))
        chat.press("cat:anak_jalanan")
        _assert_nudged_only_after(traveller, runtime, silent=timedelta(minutes=20), then=timedelta(minutes=41))


def test_coming_back_after_the_nudge_and_leaving_again_brings_a_second_nudge(chat: Chat, runtime: Runtime) -> None:
    with time_machine.travel(wib(2026, 11, 24, 10, 0), tick=False) as traveller:
        _half_a_report(chat)
        traveller.shift(timedelta(hours=1, minutes=1))
        runtime.due_work.run_due()
        nudged = len(_texts(runtime))
        traveller.shift(timedelta(hours=1))
        chat.press("cat:anak_jalanan")  # 12:01: back after the nudge, then silent again
        chat.press("reg:kota-serang")
        assert len(_texts(runtime)) > nudged
        _assert_nudged_only_after(traveller, runtime, silent=timedelta(minutes=59), then=timedelta(minutes=2))


def _assert_nudged_only_after(traveller, runtime: Runtime, *, silent: timedelta, then: timedelta) -> None:
    """No nudge after `silent` more time, one after `then` more."""
    before = len(_texts(runtime))
    traveller.shift(silent)
    runtime.due_work.run_due()
    assert len(_texts(runtime)) == before
    traveller.shift(then)
    runtime.due_work.run_due()
    assert len(_texts(runtime)) == before + 1
    assert _texts(runtime)[-1].startswith("Pesan dari layanan Dinas Sosial")


def test_nudge_waits_out_quiet_hours(chat: Chat, runtime: Runtime) -> None:
    with time_machine.travel(wib(2026, 11, 24, 20, 30), tick=False) as traveller:
        _half_a_report(chat)
        count = len(_texts(runtime))
        traveller.shift(timedelta(hours=1, minutes=1))  # 21:31 WIB: quiet
        runtime.due_work.run_due()
        assert len(_texts(runtime)) == count
        with Session(runtime.db) as session:
            item = session.exec(select(DueWork).where(DueWork.kind == "draft_nudge")).one()
            assert item.state == "pending" and item.due_at.astimezone(WIB) == wib(2026, 11, 25, 6, 0)
        traveller.move_to(wib(2026, 11, 25, 6, 0))
        runtime.due_work.run_due()
        assert len(_texts(runtime)) == count + 1


def test_finished_report_cancels_the_nudge(chat: Chat, runtime: Runtime) -> None:
    with time_machine.travel(wib(2026, 11, 24, 10, 0), tick=False) as traveller:
        _report(chat)
        count = len(_texts(runtime))
        traveller.shift(timedelta(hours=2))
        runtime.due_work.run_due()
        assert len(_texts(runtime)) == count


def test_draft_untouched_for_a_week_is_forgotten(chat: Chat, runtime: Runtime) -> None:
    with time_machine.travel(wib(2026, 11, 24, 10, 0), tick=False) as traveller:
        _half_a_report(chat)
        chat.send("menu")  # the draft waits behind the menu
        traveller.shift(timedelta(days=7, minutes=1))
        runtime.due_work.run_due()
        with Session(runtime.db) as session:
            conversation = session.exec(select(Conversation)).one()
            assert conversation.flow == "menu" and conversation.data == {}
    chat.send("menu")
    assert "menu:resume" not in chat.choice_ids


def _breaches(runtime: Runtime) -> list[tuple[str, datetime]]:
    with Session(runtime.db) as session:
        events = session.exec(select(RequestEvent).where(RequestEvent.kind == "sla_breach")).all()
        return [(e.detail["level"], e.at.astimezone(WIB)) for e in events]


def test_claim_sla_across_a_weekend(chat: Chat, runtime: Runtime) -> None:
    with time_machine.travel(wib(2026, 11, 27, 15, 0), tick=False) as traveller:  # a Friday
        _report(chat)
        traveller.move_to(wib(2026, 11, 30, 14, 59))  # Monday, 7 h 59 min of office time later
        runtime.due_work.run_due()
        assert _breaches(runtime) == []
        traveller.move_to(wib(2026, 11, 30, 15, 0))
        runtime.due_work.run_due()
        assert _breaches(runtime) == [("queue", wib(2026, 11, 30, 15, 0))]
        traveller.move_to(wib(2026, 12, 1, 15, 0))  # twice the SLA: the province hears of it
        runtime.due_work.run_due()
        assert [level for level, _ in _breaches(runtime)] == ["queue", "province"]


def test_claim_sla_across_a_public_holiday(chat: Chat, runtime: Runtime) -> None:
    # Wednesday; Thursday is cuti bersama (the routing file's list), Friday Christmas.
    with time_machine.travel(wib(2026, 12, 23, 15, 0), tick=False) as traveller:
        _report(chat)
        traveller.move_to(wib(2026, 12, 28, 14, 59))
        runtime.due_work.run_due()
        assert _breaches(runtime) == []
        traveller.move_to(wib(2026, 12, 28, 15, 0))
        runtime.due_work.run_due()
        assert _breaches(runtime) == [("queue", wib(2026, 12, 28, 15, 0))]


def test_several_runners_run_each_item_once(runtime: Runtime) -> None:
    """Four runners at once (threads with their own connections) over 60 SLA checks."""
    with time_machine.travel(wib(2026, 11, 24, 10, 0), tick=False) as traveller:
        for user in range(30):
            _report(Chat(runtime.engine, user_id=f"u{user}"))
        traveller.shift(timedelta(days=5))
        counts: list[int] = []
        threads = [threading.Thread(target=lambda: counts.append(runtime.due_work.run_due())) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(_breaches(runtime)) == 60  # each check ran once, whichever runner took it
    with Session(runtime.db) as session:
        checks = session.exec(select(DueWork).where(DueWork.kind == "sla_claim")).all()
        assert len(checks) == 60 and {c.state for c in checks} == {"done"} and {c.attempts for c in checks} == {1}
