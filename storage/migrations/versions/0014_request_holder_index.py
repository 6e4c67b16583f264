"""Index of requests by holder: "Kasus saya" and the request list's holder filter (issue 17)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00.000000

A counselor's own cases (`assigned_staff_id`, a few open ones among a million rows) and the request list
filtered by holder, paged by (created_at, id) like every other filter of the list (0004).
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_request_assigned_created", "request", ["assigned_staff_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_request_assigned_created", table_name="request")
