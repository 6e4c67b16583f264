"""The `stored_photo` table: photos kept encrypted from the moment they arrive (bot/services/photos.py says why).

A photo without a request belongs to its contact's unsent draft; attaching it to the request is what
keeps it past the draft. Deletions are plain DELETE statements: the photo's bytes are never loaded to
be thrown away.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlmodel import Session, col, delete, select, update

from storage.models import StoredPhoto


def add_photo(
    session: Session, *, contact_id: int, data: bytes, content_type: str, width: int, height: int, now: datetime
) -> int:
    """Store one cleaned photo for the contact's draft; returns its id."""
    photo = StoredPhoto(
        contact_id=contact_id, data=data, content_type=content_type, width=width, height=height, created_at=now
    )
    session.add(photo)
    session.flush()
    assert photo.id is not None
    session.expunge(photo)  # megabytes the session need not keep
    return photo.id


def attach_photos(session: Session, *, contact_id: int, request_id: int, photo_ids: Collection[int]) -> None:
    """The draft's photos now belong to the request it became (only the contact's own, not yet attached)."""
    if not photo_ids:
        return
    session.exec(
        update(StoredPhoto)
        .where(
            col(StoredPhoto.id).in_(photo_ids),
            col(StoredPhoto.contact_id) == contact_id,
            col(StoredPhoto.request_id).is_(None),
        )
        .values(request_id=request_id)
    )


def forget_draft_photos(session: Session, *, contact_id: int, keep: Collection[int] = ()) -> None:
    """Delete the contact's photos that belong to no request, except those a draft still holds (`keep`)."""
    statement = delete(StoredPhoto).where(
        col(StoredPhoto.contact_id) == contact_id, col(StoredPhoto.request_id).is_(None)
    )
    if keep:
        statement = statement.where(col(StoredPhoto.id).notin_(keep))
    session.exec(statement)


def forget_contact_photos(session: Session, *, contact_id: int) -> None:
    """Delete every photo the contact ever sent, drafts and requests alike (erasure)."""
    session.exec(delete(StoredPhoto).where(col(StoredPhoto.contact_id) == contact_id))


def forget_request_photos(session: Session, *, request_ids: Sequence[int]) -> None:
    """Delete the photos of these requests (their personal data is being purged)."""
    if request_ids:
        session.exec(delete(StoredPhoto).where(col(StoredPhoto.request_id).in_(request_ids)))


def request_photo(session: Session, *, request_id: int, photo_id: int) -> StoredPhoto | None:
    """One photo of a request, decrypted; None when the request has no such photo (any more)."""
    return session.exec(
        select(StoredPhoto).where(StoredPhoto.id == photo_id, StoredPhoto.request_id == request_id)
    ).first()
