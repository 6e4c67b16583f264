"""A new citizen's contact row, created once even when their first two messages arrive together."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.runtime import Runtime
from storage.contacts import get_or_create_contact
from storage.models import Contact

NOW = datetime(2026, 12, 5, 8, tzinfo=UTC)
#: SQLite's one pooled connection serialises a process's transactions; instances share PostgreSQL.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_a_contact_created_meanwhile_by_another_transaction_is_taken_not_a_failure(runtime: Runtime) -> None:
    """The first message's transaction holds the new row; the second waits for it and takes it (no 500)."""
    first = Session(runtime.db)
    created = get_or_create_contact(first, channel="telegram", platform_user_id="42", language="id", now=NOW)
    found: list[int | None] = []

    def second_message() -> None:
        with Session(runtime.db) as session, session.begin():
            contact = get_or_create_contact(session, channel="telegram", platform_user_id="42", language="en", now=NOW)
            found.append(contact.id)

    racer = threading.Thread(target=second_message)
    racer.start()
    time.sleep(0.3)  # the second is now waiting on the first's uncommitted row
    first.commit()
    racer.join(timeout=30)
    assert found == [created.id]
    with Session(runtime.db) as session:
        rows = session.exec(select(Contact).where(Contact.platform_user_id == "42")).all()
    assert [(row.id, row.language) for row in rows] == [(created.id, "id")]
    first.close()
