"""Failed sign-ins counted per email, per client address and per both, in memory or Redis.

Counting in memory is per process: with several gunicorn workers each counts apart, so
production sets ``EXAM_ENGINE_REDIS_URL`` and every worker and host shares one count.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from exam_engine.domain.backoff import Backoff, Failures, SignInPolicy

DEFAULT_POLICY = SignInPolicy(
    pair=Backoff(free=5, base_seconds=1, cap_seconds=900),
    email=Backoff(free=5, base_seconds=1, cap_seconds=60),
    address=Backoff(free=50, base_seconds=1, cap_seconds=900),
)


class Counters(Protocol):
    """Where failures are counted; every key forgets after ``memory`` seconds without one."""

    def read(self, keys: list[str]) -> list[Failures]:
        """Return the failures under each key."""

    def add(self, keys: list[str], now: float, memory: int) -> None:
        """Count one failure at ``now`` under each key."""

    def clear(self, keys: list[str]) -> None:
        """Forget these keys' failures."""


PRUNE_ABOVE = 100_000


class MemoryCounters:
    """Counts in this process only (one worker, tests, development)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[int, float, float]] = {}

    def read(self, keys: list[str]) -> list[Failures]:
        """Return each key's failures, dropping those past their memory."""
        now = time.time()
        with self._lock:
            found = []
            for key in keys:
                count, last, forget_at = self._data.get(key, (0, 0.0, 0.0))
                if count and forget_at <= now:
                    del self._data[key]
                    count = 0
                found.append(Failures(count, last) if count else Failures())
            return found

    def add(self, keys: list[str], now: float, memory: int) -> None:
        """Count one failure under each key."""
        with self._lock:
            if len(self._data) > PRUNE_ABOVE:
                # Random emails must not grow a worker's memory without end.
                self._data = {k: v for k, v in self._data.items() if v[2] > now}
            for key in keys:
                count, _last, forget_at = self._data.get(key, (0, 0.0, 0.0))
                if forget_at <= now:
                    count = 0
                self._data[key] = (count + 1, now, now + memory)

    def clear(self, keys: list[str]) -> None:
        """Forget these keys."""
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def forget_all(self) -> None:
        """Forget every count (between tests)."""
        with self._lock:
            self._data.clear()


class RedisCounters:
    """Counts in Redis, shared by every worker and host: one hash per key."""

    def __init__(self, client: Any, prefix: str = "exam-engine:") -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}sign-in-failures:{key}"

    def read(self, keys: list[str]) -> list[Failures]:
        """Return each key's failures (one round trip)."""
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self._key(key), "count", "last")
        found = []
        for count, last in pipe.execute():
            found.append(Failures(int(count), float(last)) if count else Failures())
        return found

    def add(self, keys: list[str], now: float, memory: int) -> None:
        """Count one failure under each key, atomically (MULTI/EXEC)."""
        pipe = self.client.pipeline()
        for key in keys:
            pipe.hincrby(self._key(key), "count", 1)
            pipe.hset(self._key(key), "last", now)
            pipe.expire(self._key(key), memory)
        pipe.execute()

    def clear(self, keys: list[str]) -> None:
        """Forget these keys."""
        self.client.delete(*(self._key(key) for key in keys))


_counters: MemoryCounters | RedisCounters = MemoryCounters()
_policy = DEFAULT_POLICY
_memory = 3600


def configure(counters: MemoryCounters | RedisCounters, policy: SignInPolicy, memory: int) -> None:
    """Choose where failures are counted and how they slow sign-ins (by the app factory)."""
    global _counters, _policy, _memory
    _counters, _policy, _memory = counters, policy, memory


def current_counters() -> MemoryCounters | RedisCounters:
    """The counters in use (for the start-up check and tests)."""
    return _counters


def redis_counters(url: str, prefix: str) -> RedisCounters:
    """Counters in the Redis at ``url`` (connected lazily, at the first use)."""
    import redis

    return RedisCounters(redis.Redis.from_url(url, socket_timeout=5), prefix)


def _keys(email: str, address: str) -> list[str]:
    email = (email or "").strip().lower()
    return [f"pair:{email}|{address}", f"email:{email}", f"address:{address}"]


def seconds_to_wait(email: str, address: str, now: float | None = None) -> int:
    """Whole seconds before ``email`` may be tried from ``address`` (0: go ahead).

    Unknown emails are counted like real ones, so the answer tells nothing about accounts.
    """
    now = time.time() if now is None else now
    pair, by_email, by_address = _counters.read(_keys(email, address))
    wait = _policy.wait(pair, by_email, by_address, now)
    return int(wait) + (1 if wait > int(wait) else 0)


def record_failure(email: str, address: str, now: float | None = None) -> None:
    """Count a wrong email or password from ``address``."""
    _counters.add(_keys(email, address), time.time() if now is None else now, _memory)


def record_success(email: str, address: str) -> None:
    """Forget the email's failures, from here and elsewhere, but not the address's.

    The owner proved who they are; the address's count stays, or one account of one's own
    would wipe the record of guessing at everyone else's from the same place.
    """
    pair, by_email, _address = _keys(email, address)
    _counters.clear([pair, by_email])
