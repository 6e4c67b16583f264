"""Stored response-time sketches of closed weeks (`report_week`, `report_week_sketch`)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 11:00:00.000000

The response-time report reads a closed week (ended, every SLA deadline of its requests passed) from
mergeable sketches stored per week, queue, region and group instead of sorting its requests again
(bot/sketches.py, bot/closed_weeks.py). Both tables start empty: the report fills a week the first time
it needs it, and again after an event of one of the week's requests marked it stale.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_week",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("low_request_id", sa.Integer(), nullable=False),
        sa.Column("high_request_id", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("computed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("week"),
    )
    op.create_table(
        "report_week_sketch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("queue_code", sa.String(length=48), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("claim_ok_sum", sa.Integer(), nullable=False),
        sa.Column("claim_ok_n", sa.Integer(), nullable=False),
        sa.Column("contact_ok_sum", sa.Integer(), nullable=False),
        sa.Column("contact_ok_n", sa.Integer(), nullable=False),
        sa.Column("sketch", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["week"], ["report_week.week"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_week_sketch_week", "report_week_sketch", ["week"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_report_week_sketch_week", table_name="report_week_sketch")
    op.drop_table("report_week_sketch")
    op.drop_table("report_week")
