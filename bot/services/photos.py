"""Photos citizens send with a sighting: fetched when they arrive, checked, cleaned, and kept encrypted.

Platforms keep a photo only for a while (WhatsApp media expire after about 30 days), so keeping their
id would lose the photo of any request opened later. Each photo is fetched by its channel the moment it
arrives (`receive_photo`; the web chat uploads it), and `clean_photo`
- takes it only when its content decodes, to the end, as JPEG, PNG or WebP: what the file's name, the
  platform or the browser call it decides nothing;
- refuses more than 5 MB, and more pixels than a phone camera takes (a small file that would unpack to
  gigabytes: a decompression bomb), before decoding;
- turns it upright as its EXIF orientation says, scales it to at most 2560 pixels on the long side and
  re-encodes it from the pixels alone, so EXIF (GPS position, camera, time), XMP, ICC profiles and text
  chunks stay behind.
The engine stores the result encrypted (`store_arrived_photo`, storage/photos.py) in the transaction of
the message that brought it, and a flow sees only its reference. A photo belongs to its draft until the
request is sent, then to the request: it goes with the draft (cancelled, changed, expired, the web chat
session ended) and with the request's personal data (retention purge, `/hapusdata`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session

from bot.domain.photos import MAX_PHOTO_BYTES
from bot.flows.state import ConversationState
from bot.messages import Inbound, InboundKind, PhotoFile, PhotoProblem
from storage import photos as stored
from storage.models import StoredPhoto

log = logging.getLogger("bot.photos")

#: Above any phone camera (48 MP sensors give 8000 x 6000): more pixels in 5 MB is a decompression bomb.
MAX_PIXELS = 50_000_000
#: The long side kept: enough for staff to recognise a person and a place, a fraction of the bytes.
MAX_SIDE = 2560
REF_PREFIX = "photo:"
_REF = re.compile(rf"{REF_PREFIX}([0-9]{{1,18}})")
_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_SAVE_OPTIONS: dict[str, dict[str, object]] = {"JPEG": {"quality": 85}, "WEBP": {"quality": 85}, "PNG": {}}

#: Fetches a photo by the platform's id; raises PhotoRefused (too large, unavailable) instead of network errors.
PhotoDownload = Callable[[str], Awaitable[bytes]]


class PhotoRefused(Exception):
    """A photo the service does not take, and why (the citizen is told in their language)."""

    def __init__(self, problem: PhotoProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def clean_photo(data: bytes) -> PhotoFile:
    """The photo as it will be kept, or PhotoRefused: see the module's docstring for what is checked."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused(PhotoProblem.TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data), formats=tuple(_TYPES)) as image:
            return _cleaned(image)
    except PhotoRefused:
        raise
    except UnidentifiedImageError:
        # A file that starts like one of ours but does not even open is a broken photo, not another kind.
        broken = _starts_like_ours(data)
        raise PhotoRefused(PhotoProblem.UNREADABLE if broken else PhotoProblem.NOT_A_PHOTO) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limits (89 / 179 MP), checked when the header is read: above ours, so refused all the
        # same (the warning is an error only where warnings are made errors, as in the tests).
        raise PhotoRefused(PhotoProblem.TOO_LARGE) from None
    except Exception:  # noqa: BLE001 - a decoder fed hostile bytes may raise anything; all of it is "broken"
        raise PhotoRefused(PhotoProblem.UNREADABLE) from None


