"""API tokens: issued from the shell (`python -m bot token ...`), checked by the JSON API (bot/web/api_v1.py).

Why a service and not the CLI module: the API must check tokens without importing the command line, and
both must agree on how a token is made and hashed. A token is shown once; only its SHA-256 is stored
(see `storage.models.ApiToken`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from storage import api_tokens

TOKEN_PREFIX = "pmks_"


class TokenNameTaken(ValueError):
    """A token of that name exists already (revoked ones too: names stay unique)."""


@dataclass(frozen=True, slots=True)
class TokenScope:
    """What a valid token opens: the province's figures, or one kabupaten/kota's (`region`)."""

    name: str
    region: str | None


@dataclass(frozen=True, slots=True)
class TokenListing:
    """One token as the shell lists it: never the token nor its hash."""

    name: str
    region: str | None
    created_on: date
    revoked_on: date | None


def token_digest(token: str) -> str:
    """SHA-256 hex of a presented token: what the database stores and is searched by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, name: str, region: str | None, now: datetime) -> str:
    """Create a token row and return the token itself (shown once, never stored)."""
    if api_tokens.token_named(session, name=name) is not None:
        raise TokenNameTaken(f"a token named {name!r} exists already")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_tokens.add_token(session, name=name, token_hash=token_digest(token), region=region, now=now)
    return token


def active_token(session: Session, token: str) -> TokenScope | None:
    """The scope of a presented token if it is known and unrevoked, else None."""
    row = api_tokens.unrevoked_by_hash(session, token_hash=token_digest(token))
    return None if row is None else TokenScope(row.name, row.region)


def revoke_token(session: Session, *, name: str, now: datetime) -> bool:
    """Revoke the unrevoked token of that name; False when there is none."""
    row = api_tokens.unrevoked_by_name(session, name=name)
    if row is None:
        return False
    row.revoked_at = now
    return True


def list_tokens(session: Session) -> list[TokenListing]:
    """Every token by name, revoked ones too."""
    return [
        TokenListing(row.name, row.region, row.created_at.date(), row.revoked_at.date() if row.revoked_at else None)
        for row in api_tokens.all_tokens(session)
    ]
