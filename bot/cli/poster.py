"""`python -m bot poster`: a poster an office prints (PDF, A4 or A5) or posts as a WhatsApp status (PNG).

Its QR code opens the bot on a flow with the region filled in. For Telegram it holds
`https://t.me/<bot>?start=lapor_kota-serang`, and Telegram sends "/start lapor_kota-serang". For WhatsApp
it holds `https://wa.me/<number>?text=mulai%20lapor_kota-serang`: the chat opens with "mulai
lapor_kota-serang" already typed, which the flows read as the same start command once it is sent.

Sizes: `a4` and `a5` are paper (their PNG is drawn at 200 dpi); `status` is a WhatsApp status, 1080 x 1920
pixels as a PNG. Without `--size`, a PDF is A4 and a PNG is a status.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import quote

import segno

from bot.cli.poster_layout import PAGE_SIZES, PosterText, lay_out
from bot.cli.poster_render import measure, write_pdf, write_png
from bot.cli.texts import cli_text, say
from bot.config import Settings
from bot.domain.regions import PROVINCE, REGION_CODES
from bot.i18n.catalog import LANGUAGES
from bot.routing import RoutingFileError, RoutingTable, load_routing

FLOWS: tuple[str, ...] = ("lapor", "konseling")
FORMATS: tuple[str, ...] = ("pdf", "png")
DINAS_SOSIAL = "dinsos"  # the agency code of Dinas Sosial in config/routing.yaml
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what Telegram accepts after ?start=
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")
_INTERNATIONAL_NUMBER = re.compile(r"^[1-9][0-9]{7,14}$")  # E.164 without the "+"
_WHATSAPP_START = "mulai"  # a start command the flows know (bot/flows/router.py), in plain Indonesian


def _start_payload(flow: str, region: str) -> str:
    payload = f"{flow}_{region}" if region else flow
    if not _START_PAYLOAD.match(payload):
        raise ValueError(f"not a valid start parameter: {payload!r}")
    return payload


def deep_link(bot_username: str, flow: str, region: str = "") -> str:
    """The t.me link that starts `flow` (with `region` filled in, when given)."""
    return f"https://t.me/{bot_username}?start={_start_payload(flow, region)}"


def whatsapp_link(number: str, flow: str, region: str = "") -> str:
    """The wa.me link that opens a chat with `number` (digits only) with the start command typed in."""
    return f"https://wa.me/{number}?text={quote(f'{_WHATSAPP_START} {_start_payload(flow, region)}')}"


def whatsapp_digits(number: str) -> str | None:
    """ "+62 812-3456-7890" or "0812 3456 7890" -> "6281234567890"; None for what is not a phone number."""
    digits = _PHONE_PUNCTUATION.sub("", number).removeprefix("+")
    if digits.startswith("0"):  # written the Indonesian way, without the country code
        digits = "62" + digits[1:]
    return digits if _INTERNATIONAL_NUMBER.match(digits) else None


def shown_number(digits: str) -> str:
    """How a poster prints the number: "6281234567890" -> "+62 812-3456-7890"."""
    if not digits.startswith("62"):
        return f"+{digits}"
    rest = digits[2:]
    return "+62 " + "-".join(part for part in (rest[:3], rest[3:7], rest[7:]) if part)


def office_name(routing: RoutingTable, region: str) -> str:
    """ "Dinas Sosial Kota Serang", or the provincial Dinas Sosial when the poster names no region."""
    code = f"{DINAS_SOSIAL}-{region or PROVINCE}"
    return next(queue.name for queue in routing.queues() if queue.code == code)


def add_poster_command(subparsers: argparse._SubParsersAction) -> None:
    """Register `poster` on the CLI; its handler is `run_poster(args, settings)`."""
    parser = subparsers.add_parser(
        "poster", help="write a printable poster (PDF) or a WhatsApp status image (PNG) whose QR code opens the bot"
    )
    parser.add_argument("--flow", choices=FLOWS, required=True, help="which form the link opens")
    parser.add_argument("--region", choices=REGION_CODES, default="", help="kabupaten/kota filled in")
    channel = parser.add_mutually_exclusive_group(required=True)
    channel.add_argument("--bot-username", help="the Telegram bot's @username, with or without @")
    channel.add_argument("--whatsapp-number", help="the service's WhatsApp number, e.g. 6281234567890")
    parser.add_argument(
        "--size",
        choices=tuple(PAGE_SIZES),
        help="a4, a5 or status (1080x1920 PNG); default a4 for a PDF, status for a PNG",
    )
    parser.add_argument("--format", choices=FORMATS, help="pdf or png; default from the --out suffix, else pdf")
    parser.add_argument("--language", choices=LANGUAGES, help="the poster's language; default DEFAULT_LANGUAGE")
    parser.add_argument("--out", type=Path, help="file to write; default poster.pdf or poster.png")


def _link_and_contact(args: argparse.Namespace, settings: Settings, language: str) -> tuple[str, str] | None:
    """The QR code's link and the line that names the bot; None (said why) when the name or number is bad."""
    if args.whatsapp_number is not None:
        digits = whatsapp_digits(args.whatsapp_number)
        if digits is None:
            say(settings.default_language, "poster_bad_number", error=True, number=args.whatsapp_number)
            return None
        contact = cli_text(language, "poster_sheet.whatsapp", number=shown_number(digits))
        return whatsapp_link(digits, args.flow, args.region), contact
    username = args.bot_username.removeprefix("@")
    if not _USERNAME.match(username):
        say(settings.default_language, "poster_bad_username", error=True, username=args.bot_username)
        return None
    return deep_link(username, args.flow, args.region), cli_text(language, "poster_sheet.telegram", username=username)


def poster_text(language: str, flow: str, *, contact: str, office: str, settings: Settings) -> PosterText:
    """What the poster of `flow` says in `language`."""
    return PosterText(
        title=cli_text(language, f"poster_sheet.{flow}.title"),
        lines=(cli_text(language, f"poster_sheet.{flow}.what"), cli_text(language, f"poster_sheet.{flow}.how")),
        contact=contact,
        emergency=cli_text(language, "poster_sheet.emergency", **settings.emergency_numbers),
        office=office,
    )


def run_poster(args: argparse.Namespace, settings: Settings) -> int:
    """Write the poster and print the link its QR code holds; 2 for a bad name, number or routing file."""
    language = args.language or settings.default_language
    link = _link_and_contact(args, settings, language)
    if link is None:
        return 2
    url, contact = link
    try:
        office = office_name(load_routing(settings.routing_file), args.region)
    except RoutingFileError as error:
        say(settings.default_language, "poster_routing_refused", error=True, reason=str(error))
        return 2
    kind = args.format or ("png" if args.out is not None and args.out.suffix.lower() == ".png" else "pdf")
    out = args.out or Path(f"poster.{kind}")
    text = poster_text(language, args.flow, contact=contact, office=office, settings=settings)
    # Quartile error correction: a poster on a wall gets sun, smudges and a torn corner.
    matrix = segno.make(url, error="q", micro=False).matrix
    layout = lay_out(text, matrix, PAGE_SIZES[args.size or ("a4" if kind == "pdf" else "status")], measure)
    if kind == "pdf":
        write_pdf(layout, out, title=text.title, author=office, link=url)
    else:
        write_png(layout, out)
    say(settings.default_language, "poster_written", path=str(out), url=url)
    return 0
