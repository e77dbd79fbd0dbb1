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
