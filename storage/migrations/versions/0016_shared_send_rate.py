"""One send rate for every instance, a flood wait that stops them all, and the in-flight mark of a send

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 09:00:00.000000

`send_rate.paused_until`: a platform's flood wait (Telegram's 429 `retry_after`), written by the instance
that got it and obeyed by every instance: no send slot of the channel is handed out before it.
`send_rate.turns` and `send_window`: every send is a numbered turn; the window keeps, for the channel's last
`rate` turns, the latest time each can have reached the platform (when its answer came),
so a turn waits until the one `rate` turns back arrived a second ago, whichever instance sent it.
`outbox_message.send_started_at`: committed when a claimed message's send slot is taken, before the
platform call. A message still `sending` with this set may have reached the platform (it may arrive twice
after a crash); one without it never left (storage/delivery.py). The new columns are nullable or have a
server default, so no table is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("send_rate") as batch:
        batch.add_column(sa.Column("paused_until", storage.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("turns", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "send_window",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("turn", sa.BigInteger(), nullable=False),
        sa.Column("arrived_by", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "position"),
    )
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("send_started_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("send_started_at")
    op.drop_table("send_window")
    with op.batch_alter_table("send_rate") as batch:
        batch.drop_column("turns")
        batch.drop_column("paused_until")
