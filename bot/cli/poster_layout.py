"""Where each band, line of text and the QR code of a poster go on its page, in points from the top left.

Pure geometry: `bot/cli/poster_render.py` draws one layout both to a PDF page and to a PNG, so the printed
poster and the WhatsApp status image never disagree. Text widths come from a `Measure` that reads the very
font files the renderers draw with. Every text wraps at the margins; when the texts of a language are long
enough to squeeze the QR code below 55 % of the page width, all type shrinks a step and the page is laid again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

QUIET_ZONE = 4  # modules of white the QR standard asks for around the code; nothing is drawn there
LEADING = 1.22  # line height as a share of the type size
_MARGIN = 0.07  # of the page width, left and right
_SMALLEST_QR = 0.55  # of the page width: below this the type shrinks
_SHRINK = 0.92
_MAX_SHRINKS = 12


class Face(StrEnum):
    REGULAR = "regular"
    BOLD = "bold"


#: Width in points of `text` set in `face` at `size` points.
Measure = Callable[[str, Face, float], float]
Colour = tuple[int, int, int]

NAVY: Colour = (18, 53, 91)
INK: Colour = (26, 26, 26)
WHITE: Colour = (255, 255, 255)
ALARM: Colour = (163, 21, 21)
ALARM_TINT: Colour = (253, 236, 234)


def _mm(millimetres: float) -> float:
    return millimetres * 72 / 25.4


@dataclass(frozen=True, slots=True)
class PageSize:
    """A page in points, and how many pixels per inch its PNG gets."""

    name: str
    width: float
    height: float
    png_dpi: int


PAGE_SIZES: dict[str, PageSize] = {
    "a4": PageSize("a4", _mm(210), _mm(297), 200),
    "a5": PageSize("a5", _mm(148), _mm(210), 200),
    # A WhatsApp status: portrait 9:16, 405 x 720 pt at 192 dpi is exactly 1080 x 1920 pixels.
    "status": PageSize("status", 405, 720, 192),
}


@dataclass(frozen=True, slots=True)
class PosterText:
    """What a poster says, in its language."""

    title: str
    lines: tuple[str, str]  # what to report (or ask about); how (scan, free, anonymous or confidential)
    contact: str  # "Telegram: @LayananPmksBantenBot" or "WhatsApp: +62 812-3456-7890"
    emergency: str
    office: str  # "Dinas Sosial Kota Serang"


@dataclass(frozen=True, slots=True)
class Band:
    x: float
    y: float
    width: float
    height: float
    colour: Colour


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line, centred on `centre_x`, sitting on `baseline`."""

    text: str
    face: Face
    size: float
    colour: Colour
    centre_x: float
    baseline: float


@dataclass(frozen=True, slots=True)
class QrPlacement:
    """The code's square, quiet zone included; `matrix[row][column]` is True for a dark module."""

    x: float
    y: float
    side: float
    matrix: tuple[tuple[bool, ...], ...]

    @property
    def module(self) -> float:
        return self.side / (len(self.matrix) + 2 * QUIET_ZONE)


@dataclass(frozen=True, slots=True)
class PosterLayout:
    page: PageSize
    bands: tuple[Band, ...]
    lines: tuple[TextLine, ...]
    qr: QrPlacement


@dataclass(frozen=True, slots=True)
class _Block:
    """Wrapped lines of one text, not yet placed."""

    lines: tuple[str, ...]
    face: Face
    size: float
    colour: Colour

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


def _wrap(text: str, face: Face, size: float, width: float, measure: Measure) -> tuple[float, tuple[str, ...]]:
    """The size (smaller when one word alone is wider than `width`) and the lines of `text` at that size.

    As few lines as fit in `width`, then made as even as that many lines allow: a poster read from across
    a room should not end a sentence with one word alone on its last line.
    """
    words = text.split()
    widest = max((measure(word, face, size) for word in words), default=0.0)
    if widest > width:
        size *= width / widest * 0.999
    lines = _fill(words, face, size, width, measure)
    narrow, wide = 0.0, width
    for _ in range(12):  # the narrowest width that still needs no more lines, to within 1/4096 of it
        middle = (narrow + wide) / 2
        fits = len(_fill(words, face, size, middle, measure)) <= len(lines)
        narrow, wide = (narrow, middle) if fits else (middle, wide)
    return size, _fill(words, face, size, wide, measure)


def _fill(words: Sequence[str], face: Face, size: float, width: float, measure: Measure) -> tuple[str, ...]:
    """Each line takes words while they fit."""
    lines: list[str] = []
    for word in words:
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and measure(joined, face, size) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    return tuple(lines)


def lay_out(text: PosterText, matrix: Sequence[Sequence[int]], page: PageSize, measure: Measure) -> PosterLayout:
    """The poster on `page`: title band, the two lines, the QR code as large as fits, contact, 112, office."""
    scale = 1.0
    for _ in range(_MAX_SHRINKS):
        layout = _lay_out_at(scale, text, matrix, page, measure)
        if layout.qr.side >= _SMALLEST_QR * page.width:
            return layout
        scale *= _SHRINK
    return layout


def _text_width(page: PageSize) -> float:
    return page.width * (1 - 2 * _MARGIN)


def _lay_out_at(
    scale: float, text: PosterText, matrix: Sequence[Sequence[int]], page: PageSize, measure: Measure
) -> PosterLayout:
    unit, width = page.width / 100, _text_width(page)

    def block(words: str, face: Face, size: float, colour: Colour, inset: float = 0.0) -> _Block:
        fitted, lines = _wrap(words, face, size * unit * scale, width - 2 * inset, measure)
        return _Block(lines, face, fitted, colour)

    pad, gap = 3.2 * unit, 2.6 * unit
    title = block(text.title, Face.BOLD, 6.5, WHITE)
    what, how = (block(line, Face.REGULAR, 3.1, INK) for line in text.lines)
    contact = block(text.contact, Face.BOLD, 3.9, NAVY)
    emergency = block(text.emergency, Face.BOLD, 2.8, ALARM, inset=pad)
    office = block(text.office, Face.BOLD, 3.4, WHITE)

    header = title.height + 2 * pad
    footer = office.height + 2 * pad
    alarm_box = emergency.height + 1.4 * pad
    fixed = header + what.height + 0.4 * gap + how.height + contact.height + alarm_box + footer
    qr_side = min(width, page.height - fixed - 5 * gap)
    spare = (page.height - fixed - 5 * gap - qr_side) / 5  # left over when the code reached full width
    gap += spare

    lines: list[TextLine] = []
    centre = page.width / 2

    def place(item: _Block, top: float) -> float:
        for number, line in enumerate(item.lines):
            baseline = top + (number + 0.8) * item.size * LEADING
            lines.append(TextLine(line, item.face, item.size, item.colour, centre, baseline))
        return top + item.height

    place(title, pad)
    y = place(what, header + gap)
    y = place(how, y + 0.4 * gap)
    qr = QrPlacement((page.width - qr_side) / 2, y + gap, qr_side, tuple(tuple(map(bool, row)) for row in matrix))
    y = place(contact, qr.y + qr_side + gap)
    alarm_top = y + gap
    place(emergency, alarm_top + 0.7 * pad)
    place(office, page.height - footer + pad)
    bands = (
        Band(0, 0, page.width, header, NAVY),
        Band((page.width - width) / 2, alarm_top, width, alarm_box, ALARM_TINT),
        Band(0, page.height - footer, page.width, footer, NAVY),
    )
    return PosterLayout(page, bands, tuple(lines), qr)
