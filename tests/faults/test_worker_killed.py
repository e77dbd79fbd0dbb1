"""A gunicorn worker killed (SIGKILL) in the middle of a load run loses no accepted answer."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from benchmarks.load import stack
from tests.faults.support import answer, crowd, lanes, run


def test_killed_workers_lose_no_accepted_answer_and_corrupt_no_attempt(fault_db, start_server):
    server = start_server(workers=2)
    group = crowd(fault_db, server, 48)
    killed: list[int] = []

    def cut_off() -> list[object]:
        return [s for s in group.recorder.samples if s.status == 0]

    async def scenario() -> None:
        until = time.monotonic() + 32

        async def killer() -> None:
            # A sync worker between two requests dies without cutting anything off, so keep
            # killing (spaced so the replacement can boot) until a kill has hit a request.
            for _ in range(5):
                await asyncio.sleep(4)
                workers = server.worker_pids()
                assert workers, "gunicorn has no worker to kill"
                os.kill(workers[-1], signal.SIGKILL)
                killed.append(workers[-1])
                await asyncio.sleep(1)
                if len(killed) >= 2 and cut_off():
                    return

        # Eight clients back to back keep both workers busy, so kills land mid-request.
        await asyncio.gather(killer(), lanes(group.candidates, 8, until, answer))

    run(scenario(), 150)

    assert len(set(killed)) >= 2
    assert cut_off(), f"{len(killed)} kills cut off no request: the fault never hit the load"
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) != 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(server.worker_pids()) == 2, "gunicorn did not replace the killed workers"
    assert server.healthy()

    report = stack.audit(fault_db.url, group.saves)
    assert report.stored > 50, report.summary()
    assert report.ok, report.summary()
    # Clients retried every cut-off save until it got an answer.
    assert report.unconfirmed == 0, report.summary()
    assert stack.integrity(fault_db.url, group.attempt_ids) == []

    # The attempts are whole: each can be submitted and is graded on what was stored.
    async def submit_all() -> list[int]:
        replies = await asyncio.gather(*(c.submit() for c in group.candidates))
        return [r.status if r else 0 for r in replies]

    assert run(submit_all(), 90) == [200] * len(group.candidates)
    report = stack.audit(fault_db.url, group.saves)
    assert report.ok, report.summary()
    assert stack.integrity(fault_db.url, group.attempt_ids) == []
