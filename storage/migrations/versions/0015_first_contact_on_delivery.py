"""First contact when the counselor's message reached the citizen, not when it was written

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:00:00.000000

`outbox_message.case_message_id`: the counselor's message a row carries, so that its delivery (the
worker's send, WhatsApp's `delivered`, or standing in the web chat thread) can be recorded as first
contact (bot/services/first_contact.py); indexed only where set. No foreign key: adding one would
rebuild the busiest table on SQLite, and a case message is never deleted (erasure blanks it).
`case_message.delivered_at`: when an outgoing message reached the citizen. Messages written before
this revision were counted as first contact when written, so they are recorded as delivered then.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_SET = sa.text("case_message_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("case_message_id", sa.Integer(), nullable=True))
    op.create_index(
        "ix_outbox_case_message",
        "outbox_message",
        ["case_message_id"],
        unique=False,
        sqlite_where=_SET,
        postgresql_where=_SET,
    )
    with op.batch_alter_table("case_message") as batch:
        batch.add_column(sa.Column("delivered_at", storage.types.UTCDateTime(), nullable=True))
    op.execute("UPDATE case_message SET delivered_at = created_at WHERE direction = 'out'")


def downgrade() -> None:
    with op.batch_alter_table("case_message") as batch:
        batch.drop_column("delivered_at")
    op.drop_index("ix_outbox_case_message", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("case_message_id")
