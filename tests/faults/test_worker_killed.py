"""A gunicorn worker killed (SIGKILL) in the middle of a load run loses no accepted answer."""

from __future__ import annotations

import asyncio
import sys
import time

from benchmarks.load import stack
from tests.faults.support import answer, crowd, lanes, run


async def kill_busy_worker(server: stack.Gunicorn) -> int | None:
    """Run ``benchmarks.load.killer`` against the server; the pid it killed, if any."""
    assert server.process is not None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.load.killer",
        "--master",
        str(server.process.pid),
        stdout=asyncio.subprocess.PIPE,
        cwd=stack.ROOT,
    )
    out, _ = await process.communicate()
    return int(out) if process.returncode == 0 else None


def test_killed_workers_lose_no_accepted_answer_and_corrupt_no_attempt(fault_db, start_server):
    server = start_server(workers=2)
    group = crowd(fault_db, server, 48)
    killed: list[int] = []

    def cut_off() -> list[object]:
        return [s for s in group.recorder.samples if s.status == 0]

    async def scenario() -> None:
        until = time.monotonic() + 40

        async def killer() -> None:
            # Each kill is aimed at a worker in the middle of a request (``killer`` watches
            # the workers' sockets from its own process), spaced so the replacement can boot;
            # it stops once a kill has cut a request off.
            for _ in range(8):
                await asyncio.sleep(3)
                if time.monotonic() > until - 4:
                    return
                assert server.worker_pids(), "gunicorn has no worker to kill"
                target = await kill_busy_worker(server)
                if target is None:
                    continue
                killed.append(target)
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
