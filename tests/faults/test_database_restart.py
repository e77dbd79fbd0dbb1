"""PostgreSQL stopped and started in the middle of a load run.

While it is down a save is answered 503 with a JSON message that it was not saved and can
be retried; once it is back saves succeed again (stale pooled connections are replaced),
and nothing that was acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import json
import time

from benchmarks.load import stack
from tests.faults.support import answer, crowd, lanes, run

NOT_SAVED = "The database is unavailable. Your request was not saved."


def test_saves_fail_retryably_while_postgres_is_down_and_nothing_is_lost(fault_db, start_server):
    # Stopping the server cuts off everyone on it: give other sessions (a developer's test
    # run on the same machine) a bounded chance to finish first. CI runs this step last.
    busy = stack.wait_for_quiet(fault_db.database, timeout=60)
    if busy:
        print(f"warning: {busy} other session(s) on the server will be cut off by the stop")
    server = start_server(workers=2)
    group = crowd(fault_db, server, 24)
    marks: dict[str, float] = {}
    health: list[int] = []

    async def scenario() -> None:
        until = time.monotonic() + 24

        async def outage() -> None:
            await asyncio.sleep(4)
            marks["stopping"] = time.monotonic()
            await asyncio.to_thread(stack.pg_cluster, "stop")
            marks["down"] = time.monotonic()
            await asyncio.sleep(4)
            health.append(await asyncio.to_thread(status_of_healthz, server))
            marks["starting"] = time.monotonic()
            await asyncio.to_thread(stack.pg_cluster, "start")
            marks["up"] = time.monotonic()

        await asyncio.gather(outage(), lanes(group.candidates, 4, until, answer))

    with stack.database_kept_running():
        run(scenario(), 150)

    samples = [s for s in group.recorder.samples if s.endpoint == "PUT responses"]
    statuses = {s.status for s in samples}
    assert statuses <= {200, 503}, f"unexpected statuses {statuses}: {group.recorder.errors[:5]}"
    # Requests sent and answered while the server was down (not ones queued across it).
    while_down = [
        s
        for s in samples
        if marks["down"] < s.started and s.started + s.latency < marks["starting"]
    ]
    assert while_down
    assert {s.status for s in while_down} == {503}
    for endpoint, status, body in group.recorder.errors:
        assert (endpoint, status) == ("PUT responses", 503)
        assert json.loads(body) == {"error": NOT_SAVED, "status": 503}
    assert health == [503]
    # Back up: the first tries after a short settling time all succeed.
    after = [s for s in samples if s.started > marks["up"] + 1]
    assert after
    assert {s.status for s in after} == {200}

    report = stack.audit(fault_db.url, group.saves)
    assert report.ok, report.summary()
    assert report.unconfirmed == 0, report.summary()
    assert stack.integrity(fault_db.url, group.attempt_ids) == []


def status_of_healthz(server: stack.Gunicorn) -> int:
    """The status /healthz answers (503 when the database is down)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(server.base + "/healthz", timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
