"""Index of merged requests: each status update of a request also reaches the reporters merged into it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_request_merged_into", "request", ["merged_into_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_request_merged_into", table_name="request")
