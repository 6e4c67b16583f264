"""The whole database read as someone holding a copy and the keys would: every table, every column, decrypted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from storage import crypto

_TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte and a timestamp
#: How a JPEG, a PNG and a WebP file begin (RIFF....WEBP: checked at both places).
_IMAGE_STARTS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def traces(db: sa.Engine, words: Iterable[str]) -> list[str]:
    """Where any of `words` is still stored, as "table.column: word" (case-insensitive), or [].

    Tables are reflected from the database, not taken from the models, so a table or column that a
    migration added and the erasure forgot is read too. Every column is cast to text (JSON included);
    a value that is a Fernet token is read decrypted, as the service reads it.
    """
    wanted = [word.lower() for word in words]
    found = [
        f"{where}: {word}"
        for where, value in _cells(db, as_text=True)
        for word in wanted
        if word in _readable(value).lower()
    ]
    return sorted(set(found))


def images(db: sa.Engine) -> list[str]:
    """Where an image (JPEG, PNG or WebP) is still stored, as "table.column" for each row holding one, or [].

    Every table and column, as `traces` reads them, but raw: binary columns as bytes, and every Fernet
    token, text or binary, decrypted. A photo copied anywhere (not only in its own table) is found.
    """
    return [where for where, value in _cells(db, as_text=False) if _is_image(value)]


def _cells(db: sa.Engine, *, as_text: bool) -> Iterator[tuple[str, object]]:
    """("table.column", value) for every cell of every table the database has (reflected, not modelled)."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db)
    with db.connect() as conn:
        for table in metadata.sorted_tables:
            columns = list(table.columns)
            selected = (sa.cast(column, sa.Text) if as_text else column for column in columns)
            for row in conn.execute(sa.select(*selected)):
                yield from ((f"{table.name}.{column.name}", value) for column, value in zip(columns, row))


def _is_image(value: object) -> bool:
    data = value.encode() if isinstance(value, str) else bytes(value) if isinstance(value, bytes | memoryview) else b""
    if data.startswith(_TOKEN_PREFIX.encode()):
        data = _decrypted(data) or data
    return data.startswith(_IMAGE_STARTS) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _decrypted(token: bytes) -> bytes | None:
    try:
        return crypto._active().decrypt(token)
    except InvalidToken:
        return None


def _readable(value: str | None) -> str:
    """Text as the service reads it; an encrypted photo (not text) reads as its bytes would, never raising."""
    if value is None:
        return ""
    if value.startswith(_TOKEN_PREFIX):
        plain = _decrypted(value.encode("ascii", "replace"))
        return value if plain is None else plain.decode("utf-8", "replace")
    return value
