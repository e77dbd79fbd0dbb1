"""Helpers for tests that need their own database or schema."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import create_engine, text

from exam_engine.config import normalize_database_url


def pg_schema_url(base_url: str, schema: str) -> str:
    """Create (fresh) ``schema`` on the PostgreSQL server and return a URL that uses it."""
    url = normalize_database_url(base_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def drop_pg_schema(base_url: str, schema: str) -> None:
    """Drop a schema made by ``pg_schema_url`` (end of a test session)."""
    engine = create_engine(normalize_database_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def count(session, model) -> int:
    """How many rows a model's table holds now (the session's cache is expired first)."""
    from sqlalchemy import func, select

    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))
