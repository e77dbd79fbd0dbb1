"""Time grading a finished 90-item attempt and building and rendering its scorecard.

Run as ``.venv/bin/python benchmarks/bench_scorecard.py [--runs N] [--database-url URL]``;
prints a markdown table. The database is a fresh SQLite file unless ``--database-url`` names
another (for PostgreSQL, give a scratch database: the script creates and drops a schema).
The candidate has four earlier finished mocks, so the standing pools five mocks (450 items).
Each run starts from a new database session, as a request would.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, render_template  # noqa: E402
from flask_login import login_user  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from exam_engine import create_app  # noqa: E402
from exam_engine.config import normalize_database_url  # noqa: E402
from exam_engine.domain.grading import grade  # noqa: E402
from exam_engine.domain.weak_areas import assess  # noqa: E402
from exam_engine.extensions import db  # noqa: E402
from exam_engine.models import Attempt, Question, QuestionVersion, User  # noqa: E402
from exam_engine.services import attempts, login_sessions, scorecards  # noqa: E402
from exam_engine.services.catalog import bundled_blueprint, sync_templates  # noqa: E402
from exam_engine.web.candidate.forms import StartForm  # noqa: E402

PER_SUBDOMAIN = 40
TARGET = 0.65
GRACE = 30


def make_app(database_url: str | None) -> tuple[Flask, Callable[[], None]]:
    """Create an app on a fresh database (SQLite file, or a new PostgreSQL schema)."""
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    instance = tempfile.mkdtemp(prefix="bench-scorecard-")
    os.environ["EXAM_ENGINE_INSTANCE_PATH"] = instance
    if database_url is None:
        url = "sqlite:///" + str(Path(instance) / "bench.sqlite3")
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalize_database_url(database_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in database_url else "?"
        url = f"{database_url}{separator}options=-csearch_path%3D{schema}"

        def cleanup() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "PASSWORD_HASH_PROFILE": "fast",
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
    return app, cleanup


def seed(app: Flask) -> tuple[int, int]:
    """Create a bank, a candidate with four finished mocks, and the finished attempt to time."""
    rng = random.Random(6)
    blueprint = bundled_blueprint()
    with app.app_context():
        session = db.session()
        for domain in blueprint.domains:
            for sub in domain.subdomains:
                for n in range(1, PER_SUBDOMAIN + 1):
                    key = f"{sub.code}-{n:03d}"
                    stem = f"Synthetic scenario {key}. Which action is **BEST**?"
                    session.add(
                        QuestionVersion(
                            question=Question(key=key),
                            number=1,
                            status="published",
                            domain=domain.code,
                            subdomain=sub.code,
                            difficulty=("easy", "medium", "hard")[n % 3],
                            stem=stem,
                            options=[f"{key} option {c}" for c in "ABCD"],
                            rationales=[f"{key} rationale {c}" for c in "ABCD"],
                            answer_index=n % 4,
                            references=["NIST AI RMF 1.0, GOVERN function"],
                            enemies=[],
                            content_hash=hashlib.sha256(stem.encode()).hexdigest(),
                        )
                    )
        sync_templates(session, blueprint)
        user = User(email="bench@example.com", name="Bench", role="candidate", password_hash="x")
        session.add(user)
        session.commit()
        start = datetime.now(UTC) - timedelta(days=30)
        attempt_id = 0
        for mock in range(5):
            when = start + timedelta(days=6 * mock)
            attempt = attempts.start_attempt(session, user.id, "aaism-full", now=when, seed=mock)
            for item in attempt.items:
                if rng.random() < 0.05:
                    continue  # a few left blank: they count as wrong
                key = item.version.answer_index
                item.choice = key if rng.random() < 0.55 + 0.05 * mock else (key + 1) % 4
                item.flagged = rng.random() < 0.05
            session.commit()
            attempts.submit_attempt(
                session, user.id, attempt.id, now=when + timedelta(minutes=150), grace_seconds=GRACE
            )
            attempt_id = attempt.id
        return user.id, attempt_id


def measure(run: Callable[[], object], runs: int) -> tuple[float, float, float, float]:
    """Return median and p95 ms of ``run()``, wall clock then CPU time, after warm-up.

    CPU time (this process only; SQLite runs in-process) is the steadier figure on a shared
    machine, where wall time also counts the waits for a core.
    """
    for _ in range(max(10, runs // 10)):
        run()
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        begin, begin_cpu = time.perf_counter_ns(), time.process_time_ns()
        run()
        cpu.append((time.process_time_ns() - begin_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - begin) / 1e6)

    def p95(values: list[float]) -> float:
        return sorted(values)[min(len(values) - 1, round(0.95 * len(values)) - 1)]

    return statistics.median(wall), p95(wall), statistics.median(cpu), p95(cpu)


def main() -> None:
    """Seed, time each step and the whole path, print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300, help="timed runs per row")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    app, cleanup = make_app(args.database_url)
    try:
        user_id, attempt_id = seed(app)
        blueprint = bundled_blueprint()
        rows: list[tuple[str, float, float, float, float]] = []
        with app.test_request_context("/"):
            user = db.session.get(User, user_id)
            user.attach_session(login_sessions.start_session(db.session, user_id))
            login_user(user)

            def fresh() -> Any:
                # A new session per run, as each request gets: nothing cached in the identity map.
                db.session.remove()
                return db.session()

            def load() -> object:
                return attempts.get_attempt(fresh(), user_id, attempt_id)

            def grade_only(session: Any = None) -> object:
                session = session or fresh()
                return attempts.grade_attempt(session, session.get(Attempt, attempt_id))

            def build(session: Any = None) -> scorecards.Scorecard:
                return scorecards.build_scorecard(
                    session or fresh(),
                    user_id,
                    attempt_id,
                    now=datetime.now(UTC),
                    grace_seconds=GRACE,
                    target=TARGET,
                )

            def render(card: scorecards.Scorecard) -> str:
                return render_template("candidate/scorecard.html", card=card, form=StartForm())

            card = build()
            session = fresh()
            items = attempts.graded_items(session, session.get(Attempt, attempt_id))
            observations, _ = scorecards.mock_observations(session, user_id)

            def whole() -> str:
                # One session, as one request would use.
                session = fresh()
                grade_only(session)
                return render(build(session))

            rows.append(("baseline: load the attempt row", *measure(load, args.runs)))
            rows.append(
                ("pure grade() of 90 items", *measure(lambda: grade(items, blueprint), args.runs))
            )
            rows.append(
                (
                    "pure assess() of 450 pooled items",
                    *measure(lambda: assess(observations, blueprint), args.runs),
                )
            )
            rows.append(("grade the attempt (query + grade)", *measure(grade_only, args.runs)))
            rows.append(("build_scorecard (service)", *measure(build, args.runs)))
            rows.append(("render scorecard.html", *measure(lambda: render(card), args.runs)))
            rows.append(("total: grade + build + render", *measure(whole, args.runs)))
            db.session.remove()
        with app.app_context():
            engine = db.engine.url.get_backend_name()
            db.engine.dispose()
    finally:
        cleanup()

    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {engine}, "
        f"{args.runs} runs per row\n"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Load average at the end: {load:.1f}\n")
    print("| step | wall median (ms) | wall p95 (ms) | CPU median (ms) | CPU p95 (ms) |")
    print("|---|---:|---:|---:|---:|")
    for label, median, p95, cpu_median, cpu_p95 in rows:
        print(f"| {label} | {median:.2f} | {p95:.2f} | {cpu_median:.2f} | {cpu_p95:.2f} |")
    total = rows[-1]
    verdict = "under" if total[2] < 20.0 else "OVER"
    print(f"\nTotal wall p95 {total[2]:.2f} ms: {verdict} the 20 ms budget.")


if __name__ == "__main__":
    main()
