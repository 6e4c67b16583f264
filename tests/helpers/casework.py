"""Case work set-ups shared by the service and scheduler tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import time_machine
from sqlmodel import Session, func, select

from bot.runtime import Runtime
from storage.models import DueWork, OutboxMessage, Request
from tests.helpers.chat import Chat

#: How long `deliver_citizen_updates` waits for an update another process (a live server) has claimed.
_CLAIMED_ELSEWHERE_S = 10.0


def counseling_request(
    chat: Chat,
    *,
    topic: str = "konflik_keluarga",
    region: str = "kota-serang",
    contact_time: str = "anytime",
    way: str = "chat",
) -> Request:
    """A counseling request made through the whole form in `chat`, as the citizen would; its row.

    `chat.last` is then the confirmation. With `way="phone"` the citizen gives 0857 1234 5678.
    """
    chat.start()
    chat.press("menu:konseling")
    chat.press(f"topic:{topic}")
    chat.press(f"reg:{region}")
    chat.press("whom:self")
    chat.press(f"way:{way}")
    if way == "phone":
        chat.send("0857 1234 5678")
    chat.press(f"time:{contact_time}")
    chat.press("skip")
    chat.press("consent:yes")
    chat.press("confirm:send")
    code = chat.ticket_code()
    with Session(chat.engine._db) as session:
        return session.exec(select(Request).where(Request.ticket_code == code)).one()


def outbox_texts(runtime: Runtime, contact_id: int) -> list[str]:
    """Every text queued for a contact, oldest first (what they receive, once the worker sends it)."""
    with Session(runtime.db) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.contact_id == contact_id).order_by(OutboxMessage.id)
        )
        return [r.payload["text"] for r in rows]


def deliver_citizen_updates(runtime: Runtime) -> None:
    """Run the citizen updates waiting in due work (a counselor's message, the claim notice) at the first
    moment each may go: now, or when quiet hours and the citizen's contact times allow, whatever the hour
    the test runs at. A live server's scheduler may take an update first: then it is waited for."""
    deadline = time.monotonic() + _CLAIMED_ELSEWHERE_S
    while time.monotonic() < deadline:
        with Session(runtime.db) as session:
            due = session.exec(
                select(func.min(DueWork.due_at)).where(DueWork.kind == "citizen_update", DueWork.state == "pending")
            ).one()
            busy = session.exec(
                select(func.count())
                .select_from(DueWork)
                .where(DueWork.kind == "citizen_update", DueWork.state == "running")
            ).one()
        if due is None and not busy:
            return
        if due is not None:
            with time_machine.travel(max(due, datetime.now(UTC)), tick=False):
                runtime.due_work.run_due()
        else:
            time.sleep(0.2)
    raise AssertionError(f"citizen updates still waiting after {_CLAIMED_ELSEWHERE_S:.0f} s")
