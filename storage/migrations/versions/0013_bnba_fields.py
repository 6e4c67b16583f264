"""Fields staff fill in for the BNBA export, and the audit viewer's filter by action

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 08:20:00.000000

`request.person_name`, `person_nik`, `person_address`: the person in need as staff identified them
(bot/services/bnba.py), Fernet tokens like the other personal fields (storage/crypto.py), blanked by
erasure and the retention purge. `ix_audit_log_action`: the audit page filters by action, newest first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request") as batch:
        batch.add_column(sa.Column("person_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("person_nik", sa.Text(), nullable=True))
        batch.add_column(sa.Column("person_address", sa.Text(), nullable=True))
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    with op.batch_alter_table("request") as batch:
        batch.drop_column("person_address")
        batch.drop_column("person_nik")
        batch.drop_column("person_name")
