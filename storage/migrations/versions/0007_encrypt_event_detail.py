"""Staff's words in request events (release, transfer and reopen reasons, closing notes) encrypted

They were kept in the plain JSON `detail` (as "reason" and "note"); they move to the new column
`request_event.note`, a Fernet token like every other free text (storage/crypto.py), and leave
`detail` with codes and ids only, which reports and metrics keep reading with SQL. Moving existing
rows needs the data encryption keys: `python -m bot migrate` configures them from the settings.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types
from storage.crypto import EncryptedText

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: The keys of `detail` that held a staff member's free text.
WORDS = ("reason", "note")

_events = sa.table(
    "request_event",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("detail", storage.types.JSONType),
    sa.column("note", EncryptedText()),
)


def upgrade() -> None:
    op.add_column("request_event", sa.Column("note", sa.Text(), nullable=True))
    conn = op.get_bind()
    # Only status changes carried staff's words; "erased" keeps its reason code "citizen_request".
    for event_id, detail in conn.execute(
        sa.select(_events.c.id, _events.c.detail).where(_events.c.kind == "status")
    ).all():
        words = next((detail[key] for key in WORDS if detail.get(key)), None)
        if words is None:
            continue
        kept = {key: value for key, value in detail.items() if key not in WORDS}
        conn.execute(sa.update(_events).where(_events.c.id == event_id).values(detail=kept, note=words))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_events.c.id, _events.c.detail, _events.c.note).where(_events.c.note.is_not(None))
    ).all()
    for event_id, detail, note in rows:
        key = "reason" if detail.get("action") else "note"  # closing carries no action, only its note
        conn.execute(sa.update(_events).where(_events.c.id == event_id).values(detail={**detail, key: note}))
    with op.batch_alter_table("request_event") as batch:
        batch.drop_column("note")
