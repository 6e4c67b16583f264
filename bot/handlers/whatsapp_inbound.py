"""WhatsApp Cloud API webhook payloads -> `Inbound` messages and delivery statuses.

Parsed from the raw dict rather than through pywa's `Message.from_update`: pywa 4.5 requires the
business-scoped `user_id` that payloads before April 2026 lack (KeyError), and it reads only the
first message of the first change, while Meta may batch several. One tolerant parser serves old and
new payloads alike; pywa is used for what it is good at, sending.

Identity: contacts are keyed on the business-scoped user id (BSUID, `US.1349...`) where the payload
carries one, on the `wa_id` otherwise. Replies go to the `wa_id` when we have it (Meta's advice: a
send to the phone number keeps the phone number in later webhooks), to the BSUID when the citizen
has hidden their number behind a username; pywa puts a BSUID in the request's `recipient` field.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.domain.statuses import WHATSAPP_STATUSES, OutboxStatus
from bot.messages import Channel, Inbound, InboundKind, Location

log = logging.getLogger("bot.whatsapp")

SIGNATURE_HEADER = "X-Hub-Signature-256"
#: Message types that are not the citizen talking to us: nothing to answer.
_SILENT_TYPES = ("system", "revoke", "request_welcome", "ephemeral")
_UNSUPPORTED_NAMES = {"audio": "voice", "voice": "voice"}
#: Meta's error codes are small integers; `str.isdigit` would also pass "²", which int() refuses.
_ERROR_CODE = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """A status webhook for one message we sent."""

    wamid: str
    status: OutboxStatus  # one of WHATSAPP_STATUSES
    error_code: int | None = None
    error: str = ""  # "131047 Re-engagement message": Meta's code and title, never message content


@dataclass(slots=True)
class WebhookBatch:
    """Everything one POST carried that concerns our phone number."""

    messages: list[Inbound] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    ignored: int = 0  # messages we could not read or that need no answer (logged by id)


def signature_is_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Meta signs the exact raw body: `sha256=<hex HMAC-SHA256(app secret, body)>`."""
    if not app_secret or not header:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def parse_webhook(payload: Any, *, phone_number_id: str) -> WebhookBatch:
    """Translate a `whatsapp_business_account` payload; anything unreadable is skipped, not raised."""
    batch = WebhookBatch()
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        batch.ignored += 1
        return batch
    for value in _message_values(payload):
        metadata = value.get("metadata")
        if not isinstance(metadata, dict) or str(metadata.get("phone_number_id", "")) != phone_number_id:
            log.info("whatsapp_update_other_number")
            batch.ignored += 1
            continue
        contacts = [c for c in _list(value.get("contacts")) if isinstance(c, dict)]
        for message in _list(value.get("messages")):
            inbound = _read_message(message, contacts)
            if inbound is None:
                batch.ignored += 1
            else:
                batch.messages.append(inbound)
        for status in _list(value.get("statuses")):
            delivery = _read_status(status)
            if delivery is None:
                batch.ignored += 1
            else:
                batch.statuses.append(delivery)
    return batch


def _message_values(payload: dict) -> Iterator[dict]:
    for entry in _list(payload.get("entry")):
        if not isinstance(entry, dict):
            continue
        for change in _list(entry.get("changes")):
            if isinstance(change, dict) and change.get("field") == "messages" and isinstance(change.get("value"), dict):
                yield change["value"]


def _read_message(message: Any, contacts: list[dict]) -> Inbound | None:
    """One message -> Inbound, or None (logged by wamid) when it is unreadable or needs no answer."""
    if not isinstance(message, dict) or not isinstance(message.get("id"), str):
        log.warning("whatsapp_message_unreadable reason=no_id")
        return None
    wamid = message["id"]
    kind = message.get("type")
    if kind in _SILENT_TYPES or message.get("group_id"):
        log.info("whatsapp_message_ignored wamid=%s type=%s", wamid, kind)
        return None
    identity = _identity(message, contacts)
    if identity is None:
        log.warning("whatsapp_message_unreadable wamid=%s reason=no_sender", wamid)
        return None
    try:
        content = _content(message)
    except (KeyError, TypeError, ValueError, AttributeError):  # e.g. `"interactive": "text"`: not Meta's shape
        log.warning("whatsapp_message_unreadable wamid=%s type=%s", wamid, kind)
        return None
    user_id, address = identity
    return Inbound(channel=Channel.WHATSAPP, user_id=user_id, message_id=wamid, reply_address=address, **content)


