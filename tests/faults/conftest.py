"""Fault tests: gunicorn and PostgreSQL under load, with workers killed and the database restarted.

They need PostgreSQL at 127.0.0.1:5432 (``LOAD_PG_SERVER`` to change it), run gunicorn on a
free loopback port, and one of them stops and starts the machine's PostgreSQL cluster, so
they run only in their own invocation: ``RUN_FAULTS=1 .venv/bin/pytest tests/faults``.
They use a database of their own (``exam_faults``), never the test suite's.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import stack
from tests.faults.support import FaultDatabase

# One database per pytest-xdist worker; the tests themselves never overlap (see ``alone``).
# FAULTS_DATABASE names another (a second checkout's run must not drop this one's database).
DATABASE = os.environ.get("FAULTS_DATABASE") or "exam_faults_" + os.environ.get(
    "PYTEST_XDIST_WORKER", "main"
)
LOCK = Path(tempfile.gettempdir()) / "exam-engine-faults.lock"
USERS = 600
SKIP_REASON = (
    "fault tests kill gunicorn workers and restart PostgreSQL: run them alone with "
    "RUN_FAULTS=1 .venv/bin/pytest tests/faults"
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``faults`` marker (the suite runs with --strict-markers)."""
    config.addinivalue_line("markers", "faults: kills workers / restarts PostgreSQL under load")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything here ``faults``; skip it, saying why, unless RUN_FAULTS=1."""
    here = Path(__file__).parent
    enabled = os.environ.get("RUN_FAULTS") == "1"
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.faults)
            if not enabled:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@contextmanager
def alone() -> Iterator[None]:
    """Hold a machine-wide lock: no two fault tests (or set-ups) run at once, even when
    pytest-xdist spreads them over workers, since one of them stops PostgreSQL."""
    with LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _one_fault_at_a_time() -> Iterator[None]:
    """Run each fault test alone (see ``alone``)."""
    with alone():
        yield


@pytest.fixture(scope="session")
def fault_db() -> Iterator[FaultDatabase]:
    """A fresh fault-test database: migrated, bundled bank imported, users created."""
    with stack.database_kept_running():
        with alone():  # not while a fault test of another worker has PostgreSQL down
            if not stack.pg_ready(timeout=10):
                pytest.fail("PostgreSQL does not answer at " + stack.SERVER)
            url = stack.recreate_database(DATABASE)
            instance = Path(tempfile.mkdtemp(prefix="exam-faults-"))
            env = stack.app_env(url, instance / "instance")
            emails = stack.prepare(url, env, USERS, "fault")
        yield FaultDatabase(url, emails)


@pytest.fixture(scope="session", autouse=True)
def _postgres_left_running() -> Iterator[None]:
    """Whatever a test did to it, PostgreSQL is running when the session ends."""
    with stack.database_kept_running():
        yield


@pytest.fixture
def start_server(fault_db: FaultDatabase, tmp_path: Path) -> Iterator[Any]:
    """Factory: gunicorn on the fault database with the given settings; stopped afterwards."""
    servers: list[stack.Gunicorn] = []

    def start(workers: int = 2, **settings: Any) -> stack.Gunicorn:
        settings.setdefault("LOGIN_RATE_LIMIT", "1000000 per minute")
        env = stack.app_env(fault_db.url, tmp_path / "instance", **settings)
        env["PGAPPNAME"] = "web"
        server = stack.Gunicorn(env, tmp_path / f"gunicorn-{len(servers)}.log", workers=workers)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
