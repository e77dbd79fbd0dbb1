"""Time item analysis: 50,000 attempts x 90 items over a 10,000-item bank.

Run as ``.venv/bin/python benchmarks/bench_item_analysis.py [--repeat N] [--database URL]``;
prints markdown tables. Parts, each timed on its own:

1. compute: ``item_stats.compute`` on arrays built in memory (what a recompute does after the
   read), against a baseline in the same run: the same statistics one item at a time (a
   per-item numpy loop, the obvious first implementation).
2. database: the synthetic data written to a fresh database (SQLite in a temporary folder, or
   ``--database`` for PostgreSQL, where a scratch schema is made and dropped) at migration
   0002, then migration 0003 run on it (its backfill packs a record per finished attempt).
   Timed: the read of the records and the row-based read it replaced, the full recompute
   (read + compute + write) and, as the same-run baseline, the full recompute of the code
   before packed records (``--baseline-ref``, run from ``git archive`` in a subprocess on the
   same database; the rows it stores are compared with the new code's: they must be equal),
   then the item-analysis pages through the Flask test client as a signed-in instructor.

The data follow a two-parameter logistic model with one planted miskeyed item in a hundred;
45,000 attempts are of ``aaism-full`` and 5,000 of ``aaism-exam-pace`` (both 90 items), by
20,000 users, so first exposures, two template scopes and the all-templates scope are real.
Each attempt carries a graded result of the real shape (about 1.3 KB), as finished attempts do.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exam_engine.domain.item_analysis import (  # noqa: E402
    GROUP_SHARE,
    Thresholds,
    first_exposures,
    score_entries,
)
from exam_engine.services import item_stats  # noqa: E402

N_ITEMS = 10_000
N_USERS = 20_000
N_ATTEMPTS = 50_000
FORM = 90
TEMPLATES = ("aaism-full", "aaism-exam-pace")
SUBDOMAINS = (
    [f"D1-{c}" for c in "ABCDE"] + [f"D2-{c}" for c in "ABC"] + [f"D3-{c}" for c in "ABCDE"]
)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def generate(seed: int = 9) -> dict[str, np.ndarray]:
    """Synthetic bank, candidates, forms and choices (2PL model, 4 options)."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 4, N_ITEMS)
    a = rng.lognormal(0.0, 0.3, N_ITEMS)
    b = rng.normal(0.0, 1.0, N_ITEMS)
    attract = rng.dirichlet((2.0, 2.0, 2.0), N_ITEMS)
    theta = rng.normal(0.0, 1.0, N_USERS)
    # Every user sits once, then 30,000 retakes by random users; start order is random.
    user = np.concatenate([np.arange(N_USERS), rng.integers(0, N_USERS, N_ATTEMPTS - N_USERS)])
    started = rng.permutation(N_ATTEMPTS)
    template = (rng.random(N_ATTEMPTS) < 0.1).astype(np.int64)
    items = np.empty((N_ATTEMPTS, FORM), dtype=np.int64)
    for row in range(N_ATTEMPTS):
        items[row] = rng.choice(N_ITEMS, FORM, replace=False)
    item = items.ravel()
    ability = theta[np.repeat(user, FORM)]
    p = 1.0 / (1.0 + np.exp(-1.7 * a[item] * (ability - b[item])))
    right = rng.random(item.size) < p
    # A wrong answer picks a distractor by the item's attractiveness.
    cumulative = np.cumsum(attract[item], axis=1)
    slot = (rng.random(item.size)[:, None] > cumulative).sum(axis=1).clip(0, 2)
    distractor = (keys[item] + 1 + slot) % 4
    choice = np.where(right, keys[item], distractor)
    # One item in a hundred is miskeyed: its stored key is the option after the true one.
    stored_keys = keys.copy()
    miskeyed = np.arange(0, N_ITEMS, 100)
    stored_keys[miskeyed] = (keys[miskeyed] + 1) % 4
    choice = np.where(rng.random(item.size) < 0.015, -1, choice)
    return {
        "keys": stored_keys,
        "user": user,
        "started": started,
        "template": template,
        "item": item,
        "choice": choice,
        "position": np.tile(np.arange(1, FORM + 1), N_ATTEMPTS),
    }


