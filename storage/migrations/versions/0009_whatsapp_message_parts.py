"""WhatsApp message parts and early statuses (`outbox_wamid`), backfilled from the outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00.000000

One row per WhatsApp message sent, keyed by wamid and pointing at its outbox message (a reply split
into several messages has several), or, without an outbox id, a status webhook that came before its
send was stored. The backfill gives every WhatsApp outbox message that has a wamid its one part, so
statuses of messages sent before the upgrade still find them; it is plain SQL, frozen with this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO outbox_wamid (wamid, outbox_id, status, error_code, error, updated_at)
SELECT platform_message_id, id,
       CASE WHEN status IN ('delivered', 'read') THEN status
            WHEN status IN ('failed', 'held') THEN 'failed'
            ELSE 'sent' END,
       NULL, NULL, coalesce(sent_at, created_at)
FROM outbox_message
WHERE id IN (SELECT max(id) FROM outbox_message
             WHERE channel = 'whatsapp' AND platform_message_id IS NOT NULL
             GROUP BY platform_message_id)
"""


def upgrade() -> None:
    op.create_table(
        "outbox_wamid",
        sa.Column("wamid", sa.String(length=128), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox_message.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("wamid"),
    )
    op.create_index("ix_outbox_wamid_outbox", "outbox_wamid", ["outbox_id"], unique=False)
    op.create_index(
        "ix_outbox_wamid_unmatched",
        "outbox_wamid",
        ["updated_at"],
        unique=False,
        postgresql_where=sa.text("outbox_id IS NULL"),
        sqlite_where=sa.text("outbox_id IS NULL"),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_outbox_wamid_unmatched", table_name="outbox_wamid")
    op.drop_index("ix_outbox_wamid_outbox", table_name="outbox_wamid")
    op.drop_table("outbox_wamid")
