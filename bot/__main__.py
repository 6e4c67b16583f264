"""Command line: `python -m bot serve | migrate | staff add|list | retention [--dry-run] | token create|list|revoke | poster`."""

from __future__ import annotations

import argparse
import sys

from bot.cli.poster import add_poster_command, run_poster
from bot.cli.retention import add_retention_command, run_retention_command
from bot.cli.staff import add_staff_commands, print_first_admin_password, run_staff_command
from bot.cli.tokens import add_token_commands, run_token_command
from bot.config import Settings
from bot.observability import configure_logging
from bot.routing import RoutingFileError, load_routing
from storage import crypto
from storage.migrate import upgrade_to_head


def _serve(settings: Settings) -> int:
    import uvicorn

    try:
        load_routing(settings.routing_file)  # refuse to start on a bad routing file, naming the line
    except RoutingFileError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    print_first_admin_password(settings)
    print(f"Serving the web chat at http://{settings.host}:{settings.port}/", flush=True)
    # Our logging (plain or JSON lines), and no uvicorn access log: its request lines quote the path, and
    # a web chat path holds the session id, a webhook verification its token. bot.observability logs
    # each refused request by route template instead.
    # Forwarded addresses are read by the app itself, from FORWARDED_ALLOW_IPS only (bot/app.py).
    uvicorn.run(
        "bot.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
    return 0


def _migrate(settings: Settings) -> int:
    crypto.configure(settings.fernet_keys)  # a migration may encrypt existing rows (0007)
    upgrade_to_head(settings.database_url)
    print("Database schema is up to date.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="start the service (web chat, webhooks, dashboard)")
    commands.add_parser("migrate", help="apply database migrations up to the newest")
    add_staff_commands(commands)
    add_retention_command(commands)
    add_token_commands(commands)
    add_poster_command(commands)
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "poster":
        return run_poster(args, settings)  # no database: it runs on an office laptop
    configure_logging(settings.log_format)
    if args.command == "staff":
        return run_staff_command(args, settings)
    if args.command == "retention":
        return run_retention_command(args, settings)
    if args.command == "token":
        return run_token_command(args, settings)
    return {"serve": _serve, "migrate": _migrate}[args.command](settings)


if __name__ == "__main__":
    sys.exit(main())
