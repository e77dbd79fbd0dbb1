"""Benchmark: the cohort scorecard page at 200 and 1,000 students x 10 finished full mocks.

Run: ``.venv/bin/python benchmarks/bench_cohort_scorecard.py [--runs 15] [--sizes 200,1000]
[--database-url URL]``. Each size gets a fresh database (a temporary SQLite file unless
``--database-url`` names a PostgreSQL database, whose ``public`` schema is replaced): a
synthetic bank of 30 items per AAISM sub-domain, one cohort, ten assigned ``aaism-full`` mocks
(90 items) and every student's finished attempt at each, assembled by the real assembler and
graded by the real grader; only the saves log (``responses``) is left out, since no page of
the cohort reads it. The timed request is a full GET of /cohorts/<id>/scorecard through the
Flask test client (service, statistics and template), signed in as the instructor. Every
request's SQL statements are counted with a ``before_cursor_execute`` listener. The baseline
is the same run's /cohorts/<id> roster page.
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
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select, text  # noqa: E402

from exam_engine import create_app  # noqa: E402
from exam_engine.domain.assembly import BankIndex, assemble  # noqa: E402
from exam_engine.domain.grading import GradedItem, grade  # noqa: E402
from exam_engine.extensions import db  # noqa: E402
from exam_engine.models import (  # noqa: E402
    Assignment,
    Attempt,
    AttemptItem,
    Cohort,
    ExamTemplate,
    Membership,
    Question,
    QuestionVersion,
    User,
    utcnow,
)
from exam_engine.services.catalog import bundled_blueprint, sync_templates, template_spec  # noqa: E402
from exam_engine.services.passwords import hash_password  # noqa: E402
from exam_engine.services.pool import published_pool  # noqa: E402

MOCKS = 10
PER_SUBDOMAIN = 30
PASSWORD = "bench-password-123"


def build(app: Any, students: int, seed: int = 7) -> int:
    """Fill the database; return the cohort id."""
    rng = random.Random(seed)
    blueprint = bundled_blueprint()
    session = db.session
    difficulties = ("easy", "medium", "hard")
    for domain in blueprint.domains:
        for sub in domain.subdomains:
            for n in range(1, PER_SUBDOMAIN + 1):
                key = f"{sub.code}-{n:03d}"
                stem = f"Benchmark scenario {key}. Which action is BEST?"
                session.add(
                    QuestionVersion(
                        question=Question(key=key),
                        number=1,
                        status="published",
                        domain=domain.code,
                        subdomain=sub.code,
                        difficulty=difficulties[n % 3],
                        stem=stem,
                        options=[f"{key} option {c}" for c in "ABCD"],
                        rationales=[f"{key} rationale {c}" for c in "ABCD"],
                        answer_index=n % 4,
                        references=["NIST AI RMF 1.0"],
                        enemies=[],
                        content_hash=hashlib.sha256(stem.encode()).hexdigest(),
                    )
                )
    sync_templates(session, blueprint)
    pw = hash_password(PASSWORD)
    instructor = User(
        email="teach@example.com", name="Teacher", role="instructor", password_hash=pw
    )
    session.add(instructor)
    session.flush()
    cohort = Cohort(name="Benchmark cohort", created_by_id=instructor.id)
    cohort.memberships.append(Membership(user_id=instructor.id, role="instructor"))
    session.add(cohort)
    template = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "aaism-full"))
    assert template is not None
    session.flush()
    start = utcnow() - timedelta(days=7 * MOCKS + 7)
    assignments = [
        Assignment(
            cohort_id=cohort.id,
            template_id=template.id,
            opens_at=start + timedelta(days=7 * i),
            closes_at=start + timedelta(days=7 * i + 5),
        )
        for i in range(MOCKS)
    ]
    session.add_all(assignments)
    session.execute(
        insert(User),
        [
            {
                "email": f"student{n:05d}@example.com",
                "name": f"Student {n:05d}",
                "role": "candidate",
                "password_hash": pw,
                "time_multiplier": 1.0,
                "is_active": True,
                "created_at": start,
            }
            for n in range(students)
        ],
    )
    student_ids = list(
        session.scalars(select(User.id).where(User.role == "candidate").order_by(User.id))
    )
    session.execute(
        insert(Membership),
        [
            {"cohort_id": cohort.id, "user_id": uid, "role": "student", "joined_at": start}
            for uid in student_ids
        ],
    )
    session.flush()
    versions = {
        row.id: row
        for row in session.execute(
            select(
                QuestionVersion.id,
                QuestionVersion.question_id,
                QuestionVersion.domain,
                QuestionVersion.subdomain,
                QuestionVersion.answer_index,
            )
        )
    }
    index = BankIndex(published_pool(session))
    spec = template_spec(template)
    forms = [assemble(index, blueprint, spec, seed=s) for s in range(40)]
    session.commit()

    batch_attempts: list[dict[str, Any]] = []
    pending_items: list[list[dict[str, Any]]] = []

    def flush_batch() -> None:
        if not batch_attempts:
            return
        ids = session.scalars(
            insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True),
            batch_attempts,
        ).all()
        rows = [
            {"attempt_id": attempt_id, **item}
            for attempt_id, items in zip(ids, pending_items, strict=True)
            for item in items
        ]
        session.execute(insert(AttemptItem), rows)
        session.commit()
        batch_attempts.clear()
        pending_items.clear()

    for uid in student_ids:
        ability = rng.gauss(0.62, 0.12)
        for number, assignment in enumerate(assignments):
            form = forms[rng.randrange(len(forms))]
            items = []
            graded = []
            for item in form.items:
                version = versions[item.version_id]
                p = min(0.97, max(0.05, ability + 0.02 * number))
                correct = rng.random() < p
                choice = (
                    version.answer_index
                    if correct
                    else (version.answer_index + 1 + rng.randrange(3)) % 4
                )
                items.append(
                    {
                        "position": item.position,
                        "question_id": version.question_id,
                        "question_version_id": item.version_id,
                        "option_order": list(item.option_order),
                        "choice": choice,
                        "flagged": False,
                        "last_seq": item.position,
                        "saved_at": assignment.opens_at,
                    }
                )
                graded.append(
                    GradedItem(
                        item.position, item.key, version.domain, version.subdomain, correct, True
                    )
                )
            started = assignment.opens_at + timedelta(hours=1)
            batch_attempts.append(
                {
                    "user_id": uid,
                    "template_id": template.id,
                    "assignment_id": assignment.id,
                    "seed": number,
                    "mode": "exam",
                    "kind": "mock",
                    "status": "submitted",
                    "started_at": started,
                    "deadline_at": started + timedelta(minutes=180),
                    "submitted_at": started + timedelta(minutes=150),
                    # The same grader finalize uses (grade_attempt builds these GradedItems).
                    "result": grade(graded, blueprint).to_dict(),
                }
            )
            pending_items.append(items)
        if len(batch_attempts) >= 500:
            flush_batch()
    flush_batch()
    session.execute(text("ANALYZE"))
    session.commit()
    return cohort.id


def measure(
    client: Any, url: str, runs: int, counter: list[int]
) -> tuple[list[float], list[float], int, int]:
    """Return per-run wall and CPU milliseconds, the page size and SQL statements a request."""
    client.get(url)  # warm-up: template compilation, caches
    client.get(url)
    times = []
    cpu = []
    size = 0
    counter[0] = 0
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        times.append(1000 * (time.perf_counter() - t0))
        cpu.append(1000 * (time.process_time() - c0))
        assert response.status_code == 200, response.status_code
        size = len(response.data)
    return times, cpu, size, counter[0] // runs


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def run_size(
    students: int, runs: int, database_url: str | None, keep: str | None
) -> dict[str, Any]:
    """Build a fresh database for this size (or reuse one kept earlier) and time its pages."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EXAM_ENGINE_INSTANCE_PATH"] = tmp
        path = Path(keep or tmp) / f"bench-{students}.sqlite3"
        reuse = keep is not None and path.exists() and database_url is None
        url = database_url or f"sqlite:///{path}"
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "PASSWORD_HASH_PROFILE": "fast",
                "WTF_CSRF_ENABLED": False,
            }
        )
        built = 0.0
        with app.app_context():
            if reuse:
                cohort_id = db.session.scalar(select(Cohort.id))
            else:
                if database_url:
                    with db.engine.begin() as conn:
                        conn.execute(text("DROP SCHEMA public CASCADE"))
                        conn.execute(text("CREATE SCHEMA public"))
                from flask_migrate import upgrade

                upgrade(directory=app.extensions["migrate"].directory)
                t0 = time.perf_counter()
                cohort_id = build(app, students)
                built = time.perf_counter() - t0
            counter = [0]

            def count(*_args: Any) -> None:
                counter[0] += 1

            event.listen(db.engine, "before_cursor_execute", count)
            db.session.remove()
        client = app.test_client()
        login = client.post("/login", data={"email": "teach@example.com", "password": PASSWORD})
        assert login.status_code == 302
        load_before = os.getloadavg()[0]
        wall, cpu, size, queries = measure(client, f"/cohorts/{cohort_id}/scorecard", runs, counter)
        base_wall, base_cpu, _, base_queries = measure(
            client, f"/cohorts/{cohort_id}", runs, counter
        )
        home_wall, home_cpu, _, home_queries = measure(client, "/instructor", runs, counter)
        load_after = os.getloadavg()[0]
        with app.app_context():
            card_ms, summary_ms = _card_against_summary(cohort_id, runs)
            db.engine.dispose()
    return {
        "students": students,
        "build_s": built,
        "median": statistics.median(wall),
        "p95": p95(wall),
        "cpu_median": statistics.median(cpu),
        "cpu_p95": p95(cpu),
        "queries": queries,
        "kib": size / 1024,
        "base_median": statistics.median(base_wall),
        "base_p95": p95(base_wall),
        "base_cpu": statistics.median(base_cpu),
        "base_queries": base_queries,
        "home_median": statistics.median(home_wall),
        "home_cpu": statistics.median(home_cpu),
        "home_queries": home_queries,
        "card_ms": statistics.median(card_ms),
        "summary_ms": statistics.median(summary_ms),
        "load": (load_before, load_after),
    }