def response_data(data: dict[str, np.ndarray]) -> item_stats.ResponseData:
    """The arrays ``load_responses`` returns for this data: attempts by start, items by position."""
    order = np.argsort(data["started"])
    entries = (order[:, None] * FORM + np.arange(FORM)).ravel()
    return item_stats.ResponseData(
        attempt_ids=order + 1,
        attempt_user=data["user"][order],
        attempt_template=data["template"][order],
        template_names=TEMPLATES,
        entry_attempt=np.repeat(np.arange(N_ATTEMPTS), FORM),
        entry_position=data["position"][entries],
        entry_item=data["item"][entries],
        entry_choice=data["choice"][entries],
        version_ids=np.arange(1, N_ITEMS + 1),
        keys=data["keys"],
    )


def baseline(data: item_stats.ResponseData) -> int:
    """The same item statistics one item (and scope) at a time; returns the items done."""
    scored = score_entries(
        data.entry_attempt, data.entry_item, data.entry_choice, data.keys, data.attempt_ids.size
    )
    first = first_exposures(
        data.attempt_user[data.entry_attempt], data.entry_item, data.entry_attempt
    )
    template = data.attempt_template[data.entry_attempt]
    done = 0
    for mask in (first & (template == 0), first & (template == 1), first):
        order = np.argsort(data.entry_item[mask], kind="stable")
        item = data.entry_item[mask][order]
        rest = scored.rest[mask][order]
        choice = data.entry_choice[mask][order]
        bounds = np.flatnonzero(np.diff(item)) + 1
        for idx, r, c in zip(
            np.split(np.arange(item.size), bounds),
            np.split(rest, bounds),
            np.split(choice, bounds),
            strict=True,
        ):
            key = data.keys[item[idx[0]]]
            x = (c == key).astype(float)
            n = x.size
            _ = x.mean(), x.std(ddof=1) if n > 1 else 0.0
            if x.std() > 0 and r.std() > 0:
                _ = np.corrcoef(x, r)[0, 1]
                top = np.sort(r)[::-1][: int(x.sum())]
                _ = np.sum(x * (r - r.mean())) / np.sum(top - r.mean())
            ranked = np.argsort(-r, kind="stable")
            g = max(1, round(GROUP_SHARE * n))
            upper, lower = ranked[:g], ranked[-g:]
            for option in range(-1, 4):
                y = (c == option).astype(float)
                _ = y.mean(), y[upper].mean(), y[lower].mean()
                if y.std() > 0 and r.std() > 0:
                    _ = np.corrcoef(y, r)[0, 1]
            done += 1
    return done


def record(
    rows: list[tuple[str, float, float, float]], row: tuple[str, float, float, float]
) -> None:
    """Keep a result row and show it at once (a long run is not lost to a late failure)."""
    rows.append(row)
    print(f"{row[0]}: median {row[1] * 1e3:,.0f} ms, p95 {row[2] * 1e3:,.0f} ms", file=sys.stderr)


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """Median and p95 wall seconds and median CPU seconds of ``run()`` after one warm-up."""
    result = run()
    wall = []
    cpu = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    wall.sort()
    p95 = wall[min(len(wall) - 1, max(0, round(0.95 * len(wall)) - 1))]
    return statistics.median(wall), p95, statistics.median(cpu), result


def graded_result() -> dict[str, Any]:
    """A finished attempt's cached result of the real shape (90 items over the blueprint)."""
    from exam_engine.domain.grading import GradedItem, grade
    from exam_engine.services.catalog import bundled_blueprint

    items = [
        GradedItem(
            p,
            f"{SUBDOMAINS[p % 13]}-{p:03d}",
            SUBDOMAINS[p % 13][:2],
            SUBDOMAINS[p % 13],
            p % 3 != 0,
            p % 17 != 0,
            p % 11 == 0,
        )
        for p in range(1, FORM + 1)
    ]
    return grade(items, bundled_blueprint()).to_dict()


