"""Time the create-assignment request for a cohort: its forms made in the request (no Redis,
the quick start) against handed to a worker (Redis), and the worker's time to make them.

Run as ``.venv/bin/python -m benchmarks.bench_assign_request [--students N] [--runs N]
[--database NAME] [--redis URL]``; prints a markdown table. The PostgreSQL database is a
scratch one on the loopback server (dropped and created by name); the bundled bank is
imported and the assignment is ``aaism-full`` (90 items). The two modes alternate run by run
on the same cohort (a new assignment each run), so both see the same machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from benchmarks.load import stack
from exam_engine import create_app
from exam_engine.extensions import db
from exam_engine.models import Cohort, Job, Membership, PreparedForm, User
from exam_engine.services import cohorts

TEMPLATE = "aaism-full"


def _setup(url: str, students: int) -> tuple[int, int]:
    with db.session() as session:
        teacher = User(email="teacher@bench.example", name="T", role="instructor")
        teacher.password_hash = "-"
        session.add(teacher)
        session.add_all(
            User(email=f"s{i}@bench.example", name=f"S {i}", role="candidate", password_hash="-")
            for i in range(students)
        )
        session.commit()
        cohort_id = cohorts.create_cohort(session, "Bench cohort", teacher.id).id
        ids = session.scalars(select(User.id).where(User.role == "candidate")).all()
        session.execute(
            insert(Membership),
            [{"cohort_id": cohort_id, "user_id": uid, "role": "student"} for uid in ids],
        )
        session.commit()
        return teacher.id, cohort_id


def _app(url: str, instance: Path, redis: str | None, prefix: str) -> Any:
    os.environ["EXAM_ENGINE_INSTANCE_PATH"] = str(instance)
    os.environ.pop("EXAM_ENGINE_REDIS_URL", None)
    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-assign-not-secret",
            "REDIS_URL": redis,
            "REDIS_KEY_PREFIX": prefix,
            "LOG_FORMAT": "text",
        }
    )


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs per mode")
    parser.add_argument("--database", default="exam_bench_assign")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="bench-assign-"))
    url = stack.recreate_database(args.database)
    env = stack.app_env(url, instance)
    env.pop("EXAM_ENGINE_REDIS_URL", None)
    stack.flask(env, "db", "upgrade")
    stack.flask(env, "bank", "import")
    plain = _app(url, instance, None, "bench:")
    with plain.app_context():
        teacher_id, cohort_id = _setup(url, args.students)
    rows: list[tuple[str, float, float | None, int]] = []
    for run in range(args.runs):
        for mode in ("in-process", "redis"):
            prefix = f"bench-{uuid.uuid4().hex[:8]}:"
            app = _app(url, instance, args.redis if mode == "redis" else None, prefix)
            now = datetime.now(UTC)
            with app.app_context():
                cohort = db.session.get(Cohort, cohort_id)
                began = time.perf_counter()
                assignment = cohorts.create_assignment(
                    db.session,
                    teacher_id,
                    cohort,
                    TEMPLATE,
                    opens_at=now + timedelta(days=1),
                    closes_at=now + timedelta(days=2),
                )
                request_seconds = time.perf_counter() - began
                assignment_id = assignment.id
                db.session.remove()
            worker_seconds = None
            if mode == "redis":
                began = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "flask", "worker", "--burst", "--no-schedule"],
                    env={
                        **env,
                        "FLASK_APP": "exam_engine:create_app",
                        "EXAM_ENGINE_REDIS_URL": args.redis,
                        "EXAM_ENGINE_REDIS_KEY_PREFIX": prefix,
                        "EXAM_ENGINE_LOG_FORMAT": "text",
                    },
                    check=True,
                    capture_output=True,
                    timeout=600,
                )
                worker_seconds = time.perf_counter() - began
            with app.app_context():
                forms = db.session.scalar(
                    select(func.count())
                    .select_from(PreparedForm)
                    .where(PreparedForm.assignment_id == assignment_id)
                )
                status = db.session.scalars(select(Job.status).order_by(Job.id.desc())).first()
                db.session.remove()
            assert status == "done", status
            rows.append((mode, request_seconds, worker_seconds, int(forms or 0)))
            print(f"run {run + 1} {mode}: {request_seconds:.3f} s, forms {forms}", file=sys.stderr)
    print(f"\n{args.students} students, {TEMPLATE}, PostgreSQL, {platform.python_version()}\n")
    print(
        "| mode | create-assignment call, median s (all runs) "
        "| worker (start to exit), median s | forms |"
    )
    print("|---|---|---|---:|")
    for mode in ("in-process", "redis"):
        mine = [r for r in rows if r[0] == mode]
        calls = [r[1] for r in mine]
        workers = [r[2] for r in mine if r[2] is not None]
        print(
            f"| {mode} | {statistics.median(calls):.3f} ({', '.join(f'{c:.3f}' for c in calls)}) | "
            + (f"{statistics.median(workers):.1f}" if workers else "-")
            + f" | {', '.join(str(r[3]) for r in mine)} |"
        )
    stack.drop_database(args.database)


if __name__ == "__main__":
    main()
