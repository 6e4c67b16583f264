"""Indexes for the staff dashboard: keyset pages of requests, open counts, dead letters, audit viewer

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000

Only indexes: the request list pages by (created_at, id) and, for one queue, category, topic or
region, by (that column, created_at, id), so a filter that matches little never walks the whole
table; the overview counts open requests by (status, queue_code); dead letters and the audit viewer
page by id within one status, actor or target.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("request", "ix_request_created_id", ["created_at", "id"]),
    ("request", "ix_request_queue_created", ["queue_code", "created_at", "id"]),
    ("request", "ix_request_status_queue", ["status", "queue_code"]),
    ("request", "ix_request_category_created", ["category", "created_at", "id"]),
    ("request", "ix_request_topic_created", ["topic", "created_at", "id"]),
    ("request", "ix_request_region_created", ["region", "created_at", "id"]),
    ("outbox_message", "ix_outbox_status_id", ["status", "id"]),
    ("audit_log", "ix_audit_log_actor", ["actor", "id"]),
    ("audit_log", "ix_audit_log_target", ["target", "id"]),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
