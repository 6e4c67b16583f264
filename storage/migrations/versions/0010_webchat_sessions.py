"""Web chat sessions that outlive a closed tab, and the count of status lookups of others' tickets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00.000000

`contact.session_seen_at`: when a web chat page last used its session; the session ends
WEBCHAT_SESSION_DAYS after (bot/services/webchat_sessions.py). `status_lookup`: one row per
`status KODE` of a ticket that was not the contact's own, kept for the rate limit's window only
(bot/services/ticket_lookup.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("session_seen_at", storage.types.UTCDateTime(), nullable=True))
    op.create_table(
        "status_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_status_lookup_subject", "status_lookup", ["subject", "at"], unique=False)
    op.create_index("ix_status_lookup_at", "status_lookup", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_status_lookup_at", table_name="status_lookup")
    op.drop_index("ix_status_lookup_subject", table_name="status_lookup")
    op.drop_table("status_lookup")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("session_seen_at")
