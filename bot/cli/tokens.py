"""`python -m bot token create|list|revoke`: keys of the read-only JSON API, made by an admin on the server.

Why the shell and not the dashboard: a token opens the province's figures to another system; making one
is rare and deliberate, and the person at the server's shell is the operator the province trusts with it.
The token is printed once and only its SHA-256 is stored (see `storage.models.ApiToken`).
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from bot.cli.texts import cli_text, say
from bot.config import Settings
from bot.domain.regions import REGION_CODES
from bot.runtime import build_runtime
from storage.models import ApiToken

TOKEN_PREFIX = "pmks_"


class TokenNameTaken(ValueError):
    """A token of that name exists already (revoked ones too: names stay unique)."""


def token_digest(token: str) -> str:
    """SHA-256 hex of a presented token: what the database stores and is searched by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, name: str, region: str | None, now: datetime) -> str:
    """Create a token row and return the token itself (shown once, never stored)."""
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise TokenNameTaken(f"a token named {name!r} exists already")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=token_digest(token), region=region, created_at=now))
    session.flush()
    return token


def active_token(session: Session, token: str) -> ApiToken | None:
    """The unrevoked token row matching a presented token, if any."""
    return session.exec(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token), col(ApiToken.revoked_at).is_(None))
    ).first()


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
    row = session.exec(
        select(ApiToken).where(ApiToken.name == args.name, col(ApiToken.revoked_at).is_(None))
    ).first()
    if row is None:
        say(language, "token_not_found", error=True, name=args.name)
        return 2
    row.revoked_at = datetime.now(UTC)
    say(language, "token_revoked", name=args.name)
    return 0


def _list(session: Session, args: argparse.Namespace, *, language: str) -> int:
    for row in session.exec(select(ApiToken).order_by(ApiToken.name)):
        revoked_on = row.revoked_at.date().isoformat() if row.revoked_at else "-"
        revoked = cli_text(language, "token_revoked_on", date=revoked_on)
        print(f"{row.name:30} {row.region or 'provinsi':24} {row.created_at.date().isoformat()} {revoked}")
    return 0
