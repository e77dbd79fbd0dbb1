"""Two app hosts behind HAProxy, sharing PostgreSQL and Redis; one host killed mid-run.

    .venv/bin/python -m benchmarks.two_hosts -n 1000 --window 90 --kill-at 30 --down 5

Needs root (network namespaces), ``ip`` (iproute2) and HAProxy (Debian:
``apt-get install -y haproxy``), PostgreSQL at 127.0.0.1:5432 (``LOAD_PG_SERVER``) and
Redis at 127.0.0.1:6379 (``--redis``; the run's keys carry a prefix of their own and are
deleted at the end). The layout is in ``benchmarks/load/netns.py``: each host is gunicorn
in a network namespace of its own; HAProxy in the root namespace balances over them and
relays PostgreSQL and Redis to them.

What a run does, every step bounded in time (``--timeout`` is a hard limit on the load):
the database (``--database``, dropped and made again) gets the bank, N candidates and an
attempt for each; both hosts start; every candidate signs in through the balancer; the
**session check** takes a sample of them and, with each one's cookies, reads the attempt
and saves an answer through host a alone and through host b alone; the **counter check**
fails sign-ins of one email alternately on a and b and expects the try after the allowed
number to be refused (429) on both hosts (counted apart, neither host would have seen
enough); then the **paced window**: every candidate saves one answer every ``--pace``
seconds (and sometimes a change or a flag). At ``--kill-at`` seconds host a's gunicorn
master and workers are killed at once (SIGKILL to its process group, aimed at a moment a
worker is in a request, like ``benchmarks/load/killer.py``); ``--down`` seconds later host
a is started again, and the balancer puts it back once its health check passes. After the
window the session check runs again (host a is now the restarted one), everyone submits,
and the database is audited against every save the clients were told was stored.

Exit status 0 only when nothing was lost, every save was confirmed, every candidate
submitted, sessions worked on both hosts, the counters were shared and host a came back.
Namespaces, links, HAProxy and gunicorn are removed on every way out (SIGINT and SIGTERM
included); a run killed outright leaves them to the next run, which removes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks.load import netns, stack
from benchmarks.load.client import (
    RETRYABLE,
    Candidate,
    Http,
    Recorder,
    Reply,
    Sample,
    TransportError,
    percentile,
    summarize,
)
from benchmarks.load.run import answer_at_pace, machine, make_candidates, sign_in_all, table

PG_RELAY_PORT = 5432
REDIS_RELAY_PORT = 6379
FREE_FAILURES = 4  # failed sign-ins of one email before the next must wait
FAILURE_WAIT_SECONDS = 600  # so the refusal is certain however slow the machine is
WRONG_PASSWORD = "not-the-password-123"


@dataclass
class Settings:
    """One run's size and timing."""

    n: int = 1000
    window: float = 90.0
    kill_at: float = 30.0
    down: float = 5.0
    pace: tuple[float, float] = (20.0, 40.0)
    extra: float = 0.3
    submit_spread: float = 30.0  # everyone submits within this many seconds after the window
    workers: int = 2
    sample: int = 20
    seed: int = 19
    timeout: float = 900.0
    redis: str = "redis://127.0.0.1:6379/0"


def relayed(url: str, address: str, port: int) -> tuple[str, str]:
    """``url`` pointed at a relay at ``address:port``, and the ``host:port`` it relays to."""
    parts = urlsplit(url)
    default = {"redis": 6379, "rediss": 6379}.get(parts.scheme, 5432)
    target = f"{parts.hostname}:{parts.port or default}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{address}:{port}" if userinfo else f"{address}:{port}"
    return urlunsplit(parts._replace(netloc=netloc)), target


