"""`python -m bot staff add|list`: manage staff accounts from the server's shell."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.cli.texts import say
from bot.config import Settings
from bot.i18n import load_catalog
from bot.runtime import build_runtime
from bot.services.staff_accounts import ROLES, StaffInputError, create_staff, ensure_first_admin
from storage.models import Staff
from storage.staff import staff_queue_codes


def add_staff_commands(commands: argparse._SubParsersAction) -> None:
    staff = commands.add_parser("staff", help="manage staff accounts").add_subparsers(dest="staff_command", required=True)
    add = staff.add_parser("add", help="create a counselor, coordinator or admin")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--queue", action="append", default=[], help="queue code, e.g. lk3-kota-serang (repeatable)")
    add.add_argument("--region", help="for a coordinator: a kabupaten/kota code or 'provinsi'")
    add.add_argument("--name", help="display name shown to colleagues")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    staff.add_parser("list", help="list staff accounts and their queues")


def run_staff_command(args: argparse.Namespace, settings: Settings) -> int:
    runtime = build_runtime(settings)
    runtime.sync_queues()
    try:
        with Session(runtime.db) as session, session.begin():
            if args.staff_command == "list":
                return _list(session)
            return _add(session, args, language=settings.default_language)
    finally:
        runtime.close()


def _add(session: Session, args: argparse.Namespace, *, language: str) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        staff, generated = create_staff(
            session, username=args.username, role=args.role, queues=args.queue, region=args.region,
            now=datetime.now(UTC), password=password, display_name=args.name,
        )
    except StaffInputError as error:
        say(language, "staff_refused", error=True, reason=load_catalog().text(language, error.key, **error.params))
        return 2
    role = load_catalog().text(language, f"dash_admin.role_{staff.role}")
    say(language, "staff_added", role=role, username=staff.username)
    if generated:
        say(language, "staff_password", password=generated)
    return 0


def _list(session: Session) -> int:
    for staff in session.exec(select(Staff).order_by(Staff.username)):
        queues = ", ".join(sorted(staff_queue_codes(session, staff_id=staff.id))) or "-"
        print(f"{staff.username:20} {staff.role:12} {staff.region or '-':24} {queues}")
    return 0


def print_first_admin_password(settings: Settings) -> None:
    """On the very first start there is no admin: create one and show its password once."""
    runtime = build_runtime(settings)
    try:
        runtime.sync_queues()
        with Session(runtime.db) as session, session.begin():
            password = ensure_first_admin(session, now=datetime.now(UTC))
    except sa.exc.IntegrityError:  # another instance, started at the same moment, made it (and shows it)
        password = None
    finally:
        runtime.close()
    if password:
        say(settings.default_language, "first_admin", username="admin", password=password)
