"""How typed words are read as a place in a list ("yg pertama" at the menu is its first button)."""

from __future__ import annotations

import pytest

from bot.domain.text import list_position


@pytest.mark.parametrize(
    ("typed", "position"),
    [
        ("yg pertama", 1),
        ("yang kedua", 2),
        ("yg nomer 1", 1),
        ("nomor 2", 2),
        ("pilihan ke 3", 3),
        ("the second one", 2),
        ("3", 3),
        ("pertama kali sy lapor", None),  # a sentence, not a pick
        ("dua orang", None),
        ("anak", None),
    ],
)
def test_a_typed_place_in_a_list(typed: str, position: int | None) -> None:
    assert list_position(typed) == position
