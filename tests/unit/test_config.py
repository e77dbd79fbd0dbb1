"""Settings: secret key per install, database URL normalisation."""

from __future__ import annotations

import stat

from exam_engine.config import instance_secret_key, normalize_database_url


def test_secret_key_is_generated_once_and_private(tmp_path) -> None:
    first = instance_secret_key(str(tmp_path))
    second = instance_secret_key(str(tmp_path))
    assert first == second
    assert len(first) == 64
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_two_installs_get_different_keys(tmp_path) -> None:
    assert instance_secret_key(str(tmp_path / "a")) != instance_secret_key(str(tmp_path / "b"))


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_redis_comes_from_redis_url_or_a_redis_rate_limit_storage() -> None:
    from exam_engine.config import redis_url

    assert redis_url({"REDIS_URL": "redis://r:6379/0"}) == "redis://r:6379/0"
    assert redis_url({"REDIS_URL": None, "RATELIMIT_STORAGE": "redis://old:6379"}) == (
        "redis://old:6379"
    )
    assert redis_url({"REDIS_URL": None, "RATELIMIT_STORAGE": "memory://"}) is None
    assert redis_url({}) is None
