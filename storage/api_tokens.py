"""Keys of the read-only JSON API: rows found by name or by the SHA-256 of the presented token."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import ApiToken


def token_named(session: Session, *, name: str) -> ApiToken | None:
    """The token of that name, revoked or not (names stay unique)."""
    return session.exec(select(ApiToken).where(ApiToken.name == name)).first()


def add_token(session: Session, *, name: str, token_hash: str, region: str | None, now: datetime) -> ApiToken:
    row = ApiToken(name=name, token_hash=token_hash, region=region, created_at=now)
    session.add(row)
    session.flush()
    return row


def unrevoked_by_hash(session: Session, *, token_hash: str) -> ApiToken | None:
    return session.exec(
        select(ApiToken).where(ApiToken.token_hash == token_hash, col(ApiToken.revoked_at).is_(None))
    ).first()


def unrevoked_by_name(session: Session, *, name: str) -> ApiToken | None:
    return session.exec(select(ApiToken).where(ApiToken.name == name, col(ApiToken.revoked_at).is_(None))).first()


def all_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(ApiToken.name)))
