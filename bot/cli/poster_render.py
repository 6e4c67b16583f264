"""Draw a poster layout to a PDF page (ReportLab) or a PNG (Pillow), both with ReportLab's bundled fonts.

Why ReportLab's Bitstream Vera: it ships inside the package (licence beside it in `reportlab/fonts/`), so
an office laptop needs no font installed and nothing is fetched; it covers Indonesian and English, "·"
included; and Pillow can draw with the same files, so the widths the layout measured hold in both images.
The PDF keeps its text as text (searchable, sharp at any printer's resolution) and its QR code as squares.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import reportlab
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bot.cli.poster_layout import QUIET_ZONE, Colour, Face, PosterLayout, QrPlacement

_FONT_FILES = {Face.REGULAR: "Vera.ttf", Face.BOLD: "VeraBd.ttf"}
_PDF_FONT_NAMES = {Face.REGULAR: "PosterVera", Face.BOLD: "PosterVeraBold"}


def font_file(face: Face) -> Path:
    """The bundled TrueType file of `face`."""
    return Path(reportlab.__file__).resolve().parent / "fonts" / _FONT_FILES[face]


@cache
def _pdf_font(face: Face) -> str:
    """Register `face` with ReportLab once and give the name to set text in."""
    pdfmetrics.registerFont(TTFont(_PDF_FONT_NAMES[face], str(font_file(face))))
    return _PDF_FONT_NAMES[face]


def measure(text: str, face: Face, size: float) -> float:
    """Width in points of `text`, from the font's own advance widths."""
    return pdfmetrics.stringWidth(text, _pdf_font(face), size)


def _runs(row: tuple[bool, ...]) -> list[tuple[int, int]]:
    """(first column, length) of each stretch of dark modules in a row: fewer, seamless rectangles."""
    runs: list[tuple[int, int]] = []
    for column, dark in enumerate(row):
        if dark and runs and sum(runs[-1]) == column:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        elif dark:
            runs.append((column, 1))
    return runs


def write_pdf(layout: PosterLayout, out: Path, *, title: str, author: str, link: str) -> None:
    """One page of `layout`'s size; reproducible bytes (no timestamp), text kept as text.

    The QR code is also a link: a PDF sent round a WhatsApp group opens the bot with a tap.
    """
    page = layout.page
    canvas = Canvas(str(out), pagesize=(page.width, page.height), invariant=True)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("python -m bot poster")

    def top_down(y: float) -> float:  # the layout counts from the top, PDF from the bottom
        return page.height - y

    for band in layout.bands:
        canvas.setFillColorRGB(*_unit_rgb(band.colour))
        canvas.rect(band.x, top_down(band.y + band.height), band.width, band.height, stroke=0, fill=1)
    for line in layout.lines:
        canvas.setFillColorRGB(*_unit_rgb(line.colour))
        canvas.setFont(_pdf_font(line.face), line.size)
        canvas.drawCentredString(line.centre_x, top_down(line.baseline), line.text)
    qr = layout.qr
    canvas.setFillColorRGB(0, 0, 0)
    for row_number, row in enumerate(qr.matrix):
        y = qr.y + (QUIET_ZONE + row_number) * qr.module
        for column, length in _runs(row):
            x = qr.x + (QUIET_ZONE + column) * qr.module
            canvas.rect(x, top_down(y + qr.module), length * qr.module, qr.module, stroke=0, fill=1)
    canvas.linkURL(link, (qr.x, top_down(qr.y + qr.side), qr.x + qr.side, top_down(qr.y)), relative=0, thickness=0)
    canvas.showPage()
    canvas.save()


def _unit_rgb(colour: Colour) -> tuple[float, float, float]:
    red, green, blue = colour
    return red / 255, green / 255, blue / 255


def write_png(layout: PosterLayout, out: Path) -> None:
    """The page at its PNG resolution, the QR code snapped to whole pixels per module so it stays crisp."""
    page = layout.page
    pixels = page.png_dpi / 72
    image = Image.new("RGB", (round(page.width * pixels), round(page.height * pixels)), "white")
    draw = ImageDraw.Draw(image)
    for band in layout.bands:
        draw.rectangle(
            (
                round(band.x * pixels),
                round(band.y * pixels),
                round((band.x + band.width) * pixels) - 1,
                round((band.y + band.height) * pixels) - 1,
            ),
            fill=band.colour,
        )
    for line in layout.lines:
        font = ImageFont.truetype(str(font_file(line.face)), line.size * pixels)
        draw.text((line.centre_x * pixels, line.baseline * pixels), line.text, font=font, fill=line.colour, anchor="ms")
    _draw_qr(draw, layout.qr, pixels)
    image.save(out, format="PNG", optimize=True, dpi=(page.png_dpi, page.png_dpi))


def _qr_pixel_box(qr: QrPlacement, pixels: float) -> tuple[int, int, int]:
    """(left, top, pixels per module) of the code's first module in the PNG, quiet zone excluded."""
    count = len(qr.matrix) + 2 * QUIET_ZONE
    module = int(qr.side * pixels // count)
    left = round(qr.x * pixels + (qr.side * pixels - module * count) / 2) + QUIET_ZONE * module
    top = round(qr.y * pixels + (qr.side * pixels - module * count) / 2) + QUIET_ZONE * module
    return left, top, module


def _draw_qr(draw: ImageDraw.ImageDraw, qr: QrPlacement, pixels: float) -> None:
    left, top, module = _qr_pixel_box(qr, pixels)
    for row_number, row in enumerate(qr.matrix):
        y = top + row_number * module
        for column, length in _runs(row):
            x = left + column * module
            draw.rectangle((x, y, x + length * module - 1, y + module - 1), fill=(0, 0, 0))
