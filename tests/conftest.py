"""Shared fixtures: a fresh, migrated database per test on SQLite and (when configured) PostgreSQL.

Each test gets its own database: a copy of a SQLite file migrated once per run, or a PostgreSQL
database cloned from a migrated template. With `CI=true`, a missing PostgreSQL fails the run
instead of skipping, so CI can never pass on SQLite alone.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from storage.migrate import upgrade_to_head
from tests.helpers.chat import Chat

pytest_plugins = ["tests.helpers.pinned_clock"]

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
TEMPLATE_DB = f"pmks_template_{os.getpid()}"


def require(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing on a developer's machine; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


def _admin_engine() -> sa.Engine:
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    require(bool(PG_URL), "TEST_DATABASE_URL is not set (PostgreSQL tests)")
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{TEMPLATE_DB}"')
    except sa.exc.OperationalError as error:
        require(False, f"PostgreSQL at TEST_DATABASE_URL is unreachable: {type(error).__name__}")
    upgrade_to_head(make_url(PG_URL).set(database=TEMPLATE_DB).render_as_string(hide_password=False))
    yield TEMPLATE_DB
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of its own for this test, on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"pmks_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    runtime.sync_queues()
    yield runtime
    runtime.close()


@pytest.fixture
def chat(runtime: Runtime) -> Chat:
    """A citizen on the web chat channel, talking to the real engine and database."""
    return Chat(runtime.engine)
