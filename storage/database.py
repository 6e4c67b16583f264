"""The SQLAlchemy engine: one per process, built by the app factory, tuned per database."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


def create_db_engine(url: str, **kwargs: Any) -> sa.Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and write transactions that lock up front."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # One connection, handed from thread to thread: SQLite has a single writer anyway, and queueing
    # for the connection is far cheaper than SQLite's busy-wait when writers collide.
    engine = sa.create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        poolclass=sa.pool.QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        **kwargs,
    )
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: sa.Engine) -> None:
    """WAL lets readers work beside the writer; BEGIN IMMEDIATE stops two writers deadlocking.

    pysqlite's own transaction handling starts transactions lazily and would upgrade a read lock to
    a write lock mid-transaction, which fails under concurrency; SQLAlchemy's documented recipe takes
    transaction control away from it.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def dialect_of(session: Session) -> str:
    """ "postgresql" or "sqlite": the key of statements built once per dialect (they are hot paths)."""
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def one_of(column: Any, values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """`column IN (?, ?, ...)` for a fixed set of values (statuses) in a statement built once.

    `in_(values)` makes an "expanding" parameter, which SQLAlchemy renders into the SQL string again
    on every execution (a regular-expression pass over the whole statement): on the outbox claim, run
    several times per reply sent, that cost more CPU than the query. One parameter per value keeps the
    compiled statement as it is.
    """
    return column.in_([sa.literal(value) for value in values])


def ping(engine: sa.Engine) -> None:
    """Ask the database a trivial query: raises SQLAlchemyError when it cannot answer (readiness)."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