def write_database(url: str, data: dict[str, np.ndarray], instance: str, *, fill: bool) -> Any:
    """Create the schema at 0002 and (when ``fill``) the bank, users and attempts; return the app.

    The attempts are written as they were before packed records existed; ``migrate`` then
    runs migration 0003, whose backfill packs them.
    """
    os.environ["EXAM_ENGINE_INSTANCE_PATH"] = instance
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, Table, insert

    from exam_engine import create_app
    from exam_engine.extensions import db
    from exam_engine.services.catalog import bundled_blueprint, sync_templates

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "PASSWORD_HASH_PROFILE": "fast",
        }
    )
    if not fill:
        return app
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="0002")
        session = db.session
        sync_templates(session, bundled_blueprint())
        session.commit()
        # The tables as they are at 0002: today's models have columns later migrations add.
        old = MetaData()
        Question, QuestionVersion, User, Attempt = (  # noqa: N806
            Table(name, old, autoload_with=session.connection())
            for name in ("questions", "question_versions", "users", "attempts")
        )
        from sqlalchemy import select

        from exam_engine.models import ExamTemplate

        template_ids = [
            session.scalar(select(ExamTemplate.id).where(ExamTemplate.name == name))
            for name in TEMPLATES
        ]
        now = EPOCH
        result = graded_result()
        session.execute(
            insert(Question),
            [
                {"id": i + 1, "key": f"{SUBDOMAINS[i % 13]}-{i:05d}", "created_at": now}
                for i in range(N_ITEMS)
            ],
        )
        session.execute(
            insert(QuestionVersion),
            [
                {
                    "id": i + 1,
                    "question_id": i + 1,
                    "number": 1,
                    "status": "published",
                    "domain": SUBDOMAINS[i % 13][:2],
                    "subdomain": SUBDOMAINS[i % 13],
                    "difficulty": "medium",
                    "stem": f"Synthetic scenario {i}. Which action is BEST?",
                    "options": [f"Option {c} of {i}" for c in "ABCD"],
                    "rationales": [f"Why {c}" for c in "ABCD"],
                    "answer_index": int(data["keys"][i]),
                    "references": [],
                    "enemies": [],
                    "content_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                    "review_note": "",
                    "created_at": now,
                }
                for i in range(N_ITEMS)
            ],
        )
        session.execute(
            insert(User),
            [
                {
                    "id": 1000 + u,
                    "email": f"c{u}@example.com",
                    "name": "",
                    "password_hash": "x",
                    "role": "candidate",
                    "time_multiplier": 1.0,
                    "is_active": True,
                    "created_at": now,
                }
                for u in range(N_USERS)
            ],
        )
        session.execute(
            insert(Attempt),
            [
                {
                    "id": a + 1,
                    "user_id": 1000 + int(data["user"][a]),
                    "template_id": template_ids[int(data["template"][a])],
                    "seed": a,
                    "mode": "exam",
                    "kind": "mock",
                    "status": "submitted",
                    "started_at": now + timedelta(minutes=int(data["started"][a])),
                    "deadline_at": now + timedelta(minutes=int(data["started"][a]) + 180),
                    "submitted_at": now + timedelta(minutes=int(data["started"][a]) + 100),
                    "result": result,
                }
                for a in range(N_ATTEMPTS)
            ],
        )
        session.commit()
        _write_items(session, data)
        session.commit()
    return app