class TwoHosts:
    """Namespaces, HAProxy and a gunicorn per host; everything undone by :meth:`close`."""

    def __init__(self, work: Path, url: str, settings: Settings) -> None:
        self.work = work
        self.url = url
        self.settings = settings
        self.network = netns.Network()
        self.prefix = f"exam-two-hosts-{self.network.tag}:"
        _, pg_target = relayed(url, "-", PG_RELAY_PORT)
        _, redis_target = relayed(settings.redis, "-", REDIS_RELAY_PORT)
        self.relays = [
            netns.Relay("postgres", pg_target, PG_RELAY_PORT),
            netns.Relay("redis", redis_target, REDIS_RELAY_PORT),
        ]
        self.haproxy: netns.HAProxy | None = None
        self.hosts: dict[str, stack.Gunicorn] = {}
        self.starts: dict[str, int] = {}
        self.closing = False

    def open(self) -> None:
        """Create the namespaces and links, start HAProxy, then both hosts."""
        netns.remove_stale()
        self.network.create(("a", "b"))
        self.haproxy = netns.HAProxy(self.work, self.network.links, self.relays)
        self.haproxy.start()
        for name in self.network.links:
            self.start_host(name)
        for name in self.network.links:
            if not self.haproxy.wait_status(name, "UP", 30):
                raise RuntimeError(f"the balancer did not see host {name} up within 30 s")

    def env(self, name: str) -> dict[str, str]:
        """Host ``name``'s environment: the shared services through its relays, own instance."""
        link = self.network.links[name]
        url, _ = relayed(self.url, link.outside_ip, PG_RELAY_PORT)
        redis_url, _ = relayed(self.settings.redis, link.outside_ip, REDIS_RELAY_PORT)
        return stack.app_env(
            url,
            self.work / f"instance-{name}",  # nothing on disk is shared between the hosts
            REDIS_URL=redis_url,
            REDIS_KEY_PREFIX=self.prefix,
            PROXY_FIX=1,  # HAProxy's X-Forwarded-For carries the client's address
            LOGIN_RATE_LIMIT="1000000 per minute",  # every simulated candidate is 127.0.0.1
            LOGIN_FREE_FAILURES=FREE_FAILURES,
            LOGIN_FIRST_DELAY_SECONDS=FAILURE_WAIT_SECONDS,
        )

    def start_host(self, name: str) -> stack.Gunicorn:
        """Start (or start again) host ``name``'s gunicorn in its namespace; wait for health."""
        if self.closing:  # a restart still running in a thread when the run was cut short
            raise RuntimeError(f"not starting host {name}: the hosts are being shut down")
        link = self.network.links[name]
        self.starts[name] = self.starts.get(name, 0) + 1
        server = stack.Gunicorn(
            self.env(name),
            self.work / f"gunicorn-{name}-{self.starts[name]}.log",
            workers=self.settings.workers,
            host=link.inside_ip,
            port=netns.APP_PORT,
            prefix=link.exec_prefix,
        )
        self.hosts[name] = server
        server.start(timeout=120)
        return server

    def pinned_port(self, name: str) -> int:
        """HAProxy's port that sends every request to host ``name``."""
        assert self.haproxy is not None
        return self.haproxy.pinned[name]

    def close(self) -> list[str]:
        """Stop every process, remove links, namespaces and Redis keys; what was left over."""
        self.closing = True
        for server in self.hosts.values():
            try:
                server.stop()
            except Exception as error:  # noqa: BLE001 - keep cleaning up; the error is printed
                print(f"stopping gunicorn {server.process and server.process.pid}: {error}")
        if self.haproxy is not None:
            self.haproxy.stop()
        self.network.remove()
        try:
            forget_keys(self.settings.redis, self.prefix)
        except Exception as error:  # noqa: BLE001 - Redis may be the thing that failed
            print(f"could not delete the run's Redis keys ({self.prefix}*): {error}")
        return self.network.leftovers()


def forget_keys(url: str, prefix: str) -> int:
    """Delete every key under ``prefix`` in the Redis at ``url``; how many there were."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.close()
    return len(keys)


def count_in_redis(url: str, key: str) -> int:
    """The ``count`` field of a sign-in failure hash in Redis (0 when absent)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    value = client.hget(key, "count")
    client.close()
    return int(value or 0)


@contextmanager
def two_hosts(work: Path, url: str, settings: Settings) -> Iterator[TwoHosts]:
    """Run two hosts for the block; always clean up, and fail if anything was left behind."""
    hosts = TwoHosts(work, url, settings)
    try:
        hosts.open()
        yield hosts
    finally:
        left = hosts.close()
        if left:
            raise RuntimeError(f"left behind after clean-up: {left}")


@contextmanager
def signals_end_the_run() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run like Ctrl-C does, so every ``finally`` cleans up."""

    def stop(number: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {number}")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def probe(candidate: Candidate, port: int) -> Http:
    """A copy of the candidate's browser state (cookies, CSRF token) aimed at ``port``."""
    http = Http(candidate.http.host, port, candidate.http.recorder)
    http.cookies = dict(candidate.http.cookies)
    http.csrf = candidate.http.csrf
    return http


async def read_attempt(candidate: Candidate, port: int) -> Reply | None:
    """GET the candidate's attempt through ``port``, retried like the candidate's requests."""
    http = probe(candidate, port)
    path = f"/api/v1/attempts/{candidate.attempt_id}"
    delay = candidate.backoff
    for number in range(candidate.retries + 1):
        try:
            reply = await http.request("GET", path, endpoint="GET attempt (pinned)")
        except TransportError:
            reply = None
        if reply is not None and reply.status not in RETRYABLE:
            return reply
        if number < candidate.retries:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)
    return None


