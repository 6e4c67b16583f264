"""Persistence: SQLModel tables, the database engine, repositories and Alembic migrations."""
