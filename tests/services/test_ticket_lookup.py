"""`status KODE` of someone else's ticket (issue 16 point 4), the same on every channel: its state only,
and at most five such lookups per contact in ten minutes; the contact's own tickets as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session

from bot.messages import Channel
from bot.runtime import Runtime
from storage.models import Contact, Queue, Request
from tests.helpers.chat import Chat
from tests.helpers.reports import submit

pytestmark = pytest.mark.clock  # the limit counts lookups within ten minutes of the clock

STORY, PLACE, PHONE = "nenek mengemis di lampu merah", "alun-alun rangkasbitung", "081298765432"


def _reported(runtime: Runtime) -> Request:
    return submit(
        runtime,
        at=datetime.now(UTC),
        kind="sighting",
        category="pengemis",
        region="kab-lebak",
        description=STORY,
        landmark=PLACE,
        phone=PHONE,
    )


def _reporter(runtime: Runtime, request: Request) -> Chat:
    with Session(runtime.db) as session:
        return Chat(runtime.engine, user_id=session.get(Contact, request.contact_id).platform_user_id)


def _handled_by(runtime: Runtime, request: Request) -> str:
    with Session(runtime.db) as session:
        return session.get(Queue, request.queue_code).name


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.WHATSAPP, Channel.WEBCHAT])
def test_someone_elses_ticket_shows_its_state_and_last_change_only(runtime: Runtime, channel: Channel) -> None:
    request = _reported(runtime)

    stranger = Chat(runtime.engine, user_id="6281211112222", channel=channel)
    stranger.start()
    stranger.send(f"status {request.ticket_code.lower()}")

    answer = stranger.last[0].text
    assert answer == runtime.catalog.text(
        "id",
        "status_lookup.state_only",
        code=request.ticket_code,
        status="Diterima, menunggu petugas",
        updated=runtime.renderer.when("id", request.created_at),
    )
    for detail in (STORY, PLACE, PHONE, "0812", "laporan", "Pengemis", "Lebak", _handled_by(runtime, request)):
        assert detail.lower() not in answer.lower()


def test_five_lookups_of_others_tickets_per_contact_in_ten_minutes_and_the_own_ones_always(runtime: Runtime) -> None:
    mine, theirs = _reported(runtime), _reported(runtime)
    citizen = _reporter(runtime, mine)
    too_many = runtime.catalog.text("id", "status_lookup.too_many", minutes=10)
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        for code in ("AAA-AAA", "BBB-BBB", "CCC-CCC", "DDD-DDD"):
            citizen.send(f"status {code}")
            assert runtime.catalog.text("id", "status_lookup.not_found", code=code) in citizen.text
        citizen.send(f"status {theirs.ticket_code}")  # found or not, the fifth
        assert "Terakhir diperbarui" in citizen.text

        citizen.send(f"status {theirs.ticket_code}")
        assert citizen.last[0].text == too_many and theirs.ticket_code not in citizen.text
        for _ in range(6):
            citizen.send(f"status {mine.ticket_code}")
            assert _handled_by(runtime, mine) in citizen.text  # the reporter's own: in full, never counted

        traveller.shift(timedelta(minutes=10, seconds=1))
        citizen.send(f"status {theirs.ticket_code}")
        assert "Terakhir diperbarui" in citizen.text


def test_a_refused_lookup_does_not_move_the_window(runtime: Runtime) -> None:
    citizen = Chat(runtime.engine, user_id="777111", channel=Channel.TELEGRAM)
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        for _ in range(5):
            citizen.send("status EEE-EEE")
        traveller.shift(timedelta(minutes=9))
        citizen.send("status EEE-EEE")
        assert "terlalu sering" in citizen.text
        traveller.shift(timedelta(minutes=1, seconds=1))  # ten minutes after the first five, not after the refusal
        citizen.send("status EEE-EEE")
        assert "tidak ditemukan" in citizen.text
