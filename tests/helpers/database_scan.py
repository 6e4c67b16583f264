"""The whole database read as someone holding a copy and the keys would: every table, every column, decrypted."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from storage.crypto import EncryptedText

_TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte and a timestamp


def traces(db: sa.Engine, words: Iterable[str]) -> list[str]:
    """Where any of `words` is still stored, as "table.column: word" (case-insensitive), or [].

    Tables are reflected from the database, not taken from the models, so a table or column that a
    migration added and the erasure forgot is read too. Every column is cast to text (JSON included);
    a value that is a Fernet token is read decrypted, as the service reads it.
    """
    wanted = [word.lower() for word in words]
    metadata = sa.MetaData()
    metadata.reflect(bind=db)
    found = []
    with db.connect() as conn:
        for table in metadata.sorted_tables:
            columns = list(table.columns)
            for row in conn.execute(sa.select(*(sa.cast(column, sa.Text) for column in columns))):
                for column, value in zip(columns, row):
                    text = _readable(value, db.dialect).lower()
                    found += [f"{table.name}.{column.name}: {word}" for word in wanted if word in text]
    return sorted(set(found))


def _readable(value: str | None, dialect: sa.Dialect) -> str:
    if value is None:
        return ""
    if value.startswith(_TOKEN_PREFIX):
        try:
            return EncryptedText().process_result_value(value, dialect) or ""
        except InvalidToken:
            return value
    return value
