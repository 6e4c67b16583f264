"""Ticket codes: short, unambiguous and speakable over the phone (no 0/O, no 1/I)."""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE = re.compile(r"^([A-HJ-NP-Z2-9]{3})-?([A-HJ-NP-Z2-9]{3})$")
# Letters citizens swap for the missing ones when they read a code aloud or type it in a hurry.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1"})


def new_ticket_code() -> str:
    """A random `XXX-XXX` code: 32**6 (about 10**9) codes, so collisions are rare and retried."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(6))
    return f"{raw[:3]}-{raw[3:]}"


def parse_ticket_code(text: str) -> str | None:
    """Normalise what a citizen typed ("abc def", "ABC-DEF", "abcdef") to `ABC-DEF`, or None."""
    compact = re.sub(r"[\s\-_.]", "", text.upper())
    match = _CODE.match(compact)
    if match is None:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def looks_like_ticket_code(text: str) -> bool:
    """True for six code-like characters even with 0/O or 1/I mix-ups, to answer "not found" kindly."""
    compact = re.sub(r"[\s\-_.]", "", text.upper()).translate(_LOOKALIKES)
    return len(compact) == 6 and compact.isalnum()