def _card_against_summary(cohort_id: int, runs: int) -> tuple[list[float], list[float]]:
    """Alternate the instructor home's figures of one cohort the old way (the whole cohort
    card) and the new (``cohort_summary``); CPU milliseconds of each, same data and run."""
    from exam_engine.services.catalog import bundled_blueprint
    from exam_engine.services.cohorts.assignments import assignment_lines
    from exam_engine.services.cohorts.scorecard import cohort_card, cohort_summary, students_of

    session = db.session()
    students = students_of(session, cohort_id)
    lines = assignment_lines(session, cohort_id)
    blueprint = bundled_blueprint()
    card_ms: list[float] = []
    summary_ms: list[float] = []
    for _ in range(runs):
        c0 = time.process_time()
        card = cohort_card(session, cohort_id, students, lines, blueprint, target=0.65)
        c1 = time.process_time()
        summary = cohort_summary(session, cohort_id, students, lines)
        c2 = time.process_time()
        assert (summary.overall, summary.completion) == (card.overall, card.completion)
        card_ms.append(1000 * (c1 - c0))
        summary_ms.append(1000 * (c2 - c1))
    db.session.remove()
    return card_ms, summary_ms


def main() -> None:
    """Run every size and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--keep", default=None, help="Folder to keep the SQLite files in and reuse them from."
    )
    args = parser.parse_args()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"machine: {os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}")
    results = [
        run_size(int(n), args.runs, args.database_url, args.keep) for n in args.sizes.split(",")
    ]
    print(
        "| students | attempts | scorecard wall median / p95 (ms) | its CPU median / p95 (ms) "
        "| SQL statements | page (KiB) | roster page wall / CPU median (ms) | its statements "
        "| load avg before / after |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['students']:,} | {r['students'] * MOCKS:,} | {r['median']:.0f} / {r['p95']:.0f} "
            f"| {r['cpu_median']:.0f} / {r['cpu_p95']:.0f} | {r['queries']} | {r['kib']:.0f} "
            f"| {r['base_median']:.0f} / {r['base_cpu']:.0f} | {r['base_queries']} "
            f"| {r['load'][0]:.1f} / {r['load'][1]:.1f} |"
        )
    print()
    print(
        "| students | /instructor wall / CPU median (ms) | its statements "
        "| one cohort's home figures, CPU median (ms): whole card / summary |"
    )
    print("|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['students']:,} | {r['home_median']:.0f} / {r['home_cpu']:.0f} "
            f"| {r['home_queries']} | {r['card_ms']:.0f} / {r['summary_ms']:.0f} |"
        )
    for r in results:
        if r["build_s"]:
            print(f"built {r['students']} students in {r['build_s']:.0f} s")
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(
            f"ratio {large['students']}/{small['students']}: wall median "
            f"{large['median'] / small['median']:.2f}x, p95 {large['p95'] / small['p95']:.2f}x; "
            f"CPU median {large['cpu_median'] / small['cpu_median']:.2f}x"
        )


if __name__ == "__main__":
    main()