async def sessions_on_each_host(hosts: TwoHosts, sample: list[Candidate]) -> dict[str, Any]:
    """Each sampled candidate reads its attempt and saves an answer through each host alone."""
    outcome: dict[str, Any] = {}
    refused: list[str] = []
    for name in hosts.network.links:
        port = hosts.pinned_port(name)
        reads = saves = 0
        for candidate in sample:
            # Retried like every client request (no answer, 502-504): what is checked is
            # whether the host accepts the session, not whether a loaded host answers at once.
            reply = await read_attempt(candidate, port)
            if reply is not None and reply.status == 200:
                reads += reply.json().get("id") == candidate.attempt_id
            elif reply is not None:
                refused.append(f"{name}: GET attempt {reply.status}")
            balanced = candidate.http.port
            candidate.http.port = port  # this save goes to host ``name`` alone
            try:
                record = await candidate.save(*candidate.next_action())
            finally:
                candidate.http.port = balanced
            saves += record.outcome == "stored"
        outcome[name] = {"sampled": len(sample), "reads_ok": reads, "saves_stored": saves}
    outcome["refused"] = refused[:10]
    outcome["ok"] = all(
        v["reads_ok"] == v["saves_stored"] == len(sample)
        for k, v in outcome.items()
        if k in hosts.network.links
    )
    return outcome


async def counters_shared(hosts: TwoHosts, email: str) -> dict[str, Any]:
    """Fail sign-ins of ``email`` alternately on each host; the next try is refused on both."""
    names = list(hosts.network.links)
    recorder = Recorder()
    http = Http("127.0.0.1", hosts.pinned_port(names[0]), recorder)
    token = await http.request("GET", "/api/v1/csrf-token", endpoint="GET csrf-token")
    http.csrf = token.json()["csrf_token"]
    form = {"email": email, "password": WRONG_PASSWORD, "csrf_token": http.csrf}
    failures = []
    for number in range(FREE_FAILURES):
        http.port = hosts.pinned_port(names[number % len(names)])
        reply = await http.request("POST", "/login", endpoint="POST /login (wrong)", form=form)
        failures.append(reply.status)
    refused = {}
    for name in names:
        http.port = hosts.pinned_port(name)
        reply = await http.request("POST", "/login", endpoint="POST /login (wrong)", form=form)
        refused[name] = reply.status
    key = f"{hosts.prefix}sign-in-failures:email:{email.lower()}"
    counted = count_in_redis(hosts.settings.redis, key)
    return {
        "failures_allowed": FREE_FAILURES,
        "failure_statuses": failures,
        "next_try_statuses": refused,
        "count_in_redis": counted,
        "ok": 429 not in failures
        and all(status == 429 for status in refused.values())
        and counted == FREE_FAILURES,
    }


@dataclass
class Fault:
    """When host a went down and came back (monotonic seconds), and how it was killed."""

    aimed: bool = False
    killed_at: float = 0.0
    restart_at: float = 0.0
    healthy_at: float = 0.0
    up_at: float = 0.0  # the balancer sends it requests again
    came_back: bool = False
    exit_status: int | None = None
    served: dict[str, dict[str, int]] = field(default_factory=dict)


async def kill_host(hosts: TwoHosts, name: str, fault: Fault) -> None:
    """SIGKILL host ``name``'s process group while a worker is in a request (or at once)."""
    server = hosts.hosts[name]
    assert server.process is not None
    killer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.load.killer",
        "--master",
        str(server.process.pid),
        "--within",
        "10",
        "--group",
        stdout=asyncio.subprocess.DEVNULL,
        cwd=stack.ROOT,
    )
    fault.aimed = await killer.wait() == 0
    if not fault.aimed:
        server.kill()  # no request reached it in 10 s: down it goes all the same
    fault.killed_at = time.monotonic()
    fault.exit_status = await asyncio.to_thread(server.process.wait, 10)


async def outage(hosts: TwoHosts, began: float, settings: Settings, fault: Fault) -> None:
    """Kill host a at ``kill_at``, start it again ``down`` s later, wait until it serves."""
    assert hosts.haproxy is not None
    await asyncio.sleep(max(0.0, began + settings.kill_at - time.monotonic()))
    fault.served["kill"] = hosts.haproxy.served()
    await kill_host(hosts, "a", fault)
    await asyncio.sleep(settings.down)
    fault.restart_at = time.monotonic()
    await asyncio.to_thread(hosts.start_host, "a")
    fault.healthy_at = time.monotonic()
    fault.came_back = await asyncio.to_thread(hosts.haproxy.wait_status, "a", "UP", 60)
    fault.up_at = time.monotonic()
    fault.served["back"] = hosts.haproxy.served()


