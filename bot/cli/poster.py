"""`python -m bot poster`: the QR code for a Dinas Sosial poster that opens the bot on a flow and region.

Scanning it opens `https://t.me/<bot>?start=lapor_kota-serang`; Telegram then sends "/start
lapor_kota-serang", which the flows turn into a report with the region already filled in.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import segno

from bot.cli.texts import say
from bot.domain.regions import REGION_CODES

FLOWS: tuple[str, ...] = ("lapor", "konseling")
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what Telegram accepts after ?start=


def deep_link(bot_username: str, flow: str, region: str = "") -> str:
    """The t.me link that starts `flow` (with `region` filled in, when given)."""
    payload = f"{flow}_{region}" if region else flow
    if not _START_PAYLOAD.match(payload):
        raise ValueError(f"not a valid start parameter: {payload!r}")
    return f"https://t.me/{bot_username}?start={payload}"


def write_qr_png(url: str, out: Path, *, scale: int = 12) -> None:
    """A PNG big enough to print; medium error correction survives a smudged or folded poster."""
    segno.make(url, error="m", micro=False).save(str(out), kind="png", scale=scale, border=4)


def add_poster_command(subparsers: argparse._SubParsersAction) -> None:
    """Register `poster` on the CLI; its handler is `run_poster(args, language=...)`."""
    parser = subparsers.add_parser("poster", help="write a poster QR code that opens the Telegram bot")
    parser.add_argument("--flow", choices=FLOWS, required=True, help="which form the link opens")
    parser.add_argument("--region", choices=REGION_CODES, default="", help="kabupaten/kota filled in")
    parser.add_argument("--bot-username", required=True, help="the bot's @username, with or without @")
    parser.add_argument("--out", type=Path, default=Path("poster.png"), help="PNG file to write")


def run_poster(args: argparse.Namespace, *, language: str) -> int:
    """Write the QR code and print the link it holds; 2 for a username Telegram would not accept."""
    username = args.bot_username.removeprefix("@")
    if not _USERNAME.match(username):
        say(language, "poster_bad_username", error=True, username=args.bot_username)
        return 2
    url = deep_link(username, args.flow, args.region)
    write_qr_png(url, args.out)
    say(language, "poster_written", path=str(args.out), url=url)
    return 0
