"""`python -m bot staff update|reset-password|deactivate|reactivate`: the operator's account changes from the shell."""

from __future__ import annotations

import argparse

import pytest
from sqlmodel import Session, col, select

from bot.cli.staff import add_staff_commands, run_staff_command
from bot.cli.texts import cli_text
from bot.config import Settings
from bot.i18n import load_catalog
from bot.runtime import Runtime
from bot.services.claims import claim_request
from bot.services.staff_accounts import authenticate
from storage.models import Request, RequestEvent, Staff
from storage.staff import staff_queue_codes
from tests.helpers.dashboard import LK3, seed
from tests.helpers.staff import as_staff, make_staff

pytestmark = pytest.mark.clock  # seeds and claims at "now": tests/pinned_moments.py


def staff_command(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_staff_commands(parser.add_subparsers(dest="command"))
    return run_staff_command(parser.parse_args(["staff", *argv]), settings)


def test_operator_moves_resets_deactivates_and_reactivates(
    settings: Settings, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    dewi = make_staff(runtime, "dewi", queues=(LK3,))
    make_staff(runtime, "rina", queues=(LK3,))
    request = seed(runtime)
    assert as_staff(runtime, dewi, claim_request, request_id=request.id, routing=runtime.routing).won

    assert staff_command(settings, "update", "--username", "dewi", "--queue", LK3, "--queue", "lk3-kab-serang") == 0
    assert capsys.readouterr().out == cli_text("id", "staff_updated", username="dewi", released=0) + "\n"
    assert staff_command(settings, "update", "--username", "dewi", "--region", "atlantis") == 2
    reason = load_catalog().text("id", "staff_input.region_unknown", region="atlantis")
    assert capsys.readouterr().err == cli_text("id", "staff_change_refused", reason=reason) + "\n"

    assert staff_command(settings, "reset-password", "--username", "dewi") == 0
    temporary = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    with Session(runtime.db) as session:
        assert authenticate(session, username="dewi", password=temporary).must_change_password

    assert staff_command(settings, "deactivate", "--username", "dewi", "--reason", "Pensiun", "--hand-to", "rina") == 0
    assert capsys.readouterr().out == cli_text("id", "staff_deactivated", username="dewi", handed=1, released=0) + "\n"
    with Session(runtime.db) as session:
        rina = session.exec(select(Staff).where(Staff.username == "rina")).one()
        assert session.get(Request, request.id).assigned_staff_id == rina.id
        moved = session.exec(
            select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(col(RequestEvent.id).desc())
        ).first()
        assert (moved.actor, moved.note, moved.detail["to_staff"]) == ("operator", "Pensiun", rina.id)
        assert authenticate(session, username="dewi", password=temporary) is None
        assert staff_queue_codes(session, staff_id=dewi.id) == {LK3, "lk3-kab-serang"}
    assert staff_command(settings, "list") == 0
    assert "(nonaktif)" in next(line for line in capsys.readouterr().out.splitlines() if line.startswith("dewi"))

    assert staff_command(settings, "reactivate", "--username", "dewi") == 0
    assert capsys.readouterr().out == cli_text("id", "staff_reactivated", username="dewi") + "\n"
    with Session(runtime.db) as session:
        assert authenticate(session, username="dewi", password=temporary) is not None
    assert staff_command(settings, "deactivate", "--username", "nobody", "--reason", "x") == 2
    assert capsys.readouterr().err == cli_text("id", "staff_unknown", username="nobody") + "\n"