def _starts_like_ours(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _cleaned(image: Image.Image) -> PhotoFile:
    if image.width * image.height > MAX_PIXELS:
        raise PhotoRefused(PhotoProblem.TOO_LARGE)  # checked from the header, before anything is unpacked
    kind = image.format or ""
    if kind == "JPEG":
        image.draft(None, (MAX_SIDE, MAX_SIDE))  # scaled decoding: every block is still read and checked
    image.load()  # the whole file decoded: a truncated or corrupt one raises here
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    mode = _mode(upright, kind)
    pixels = upright if upright.mode == mode else upright.convert(mode)
    bare = Image.frombytes(mode, pixels.size, pixels.tobytes())  # the pixels alone: no EXIF, XMP, ICC, text
    out = io.BytesIO()
    bare.save(out, format=kind, **_SAVE_OPTIONS[kind])
    return PhotoFile(out.getvalue(), _TYPES[kind], bare.width, bare.height)


def _mode(image: Image.Image, kind: str) -> str:
    if image.mode == "L":
        return "L"
    if kind != "JPEG" and image.has_transparency_data:
        return "RGBA"
    return "RGB"


def checked_photo(inbound: Inbound, data: bytes) -> Inbound:
    """The message with its photo cleaned (`photo`), or with why it was refused (`photo_problem`)."""
    try:
        return replace(inbound, photo=clean_photo(data))
    except PhotoRefused as refused:
        return _refused(inbound, refused.problem)


def _refused(inbound: Inbound, problem: PhotoProblem) -> Inbound:
    log.info("photo_refused channel=%s message=%s problem=%s", inbound.channel.value, inbound.message_id, problem.value)
    return replace(inbound, photo=None, photo_problem=problem)


async def receive_photo(inbound: Inbound, download: PhotoDownload) -> Inbound:
    """Fetch the photo a message carries now (from its platform, or the web chat's upload), and check and clean
    it off the event loop."""
    try:
        data = await download(inbound.media_id)
    except PhotoRefused as refused:
        return _refused(inbound, refused.problem)
    return await asyncio.to_thread(checked_photo, inbound, data)


# --- in the engine's transaction ------------------------------------------------------------------


def store_arrived_photo(session: Session, *, contact_id: int, inbound: Inbound, now: datetime) -> Inbound:
    """The message as a flow may see it: its photo stored and referenced, or why there is none.

    A photo that no channel fetched (or a platform id from anywhere) never reaches a flow as a photo.
    """
    if inbound.kind is not InboundKind.PHOTO:
        return inbound
    photo = inbound.photo
    if photo is None:
        return replace(
            inbound, photo_ref="", media_id="", photo_problem=inbound.photo_problem or PhotoProblem.UNAVAILABLE
        )
    photo_id = stored.add_photo(
        session,
        contact_id=contact_id,
        data=photo.data,
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        now=now,
    )
    return replace(inbound, photo=None, media_id="", photo_ref=f"{REF_PREFIX}{photo_id}")


def keep_draft_photos(
    session: Session, *, contact_id: int, before: ConversationState, after: ConversationState, arrived: bool
) -> None:
    """Delete the unsent photos no draft holds any more: a photo taken at a step that wanted none, a form
    cancelled or a photo changed from the summary. Sent ones belong to their request by now."""
    kept = draft_photo_ids(after)
    if arrived or kept != draft_photo_ids(before):
        stored.forget_draft_photos(session, contact_id=contact_id, keep=kept)


def forget_draft_photos(session: Session, *, contact_id: int) -> None:
    """The contact's draft is forgotten (expired, the session ended): its photos go with it."""
    stored.forget_draft_photos(session, contact_id=contact_id)


def attach_request_photos(session: Session, *, contact_id: int, request_id: int, refs: Iterable[str]) -> None:
    """The sent draft's photos now belong to its request."""
    stored.attach_photos(session, contact_id=contact_id, request_id=request_id, photo_ids=_ids(refs))


def draft_photo_ids(state: ConversationState) -> frozenset[int]:
    """The stored photos that the form on screen and the drafts behind the menu hold."""
    forms = (form for form in (state.form, *state.drafts) if form is not None)
    return frozenset(_ids(ref for form in forms for ref in form.answers.get("photos") or ()))


def stored_photo_id(ref: object) -> int | None:
    """The id in "photo:<id>"; None for anything else (a platform id a request kept from before 0011)."""
    match = _REF.fullmatch(ref) if isinstance(ref, str) else None
    return int(match.group(1)) if match else None


def _ids(refs: Iterable[object]) -> list[int]:
    return [photo_id for ref in refs if (photo_id := stored_photo_id(ref)) is not None]


def photo_of_request(session: Session, *, request_id: int, photo_id: int) -> StoredPhoto | None:
    """One stored photo of a request, decrypted; None when the request has no such photo (any more)."""
    return stored.request_photo(session, request_id=request_id, photo_id=photo_id)