def _identity(message: dict, contacts: list[dict]) -> tuple[str, str] | None:
    """(contact key, reply address): BSUID first as the key, wa_id first as the address."""
    contact = _sender_contact(message, contacts)
    bsuid = _text(contact.get("user_id")) or _text(message.get("from_user_id"))
    wa_id = _text(contact.get("wa_id")) or _text(message.get("from"))
    key = bsuid or wa_id
    address = wa_id or bsuid
    return (key, address) if key and address else None


def _sender_contact(message: dict, contacts: list[dict]) -> dict:
    """The `contacts[]` entry of this message's sender; a lone entry is the sender's."""
    sender = message.get("from"), message.get("from_user_id")
    for contact in contacts:
        if (contact.get("wa_id") and contact.get("wa_id") == sender[0]) or (
            contact.get("user_id") and contact.get("user_id") == sender[1]
        ):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def _list(value: Any) -> list:
    """A JSON array, or nothing: a malformed field must not stop the rest of the payload."""
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _content(message: dict) -> dict[str, Any]:
    """The `Inbound` fields for the message's type; raises on a malformed body of a known type."""
    kind = message.get("type")
    if kind == "text":
        return {"kind": InboundKind.TEXT, "text": str(message["text"]["body"])}
    if kind == "interactive":
        return _interactive(message["interactive"])
    if kind == "button":  # a template's quick-reply button: payload is what we set, text what it said
        button = message["button"]
        if button.get("payload"):
            return {"kind": InboundKind.CHOICE, "choice": str(button["payload"])}
        return {"kind": InboundKind.TEXT, "text": str(button["text"])}
    if kind == "location":
        place = message["location"]
        latitude, longitude = float(place["latitude"]), float(place["longitude"])
        if not (math.isfinite(latitude) and math.isfinite(longitude)):  # float("nan") reads "nan" happily
            raise ValueError("location is not a number")
        return {"kind": InboundKind.LOCATION, "location": Location(latitude, longitude)}
    if kind == "image":
        return {"kind": InboundKind.PHOTO, "media_id": str(message["image"]["id"])}
    if kind == "document" and str(message["document"].get("mime_type", "")).lower().startswith("image/"):
        # A photo sent "as a document" (full quality); the photo service decodes it to be sure.
        return {"kind": InboundKind.PHOTO, "media_id": str(message["document"]["id"])}
    what = _UNSUPPORTED_NAMES.get(str(kind), str(kind or "unknown"))
    return {"kind": InboundKind.UNSUPPORTED, "unsupported_what": what[:32]}


def _interactive(interactive: dict) -> dict[str, Any]:
    reply_type = interactive.get("type")
    if reply_type in ("button_reply", "list_reply"):
        return {"kind": InboundKind.CHOICE, "choice": str(interactive[reply_type]["id"])}
    return {"kind": InboundKind.UNSUPPORTED, "unsupported_what": str(reply_type or "interactive")[:32]}


def _read_status(status: Any) -> DeliveryStatus | None:
    if not isinstance(status, dict) or not isinstance(status.get("id"), str):
        log.warning("whatsapp_status_unreadable reason=no_id")
        return None
    name = status.get("status")
    if name not in WHATSAPP_STATUSES:
        log.info("whatsapp_status_ignored wamid=%s status=%s", status["id"], name)
        return None
    errors = _list(status.get("errors"))
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get("code")
    code = int(code) if isinstance(code, int | str) and _ERROR_CODE.fullmatch(str(code)) else None
    title = str(first.get("title") or first.get("message") or "")
    error = f"{code} {title}".strip() if first else ""
    return DeliveryStatus(wamid=status["id"], status=OutboxStatus(name), error_code=code, error=error)
