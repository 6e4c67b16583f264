"""Every status a whole case writes is a member of its vocabulary in bot/domain/statuses.py."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from bot.domain.statuses import AppointmentStatus, DueWorkState, OutboxStatus, RequestStatus
from bot.runtime import Runtime
from bot.services.appointments import mark_appointment, offer_slots
from bot.services.case_thread import message_citizen
from bot.services.claims import claim_request, close_request, reopen_request
from tests.helpers.casework import counseling_request, deliver_citizen_updates
from tests.helpers.chat import Chat
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # pinned to a weekday morning: tests/pinned_moments.py moves it

WIB = ZoneInfo("Asia/Jakarta")
#: Each status column and the vocabulary its values must come from.
COLUMNS = {
    "request.status": RequestStatus,
    "request_event.from_status": RequestStatus,
    "request_event.to_status": RequestStatus,
    "appointment.status": AppointmentStatus,
    "outbox_message.status": OutboxStatus,
    "due_work.state": DueWorkState,
}


def _stored(runtime: Runtime) -> dict[str, set[str]]:
    """The distinct values of each status column, read as plain text (no model in between)."""
    with runtime.db.connect() as conn:
        return {
            column: {
                value
                for (value,) in conn.execute(
                    sa.text(f"SELECT DISTINCT {column.split('.')[1]} FROM {column.split('.')[0]}")
                )
                if value is not None
            }
            for column in COLUMNS
        }


def test_a_whole_case_stores_only_statuses_of_its_vocabularies(runtime: Runtime, chat: Chat) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=WIB), tick=False) as traveller:
        request = counseling_request(chat)
        siti = make_staff(runtime, "siti", queues=("lk3-kota-serang",))
        as_staff(runtime, siti, claim_request, request_id=request.id, routing=runtime.routing)
        as_staff(runtime, siti, message_citizen, request_id=request.id, text="Halo, saya Siti dari LK3.")
        deliver_citizen_updates(runtime)
        slots = [(datetime(2026, 11, 25, hour, 0, tzinfo=WIB), "office") for hour in (10, 13)]
        offer = as_staff(runtime, siti, offer_slots, request_id=request.id, slots=slots)
        chat.press(f"appt:{offer[0].id}")  # the other slot is withdrawn
        traveller.move_to(datetime(2026, 11, 25, 11, 30, tzinfo=WIB))
        as_staff(runtime, siti, mark_appointment, appointment_id=offer[0].id, status="done")
        runtime.due_work.run_due()
        as_staff(runtime, siti, close_request, request_id=request.id, outcome="resolved", note="selesai")
        as_staff(runtime, siti, reopen_request, request_id=request.id, reason="warga menghubungi lagi")
        as_staff(runtime, siti, close_request, request_id=request.id, outcome="referred", note="Dinsos Kota Serang")

    stored = _stored(runtime)
    strangers = {column: sorted(values - set(COLUMNS[column])) for column, values in stored.items()}
    assert strangers == {column: [] for column in COLUMNS}
    # The run went through the life of a case, not only its first step.
    assert stored["request_event.to_status"] >= {"new", "claimed", "in_progress", "resolved", "referred"}
    assert stored["appointment.status"] == {"done", "withdrawn"}
