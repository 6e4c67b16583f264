"""Small real images for photo tests, made with Pillow: a JPEG with the EXIF a phone writes, a PNG, a WebP."""

from __future__ import annotations

import io

from PIL import Image

#: What a phone's camera writes into a photo and the service must not keep (EXIF Artist and GPS latitude).
EXIF_MARK = "Kamera Sumarni"


def jpeg(
    width: int = 64, height: int = 48, *, color: tuple[int, int, int] = (200, 40, 40), orientation: int | None = None
) -> bytes:
    """A JPEG as a phone takes it: EXIF with the owner's name and a GPS position, optionally rotated."""
    exif = Image.Exif()
    exif[0x013B] = EXIF_MARK  # Artist
    exif.get_ifd(0x8825)[2] = (6.0, 7.0, 12.5)  # GPSLatitude
    if orientation is not None:
        exif[0x0112] = orientation
    return _encoded(Image.new("RGB", (width, height), color), "JPEG", exif=exif.tobytes())


def png(width: int = 40, height: int = 30) -> bytes:
    return _encoded(Image.new("RGBA", (width, height), (0, 128, 0, 200)), "PNG")


def webp(width: int = 40, height: int = 30) -> bytes:
    return _encoded(Image.new("RGB", (width, height), (0, 0, 200)), "WEBP")


def gif(width: int = 10, height: int = 10) -> bytes:
    return _encoded(Image.new("RGB", (width, height)), "GIF")


def _encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()
