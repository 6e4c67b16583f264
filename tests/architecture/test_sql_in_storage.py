"""SQL lives only in storage/ (README, "Architecture"): no module under bot/ builds or runs a statement.

Services keep the business rules and call named storage functions; a unit of work on ORM objects
(`session.get`, `add`, `delete`, `flush`) is not SQL and may stay where the rule is. From SQLAlchemy and
SQLModel, bot/ may name only the types a caller holds: no exceptions, because engine creation
(storage/database.py) and migrations (storage/migrate.py) live in storage/ too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SQL_PACKAGES = ("sqlalchemy", "sqlmodel")
#: What bot/ may name from SQLAlchemy or SQLModel: the things it holds or catches, none that builds a statement.
TYPES = frozenset({"Session", "Engine", "Connection", "ColumnElement", "RowMapping", "exc"})
#: Calls that run a statement, whatever object they are called on.
RUNS_SQL = frozenset({"exec", "execute", "exec_driver_sql", "scalar", "scalars", "query"})


def _is_sql_module(name: str) -> bool:
    return name.partition(".")[0] in SQL_PACKAGES


def sql_outside_storage(source: str, filename: str) -> list[str]:
    """ "file:line: what" for every statement built or run in this module's source."""
    found: list[tuple[int, str]] = []
    aliases: set[str] = set()  # local names bound to sqlalchemy or sqlmodel themselves

    def report(node: ast.stmt | ast.expr, what: str) -> None:
        found.append((node.lineno, what))

    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _is_sql_module(alias.name):
                    continue
                if alias.name == "sqlalchemy.exc":  # exceptions only; unaliased, it binds `sqlalchemy`
                    aliases.update(() if alias.asname else ("sqlalchemy",))
                elif alias.name in SQL_PACKAGES:
                    aliases.add(alias.asname or alias.name)
                else:  # `import sqlalchemy.dialects.postgresql`: a statement builder's module
                    report(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and _is_sql_module(node.module):
            if node.module == "sqlalchemy.exc":
                continue
            for alias in node.names:
                if alias.name not in TYPES:
                    report(node, f"from {node.module} import {alias.name}")
    for node in ast.walk(ast.parse(source, filename)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr not in TYPES
        ):
            report(node, f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL:
            report(node, f".{node.func.attr}(...)")
    return [f"{filename}:{line}: {what}" for line, what in sorted(found)]


def test_no_module_under_bot_builds_or_runs_sql() -> None:
    found = [
        line
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for line in sql_outside_storage(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "SQL outside storage/; move it into the storage module that owns the table:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("from sqlmodel import Session, select\n", "x.py:1: from sqlmodel import select"),
        ("from sqlmodel import col\n", "x.py:1: from sqlmodel import col"),
        ("from sqlalchemy import func, text\n", "x.py:1: from sqlalchemy import func"),
        (
            "from sqlalchemy.dialects.postgresql import insert\n",
            "x.py:1: from sqlalchemy.dialects.postgresql import insert",
        ),
        ("import sqlalchemy as sa\n\nq = sa.select(1)\n", "x.py:3: sa.select"),
        ("import sqlalchemy\n\nsqlalchemy.text('SELECT 1')\n", "x.py:3: sqlalchemy.text"),
        ("import sqlmodel\n\nsqlmodel.update(T)\n", "x.py:3: sqlmodel.update"),
        ("import sqlalchemy.dialects.sqlite\n", "x.py:1: import sqlalchemy.dialects.sqlite"),
        ("def f(session):\n    return session.exec(q).all()\n", "x.py:2: .exec(...)"),
        ("def f(conn):\n    conn.execute(q)\n", "x.py:2: .execute(...)"),
    ],
)
def test_the_check_names_a_planted_statement(source: str, what: str) -> None:
    assert what in sql_outside_storage(source, "x.py")


def test_the_check_lets_types_and_units_of_work_through() -> None:
    source = (
        "import sqlalchemy as sa\nfrom sqlalchemy.exc import IntegrityError\nfrom sqlmodel import Session\n"
        "def f(db: sa.Engine, session: Session, c: sa.ColumnElement[bool]) -> None:\n"
        "    try:\n        session.add(x); session.flush(); session.get(T, 1); session.delete(x)\n"
        "    except (sa.exc.SQLAlchemyError, IntegrityError):\n        pass\n"
    )
    assert sql_outside_storage(source, "x.py") == []
