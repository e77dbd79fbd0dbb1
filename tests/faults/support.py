"""Helpers of the fault tests: the shared database's users and crowds of signed-in candidates."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.load import stack
from benchmarks.load.client import Candidate, Http, Recorder, SaveRecord


@dataclass
class FaultDatabase:
    """The fault tests' database with its users; each test takes users of its own."""

    url: str
    emails: list[str]
    taken: int = 0

    @property
    def database(self) -> str:
        """The database's name."""
        return self.url.rsplit("/", 1)[1]

    def take(self, count: int) -> list[str]:
        """Users no other test has used."""
        if self.taken + count > len(self.emails):
            raise RuntimeError(f"only {len(self.emails)} fault-test users; raise USERS")
        out = self.emails[self.taken : self.taken + count]
        self.taken += count
        return out


@dataclass
class Crowd:
    """Signed-in candidates, each with an attempt of their own, sharing one recorder."""

    candidates: list[Candidate]
    recorder: Recorder
    attempt_ids: list[int] = field(default_factory=list)

    @property
    def saves(self) -> list[Any]:
        """Every save any candidate logged."""
        return [record for c in self.candidates for record in c.saves]


def crowd(fault_db: FaultDatabase, server: stack.Gunicorn, count: int, seed: int = 7) -> Crowd:
    """Start ``count`` attempts in the database and sign their candidates in over HTTP."""
    emails = fault_db.take(count)
    attempts = stack.prestart_attempts(fault_db.url, emails, "aaism-full")
    recorder = Recorder()
    candidates = []
    for n, email in enumerate(emails):
        candidate = Candidate(email, Http("127.0.0.1", server.port, recorder))
        candidate.rng = random.Random(seed * 10_000 + n)
        candidate.adopt(*attempts[email])
        candidates.append(candidate)

    async def sign_in() -> None:
        gate = asyncio.Semaphore(8)

        async def one(candidate: Candidate) -> None:
            async with gate:
                await candidate.login()

        await asyncio.gather(*(one(c) for c in candidates))

    asyncio.run(asyncio.wait_for(sign_in(), 120))
    ids = [attempts[e][0] for e in emails]
    return Crowd(candidates, recorder, ids)


def run(coroutine: Awaitable[Any], limit: float) -> Any:
    """Run a scenario on a fresh event loop, never longer than ``limit`` seconds."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coroutine, limit)

    return asyncio.run(bounded())


async def together(*awaitables: Awaitable[Any]) -> list[Any]:
    """Await all at once (``asyncio.gather`` inside the loop that ``run`` creates)."""
    return list(await asyncio.gather(*awaitables))


async def lanes(
    candidates: list[Candidate],
    count: int,
    until: float,
    act: Callable[[Candidate], Awaitable[Any]],
) -> None:
    """Closed loop: ``count`` lanes, each taking its candidates in turn until ``until``."""

    async def lane(mine: list[Candidate]) -> None:
        turn = 0
        while time.monotonic() < until:
            await act(mine[turn % len(mine)])
            turn += 1

    await asyncio.gather(*(lane(candidates[n::count]) for n in range(count)))


async def answer(candidate: Candidate) -> SaveRecord:
    """One realistic save (a new answer, a change or a flag toggle)."""
    return await candidate.save(*candidate.next_action())