def phases(samples: list[Sample], began: float, end: float, fault: Fault) -> dict[str, Any]:
    """Per-endpoint figures before the kill, from the kill until host a is back, and after."""
    bounds = {
        "before": (began, fault.killed_at),
        "during": (fault.killed_at, fault.up_at),
        "after": (fault.up_at, max(end, fault.up_at)),
    }
    out = {}
    for phase, (low, high) in bounds.items():
        chosen = [s for s in samples if low <= s.started < high]
        out[phase] = {
            "seconds": round(high - low, 1),
            "endpoints": summarize(chosen, (low, high)) if chosen else [],
        }
    return out


def served_per_phase(served: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Requests the balancer sent each host in each phase, from its cumulative counters."""
    spans = {"before": ("start", "kill"), "during": ("kill", "back"), "after": ("back", "end")}
    return {
        phase: {h: served[last][h] - served[first][h] for h in served[last]}
        for phase, (first, last) in spans.items()
        if first in served and last in served
    }


def saves_per_phase(
    candidates: list[Candidate], began: float, end: float, fault: Fault
) -> dict[str, Any]:
    """Each save from its first try to its confirmation (retries included), by phase.

    The per-request tables count a cut-off request and its retry apart; this is what the
    candidate waited for an answer to be stored.
    """
    # SaveRecord times are wall-clock; the phase bounds are monotonic.
    shift = time.time() - time.monotonic()
    bounds = {
        "before": (began, fault.killed_at),
        "during": (fault.killed_at, fault.up_at),
        "after": (fault.up_at, max(end, fault.up_at)),
    }
    out: dict[str, Any] = {}
    records = [r for c in candidates for r in c.saves if r.answered_at]
    for phase, (low, high) in bounds.items():
        waits = [
            r.answered_at - r.sent_at
            for r in records
            if low + shift <= r.sent_at < high + shift and r.outcome == "stored"
        ]
        out[phase] = {
            "saves": len(waits),
            "p50_ms": round(percentile(waits, 0.5) * 1000, 1),
            "p99_ms": round(percentile(waits, 0.99) * 1000, 1),
            "max_ms": round(max(waits, default=0) * 1000, 1),
        }
    return out


async def scenario(hosts: TwoHosts, url: str, emails: list[str], settings: Settings) -> dict:
    """Sign in, check sessions and counters, paced window with the outage, check, submit."""
    assert hosts.haproxy is not None
    attempts = stack.prestart_attempts(url, emails, "aaism-full")
    recorder = Recorder()
    candidates = make_candidates(emails, hosts.haproxy.balanced, recorder, settings.seed, 1500)
    for candidate in candidates:
        candidate.adopt(*attempts[candidate.email])
    out: dict[str, Any] = {"n": len(candidates)}
    out["sign_in_seconds"] = round(await sign_in_all(candidates, 8), 1)
    sample = random.Random(settings.seed).sample(candidates, min(settings.sample, len(candidates)))
    out["sessions_before"] = await sessions_on_each_host(hosts, sample)
    out["counters"] = await counters_shared(hosts, f"nobody-{hosts.network.tag}@load.example")
    recorder.samples.clear()

    fault = Fault()
    fault.served["start"] = hosts.haproxy.served()
    began = time.monotonic()
    end = began + settings.window
    outage_task = asyncio.ensure_future(outage(hosts, began, settings, fault))
    await asyncio.gather(
        *(answer_at_pace(c, began, end, settings.pace, settings.extra, None) for c in candidates)
    )
    await outage_task  # the window may end before host a is back: wait for it
    fault.served["end"] = hosts.haproxy.served()
    window_end = time.monotonic()
    out["phases"] = phases(list(recorder.samples), began, window_end, fault)
    out["window"] = summarize(list(recorder.samples), (began, window_end))
    out["saves_by_phase"] = saves_per_phase(candidates, began, window_end, fault)
    out["served"] = served_per_phase(fault.served)
    out["fault"] = {
        "host": "a",
        "aimed_at_a_request": fault.aimed,
        "master_exit_status": fault.exit_status,
        "kill_at_s": round(fault.killed_at - began, 1),
        "down_s": settings.down,
        "restart_to_healthy_s": round(fault.healthy_at - fault.restart_at, 1),
        "kill_to_back_in_balancer_s": round(fault.up_at - fault.killed_at, 1),
        "came_back": fault.came_back,
    }
    out["sessions_after"] = await sessions_on_each_host(hosts, sample)

    # Everyone submits within the next few seconds (as in the load script's sync-start), not
    # all in the same instant.
    rng = random.Random(settings.seed + 1)

    async def submit(candidate: Candidate) -> Reply | None:
        await asyncio.sleep(rng.uniform(0, settings.submit_spread))
        return await candidate.submit()

    replies = await asyncio.gather(*(submit(c) for c in candidates))
    out["submitted"] = sum(1 for r in replies if r is not None and r.status == 200)
    out["failed_requests_during_window"] = sum(
        1 for s in recorder.samples if s.status == 0 or s.status >= 500
    )
    report = stack.audit(url, (r for c in candidates for r in c.saves))
    out["audit"] = report.summary()
    out["integrity"] = stack.integrity(url, [attempts[e][0] for e in emails])[:10]
    out["ok"] = bool(
        report.ok
        and report.unconfirmed == 0
        and not out["integrity"]
        and out["submitted"] == len(candidates)
        and out["sessions_before"]["ok"]
        and out["sessions_after"]["ok"]
        and out["counters"]["ok"]
        and fault.came_back
    )
    return out


def run_two_hosts(url: str, emails: list[str], settings: Settings, work: Path) -> dict[str, Any]:
    """Bring up two hosts on a prepared database, run the scenario (bounded), tear down."""
    with two_hosts(work, url, settings) as hosts:

        async def bounded() -> dict[str, Any]:
            return await asyncio.wait_for(scenario(hosts, url, emails, settings), settings.timeout)

        result = asyncio.run(bounded())
    result["cleaned_up"] = True  # two_hosts raises when something was left behind
    return result


def report(result: dict[str, Any]) -> str:
    """The run as text: phases, hosts, checks and the audit."""
    lines = [
        f"two hosts, N={result['n']} ({result['machine']}); load average"
        f" {' '.join(result['load_average_before'])} before,"
        f" {' '.join(result['load_average_after'])} after",
        f"sign-in {result['sign_in_seconds']} s; fault: {json.dumps(result['fault'])}",
    ]
    for phase, data in result["phases"].items():
        lines.append(f"\n{phase} ({data['seconds']} s):")
        lines.append(table(data["endpoints"]) if data["endpoints"] else "(no requests)")
    lines.append(f"\nsaves, first try to confirmation: {json.dumps(result['saves_by_phase'])}")
    lines.append(f"requests each host got from the balancer: {json.dumps(result['served'])}")
    for check in ("sessions_before", "sessions_after", "counters"):
        lines.append(f"{check}: {json.dumps(result[check])}")
    lines.append(f"submitted: {result['submitted']} of {result['n']}")
    lines.append(f"audit: {json.dumps(result['audit'])}; integrity: {result['integrity']}")
    lines.append(f"all targets met: {result['ok']}")
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="candidates")
    parser.add_argument("--window", type=float, default=90, help="paced window (s)")
    parser.add_argument("--kill-at", type=float, default=30, help="s into the window")
    parser.add_argument("--down", type=float, default=5, help="s host a stays down")
    parser.add_argument("--pace", type=float, nargs=2, default=(20.0, 40.0), help="s per answer")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--database", default="exam_two_hosts")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=900, help="hard limit (s) of the load")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare a database, run two hosts with one killed, print the figures."""
    args = parse(argv)
    problem = netns.missing_requirements()
    if problem:
        print(f"two_hosts: {problem}", file=sys.stderr)
        return 2
    if not 0 < args.kill_at < args.window:
        print("two_hosts: --kill-at must fall inside the window", file=sys.stderr)
        return 2
    settings = Settings(
        n=args.n,
        window=args.window,
        kill_at=args.kill_at,
        down=args.down,
        pace=tuple(args.pace),
        workers=args.workers,
        timeout=args.timeout,
        redis=args.redis,
    )
    work = Path(tempfile.mkdtemp(prefix="exam-two-hosts-"))
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    try:
        with signals_end_the_run():
            url = stack.recreate_database(args.database)
            emails = stack.prepare(url, stack.app_env(url, work / "instance-setup"), args.n)
            result = run_two_hosts(url, emails, settings, work)
    except KeyboardInterrupt as stop:
        print(
            f"two_hosts: stopped ({stop}); hosts, HAProxy and namespaces removed", file=sys.stderr
        )
        return 130
    result.update(
        machine=machine(),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        command=" ".join(sys.argv),
        load_average_before=load_before,
        load_average_after=Path("/proc/loadavg").read_text().split()[:3],
        logs=str(work),
    )
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
