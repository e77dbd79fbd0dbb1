"""Load client: a small HTTP/1.1 client on asyncio streams and a simulated candidate.

The client opens one connection per request (gunicorn's sync workers close every connection
after answering) and keeps each candidate's cookies, so thousands of candidates cost one
event loop and no third-party package. Every request is timed and logged; every save the
candidate considers stored is logged so that a run can be checked against the database.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

PASSWORD = "load-password-123"  # every load user's password (one precomputed hash)
RETRYABLE = {502, 503, 504}


class TransportError(Exception):
    """The request got no complete HTTP answer (refused, reset, timed out, cut short)."""


@dataclass
class Reply:
    """An HTTP answer: status, lower-cased headers, body."""

    status: int
    headers: dict[str, list[str]]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def parse_reply(raw: bytes) -> Reply:
    """Parse a complete HTTP/1.1 response read until the server closed the connection."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise TransportError(f"incomplete response ({len(raw)} bytes)")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise TransportError(f"bad status line {lines[0]!r}")
    headers: dict[str, list[str]] = defaultdict(list)
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()].append(value.strip())
    if "content-length" in headers:
        length = int(headers["content-length"][0])
        if len(body) < length:
            raise TransportError(f"body cut short ({len(body)} of {length} bytes)")
        body = body[:length]
    elif headers.get("transfer-encoding", [""])[0].lower() == "chunked":
        body = dechunk(body)
    return Reply(int(parts[1]), dict(headers), body)


def dechunk(data: bytes) -> bytes:
    """Decode a chunked body."""
    out = bytearray()
    while True:
        size_line, sep, rest = data.partition(b"\r\n")
        if not sep:
            raise TransportError("chunked body cut short")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        if len(rest) < size + 2:
            raise TransportError("chunked body cut short")
        out += rest[:size]
        data = rest[size + 2 :]


@dataclass
class Sample:
    """One HTTP request as the client saw it."""

    endpoint: str
    status: int  # 0: no HTTP answer
    started: float  # monotonic seconds
    latency: float  # seconds from the intended start (queueing in the client included)
    wire: float = 0.0  # seconds from connecting to the last byte (the server's share)


@dataclass
class Recorder:
    """Every request's outcome, grouped by endpoint."""

    samples: list[Sample] = field(default_factory=list)
    # The first answers that were not 2xx/3xx, with their bodies: (endpoint, status, body).
    errors: list[tuple[str, int, bytes]] = field(default_factory=list)

    def add(
        self, endpoint: str, status: int, started: float, latency: float, wire: float = 0.0
    ) -> None:
        """Record one request."""
        self.samples.append(Sample(endpoint, status, started, latency, wire))

    def error(self, endpoint: str, status: int, body: bytes) -> None:
        """Keep an error answer's body (the first 1,000 only)."""
        if len(self.errors) < 1000:
            self.errors.append((endpoint, status, body[:500]))


class Http:
    """One browser's worth of state: a cookie jar and the CSRF token."""

    def __init__(self, host: str, port: int, recorder: Recorder, *, timeout: float = 30.0):
        self.host = host
        self.port = port
        self.recorder = recorder
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self.limit: asyncio.Semaphore | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        intended: float | None = None,
    ) -> Reply:
        """Send one request (with cookies and CSRF) and record its latency and status."""
        intended = time.monotonic() if intended is None else intended
        headers = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        headers.append("Connection: close")
        headers.append("Accept: application/json")
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.append("Content-Type: application/json")
        elif form is not None:
            body = urlencode(form).encode()
            headers.append("Content-Type: application/x-www-form-urlencoded")
        if method != "GET":
            headers.append(f"Content-Length: {len(body)}")
            if self.csrf:
                headers.append(f"X-CSRFToken: {self.csrf}")
        if self.cookies:
            headers.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        payload = ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + body
        status = 0
        timing = [0.0, 0.0]
        try:
            reply = await asyncio.wait_for(self._exchange(payload, timing), self.timeout)
            status = reply.status
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
            raise TransportError(f"{type(error).__name__}: {error}") from error
        finally:
            now = time.monotonic()
            wire = timing[1] - timing[0] if timing[1] else 0.0
            self.recorder.add(endpoint, status, intended, now - intended, wire)
        if status >= 400:
            self.recorder.error(endpoint, status, reply.body)
        for cookie in reply.headers.get("set-cookie", []):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if (
                value
                and "max-age=0" not in cookie.lower()
                and "expires=thu, 01 jan 1970" not in cookie.lower()
            ):
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return reply

    async def _exchange(self, payload: bytes, timing: list[float]) -> Reply:
        if self.limit is not None:
            async with self.limit:
                return await self._exchange_now(payload, timing)
        return await self._exchange_now(payload, timing)

    async def _exchange_now(self, payload: bytes, timing: list[float]) -> Reply:
        timing[0] = time.monotonic()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(payload)
            await writer.drain()
            raw = await reader.read()
            timing[1] = time.monotonic()
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass
        return parse_reply(raw)


