"""Encryption at rest of the fields that tell a victim's story (UU PDP No. 27/2022).

Free text, phone numbers, conversation drafts, message payloads and photos are stored as Fernet tokens
(AES-128-CBC with HMAC-SHA256, from `cryptography`), so a stolen database file alone reveals none
of them. Keys come from settings (`DATA_ENCRYPTION_KEYS`, newest first: older keys still decrypt,
which is how a key is rotated). The cipher is configured once per process by `build_runtime`;
column types look it up when they bind or read a value, since SQLAlchemy types are built at import.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet

_cipher: MultiFernet | None = None


def configure(keys: Sequence[str]) -> None:
    """Set the process's keys (Fernet keys, urlsafe base64 of 32 bytes), newest first."""
    global _cipher
    if not keys:
        raise ValueError("at least one data encryption key is required")
    _cipher = MultiFernet([Fernet(key) for key in keys])


def derived_key(secret: str) -> str:
    """A Fernet key derived from another secret: for development only, never in production."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"data-encryption:{secret}".encode()).digest()).decode()


def _active() -> MultiFernet:
    if _cipher is None:
        raise RuntimeError("storage.crypto.configure() was not called: no data encryption key")
    return _cipher


class EncryptedText(sa.types.TypeDecorator):
    """Text stored as a Fernet token; None stays NULL (so "is it empty" queries still work)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return _active().encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return _active().decrypt(value.encode("ascii")).decode("utf-8")


class EncryptedJSON(sa.types.TypeDecorator):
    """A JSON document stored as one Fernet token (drafts, message payloads)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return _active().encrypt(plain.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return json.loads(_active().decrypt(value.encode("ascii")))


class EncryptedBytes(sa.types.TypeDecorator):
    """Binary content (a photo) stored as a Fernet token's bytes; None stays NULL."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: sa.Dialect) -> bytes | None:
        if value is None:
            return None
        return _active().encrypt(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: sa.Dialect) -> bytes | None:
        if value is None:
            return None
        return _active().decrypt(bytes(value))
