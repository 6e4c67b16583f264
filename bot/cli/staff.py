"""`python -m bot staff add|list|update|reset-password|deactivate|reactivate`: staff accounts from the shell.

The operator at the server's shell acts as an admin who is no account (`operator` in the audit log and in
the history of the cases a deactivation moves); the rules are the dashboard's, in bot/services/.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from bot.cli.texts import cli_text, say
from bot.config import Settings
from bot.i18n import load_catalog
from bot.runtime import build_runtime
from bot.services.access import operator_view
from bot.services.dashboard_reads import staff_with_queues
from bot.services.records import persisted_id
from bot.services.staff_accounts import ROLES, StaffInputError, create_staff, ensure_first_admin, reset_password
from bot.services.staff_directory import staff_by_username, staff_queue_codes
from bot.services.staff_handover import change_assignment, deactivate_staff, reactivate_staff


def add_staff_commands(commands: argparse._SubParsersAction) -> None:
    staff = commands.add_parser("staff", help="manage staff accounts").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff.add_parser("add", help="create a counselor, coordinator or admin")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--queue", action="append", default=[], help="queue code, e.g. lk3-kota-serang (repeatable)")
    add.add_argument("--region", help="for a coordinator: a kabupaten/kota code or 'provinsi'")
    add.add_argument("--name", help="display name shown to colleagues")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    staff.add_parser("list", help="list staff accounts and their queues")
    update = staff.add_parser("update", help="set someone's queues and/or region")
    update.add_argument("--username", required=True)
    update.add_argument("--queue", action="append", default=None, help="the new queues, replacing the old (repeatable)")
    update.add_argument("--region", help="a kabupaten/kota code, 'provinsi', or '' for none")
    update.add_argument("--reason", default="", help="why, for open cases that go back to their queue")
    reset = staff.add_parser("reset-password", help="a temporary password (printed once), to change at next login")
    reset.add_argument("--username", required=True)
    deactivate = staff.add_parser("deactivate", help="no more logins; sessions end; open cases handed over")
    deactivate.add_argument("--username", required=True)
    deactivate.add_argument("--reason", required=True, help="kept in the history of each case moved")
    deactivate.add_argument(
        "--hand-to", help="colleague's username to take the open cases (default: back to the queue)"
    )
    reactivate = staff.add_parser("reactivate", help="open a deactivated account again")
    reactivate.add_argument("--username", required=True)


def run_staff_command(args: argparse.Namespace, settings: Settings) -> int:
    runtime = build_runtime(settings)
    runtime.sync_queues()
    language = settings.default_language
    try:
        with Session(runtime.db) as session, session.begin():
            if args.staff_command == "list":
                return _list(session, language=language)
            if args.staff_command == "add":
                return _add(session, args, language=language)
            return _change(session, args, language=language)
    except StaffInputError as error:  # raised out of the transaction: nothing of it was kept
        say(
            language,
            "staff_change_refused",
            error=True,
            reason=load_catalog().text(language, error.key, **error.params),
        )
        return 2
    finally:
        runtime.close()


def _change(session: Session, args: argparse.Namespace, *, language: str) -> int:
    """update, reset-password, deactivate, reactivate: one service call as the operator."""
    target = staff_by_username(session, username=args.username)
    if target is None:
        say(language, "staff_unknown", error=True, username=args.username)
        return 2
    view, now, name = operator_view(), datetime.now(UTC), target.username
    match args.staff_command:
        case "update":
            if args.queue is None and args.region is None:
                say(language, "staff_update_nothing", error=True)
                return 2
            queues = (
                args.queue
                if args.queue is not None
                else sorted(staff_queue_codes(session, staff_id=persisted_id(target)))
            )
            region = (args.region or None) if args.region is not None else target.region
            moved = change_assignment(
                session,
                view=view,
                staff_id=persisted_id(target),
                queues=queues,
                region=region,
                reason=args.reason,
                now=now,
            )
            say(language, "staff_updated", username=name, released=moved.released)
        case "reset-password":
            _staff, temporary = reset_password(session, view=view, staff_id=persisted_id(target), now=now)
            say(language, "staff_temporary_password", username=name, password=temporary)
        case "deactivate":
            colleague = staff_by_username(session, username=args.hand_to) if args.hand_to else None
            if args.hand_to and colleague is None:
                say(language, "staff_unknown", error=True, username=args.hand_to)
                return 2
            moved = deactivate_staff(
                session,
                view=view,
                staff_id=persisted_id(target),
                reason=args.reason,
                now=now,
                hand_to=colleague.id if colleague else None,
            )
            say(language, "staff_deactivated", username=name, handed=moved.handed, released=moved.released)
        case "reactivate":
            reactivate_staff(session, view=view, staff_id=persisted_id(target), now=now)
            say(language, "staff_reactivated", username=name)
        case other:
            raise AssertionError(f"unknown staff command {other!r}")
    return 0


def _add(session: Session, args: argparse.Namespace, *, language: str) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        staff, generated = create_staff(
            session,
            username=args.username,
            role=args.role,
            queues=args.queue,
            region=args.region,
            now=datetime.now(UTC),
            password=password,
            display_name=args.name,
        )
    except StaffInputError as error:
        say(language, "staff_refused", error=True, reason=load_catalog().text(language, error.key, **error.params))
        return 2
    role = load_catalog().text(language, f"dash_admin.role_{staff.role}")
    say(language, "staff_added", role=role, username=staff.username)
    if generated:
        say(language, "staff_password", password=generated)
    return 0


def _list(session: Session, *, language: str) -> int:
    inactive = cli_text(language, "staff_inactive")
    for staff, codes in staff_with_queues(session):  # one query for every account's queues
        queues = ", ".join(codes) or "-"
        state = "" if staff.active else f" ({inactive})"
        print(f"{staff.username:20} {staff.role:12} {staff.region or '-':24} {queues}{state}")
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
