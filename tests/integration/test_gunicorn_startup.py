"""gunicorn's start-up warns when several workers would count failed sign-ins apart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WARNING = "workers count failed sign-ins in memory, each apart"


def start_gunicorn(tmp_path: Path, workers: int, **env: str) -> str:
    """Start gunicorn from the repository root until its workers boot; return its log."""
    log = tmp_path / "gunicorn.log"
    environment = dict(
        os.environ,
        EXAM_ENGINE_INSTANCE_PATH=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SECRET_KEY="gunicorn-test",
        **env,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(gunicorn), "--workers", str(workers), "--bind", "127.0.0.1:0", "wsgi:app"],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while log.read_text().count("Booting worker") < workers:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not boot in 90 s"
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return log.read_text()


def test_several_workers_counting_in_memory_log_a_warning(tmp_path) -> None:
    log = start_gunicorn(tmp_path, workers=2)
    assert f"[WARNING] 2 {WARNING}" in log
    assert "EXAM_ENGINE_REDIS_URL" in log


def test_no_warning_with_redis_or_a_single_worker(tmp_path, redis_prefix) -> None:
    url, prefix = redis_prefix
    shared = start_gunicorn(
        tmp_path, workers=2, EXAM_ENGINE_REDIS_URL=url, EXAM_ENGINE_REDIS_KEY_PREFIX=prefix
    )
    assert WARNING not in shared
    (tmp_path / "single").mkdir()
    assert WARNING not in start_gunicorn(tmp_path / "single", workers=1)


@pytest.mark.parametrize("workers", [1, 3])
def test_the_check_itself(app, workers, caplog) -> None:
    import logging

    from exam_engine.services import sign_in_throttle
    from exam_engine.web.sign_in import warn_if_counting_apart

    log = logging.getLogger("gunicorn-test")
    assert isinstance(sign_in_throttle.current_counters(), sign_in_throttle.MemoryCounters)
    with caplog.at_level(logging.WARNING, logger="gunicorn-test"):
        assert warn_if_counting_apart(workers, log) == (workers > 1)
    assert (WARNING in caplog.text) == (workers > 1)
