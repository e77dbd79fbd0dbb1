"""Saves fired across the deadline, concurrently through gunicorn: exactly those that reach
the server before the deadline plus the grace period count."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import psycopg

from benchmarks.load import stack
from tests.faults.support import crowd, run, together

GRACE = 2


def test_only_saves_before_deadline_plus_grace_count(fault_db, start_server):
    server = start_server(workers=4, GRACE_SECONDS=GRACE)
    group = crowd(fault_db, server, 12)
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    stack.shift_deadlines(fault_db.url, group.attempt_ids, deadline)
    cutoff = (deadline + timedelta(seconds=GRACE)).timestamp()
    monotonic_cutoff = time.monotonic() + (cutoff - time.time())

    async def fire(candidate) -> None:
        # From 2 s before the cut-off to 2 s after it, a save every 150-250 ms per candidate,
        # without waiting for the previous one: concurrent on the same attempt too.
        moment = monotonic_cutoff - 2 + candidate.rng.uniform(0, 0.1)
        pending = []
        while moment < monotonic_cutoff + 2:
            delay = moment - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.ensure_future(candidate.save(*candidate.next_action())))
            moment += candidate.rng.uniform(0.15, 0.25)
        await asyncio.gather(*pending)

    run(together(*(fire(c) for c in group.candidates)), 90)

    records = group.saves
    stored = [r for r in records if r.outcome == "stored"]
    refused = [r for r in records if r.outcome == "refused"]
    assert stored, "the burst did not straddle the cut-off"
    assert refused, "the burst did not straddle the cut-off"
    assert {r.outcome for r in records} <= {"stored", "refused", "superseded"}
    # The server reads its clock between the client's send and the client's receipt.
    # (A save overtaken by a newer one of the same candidate is answered "superseded".)
    assert all(r.outcome != "refused" for r in records if r.answered_at < cutoff)
    assert all(r.outcome == "refused" for r in records if r.sent_at > cutoff)

    with psycopg.connect(fault_db.url) as conn:
        rows = conn.execute(
            "SELECT i.attempt_id, i.position, r.seq, r.saved_at FROM responses r"
            " JOIN attempt_items i ON i.id = r.attempt_item_id WHERE i.attempt_id = ANY(%s)",
            (group.attempt_ids,),
        ).fetchall()
        attempts = conn.execute(
            "SELECT status, submitted_at FROM attempts WHERE id = ANY(%s)", (group.attempt_ids,)
        ).fetchall()
    assert all(saved_at.timestamp() <= cutoff for *_, saved_at in rows)
    in_db = {(a, p, s) for a, p, s, _ in rows}
    told_stored = {(r.attempt_id, r.position, r.seq) for r in stored}
    superseded = {(r.attempt_id, r.position, r.seq) for r in records if r.outcome == "superseded"}
    assert told_stored <= in_db
    assert in_db - told_stored <= superseded
    # Each attempt was finalized once, as expired at its deadline, graded on the saves kept.
    assert attempts == [("expired", deadline)] * len(group.attempt_ids)
    report = stack.audit(fault_db.url, records)
    assert report.ok, report.summary()
    assert stack.integrity(fault_db.url, group.attempt_ids) == []