@dataclass
class SaveRecord:
    """One save as the candidate meant it, and what became of it."""

    attempt_id: int
    position: int
    seq: int
    choice: str | None
    flagged: bool
    outcome: str = "pending"  # stored | superseded | refused | failed
    sent_at: float = 0.0  # wall-clock time (time.time()) of the first try
    answered_at: float = 0.0  # wall-clock time of the final answer


@dataclass
class Candidate:
    """A simulated candidate: signs in, starts, answers, changes, flags, submits; retries."""

    email: str
    http: Http
    attempt_id: int | None = None
    positions: int = 0
    seq: int = 0
    answers: dict[int, str | None] = field(default_factory=dict)
    flags: dict[int, bool] = field(default_factory=dict)
    saves: list[SaveRecord] = field(default_factory=list)
    finished: bool = False
    rng: random.Random = field(default_factory=random.Random)
    retries: int = 6
    backoff: float = 0.5

    async def _retrying(
        self, method: str, path: str, endpoint: str, intended: float | None = None, **kwargs: Any
    ) -> Reply | None:
        """Send, retrying transport errors and 5xx with backoff; None when every try failed."""
        delay = self.backoff
        for number in range(self.retries + 1):
            try:
                reply = await self.http.request(
                    method, path, endpoint=endpoint, intended=intended, **kwargs
                )
            except TransportError:
                reply = None
            if reply is not None and reply.status not in RETRYABLE:
                return reply
            if number < self.retries:
                await asyncio.sleep(delay * (0.5 + self.rng.random()))
                delay = min(delay * 2, 8.0)
            intended = None
        return None

    async def login(self) -> None:
        """Fetch a CSRF token and sign in through the real form."""
        reply = await self._retrying("GET", "/api/v1/csrf-token", "GET csrf-token")
        if reply is None or reply.status != 200:
            raise RuntimeError(f"{self.email}: no CSRF token ({reply and reply.status})")
        self.http.csrf = reply.json()["csrf_token"]
        form = {"email": self.email, "password": PASSWORD, "csrf_token": self.http.csrf}
        reply = await self._retrying("POST", "/login", "POST /login", form=form)
        if reply is None or reply.status != 302:
            raise RuntimeError(f"{self.email}: login failed ({reply and reply.status})")

    async def start(self, template: str, intended: float | None = None) -> bool:
        """Press start: POST /api/v1/attempts; True when the attempt exists."""
        reply = await self._retrying(
            "POST", "/api/v1/attempts", "POST attempts", intended, json_body={"template": template}
        )
        # 200: a retry whose first try had started the attempt gets that attempt back.
        if reply is None or reply.status not in (200, 201):
            return False
        data = reply.json()
        self.adopt(data["id"], len(data["items"]), int(data.get("seq") or 0))
        return True

    async def start_assigned(
        self, assignment_id: int, positions: int, intended: float | None = None
    ) -> bool:
        """Press start on an assigned mock (the dashboard's form); True when it opens the sitting.

        The answer is a redirect to the first question; like the API start of the unassigned
        scenario, the page itself is not loaded, so both measure starting only.
        """
        path = f"/cohorts/assignments/{assignment_id}/start"
        reply = await self._retrying("POST", path, "POST assignment start", intended)
        if reply is None or reply.status != 303:
            return False
        location = (reply.headers.get("location") or [""])[0]
        # The sitting's resume page (it opens the first unanswered question); older versions
        # redirected to the first question itself.
        match = re.search(r"/attempts/(\d+)/(?:resume|q/1)\b", location)
        if match is None:
            return False
        self.adopt(int(match.group(1)), positions)
        return True

    def adopt(self, attempt_id: int, positions: int, seq: int = 0) -> None:
        """Take over an attempt that exists already (started before the measured window)."""
        self.attempt_id = attempt_id
        self.positions = positions
        self.seq = seq

    async def save(
        self, position: int, choice: str | None, flagged: bool, intended: float | None = None
    ) -> SaveRecord:
        """PUT one answer with the next seq; retry the same seq until the server answers."""
        assert self.attempt_id is not None
        self.seq += 1
        record = SaveRecord(self.attempt_id, position, self.seq, choice, flagged)
        record.sent_at = time.time()
        self.saves.append(record)
        body = {"choice": choice, "flagged": flagged, "seq": record.seq}
        path = f"/api/v1/attempts/{self.attempt_id}/responses/{position}"
        reply = await self._retrying("PUT", path, "PUT responses", intended, json_body=body)
        record.answered_at = time.time()
        if reply is None:
            record.outcome = "failed"
        elif reply.status == 409:
            record.outcome = "refused"
            self.finished = True
        elif reply.status != 200:
            record.outcome = "failed"
        else:
            data = reply.json()
            same = data["choice"] == choice and data["flagged"] == flagged
            if data["accepted"] or (data["seq"] == record.seq and same):
                # A retry of a save that had already been stored answers accepted=false.
                record.outcome = "stored"
                self.answers[position] = choice
                self.flags[position] = flagged
            else:
                record.outcome = "superseded"
            self.seq = max(self.seq, int(data["attempt_seq"]))
        return record

    async def submit(self, intended: float | None = None) -> Reply | None:
        """Submit the attempt (idempotent on the server)."""
        assert self.attempt_id is not None
        path = f"/api/v1/attempts/{self.attempt_id}/submit"
        reply = await self._retrying("POST", path, "POST submit", intended)
        if reply is not None and reply.status == 200:
            self.finished = True
        return reply

    def next_action(self) -> tuple[int, str | None, bool]:
        """A realistic next save: mostly a new answer, sometimes a change or a flag toggle."""
        unanswered = [p for p in range(1, self.positions + 1) if self.answers.get(p) is None]
        answered = [p for p in self.answers if self.answers[p] is not None]
        roll = self.rng.random()
        if answered and (roll < 0.2 or not unanswered):
            position = self.rng.choice(answered)
            options = [c for c in "ABCD" if c != self.answers[position]]
            return position, self.rng.choice(options), self.flags.get(position, False)
        if answered and roll < 0.3:
            position = self.rng.choice(answered)
            return position, self.answers[position], not self.flags.get(position, False)
        position = unanswered[0] if unanswered else self.rng.randint(1, self.positions)
        return position, self.rng.choice("ABCD"), self.flags.get(position, False)


