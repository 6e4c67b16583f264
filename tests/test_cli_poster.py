"""`python -m bot poster`: a printable poster (PDF, A4 or A5) or a WhatsApp status (PNG) whose QR code opens the bot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from bot.__main__ import main
from bot.cli.poster import deep_link, poster_text
from bot.cli.poster_layout import NAVY, PAGE_SIZES, QUIET_ZONE, WHITE, PosterLayout, lay_out
from bot.cli.poster_render import measure
from bot.cli.texts import cli_text
from bot.config import Settings
from bot.flows.router import Command, parse_command
from bot.messages import Channel, Inbound, InboundKind

BOT = "@LayananPmksBantenBot"
TELEGRAM_SERANG = "https://t.me/LayananPmksBantenBot?start=lapor_kota-serang"
WHATSAPP_TANGSEL = "https://wa.me/6281234567890?text=mulai%20konseling_kota-tangerang-selatan"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _pdf(path: Path) -> tuple[tuple[int, int], str, list[str]]:
    """Page size in whole points, the page's text on one line, and the links on the page."""
    (page,) = PdfReader(path).pages
    links = [annotation.get_object()["/A"]["/URI"] for annotation in page.get("/Annots", [])]
    return (round(page.mediabox.width), round(page.mediabox.height)), _one_line(page.extract_text()), links


def _sheet_texts(language: str, flow: str) -> list[str]:
    return [_one_line(cli_text(language, f"poster_sheet.{flow}.{part}")) for part in ("title", "what", "how")]


def _qr_in_png(path: Path, size: int) -> tuple[list[list[bool]], bool]:
    """The modules of the QR code in the image, and whether its quiet zone is white.

    The code is the only pure black in the poster (text is dark grey, navy or red), so the box of pure
    black pixels is the symbol; each module is read at its centre.
    """
    image = Image.open(path).convert("RGB")
    channels_at_zero = image.point(lambda value: 255 if value == 0 else 0)
    left, top, right, bottom = channels_at_zero.convert("L").point(lambda value: 255 if value == 255 else 0).getbbox()
    module = (right - left) / size
    modules = [
        [
            image.getpixel((int(left + (x + 0.5) * module), int(top + (y + 0.5) * module))) == (0, 0, 0)
            for x in range(size)
        ]
        for y in range(size)
    ]
    border = round(QUIET_ZONE * module)
    frame = image.crop((left - border, top - border, right + border, bottom + border))
    inside = (border, border, border + right - left, border + bottom - top)
    quiet = all(
        frame.getpixel((x, y)) == WHITE
        for x in range(frame.width)
        for y in range(frame.height)
        if not (inside[0] <= x < inside[2] and inside[1] <= y < inside[3])
    )
    return modules, quiet


def _matrix(url: str) -> list[list[bool]]:
    return [[bool(value) for value in row] for row in segno.make(url, error="q", micro=False).matrix]


