"""`python -m bot token create|list|revoke`: keys of the read-only JSON API, made by an admin on the server.

Why the shell and not the dashboard: a token opens the province's figures to another system; making one
is rare and deliberate, and the person at the server's shell is the operator the province trusts with it.
The token is printed once and only its SHA-256 is stored (bot/services/api_tokens.py).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from sqlmodel import Session

from bot.cli.texts import cli_text, say
from bot.config import Settings
from bot.domain.regions import REGION_CODES
from bot.runtime import build_runtime
from bot.services.api_tokens import TokenNameTaken, issue_token, list_tokens, revoke_token


def add_token_commands(commands: argparse._SubParsersAction) -> None:
    token = commands.add_parser("token", help="manage API tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="create a read-only API token (printed once)")
    create.add_argument("--name", required=True, help="who uses it, e.g. 'satu-data-banten'")
    create.add_argument("--region", choices=REGION_CODES, help="limit to one kabupaten/kota (default: province)")
    revoke = token.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("--name", required=True)
    token.add_parser("list", help="list tokens (names, scope, created, revoked)")


def run_token_command(args: argparse.Namespace, settings: Settings) -> int:
    runtime = build_runtime(settings)
    try:
        with Session(runtime.db) as session, session.begin():
            command = {"create": _create, "revoke": _revoke, "list": _list}[args.token_command]
            return command(session, args, language=settings.default_language)
    finally:
        runtime.close()


def _create(session: Session, args: argparse.Namespace, *, language: str) -> int:
    name = args.name.strip()
    if not 1 <= len(name) <= 64:
        say(language, "token_name_length", error=True)
        return 2
    try:
        token = issue_token(session, name=name, region=args.region, now=datetime.now(UTC))
    except TokenNameTaken:
        say(language, "token_name_taken", error=True, name=name)
        return 2
    say(language, "token_created", name=name, scope=args.region or "provinsi")
    say(language, "token_value", token=token)
    return 0


def _revoke(session: Session, args: argparse.Namespace, *, language: str) -> int:
    if not revoke_token(session, name=args.name, now=datetime.now(UTC)):
        say(language, "token_not_found", error=True, name=args.name)
        return 2
    say(language, "token_revoked", name=args.name)
    return 0


def _list(session: Session, args: argparse.Namespace, *, language: str) -> int:
    for row in list_tokens(session):
        revoked = cli_text(language, "token_revoked_on", date=row.revoked_on.isoformat() if row.revoked_on else "-")
        print(f"{row.name:30} {row.region or 'provinsi':24} {row.created_on.isoformat()} {revoked}")
    return 0
