"""`flask exam sweep` running (twice at once) while candidates submit: each attempt is
finalized exactly once and its result written exactly once."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime, timedelta

import psycopg

from benchmarks.load import stack
from tests.faults.support import crowd, run, together

EXPIRED, CURRENT = 60, 20

TRIGGER = """
CREATE TABLE IF NOT EXISTS fault_finalize_log (
    attempt_id integer, old_status text, new_status text, result_before boolean,
    result_after boolean, app text, at timestamptz DEFAULT clock_timestamp());
CREATE OR REPLACE FUNCTION fault_log_finalize() RETURNS trigger AS $$
BEGIN
    INSERT INTO fault_finalize_log (attempt_id, old_status, new_status, result_before,
        result_after, app)
    VALUES (NEW.id, OLD.status, NEW.status, OLD.result IS NOT NULL, NEW.result IS NOT NULL,
        current_setting('application_name'));
    -- A sweep's finalize is held a little, so that on a fast machine the sweeps are still
    -- running when the submits arrive and the two really race.
    IF current_setting('application_name') LIKE 'sweep-%' THEN
        PERFORM pg_sleep(0.04);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS fault_log_finalize ON attempts;
CREATE TRIGGER fault_log_finalize AFTER UPDATE ON attempts
    FOR EACH ROW EXECUTE FUNCTION fault_log_finalize();
"""


def finalized_ids(output: str) -> set[int]:
    """The attempt ids a sweep's summary line names (its log lines, JSON, are passed over)."""
    match = re.search(r"^finalized \d+ expired attempts?(?:: \[([\d, ]*)\])?$", output, re.M)
    assert match, f"no summary line in the sweep's output: {output[-2000:]}"
    return set(map(int, re.findall(r"\d+", match.group(1) or "")))


def test_sweep_and_submits_finalize_each_attempt_once(fault_db, start_server):
    server = start_server(workers=2)
    group = crowd(fault_db, server, EXPIRED + CURRENT)
    expired_ids = group.attempt_ids[:EXPIRED]
    now = datetime.now(UTC)
    stack.shift_deadlines(fault_db.url, expired_ids, now - timedelta(minutes=5))
    with psycopg.connect(fault_db.url, autocommit=True) as conn:
        conn.execute(TRIGGER)
        conn.execute("TRUNCATE fault_finalize_log")
    env = dict(server.env)
    sweeps = []
    for name in ("sweep-a", "sweep-b"):
        env["PGAPPNAME"] = name
        sweeps.append(
            subprocess.Popen(
                [str(stack.BIN / "flask"), "exam", "sweep"],
                cwd=stack.ROOT,
                env=dict(env),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        # Submit the moment a sweep has finalized its first attempt, newest first (the
        # sweeps go oldest first), so the two meet in the middle.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not first_sweep_finalize(fault_db.url):
            if all(p.poll() is not None for p in sweeps):
                break
            time.sleep(0.05)
        ordered = sorted(group.candidates, key=lambda c: -(c.attempt_id or 0))
        replies = run(together(*(c.submit() for c in ordered)), 90)
        outputs = [p.communicate(timeout=60)[0] for p in sweeps]
    finally:
        for process in sweeps:
            if process.poll() is None:
                process.kill()
            if process.stdout is not None and not process.stdout.closed:
                process.communicate(timeout=10)

    assert [p.returncode for p in sweeps] == [0, 0], outputs
    by_sweep = [finalized_ids(o) for o in outputs]
    assert not by_sweep[0] & by_sweep[1], "two sweeps finalized the same attempt"
    assert by_sweep[0] | by_sweep[1] <= set(expired_ids)
    statuses = {c.attempt_id: r.json()["status"] for c, r in zip(ordered, replies, strict=True)}
    assert all(r is not None and r.status == 200 for r in replies)
    assert all(statuses[i] == "expired" for i in expired_ids)
    assert all(statuses[i] == "submitted" for i in group.attempt_ids[EXPIRED:])

    with psycopg.connect(fault_db.url) as conn:
        log = conn.execute(
            "SELECT attempt_id, old_status, new_status, result_before, result_after, app, at"
            " FROM fault_finalize_log ORDER BY at"
        ).fetchall()
        conn.execute("DROP TRIGGER fault_log_finalize ON attempts")
        conn.commit()
    finishes = [row for row in log if row[1] == "in_progress" and row[2] != "in_progress"]
    gradings = [row for row in log if not row[3] and row[4]]
    assert sorted(row[0] for row in finishes) == sorted(group.attempt_ids)
    assert sorted(row[0] for row in gradings) == sorted(group.attempt_ids)
    assert not [row for row in log if row[3]], "a result was written over"
    swept = {row[0] for row in finishes if row[5].startswith("sweep-")}
    assert swept == by_sweep[0] | by_sweep[1]
    assert {row[0] for row in finishes if row[5] == "web"} == set(group.attempt_ids) - swept
    # The race really happened: web finalized expired attempts while a sweep was running.
    sweep_times = [row[6] for row in finishes if row[5].startswith("sweep-")]
    web_expired = [row[6] for row in finishes if row[5] == "web" and row[0] in expired_ids]
    assert sweep_times
    assert web_expired
    assert min(web_expired) < max(sweep_times), "the submits came after the sweeps were done"
    report = stack.audit(fault_db.url, group.saves)
    assert report.ok, report.summary()
    assert stack.integrity(fault_db.url, group.attempt_ids) == []


def first_sweep_finalize(url: str) -> bool:
    """True once a sweep has finalized an attempt."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT 1 FROM fault_finalize_log WHERE app LIKE 'sweep-%' LIMIT 1"
        ).fetchone()
    return row is not None
