"""Staff accounts and actions for tests, through the real services in one transaction each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from sqlmodel import Session

from bot.messages import Channel
from bot.runtime import Runtime
from bot.services.access import StaffView, staff_view
from bot.services.staff_accounts import create_staff, new_link_code
from storage.models import Staff
from tests.helpers.chat import Chat

T = TypeVar("T")


PASSWORD = "correct horse battery"


@cache
def _password_hash() -> str:
    """argon2 is slow on purpose; tests that make many accounts share one hash of PASSWORD."""
    return PasswordHasher().hash(PASSWORD)


def make_staff(
    runtime: Runtime, username: str, *, role: str = "counselor", queues: tuple[str, ...] = (), region: str | None = None
) -> StaffView:
    """An account as `create_staff` makes it (same checks), with the shared password hash."""
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        staff, _ = create_staff(
            session,
            username=username,
            role=role,
            queues=list(queues),
            region=region,
            now=datetime.now(UTC),
            password=PASSWORD,
            display_name=username.title(),
            password_hash=_password_hash(),
        )
        return staff_view(session, staff)


def as_staff(runtime: Runtime, view: StaffView, action: Callable[..., T], **kwargs: object) -> T:
    """Run a service function as `view`, committing like one dashboard or Telegram action would."""
    with Session(runtime.db, expire_on_commit=False) as session, session.begin():
        fresh = staff_view(session, session.get(Staff, view.id))
        return action(session, view=fresh, now=datetime.now(UTC), **kwargs)


def link_on_telegram(runtime: Runtime, view: StaffView, *, user_id: str) -> int:
    """Link a Telegram chat to `view` the way staff do it (`/tautkan KODE`); returns the chat's contact id."""
    with Session(runtime.db) as session, session.begin():
        code = new_link_code(session, staff=session.get(Staff, view.id), now=datetime.now(UTC))
    telegram = Chat(runtime.engine, user_id=user_id, channel=Channel.TELEGRAM)
    telegram.start()
    telegram.send(f"/tautkan {code}")
    assert "sudah ditautkan" in telegram.text, telegram.text
    with Session(runtime.db) as session:
        return session.get(Staff, view.id).telegram_contact_id
