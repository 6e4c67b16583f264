"""The core's message types: what every channel turns its updates into, and what flows answer with.

Channels (Telegram, WhatsApp, web chat) translate their own updates into an `Inbound` and render each
`Reply` in their own way (inline keyboard, reply buttons or list, numbered text). Nothing here knows a
platform; flows and the engine speak only these types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    """Where a citizen talks to us; also the namespace of platform user and message ids."""

    WEBCHAT = "webchat"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


class InboundKind(StrEnum):
    """What the citizen sent, as far as a flow cares."""

    TEXT = "text"
    CHOICE = "choice"
    LOCATION = "location"
    PHOTO = "photo"
    UNSUPPORTED = "unsupported"  # voice, sticker, a document that is not an image, video, edits: answered, never stored


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


class PhotoProblem(StrEnum):
    """Why a photo was not taken; each has its own words for the citizen (`sighting.photo_refused_*`)."""

    NOT_A_PHOTO = "not_a_photo"  # the content is not a JPEG, PNG or WebP image, whatever its name or type said
    TOO_LARGE = "too_large"  # over 5 MB, or more pixels than any phone camera takes
    UNREADABLE = "unreadable"  # a JPEG, PNG or WebP that cannot be decoded to its end
    UNAVAILABLE = "unavailable"  # the platform did not hand it over


@dataclass(frozen=True, slots=True)
class PhotoFile:
    """A photo as the service keeps it: decoded, turned upright, re-encoded without metadata; not yet stored."""

    data: bytes = field(repr=False)
    content_type: str  # image/jpeg, image/png or image/webp
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a citizen, whatever the channel.

    `message_id` is the platform's id (Telegram update id, WhatsApp wamid, a web chat client id); the
    engine uses it to process a re-delivered message once.

    A photo travels in three forms: the platform's id of it (`media_id`, for the channel to fetch), the
    checked and cleaned file (`photo`, or why it was refused in `photo_problem`) that the engine stores,
    and the stored photo's reference (`photo_ref`), the only one a flow ever sees.
    """

    channel: Channel
    user_id: str
    message_id: str
    kind: InboundKind
    text: str = ""
    choice: str = ""
    location: Location | None = None
    photo_ref: str = ""  # set by the engine once it stored `photo`: "photo:<id>"
    media_id: str = ""  # the platform's id of an attached photo (Telegram file id, WhatsApp media id)
    photo: PhotoFile | None = None
    photo_problem: PhotoProblem | None = None
    unsupported_what: str = ""  # e.g. "voice", "sticker": lets the reply name what we cannot take
    language_hint: str = ""  # the platform's idea of the user's language, used for new contacts only
    reply_address: str = ""  # where replies go when it is not `user_id` (e.g. a WhatsApp wa_id)
    origin: str = ""  # the network address it came from where the channel knows it (web chat): for abuse limits


@dataclass(frozen=True, slots=True)
class Choice:
    """One option offered with a reply. `id` is short ASCII (fits Telegram's 64-byte callback data)."""

    id: str
    label: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to a citizen or staff member, already in their language.

    Channels that cannot show buttons fall back to numbered text built from `choices`.
    `request_location` asks the channel for a location button where it has one; `request_photo` for a
    way to send a photo (the web chat's upload button; chat apps always have one).
    """

    text: str
    choices: tuple[Choice, ...] = ()
    request_location: bool = False
    request_photo: bool = False

    def to_json(self) -> dict[str, Any]:
        """Serialise for the outbox and the web chat API."""
        data: dict[str, Any] = {"text": self.text, "choices": [_choice_json(c) for c in self.choices]}
        if self.request_location:
            data["request_location"] = True
        if self.request_photo:
            data["request_photo"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reply:
        return cls(
            text=data["text"],
            choices=tuple(Choice(c["id"], c["label"], c.get("description", "")) for c in data.get("choices", ())),
            request_location=bool(data.get("request_location", False)),
            request_photo=bool(data.get("request_photo", False)),
        )


def _choice_json(choice: Choice) -> dict[str, str]:
    data = {"id": choice.id, "label": choice.label}
    if choice.description:
        data["description"] = choice.description
    return data
