"""Checks on free text that flows share: normalising typed words, emptiness, length."""

from __future__ import annotations

import re
import unicodedata

MAX_FREE_TEXT = 2000  # characters kept for a description or a landmark; longer pastes are refused
MIN_LETTERS = 3


def normalize(text: str) -> str:
    """Lower case, accents folded, punctuation to spaces, single spaces: how we compare typed words."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def letter_count(text: str) -> int:
    """Letters and digits in any script; emoji and punctuation do not count."""
    return sum(1 for ch in text if ch.isalnum())
