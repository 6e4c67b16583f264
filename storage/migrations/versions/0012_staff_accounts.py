"""Staff account lifecycle and session revocation

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 08:10:00.000000

`staff.must_change_password`: an admin's password reset gives a temporary password that must be
replaced at the next login. `staff_session`: one row per dashboard login (the SHA-256 of the cookie's
token), so logout, deactivation and password changes end sessions on every instance at once.
`login_throttle`: failed logins per account and per client address, with the lock they earned
(bot/services/login_throttle.py). Sessions from before this revision were signed cookies only: they
no longer count, and staff log in once more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_staff_session_staff_id", "staff_session", ["staff_id"], unique=False)
    op.create_index("ix_staff_session_expires_at", "staff_session", ["expires_at"], unique=False)
    op.create_table(
        "login_throttle",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("forget_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject"),
    )
    op.create_index("ix_login_throttle_forget_at", "login_throttle", ["forget_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_throttle_forget_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.drop_index("ix_staff_session_expires_at", table_name="staff_session")
    op.drop_index("ix_staff_session_staff_id", table_name="staff_session")
    op.drop_table("staff_session")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("must_change_password")
