"""What `python -m bot staff|token` tells the operator: catalog texts in the default language, no English mixed in."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pytest

from bot.cli.staff import add_staff_commands, run_staff_command
from bot.cli.texts import cli_text
from bot.cli.tokens import add_token_commands, run_token_command
from bot.config import Settings
from bot.i18n import load_catalog

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

CLI_SOURCES = Path(__file__).resolve().parent.parent / "bot" / "cli"


def _run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    add_staff_commands(commands)
    add_token_commands(commands)
    args = parser.parse_args(argv)
    return (run_staff_command if args.command == "staff" else run_token_command)(args, settings)


def test_staff_add_speaks_the_default_language(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        _run(settings, "staff", "add", "--username", "siti", "--role", "counselor", "--queue", "lk3-kota-serang") == 0
    )
    out = capsys.readouterr().out.splitlines()
    role = load_catalog().text("id", "dash_admin.role_counselor")
    assert out[0] == cli_text("id", "staff_added", username="siti", role=role)
    assert out[1].startswith(cli_text("id", "staff_password", password=""))
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
    assert (
        _run(
            settings,
            "staff",
            "add",
            "--username",
            "wati",
            "--role",
            "counselor",
            "--queue",
            "lk3-kota-serang",
            "--password-stdin",
        )
        == 2
    )
    reason = load_catalog().text("id", "staff_input.password_short")
    assert capsys.readouterr().err == cli_text("id", "staff_refused", reason=reason) + "\n"


def test_token_commands_speak_the_default_language(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(settings, "token", "create", "--name", "satu-data") == 0
    created, shown = capsys.readouterr().out.splitlines()
    assert created == cli_text("id", "token_created", name="satu-data", scope="provinsi")
    assert shown.startswith(cli_text("id", "token_value", token="pmks_"))
    assert _run(settings, "token", "create", "--name", "satu-data") == 2
    assert capsys.readouterr().err == cli_text("id", "token_name_taken", name="satu-data") + "\n"
    assert _run(settings, "token", "revoke", "--name", "satu-data") == 0
    assert capsys.readouterr().out == cli_text("id", "token_revoked", name="satu-data") + "\n"
    assert _run(settings, "token", "revoke", "--name", "satu-data") == 2
    assert capsys.readouterr().err == cli_text("id", "token_not_found", name="satu-data") + "\n"
    assert _run(settings, "token", "list") == 0
    assert cli_text("id", "token_revoked_on", date="") in capsys.readouterr().out


def test_every_cli_key_the_tools_use_is_in_both_catalogs() -> None:
    used = {
        key
        for source in CLI_SOURCES.glob("*.py")
        for key in re.findall(r"""(?:say|cli_text)\([^,]+, "([a-z_]+)\"""", source.read_text(encoding="utf-8"))
    }
    assert len(used) >= 14
    for language in ("id", "en"):
        assert {f"cli.{key}" for key in used} <= load_catalog().keys(language), language
