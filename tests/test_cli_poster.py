"""`python -m bot poster`: a printable QR code holding the bot's deep link for a flow and region."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import segno

from bot.__main__ import main
from bot.cli.poster import deep_link
from bot.cli.texts import cli_text

QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks


def _png_modules(png: bytes) -> list[list[bool]]:
    """The dark/light modules of a 1-bit greyscale PNG QR code (what segno writes), read without Pillow."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, position = {}, 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        chunks[kind] = chunks.get(kind, b"") + png[position + 8 : position + 8 + length]
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour, width) == (1, 0, height)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = (width + 7) // 8 + 1
    rows = _unfilter([raw[y * stride : (y + 1) * stride] for y in range(height)])
    return [[not (row[x // 8] >> (7 - x % 8)) & 1 for x in range(width)] for row in rows]


def _unfilter(rows: list[bytes]) -> list[bytes]:
    """Undo PNG's per-scanline filters (None, Sub, Up, Average, Paeth) for one byte per pixel group."""
    previous = bytearray(len(rows[0]) - 1)
    plain = []
    for row in rows:
        kind, data = row[0], bytearray(row[1:])
        for i in range(len(data)):
            left, up = (data[i - 1] if i else 0), previous[i]
            up_left = previous[i - 1] if i else 0
            estimate = left + up - up_left
            paeth = min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up),
                        (abs(estimate - up_left), 2, up_left))[2]
            data[i] = (data[i] + (0, left, up, (left + up) // 2, paeth)[kind]) & 0xFF
        plain.append(bytes(data))
        previous = data
    return plain


def _matrix_at_module_centres(dark: list[list[bool]], size: int) -> list[list[bool]]:
    scale = len(dark) // (size + 2 * QUIET_ZONE)

    def centre(module: int) -> int:
        return (QUIET_ZONE + module) * scale + scale // 2

    return [[dark[centre(y)][centre(x)] for x in range(size)] for y in range(size)]


def test_poster_holds_the_deep_link_with_flow_and_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "poster-kota-serang.png"
    assert main(["poster", "--region", "kota-serang", "--flow", "lapor", "--bot-username", "@LayananPmksBantenBot",
                 "--out", str(out)]) == 0
    url = "https://t.me/LayananPmksBantenBot?start=lapor_kota-serang"
    assert capsys.readouterr().out == cli_text("id", "poster_written", path=str(out), url=url) + "\n"
    expected = [[bool(v) for v in row] for row in segno.make(url, error="m", micro=False).matrix]
    assert _matrix_at_module_centres(_png_modules(out.read_bytes()), len(expected)) == expected


def test_link_without_region_and_every_region_fits_telegrams_start_parameter() -> None:
    assert deep_link("PmksBot", "konseling") == "https://t.me/PmksBot?start=konseling"
    assert deep_link("PmksBot", "konseling", "kota-tangerang-selatan").endswith("start=konseling_kota-tangerang-selatan")


def test_unknown_region_or_flow_is_refused_by_the_parser() -> None:
    for argv in (["--flow", "lapor", "--region", "jakarta"], ["--flow", "donasi"]):
        with pytest.raises(SystemExit):
            main(["poster", *argv, "--bot-username", "PmksBot"])


def test_a_bad_username_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["poster", "--flow", "lapor", "--bot-username", "bukan username!", "--out", str(tmp_path / "x.png")]) == 2 and not (tmp_path / "x.png").exists()
    assert capsys.readouterr().err == cli_text("id", "poster_bad_username", username="bukan username!") + "\n"