def _write_items(session: Any, data: dict[str, np.ndarray]) -> None:
    """Bulk-write the 4.5M attempt_items straight through the driver."""
    attempt = np.repeat(np.arange(1, N_ATTEMPTS + 1), FORM)
    version = data["item"] + 1
    choice = data["choice"]
    raw = session.connection().connection.dbapi_connection
    columns = (
        "id, attempt_id, position, question_id, question_version_id, option_order, choice, "
        "flagged, last_seq"
    )
    rows = (
        (
            i + 1,
            int(attempt[i]),
            int(data["position"][i]),
            int(version[i]),
            int(version[i]),
            "[0, 1, 2, 3]",
            None if choice[i] < 0 else int(choice[i]),
            False,
            0,
        )
        for i in range(attempt.size)
    )
    if session.get_bind().dialect.name == "postgresql":
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY attempt_items ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        cursor = raw.cursor()
        cursor.executemany(
            f"INSERT INTO attempt_items ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        cursor.close()


def migrate(app: Any) -> float:
    """Upgrade the database to head (migration 0003 and its backfill); return the seconds."""
    from flask_migrate import upgrade

    from exam_engine.extensions import db

    with app.app_context():
        start = time.perf_counter()
        upgrade(directory=app.extensions["migrate"].directory)
        spent = time.perf_counter() - start
        db.session.remove()
    return spent


# Runs the item analysis of a checkout (this one, or ``git archive`` of --baseline-ref) on the
# same database and prints, per run, wall, CPU, read, compute and write seconds as JSON.
BASELINE_WORKER = """
import json, os, sys, tempfile, time
from datetime import UTC, datetime
sys.path.insert(0, sys.argv[1])
os.environ["EXAM_ENGINE_INSTANCE_PATH"] = tempfile.mkdtemp()
import exam_engine
assert exam_engine.__file__.startswith(sys.argv[1]), exam_engine.__file__
from exam_engine import create_app
from exam_engine.extensions import db
from exam_engine.services import item_stats
app = create_app({"DATABASE_URL": sys.argv[2], "SECRET_KEY": "bench", "TESTING": True})
runs = []
with app.app_context():
    for _ in range(int(sys.argv[3])):
        start, cpu = time.perf_counter(), time.process_time()
        report = item_stats.recompute(db.session, now=datetime.now(UTC), min_responses=30)
        runs.append([time.perf_counter() - start, time.process_time() - cpu,
                     report.load_seconds, report.compute_seconds, report.write_seconds])
print(json.dumps(runs))
"""


def run_worker(checkout: str | Path, url: str, runs: int) -> list[list[float]]:
    """Run ``runs`` recomputes of the code in ``checkout`` in a new process; their timings."""
    done = subprocess.run(
        [sys.executable, "-c", BASELINE_WORKER, str(checkout), url, str(runs)],
        check=True,
        capture_output=True,
        text=True,
    )
    measured: list[list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def run_baseline(ref: str, url: str, runs: int) -> list[list[float]]:
    """Time the recompute of the code at git ``ref`` (a warm-up, then ``runs``) on ``url``."""
    with tempfile.TemporaryDirectory() as checkout:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "exam_engine", "question_bank"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", checkout], input=archive, check=True)
        return run_worker(checkout, url, runs + 1)[1:]


def stored_rows(session: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stored statistic except ids and times, decoded, in a fixed order."""
    from sqlalchemy import select

    from exam_engine.models import ItemStatistic, TemplateStatistic

    items = sorted(
        (
            row.question_version_id,
            row.template,
            row.responses,
            row.facility,
            row.discrimination,
            json.dumps(row.flags),
            json.dumps(row.values, sort_keys=True),
        )
        for row in session.execute(select(ItemStatistic.__table__))
    )
    templates = sorted(
        (row.template, row.attempts, json.dumps(row.values, sort_keys=True))
        for row in session.execute(select(TemplateStatistic.__table__))
    )
    session.rollback()
    return items, templates


def split(rows: list[tuple[str, float, float, float]], label: str, runs: list[list[float]]) -> None:
    """Record wall and CPU of ``runs`` ([wall, cpu, read, compute, write]) and the split."""
    wall = sorted(run[0] for run in runs)
    p95 = wall[min(len(wall) - 1, max(0, round(0.95 * len(wall)) - 1))]
    record(rows, (label, statistics.median(wall), p95, statistics.median(r[1] for r in runs)))
    for index, part in ((2, "read"), (3, "compute"), (4, "write")):
        spent = sorted(run[index] for run in runs)
        record(rows, (f"  of which {part}", statistics.median(spent), spent[-1], math.nan))


def bench_database(
    url: str, data: dict[str, np.ndarray], repeat: int, *, fill: bool, baseline_ref: str
) -> list[tuple[str, float, float, float]]:
    """Write the data, migrate, then time the reads, the full recompute (new and old), pages."""
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as instance:
        start = time.perf_counter()
        app = write_database(url, data, instance, fill=fill)
        print(f"database written in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        spent = migrate(app)
        label = "migrations 0003 (with its backfill of 50,000 attempts) to head, 1 run"
        record(rows, (label, spent, spent, math.nan))
        from exam_engine.extensions import db
        from exam_engine.services.accounts import create_user

        if fill:
            with app.app_context():
                create_user(
                    db.session,
                    "bench-instructor@example.com",
                    "bench-orchid-lantern-42",
                    role="instructor",
                )

        with app.app_context():
            session = db.session
            runs = max(3, repeat // 2)

            def read(records: bool) -> Any:
                loaded = item_stats.load_responses(session, records=records)
                session.rollback()
                return loaded

            median, p95, cpu, loaded = timed(lambda: read(True), runs)
            record(rows, ("read: packed records (50,000 values)", median, p95, cpu))
            assert not loaded.unrecorded, "every finished attempt should have its record"
            median, p95, cpu, _ = timed(lambda: read(False), runs)
            record(rows, ("read: attempt_items rows (4.5M), the reader before", median, p95, cpu))
            session.remove()
            old = run_baseline(baseline_ref, url, runs)
            split(rows, f"baseline: full recompute of {baseline_ref}", old)
            old_rows = stored_rows(session)
            reports = []

            def full() -> None:
                start, cpu = time.perf_counter(), time.process_time()
                report = item_stats.recompute(session, now=datetime.now(UTC), min_responses=30)
                reports.append(
                    [
                        time.perf_counter() - start,
                        time.process_time() - cpu,
                        report.load_seconds,
                        report.compute_seconds,
                        report.write_seconds,
                    ]
                )

            full()
            reports.clear()
            for _ in range(repeat):
                full()
            split(rows, "full recompute (read + compute + write)", reports)
            session.remove()
            # As `flask bank item-stats --recompute` runs it: the first recompute of a process.
            cold = [run_worker(ROOT, url, 1)[0] for _ in range(max(3, repeat // 2))]
            split(rows, "full recompute, first in a fresh process (the CLI)", cold)
            new_rows = stored_rows(session)
            identical = new_rows == old_rows
            print(
                f"stored rows identical to {baseline_ref}'s: {identical} "
                f"({len(new_rows[0]):,} item rows, {len(new_rows[1])} template rows)",
                file=sys.stderr,
            )
            assert identical, "the new recompute stored different numbers"
            session.remove()
        client = app.test_client()
        token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
        signed_in = client.post(
            "/login",
            data={"email": "bench-instructor@example.com", "password": "bench-orchid-lantern-42"},
            headers={"X-CSRFToken": token},
        )
        assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[-2000:]
        pages = [
            ("page: all templates, default sort", "/item-analysis/"),
            (
                "page: aaism-full, flagged, by discrimination",
                "/item-analysis/?template=aaism-full&flag=any&sort=discrimination",
            ),
            (
                "page: search + sub-domain filter, page 3",
                "/item-analysis/?subdomain=D2-B&q=D2&page=3&sort=facility",
            ),
            ("page: item detail", "/item-analysis/items/101?template=aaism-full"),
        ]
        for label, path in pages:
            status = client.get(path).status_code
            assert status == 200, (path, status)
            median, p95, cpu, _ = timed(lambda path=path: client.get(path), max(20, repeat * 4))
            record(rows, (label, median, p95, cpu))
    return rows


def drop_schema(base_url: str, schema: str) -> None:
    """Drop the benchmark's scratch schema from the PostgreSQL server."""
    from sqlalchemy import create_engine, text

    from exam_engine.config import normalize_database_url

    engine = create_engine(normalize_database_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    """Generate the data, time compute against the baseline, then the database parts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--skip-database", action="store_true", help="time the compute only")
    parser.add_argument("--skip-compute", action="store_true", help="time the database only")
    parser.add_argument(
        "--sqlite-file",
        default=None,
        help="SQLite file to use; written when missing, reused (and migrated) when present",
    )
    parser.add_argument(
        "--baseline-ref",
        default="e8282e6",
        help="git commit whose recompute is the same-run baseline (default: the last one "
        "before packed records)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    start = time.perf_counter()
    data = generate()
    arrays = response_data(data)
    print(f"data generated in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    thresholds = Thresholds(min_responses=30)
    rows: list[tuple[str, float, float, float]] = []
    if not args.skip_compute:
        median, p95, cpu, computed = timed(
            lambda: item_stats.compute(arrays, thresholds), args.repeat
        )
        record(rows, ("compute (all scopes + test statistics + rows)", median, p95, cpu))
        print(
            f"{computed.row_count:,} item rows, {computed.responses:,} counted responses",
            file=sys.stderr,
        )
        start, start_cpu = time.perf_counter(), time.process_time()
        done = baseline(arrays)
        base, base_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        label = f"baseline: per-item loop ({done:,} item-scopes, 1 run)"
        record(rows, (label, base, base, base_cpu))
    if not args.skip_database:
        if args.database:
            from tests.support import pg_schema_url

            url = pg_schema_url(args.database, "bench_item_analysis")
            fill = True
        else:
            path = Path(args.sqlite_file or Path(tempfile.mkdtemp()) / "bench.sqlite3")
            fill = not path.exists()
            url = "sqlite:///" + str(path.resolve())
        try:
            rows += bench_database(
                url, data, args.repeat, fill=fill, baseline_ref=args.baseline_ref
            )
        finally:
            if args.database:
                drop_schema(args.database, "bench_item_analysis")
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    engine = "PostgreSQL" if args.database else "SQLite"
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs ({cpu}), "
        f"numpy {np.__version__}, {engine}; {N_ATTEMPTS:,} attempts x {FORM} items, "
        f"{N_ITEMS:,}-item bank; load average {load_before[0]:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after\n"
    )
    print("| measurement | median (ms) | p95 (ms) | median CPU (ms) |")
    print("|---|---:|---:|---:|")
    for label, median, p95, cpu in rows:
        cpu_text = "" if math.isnan(cpu) else f"{cpu * 1e3:,.0f}"
        print(f"| {label} | {median * 1e3:,.0f} | {p95 * 1e3:,.0f} | {cpu_text} |")


if __name__ == "__main__":
    main()