@pytest.mark.parametrize(("size", "points"), [("a4", (595, 842)), ("a5", (420, 595))])
def test_the_pdf_has_its_paper_size_every_text_and_the_link(
    size: str, points: tuple[int, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"lapor-{size}.pdf"
    assert (
        main(
            [
                "poster",
                "--flow",
                "lapor",
                "--region",
                "kota-serang",
                "--bot-username",
                BOT,
                "--size",
                size,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == cli_text("id", "poster_written", path=str(out), url=TELEGRAM_SERANG) + "\n"
    page_size, text, links = _pdf(out)
    assert page_size == points
    for expected in (
        *_sheet_texts("id", "lapor"),
        "Telegram: @LayananPmksBantenBot",
        "Darurat: 112 · SAPA 129 (kekerasan pada perempuan dan anak)",
        "Dinas Sosial Kota Serang",
    ):
        assert expected in text
    assert links == [TELEGRAM_SERANG]  # the QR code is also a tap target when the PDF is shared on a phone


def test_a_whatsapp_number_gives_a_wa_me_code_and_shows_the_number_in_english(tmp_path: Path) -> None:
    out = tmp_path / "konseling.pdf"
    assert (
        main(
            [
                "poster",
                "--flow",
                "konseling",
                "--region",
                "kota-tangerang-selatan",
                "--whatsapp-number",
                "0812-3456-7890",
                "--language",
                "en",
                "--size",
                "a5",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    page_size, text, links = _pdf(out)
    assert page_size == (420, 595) and links == [WHATSAPP_TANGSEL]
    for expected in (
        *_sheet_texts("en", "konseling"),
        "WhatsApp: +62 812-3456-7890",
        "Emergency: 112 · SAPA 129 (violence against women and children)",
        "Dinas Sosial Kota Tangerang Selatan",
    ):
        assert expected in text


def test_the_text_whatsapp_types_in_is_the_start_command_the_flows_read() -> None:
    typed = unquote(WHATSAPP_TANGSEL.partition("?text=")[2])
    inbound = Inbound(channel=Channel.WHATSAPP, user_id="6281", message_id="wamid.1", kind=InboundKind.TEXT, text=typed)
    assert parse_command(inbound) == Command("start", "konseling_kota-tangerang-selatan")


def test_the_status_png_is_1080_by_1920_and_its_qr_code_holds_the_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lapor.png"  # a .png without --size is a WhatsApp status
    assert main(["poster", "--flow", "lapor", "--region", "kota-serang", "--bot-username", BOT, "--out", str(out)]) == 0
    assert capsys.readouterr().out == cli_text("id", "poster_written", path=str(out), url=TELEGRAM_SERANG) + "\n"
    assert Image.open(out).size == (1080, 1920)
    expected = _matrix(TELEGRAM_SERANG)
    modules, quiet = _qr_in_png(out, len(expected))
    assert modules == expected and quiet


def test_a_paper_png_is_drawn_at_200_dpi_and_nothing_crosses_the_margins(tmp_path: Path) -> None:
    out = tmp_path / "provinsi-a4.png"
    assert (
        main(
            [
                "poster",
                "--flow",
                "lapor",
                "--bot-username",
                BOT,
                "--size",
                "a4",
                "--format",
                "png",
                "--language",
                "en",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    image = Image.open(out).convert("RGB")
    assert image.size == (1654, 2339)
    margin = round(image.width * 0.06)  # the text area keeps 7 % of the width free on each side
    for left in (0, image.width - margin):
        strip = image.crop((left, 0, left + margin, image.height))
        assert {colour for _, colour in strip.getcolors(maxcolors=1 << 16)} <= {WHITE, NAVY}  # no stray ink
    url = "https://t.me/LayananPmksBantenBot?start=lapor"
    assert _qr_in_png(out, len(_matrix(url)))[0] == _matrix(url)


def _assert_fits(layout: PosterLayout) -> None:
    page, qr = layout.page, layout.qr
    for line in layout.lines:
        half = measure(line.text, line.face, line.size) / 2
        assert page.width * 0.06 <= line.centre_x - half and line.centre_x + half <= page.width * 0.94, line
        assert line.size <= line.baseline <= page.height, line
        assert line.baseline <= qr.y or line.baseline - line.size >= qr.y + qr.side, line  # off the quiet zone
    assert qr.x >= 0 and qr.x + qr.side <= page.width and qr.side >= 0.5 * page.width


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("flow", ["lapor", "konseling"])
def test_every_text_wraps_inside_the_page_in_every_size(language: str, flow: str) -> None:
    settings = Settings()
    matrix = segno.make(WHATSAPP_TANGSEL, error="q").matrix
    longest = "A" * 31 + "Bot"  # a 32-character name, the longest Telegram allows, shrinks to fit
    text = poster_text(
        language, flow, contact=f"Telegram: @{longest}", office="Dinas Sosial Kota Tangerang Selatan", settings=settings
    )
    for page in PAGE_SIZES.values():
        _assert_fits(lay_out(text, matrix, page, measure))
    wordy = poster_text(
        language, flow, contact="WhatsApp: +62 812-3456-7890", office="Dinas Sosial Provinsi Banten", settings=settings
    )
    wordy = replace(
        wordy, title=wordy.title * 2, lines=(wordy.lines[0] * 2, wordy.lines[1] * 2), emergency=wordy.emergency * 2
    )
    for page in PAGE_SIZES.values():  # twice the words: the type shrinks, the QR code keeps half the width
        _assert_fits(lay_out(wordy, matrix, page, measure))


def test_link_without_region_and_every_region_fits_telegrams_start_parameter() -> None:
    assert deep_link("PmksBot", "konseling") == "https://t.me/PmksBot?start=konseling"
    assert deep_link("PmksBot", "konseling", "kota-tangerang-selatan").endswith(
        "start=konseling_kota-tangerang-selatan"
    )


def test_unknown_region_or_flow_is_refused_by_the_parser() -> None:
    for argv in (["--flow", "lapor", "--region", "jakarta"], ["--flow", "donasi"]):
        with pytest.raises(SystemExit):
            main(["poster", *argv, "--bot-username", "PmksBot"])


def test_a_bad_username_or_number_is_refused_with_a_catalog_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.pdf"
    assert main(["poster", "--flow", "lapor", "--bot-username", "bukan username!", "--out", str(out)]) == 2
    assert capsys.readouterr().err == cli_text("id", "poster_bad_username", username="bukan username!") + "\n"
    for number in ("0812", "nomor kantor", "+62 812 3456 7890 1234 5"):
        assert main(["poster", "--flow", "lapor", "--whatsapp-number", number, "--out", str(out)]) == 2
        assert capsys.readouterr().err == cli_text("id", "poster_bad_number", number=number) + "\n"
    assert not out.exists()


def test_a_broken_routing_file_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text("agencies: [\n", encoding="utf-8")
    monkeypatch.setenv("ROUTING_FILE", str(routing))
    out = tmp_path / "x.pdf"
    assert main(["poster", "--flow", "lapor", "--bot-username", BOT, "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(cli_text("id", "poster_routing_refused", reason=str(routing)))
    assert not out.exists()
