"""Response times per request (`response_time`), backfilled from the request events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:30:00.000000

One row per request with the moments the response-time report measures between (created, first
claim, first contact, first and last closing, whether it is closed now), kept by
`storage.requests.add_event` from now on. The backfill folds the existing events in one statement;
it is plain SQL here, frozen with this revision, so later changes to the code cannot change it.
The covering index of request events that the report's per-request folding read is dropped: nothing
reads events that way any more, and every event written paid for it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CLOSING = "kind = 'status' AND to_status IN ('resolved', 'referred', 'unreachable', 'cancelled')"
BACKFILL = f"""
INSERT INTO response_time
  (request_id, created_at, claimed_at, contacted_at, first_closed_at, last_closed_at, closed_now)
SELECT request_id,
       min(CASE WHEN kind = 'created' THEN at END),
       min(CASE WHEN kind = 'status' AND to_status = 'claimed' THEN at END),
       min(CASE WHEN kind = 'first_contact' THEN at END),
       min(CASE WHEN {CLOSING} THEN at END),
       max(CASE WHEN {CLOSING} THEN at END),
       coalesce(max(CASE WHEN {CLOSING} THEN id END) = max(CASE WHEN kind = 'status' THEN id END), false)
FROM request_event
WHERE kind IN ('created', 'first_contact', 'status')
GROUP BY request_id
"""


def upgrade() -> None:
    op.create_table(
        "response_time",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("claimed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("contacted_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("first_closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("last_closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_now", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.execute(BACKFILL)
    op.drop_index("ix_request_event_report", table_name="request_event")


def downgrade() -> None:
    op.create_index(
        "ix_request_event_report", "request_event", ["request_id", "kind", "to_status", "at", "id"], unique=False
    )
    op.drop_table("response_time")