async def loop_lag(samples: list[float], stop: asyncio.Event, every: float = 0.1) -> None:
    """Record how late the client's own event loop wakes up (its lag inflates latencies)."""
    while not stop.is_set():
        planned = time.monotonic() + every
        await asyncio.sleep(every)
        samples.append(time.monotonic() - planned)


def timeline(samples: list[Sample], endpoint: str, step: float = 10.0) -> list[dict[str, Any]]:
    """p50/p99 and count of one endpoint per ``step`` seconds, to spot stalls."""
    group = [s for s in samples if s.endpoint == endpoint and 200 <= s.status < 400]
    if not group:
        return []
    origin = min(s.started for s in group)
    buckets: dict[int, list[Sample]] = defaultdict(list)
    for sample in group:
        buckets[int((sample.started - origin) // step)].append(sample)
    return [
        {
            "from_s": int(n * step),
            "requests": len(b),
            "p50_ms": round(percentile([s.latency for s in b], 0.5) * 1000, 1),
            "p99_ms": round(percentile([s.latency for s in b], 0.99) * 1000, 1),
            "wire_p99_ms": round(percentile([s.wire for s in b], 0.99) * 1000, 1),
        }
        for n, b in sorted(buckets.items())
    ]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def summarize(
    samples: list[Sample],
    window: tuple[float, float] | None = None,
    spans: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Per endpoint: requests, statuses, throughput and p50/p95/p99 of the answered requests.

    Throughput divides by ``spans[endpoint]`` when given (seconds the endpoint was driven),
    else by ``window``, else by the time from the endpoint's first request to its last answer.
    """
    by_endpoint: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_endpoint[sample.endpoint].append(sample)
    rows = []
    for endpoint, group in sorted(by_endpoint.items()):
        answered = [s for s in group if 200 <= s.status < 400 or s.status == 409]
        ok = [s.latency for s in answered]
        wire = [s.wire for s in answered]
        if window is None:
            start = min(s.started for s in group)
            end = max(s.started + s.latency for s in group)
        else:
            start, end = window
        span = max((spans or {}).get(endpoint, end - start), 1e-9)
        statuses: dict[str, int] = defaultdict(int)
        for s in group:
            statuses[str(s.status) if s.status else "no answer"] += 1
        rows.append(
            {
                "endpoint": endpoint,
                "requests": len(group),
                "statuses": dict(sorted(statuses.items())),
                "seconds": round(span, 1),
                "per_second": round(len(group) / span, 1),
                "p50_ms": round(percentile(ok, 0.50) * 1000, 1),
                "p95_ms": round(percentile(ok, 0.95) * 1000, 1),
                "p99_ms": round(percentile(ok, 0.99) * 1000, 1),
                "max_ms": round(max(ok, default=0) * 1000, 1),
                "wire_p99_ms": round(percentile(wire, 0.99) * 1000, 1),
            }
        )
    return rows
