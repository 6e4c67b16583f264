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


#: Ordinal words for a place in a list, in both languages of the service (a number is read as it is).
_ORDINALS = {
    "pertama": 1, "kesatu": 1, "satu": 1, "first": 1,
    "kedua": 2, "dua": 2, "second": 2, "two": 2,
    "ketiga": 3, "tiga": 3, "third": 3, "three": 3,
    "keempat": 4, "empat": 4, "fourth": 4, "four": 4,
    "kelima": 5, "lima": 5, "fifth": 5, "five": 5,
    "keenam": 6, "enam": 6, "sixth": 6, "six": 6,
}  # fmt: skip
#: Words people put before it: "yg pertama", "nomor 2", "pilihan ke 3", "the first one".
_POINTING = frozenset({"yg", "yang", "no", "nomor", "nomer", "nmr", "pilihan", "opsi", "ke", "the", "number", "option"})
_ONE = frozenset({"one", "aja", "saja", "deh", "dong"})


def list_position(typed: str) -> int | None:
    """The place in a list a typed answer points to (1-based): "yg pertama", "nomor 2", "the second one";
    None for anything else ("pertama kali sy lapor" is a sentence, not a pick)."""
    words = normalize(typed).split()
    core = [w for w in words if w not in _POINTING and w not in _ONE]
    if len(core) != 1 or len(words) > 4:
        return None
    word = core[0]
    if word.isdigit() and len(word) <= 2:
        return int(word)
    return _ORDINALS.get(word)
