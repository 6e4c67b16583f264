"""What a photo must be to be kept, and what of it is kept: the checks every channel's photos go through."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.messages import PhotoProblem
from bot.services.photos import MAX_SIDE, PhotoRefused, clean_photo
from tests.helpers.images import EXIF_MARK, gif, jpeg, png, webp


def test_a_phone_photo_is_kept_upright_small_enough_and_without_what_the_camera_wrote() -> None:
    original = jpeg(3200, 2400, orientation=6)  # EXIF: turn 90 degrees to show it upright
    assert EXIF_MARK.encode() in original
    kept = clean_photo(original)
    assert (kept.content_type, kept.width, kept.height) == ("image/jpeg", 1920, MAX_SIDE)  # upright, scaled
    assert EXIF_MARK.encode() not in kept.data and b"Exif" not in kept.data
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.format == "JPEG" and image.size == (1920, MAX_SIDE) and not image.getexif()
        assert image.getpixel((10, 10)) == pytest.approx((200, 40, 40), abs=8)


def test_png_and_webp_stay_what_they_are() -> None:
    screenshot, modern = clean_photo(png()), clean_photo(webp())
    assert (screenshot.content_type, modern.content_type) == ("image/png", "image/webp")
    with Image.open(io.BytesIO(screenshot.data)) as image:
        assert image.mode == "RGBA" and image.size == (40, 30)


def _bomb() -> bytes:
    """A few kilobytes of PNG that unpack to 400 million pixels."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (gif(), PhotoProblem.NOT_A_PHOTO),
        (
            b"%PDF-1.7\n" + b"0" * 500,
            PhotoProblem.NOT_A_PHOTO,
        ),  # named IMG_0001.jpg by the sender: names decide nothing
        (b"", PhotoProblem.NOT_A_PHOTO),
        (jpeg(300, 200)[:400], PhotoProblem.UNREADABLE),  # cut off on the way
        (b"\xff\xd8\xff\xe0" + b"\x00" * 300, PhotoProblem.UNREADABLE),  # a JPEG's first bytes, nothing after
        (b"\xff" * (5 * 1024 * 1024 + 1), PhotoProblem.TOO_LARGE),
        (_bomb(), PhotoProblem.TOO_LARGE),
    ],
    ids=["gif", "pdf", "empty", "truncated-jpeg", "jpeg-header-only", "over-5-mb", "decompression-bomb"],
)
def test_only_whole_jpeg_png_and_webp_photos_up_to_5_mb_are_taken(data: bytes, problem: PhotoProblem) -> None:
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(data)
    assert refused.value.problem is problem
