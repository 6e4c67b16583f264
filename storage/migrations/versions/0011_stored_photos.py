"""Photos stored at intake, encrypted at rest

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 08:00:00.000000

`stored_photo`: each photo a citizen sends, fetched when it arrives, cleaned of metadata and kept as a
Fernet token (bot/services/photos.py). Until the request is sent it belongs to the contact's draft
(`request_id` NULL); `request.photo_refs` then lists it as "photo:<id>". Requests made before this
revision keep the platform ids they held (the count of photos stays right); the dashboard says such a
photo is not available, since the service no longer fetches from the platforms on view.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.crypto
import storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", storage.crypto.EncryptedBytes(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stored_photo_contact", "stored_photo", ["contact_id", "request_id"], unique=False)
    op.create_index("ix_stored_photo_request", "stored_photo", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stored_photo_request", table_name="stored_photo")
    op.drop_index("ix_stored_photo_contact", table_name="stored_photo")
    op.drop_table("stored_photo")
