"""The schema comes from Alembic: an empty database upgrades to head on both engines."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from storage.migrate import alembic_config, upgrade_to_head

TABLES = {
    "stored_photo",
    "staff",
    "staff_queue",
    "request_note",
    "case_message",
    "appointment",
    "audit_log",
    "send_rate",
    "send_window",
    "due_work",
    "contact",
    "conversation",
    "queue",
    "request",
    "request_event",
    "outbox_message",
    "processed_inbound",
    "api_token",
}


def test_empty_database_upgrades_to_head(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    existing = sa.MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)  # start from nothing, not from the migrated template
    assert sa.inspect(engine).get_table_names() == []
    upgrade_to_head(database_url)
    inspector = sa.inspect(sa.create_engine(database_url))
    assert set(inspector.get_table_names()) >= TABLES
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    """A model change without a migration (or the reverse) fails here, on both engines."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert differences == []
