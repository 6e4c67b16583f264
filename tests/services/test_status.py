"""`status KODE` as the citizen reads it: the same WIB date as /dataku and every update."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.helpers.casework import counseling_request
from tests.helpers.chat import Chat

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

WIB = ZoneInfo("Asia/Jakarta")


def test_status_and_dataku_write_the_date_alike(chat: Chat) -> None:
    with time_machine.travel(datetime(2026, 12, 5, 10, 30, tzinfo=WIB), tick=False):
        request = counseling_request(chat)
        chat.send(f"status {request.ticket_code}")
        status = chat.text
        chat.send("/dataku")
        dataku = chat.text
    assert "Dikirim: Sabtu, 5 Des 2026 10.30 WIB" in status.splitlines()
    assert "Dikirim Sabtu, 5 Des 2026 10.30 WIB. Status: Diterima, menunggu petugas." in dataku.splitlines()
