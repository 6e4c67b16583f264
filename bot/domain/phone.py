"""Indonesian phone numbers as citizens type them: 0812-3456-789, +62 812 3456 789, 62812..."""

from __future__ import annotations

import re

# Indonesian numbers: after the 0 or 62 trunk, 8-12 digits; mobile numbers start with 8.
_NATIONAL = re.compile(r"^(?:\+?62|0)(\d{8,12})$")


def normalize_phone(text: str) -> str | None:
    """Return the number as `+62...`, or None when it is not a plausible Indonesian number."""
    digits = re.sub(r"[\s\-().]", "", text.strip())
    match = _NATIONAL.match(digits)
    if match is None:
        return None
    subscriber = match.group(1)
    if subscriber.startswith("0"):
        return None
    return f"+62{subscriber}"
