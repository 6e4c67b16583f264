"""`python -m bot retention [--dry-run]`: list (or purge now) closed requests past the retention period."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from sqlmodel import Session

from bot.cli.texts import say
from bot.config import Settings
from bot.runtime import open_database
from bot.services.privacy import purge_closed_requests, purgeable_requests


def add_retention_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("retention", help="purge personal fields of requests closed long ago")
    parser.add_argument("--dry-run", action="store_true", help="only list what would be purged")


def run_retention_command(args: argparse.Namespace, settings: Settings) -> int:
    language = settings.default_language
    db = open_database(settings)
    now = datetime.now(UTC)
    try:
        with Session(db) as session, session.begin():
            if args.dry_run:
                requests = purgeable_requests(session, now=now, retention_days=settings.retention_days)
                for request in requests:
                    print(f"{request.ticket_code}  {request.kind:10}  {request.status:12}  {request.queue_code}")
                say(language, "retention_would_purge", count=len(requests), days=settings.retention_days)
                return 0
            purged = purge_closed_requests(session, now=now, retention_days=settings.retention_days)
            say(language, "retention_purged", count=purged)
            return 0
    finally:
        db.dispose()
