"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:47:43.560963
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("platform_user_id", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("consent_version", sa.String(length=32), nullable=True),
        sa.Column("contact_times", sa.String(length=32), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("last_inbound_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("unreachable_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "platform_user_id", name="uq_contact_platform"),
    )
    op.create_table(
        "processed_inbound",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("processed_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "message_id"),
    )
    op.create_table(
        "queue",
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=96), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id"),
    )
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("platform_message_id", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_contact", ["contact_id", "id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["channel", "status", "next_attempt_at"], unique=False)

    op.create_table(
        "request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=48), nullable=True),
        sa.Column("topic", sa.String(length=48), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("kecamatan_code", sa.String(length=16), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("landmark", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("photo_refs", storage.types.JSONType, nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("for_whom", sa.String(length=16), nullable=True),
        sa.Column("contact_way", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("contact_times", sa.String(length=32), nullable=True),
        sa.Column("danger_flag", sa.Boolean(), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("queue_code", sa.String(length=48), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("first_contact_due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
        ),
        sa.ForeignKeyConstraint(
            ["queue_code"],
            ["queue.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_code"),
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.create_index("ix_request_contact", ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_request_queue_status", ["queue_code", "status"], unique=False)

    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("detail", storage.types.JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("request_event", schema=None) as batch_op:
        batch_op.create_index("ix_request_event_request", ["request_id", "at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("request_event", schema=None) as batch_op:
        batch_op.drop_index("ix_request_event_request")

    op.drop_table("request_event")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_queue_status")
        batch_op.drop_index(batch_op.f("ix_request_created_at"))
        batch_op.drop_index("ix_request_contact")

    op.drop_table("request")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("ix_outbox_contact")

    op.drop_table("outbox_message")
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_updated_at"))

    op.drop_table("conversation")
    op.drop_table("queue")
    op.drop_table("processed_inbound")
    op.drop_table("contact")
