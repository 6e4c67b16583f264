"""Case work set-ups shared by the service and scheduler tests."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.runtime import Runtime
from storage.models import OutboxMessage, Request
from tests.helpers.chat import Chat


def counseling_request(chat: Chat, *, topic: str = "konflik_keluarga", region: str = "kota-serang",
                       contact_time: str = "anytime") -> Request:
    """A counseling request made through the whole form in `chat`, as the citizen would; its row."""
    chat.start()
    chat.press("menu:konseling")
    chat.press(f"topic:{topic}")
    chat.press(f"reg:{region}")
    chat.press("whom:self")
    chat.press("way:chat")
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
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.contact_id == contact_id).order_by(OutboxMessage.id))
        return [r.payload["text"] for r in rows]
