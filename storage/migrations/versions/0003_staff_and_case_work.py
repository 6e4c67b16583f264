"""Staff, queue memberships, case notes and messages, appointments, audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:13:01.993492
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target", sa.String(length=96), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("detail", storage.types.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=96), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("telegram_contact_id", sa.Integer(), nullable=True),
        sa.Column("link_code_hash", sa.String(length=64), nullable=True),
        sa.Column("link_code_expires_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["telegram_contact_id"],
            ["contact.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("telegram_contact_id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_queue",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("queue_code", sa.String(length=48), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_code"],
            ["queue.code"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("staff_id", "queue_code"),
    )
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("proposal", sa.String(length=32), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_staff_time", ["staff_id", "starts_at"], unique=False)

    op.create_table(
        "case_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_message", schema=None) as batch_op:
        batch_op.create_index("ix_case_message_request", ["request_id", "id"], unique=False)

    op.create_table(
        "request_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("request_note", schema=None) as batch_op:
        batch_op.create_index("ix_request_note_request", ["request_id"], unique=False)

    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key("fk_request_assigned_staff", "staff", ["assigned_staff_id"], ["id"])
        batch_op.create_foreign_key("fk_request_merged_into", "request", ["merged_into_id"], ["id"])


def downgrade() -> None:

    with op.batch_alter_table("request", schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("fk_request_merged_into", type_="foreignkey")
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("fk_request_assigned_staff", type_="foreignkey")
        batch_op.drop_column("outcome_note")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("assigned_staff_id")

    with op.batch_alter_table("request_note", schema=None) as batch_op:
        batch_op.drop_index("ix_request_note_request")

    op.drop_table("request_note")
    with op.batch_alter_table("case_message", schema=None) as batch_op:
        batch_op.drop_index("ix_case_message_request")

    op.drop_table("case_message")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_staff_time")

    op.drop_table("appointment")
    op.drop_table("staff_queue")
    op.drop_table("staff")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_at")

    op.drop_table("audit_log")
