"""Time starting a mock in-process: ``POST /api/v1/attempts`` through the Flask test client.

Run as ``.venv/bin/python -m benchmarks.bench_start [--runs N] [--database NAME | --sqlite]``;
prints a markdown table. PostgreSQL runs use a scratch database on the loopback server
(created and dropped by name, as the load benchmark does); ``--sqlite`` uses a temporary file.
The bundled bank is imported and the starts use ``aaism-full`` (90 items).

Three variants alternate start by start, so all see the same machine: the start as served
(the per-worker bank index reused while the bank's revision token is unchanged); the same
start also hashing the published bank, as it did to check the index before the token
(migration 0018); and, as the first baseline, a start whose index cache was emptied first
(what every start did before the index was cached).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks.load import stack
from exam_engine import create_app
from exam_engine.extensions import db
from exam_engine.models import User
from exam_engine.services import login_sessions, pool

TEMPLATE = "aaism-full"


def _prepare(args: argparse.Namespace) -> tuple[Any, str | None]:
    instance = Path(tempfile.mkdtemp(prefix="bench-start-"))
    if args.sqlite:
        url = f"sqlite:///{instance / 'bench.sqlite3'}"
        database = None
    else:
        url = stack.recreate_database(args.database)
        database = args.database
    env = stack.app_env(url, instance)
    stack.flask(env, "db", "upgrade")
    stack.flask(env, "bank", "import")
    os.environ["EXAM_ENGINE_INSTANCE_PATH"] = str(instance)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-start-not-secret",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    return app, database


def _users(app: Any, count: int) -> list[str]:
    with app.app_context():
        users = [
            User(email=f"start{i}@example.com", name=f"Start {i}", role="candidate")
            for i in range(count)
        ]
        for user in users:
            user.password_hash = "not-a-login"
        db.session.add_all(users)
        db.session.commit()
        # A server-side session per user, as a sign-in would start; the cookie carries its key.
        return [login_sessions.start_session(db.session, user.id) for user in users]


def main() -> None:
    """Measure, print the table and drop the scratch database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=150, help="timed starts per variant")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--database", default="exam_bench_start")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    app, database = _prepare(args)
    statements = {"n": 0}
    with app.app_context():
        event.listen(
            db.engine, "before_cursor_execute", lambda *_: statements.update(n=statements["n"] + 1)
        )
    session_ids = _users(app, 3 * (args.runs + args.warmup))
    variants = {
        "served (index reused, revision token read)": "served",
        "index reused, bank hashed as before 0018": "hashed",
        "baseline (index rebuilt each start)": "rebuilt",
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    counts: dict[str, int] = {}
    token_of = pool.fingerprint

    def hashed_too(session: Any) -> str:
        # The digest's cost, while answering with the token so the cached index stays valid.
        pool.digest(session)
        return token_of(session)

    for number, session_id in enumerate(session_ids):
        name = list(variants)[number % len(variants)]
        pool.fingerprint = hashed_too if variants[name] == "hashed" else token_of
        if variants[name] == "rebuilt":
            pool._CACHE.clear()  # noqa: SLF001 - the baseline is exactly "no cached index"
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = session_id
        statements["n"] = 0
        began = time.perf_counter()
        reply = client.post("/api/v1/attempts", json={"template": TEMPLATE})
        elapsed = time.perf_counter() - began
        if reply.status_code != 201:
            raise SystemExit(f"start failed: {reply.status_code} {reply.get_data(as_text=True)}")
        counts[name] = statements["n"]
        if number >= 3 * args.warmup:
            timings[name].append(elapsed * 1000)
    engine = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"{engine}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}"
    )
    print("| variant | starts | median ms | p95 ms | statements |")
    print("|---|---:|---:|---:|---:|")
    for name, values in timings.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        print(
            f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p95:.1f} | "
            f"{counts[name]} |"
        )
    if database is not None:
        with app.app_context():
            db.engine.dispose()
        stack.drop_database(database)


if __name__ == "__main__":
    main()
