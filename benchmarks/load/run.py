"""Load scenarios against gunicorn + PostgreSQL on loopback; prints a table, writes JSON.

    .venv/bin/python -m benchmarks.load.run steady -n 5000
    .venv/bin/python -m benchmarks.load.run sync-start -n 1000
    .venv/bin/python -m benchmarks.load.run sync-start -n 1000 --assigned

``steady``: N candidates with attempts started before the window sign in, then the floor
comparison (autosave and the floor endpoint alternately at saturation), then N candidates
answer at a realistic pace (one new answer every 60-100 s each, plus changes and flag
toggles) for ``--window`` seconds, a few submit, and the database is audited against the
clients' logs. ``sync-start``: N signed-in candidates press start within ``--spread``
seconds, answer, change and flag, and submit; then the same audit. With ``--assigned`` they
are the students of one cohort whose assignment was made (and their forms prepared) before
the window; the window opens after sign-in and they press the dashboard's assigned Start (a form
POST answered by a redirect, which is not followed).
Every scenario runs in a database of its own (``exam_load``), is bounded by ``--timeout``
and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.load import stack
from benchmarks.load.client import (
    Candidate,
    Http,
    Recorder,
    loop_lag,
    percentile,
    summarize,
    timeline,
)

HOST = "127.0.0.1"


def machine() -> str:
    """CPU count, CPU model and Python version, for the report."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    import os

    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


async def gather_limited(jobs: list[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    """Run coroutine factories with at most ``limit`` at once."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))


async def sleep_until(moment: float) -> None:
    """Sleep until the monotonic clock reaches ``moment``."""
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


def make_candidates(
    emails: list[str], port: int, recorder: Recorder, seed: int, inflight: int
) -> list[Candidate]:
    """One Candidate per email, sharing a limit on connections in flight."""
    gate = asyncio.Semaphore(inflight)
    out = []
    for n, email in enumerate(emails):
        http = Http(HOST, port, recorder)
        http.limit = gate
        out.append(Candidate(email, http, rng=random.Random(seed * 1_000_003 + n)))
    return out


async def sign_in_all(candidates: list[Candidate], limit: int) -> float:
    """Sign everyone in (closed loop, ``limit`` at a time); return the seconds it took."""
    began = time.monotonic()
    await gather_limited([c.login for c in candidates], limit)
    return time.monotonic() - began


async def saturate(
    candidates: list[Candidate], path: str, seconds: float, concurrency: int
) -> tuple[int, float]:
    """Closed loop: ``concurrency`` clients save back to back for ``seconds``."""
    stop = time.monotonic() + seconds
    done = 0

    async def loop(lane: int) -> None:
        nonlocal done
        mine = candidates[lane::concurrency]
        turn = 0
        while time.monotonic() < stop:
            candidate = mine[turn % len(mine)]
            turn += 1
            position, choice, flagged = candidate.next_action()
            if path == "autosave":
                record = await candidate.save(position, choice, flagged)
                ok = record.outcome == "stored"
            else:
                candidate.seq += 1
                reply = await candidate._retrying(
                    "PUT",
                    f"/api/v1/benchmark-floor/{candidate.attempt_id}/responses/{position}",
                    "PUT floor",
                    json_body={"choice": choice, "flagged": flagged, "seq": candidate.seq},
                )
                ok = reply is not None and reply.status == 200
            done += ok

    began = time.monotonic()
    await asyncio.gather(*(loop(lane) for lane in range(concurrency)))
    return done, time.monotonic() - began


async def answer_at_pace(
    candidate: Candidate,
    began: float,
    end: float,
    pace: tuple[float, float],
    extra: float,
    submit_at: float | None,
) -> None:
    """Open loop: a new answer every ``pace`` seconds, sometimes a change or a flag after it."""
    rng = candidate.rng
    moment = began + rng.uniform(0, pace[1])
    while moment < end and not candidate.finished:
        if submit_at is not None and moment >= submit_at:
            break
        await sleep_until(moment)
        position, choice, flagged = candidate.next_action()
        await candidate.save(position, choice, flagged, intended=moment)
        following = moment + rng.uniform(*pace)
        if rng.random() < extra:
            # A change or a flag a little later, always before the next new answer.
            later = moment + rng.uniform(0.1, 0.4) * (following - moment)
            if later < end and (submit_at is None or later < submit_at):
                await sleep_until(later)
                position, choice, flagged = candidate.next_action()
                await candidate.save(position, choice, flagged, intended=later)
        moment = following
    if submit_at is not None and not candidate.finished:
        await sleep_until(submit_at)
        await candidate.submit(intended=max(submit_at, time.monotonic()))


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of per-endpoint figures."""
    lines = [
        "| endpoint | requests | statuses | req/s | p50 ms | p95 ms | p99 ms | max ms"
        " | server p99 ms |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        statuses = ", ".join(f"{k}: {v}" for k, v in row["statuses"].items())
        lines.append(
            f"| {row['endpoint']} | {row['requests']} | {statuses} | {row['per_second']} "
            f"| {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} "
            f"| {row['wire_p99_ms']} |"
        )
    return "\n".join(lines)


async def steady(args: argparse.Namespace, server: stack.Gunicorn, emails: list[str]) -> dict:
    """Sign-in, floor comparison, then the paced window; returns the figures."""
    attempts = args.prestarted
    recorder = Recorder()
    candidates = make_candidates(emails, server.port, recorder, args.seed, args.inflight)
    for candidate in candidates:
        candidate.adopt(*attempts[candidate.email])
    out: dict[str, Any] = {}
    out["sign_in_seconds"] = round(await sign_in_all(candidates, args.login_concurrency), 1)
    out["sign_in"] = summarize(recorder.samples)
    recorder.samples.clear()

    floor: dict[str, list[float]] = {"autosave": [], "floor": []}
    spent = {"autosave": 0.0, "floor": 0.0}
    for _ in range(args.floor_rounds):
        for path in ("autosave", "floor"):
            done, seconds = await saturate(candidates, path, args.floor_seconds, args.concurrency)
            floor[path].append(done / seconds)
            spent[path] += seconds
    out["saturation"] = {
        "concurrency": args.concurrency,
        "seconds_each": args.floor_seconds,
        "rounds": args.floor_rounds,
        "autosave_per_second": [round(x, 1) for x in floor["autosave"]],
        "floor_per_second": [round(x, 1) for x in floor["floor"]],
        "ratio": round(sum(floor["autosave"]) / max(sum(floor["floor"]), 1e-9), 3),
        # Each autosave round against the floor round right after it: robust to slow drift
        # in what else the machine is doing.
        "pair_ratios": [
            round(a / max(f, 1e-9), 3)
            for a, f in zip(floor["autosave"], floor["floor"], strict=True)
        ],
        "endpoints": summarize(
            recorder.samples,
            spans={"PUT responses": spent["autosave"], "PUT floor": spent["floor"]},
        ),
    }
    recorder.samples.clear()

    if args.window <= 0:
        out.update(window_seconds=0, window=[], saves=candidates)
        return out
    began = time.monotonic()
    end = began + args.window
    rng = random.Random(args.seed)
    submitters = set(rng.sample(range(len(candidates)), int(len(candidates) * args.submit_share)))
    jobs = [
        answer_at_pace(
            c,
            began,
            end,
            (args.pace_min, args.pace_max),
            args.extra,
            rng.uniform(began + 10, end - 5) if n in submitters else None,
        )
        for n, c in enumerate(candidates)
    ]
    _, out["client_loop_lag_ms"] = await watching_lag(asyncio.gather(*jobs))
    out["timeline"] = timeline(recorder.samples, "PUT responses")
    out["window_seconds"] = args.window
    out["window"] = summarize(recorder.samples, (began, max(end, time.monotonic())))
    out["saves"] = candidates
    return out


T = TypeVar("T")


async def watching_lag(work: Awaitable[T]) -> tuple[T, dict[str, float]]:
    """Await ``work`` while recording the client's event-loop lag; return both."""
    lag: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.ensure_future(loop_lag(lag, stop))
    try:
        result = await work
    finally:
        stop.set()
        await monitor
    return result, {
        "p50": round(percentile(lag, 0.5) * 1000, 1),
        "p99": round(percentile(lag, 0.99) * 1000, 1),
        "max": round(max(lag, default=0) * 1000, 1),
    }


async def sync_start(args: argparse.Namespace, server: stack.Gunicorn, emails: list[str]) -> dict:
    """Everyone signs in, presses start within the spread, answers, submits."""
    recorder = Recorder()
    candidates = make_candidates(emails, server.port, recorder, args.seed, args.inflight)
    out: dict[str, Any] = {}
    args.live = (recorder, candidates, out)  # what a run cut short by --timeout still reports
    out["sign_in_seconds"] = round(await sign_in_all(candidates, args.login_concurrency), 1)
    out["sign_in"] = summarize(recorder.samples)
    recorder.samples.clear()
    setup: stack.AssignedSetup | None = args.setup
    if setup is not None:
        stack.open_window(setup)
    began = time.monotonic()

    async def sit(candidate: Candidate) -> bool:
        rng = candidate.rng
        pressed = began + rng.uniform(0, args.spread)
        await sleep_until(pressed)
        if setup is not None:
            if not await candidate.start_assigned(
                setup.assignment_id, setup.positions, intended=pressed
            ):
                return False
        elif not await candidate.start(args.template, intended=pressed):
            return False
        # A few answers while reading, a change and a flag, then submit later on.
        moment = time.monotonic()
        for _ in range(args.answers):
            moment += rng.uniform(*args.answer_gap)
            await sleep_until(moment)
            await candidate.save(*candidate.next_action(), intended=moment)
        submit_at = began + args.spread + args.answer_gap[1] * args.answers
        submit_at += rng.uniform(0, args.submit_spread)
        await sleep_until(submit_at)
        await candidate.submit(intended=submit_at)
        return True

    started, out["client_loop_lag_ms"] = await watching_lag(
        asyncio.gather(*(sit(c) for c in candidates))
    )
    out["started"] = sum(started)
    out["window"] = summarize(recorder.samples)
    out["saves"] = candidates
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare the database, start gunicorn, run the scenario under a hard timeout, audit."""
    work = Path(tempfile.mkdtemp(prefix="exam-load-"))
    url = stack.recreate_database(args.database)
    # Every simulated candidate comes from 127.0.0.1, so the per-address sign-in throttle
    # (30 a minute by default) is raised for the run; the per-account lockout stays.
    env = stack.app_env(url, work / "instance", LOGIN_RATE_LIMIT=args.login_rate_limit)
    began = time.monotonic()
    emails = stack.prepare(url, env, args.n)
    stack.create_floor_table(url)
    if args.scenario == "steady":
        args.prestarted = stack.prestart_attempts(url, emails, args.template)
    args.setup = None
    if args.assigned and args.scenario == "sync-start":
        args.setup = stack.assign_cohort(url, emails, args.template)
    prepared = time.monotonic() - began
    scenario = steady if args.scenario == "steady" else sync_start
    server = stack.Gunicorn(
        env,
        work / "gunicorn.log",
        workers=args.workers,
        args=args.gunicorn,
        app="benchmarks.load.floor_app:app",
    )
    with server:

        async def main() -> dict[str, Any]:
            return await asyncio.wait_for(scenario(args, server, emails), args.timeout)

        args.live = None
        try:
            result = asyncio.run(main())
        except TimeoutError:
            if args.live is None:
                raise
            result = cut_short(args)
    candidates: list[Candidate] = result.pop("saves")
    report = stack.audit(url, (r for c in candidates for r in c.saves))
    if args.setup is not None:
        result["assigned"] = {
            "assign_and_prepare_seconds": args.setup.assign_seconds,
            "forms_prepared": len(args.setup.prepared),
            **stack.assigned_sittings(args.setup),
        }
    result.update(
        scenario=args.scenario,
        n=args.n,
        workers=args.workers,
        gunicorn_args=args.gunicorn,
        prepare_seconds=round(prepared, 1),
        audit=report.summary(),
        machine=machine(),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        command=" ".join(sys.argv),
        load_average=Path("/proc/loadavg").read_text().split()[:3],
    )
    return result


def cut_short(args: argparse.Namespace) -> dict[str, Any]:
    """The figures of a sync-start run that hit ``--timeout``: every request made until then.

    Requests still waiting for an answer are not in the tables (they have no latency yet);
    their saves count as unconfirmed in the audit.
    """
    recorder, candidates, out = args.live
    out.setdefault("sign_in", [])
    out.setdefault("sign_in_seconds", None)
    out["started"] = sum(1 for c in candidates if c.attempt_id is not None)
    out["window"] = summarize(recorder.samples) if recorder.samples else []
    out["timed_out_after_s"] = args.timeout
    out["saves"] = candidates
    return dict(out)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["steady", "sync-start"])
    parser.add_argument("-n", type=int, default=200, help="candidates")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--gunicorn", nargs="*", default=[], help="extra gunicorn arguments")
    parser.add_argument("--database", default="exam_load")
    parser.add_argument("--template", default="aaism-full")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=300, help="hard limit (s) of the run")
    parser.add_argument("--inflight", type=int, default=1500, help="connections in flight")
    parser.add_argument("--login-concurrency", type=int, default=8)
    parser.add_argument("--login-rate-limit", default="1000000 per minute")
    # steady
    parser.add_argument("--window", type=float, default=130, help="paced window (s)")
    parser.add_argument("--pace-min", type=float, default=60)
    parser.add_argument("--pace-max", type=float, default=100)
    parser.add_argument("--extra", type=float, default=0.3, help="share of answers followed")
    parser.add_argument("--submit-share", type=float, default=0.01)
    parser.add_argument("--floor-seconds", type=float, default=6)
    parser.add_argument("--floor-rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8, help="saturation clients")
    # sync-start
    parser.add_argument("--spread", type=float, default=30, help="start window (s)")
    parser.add_argument(
        "--assigned",
        action="store_true",
        help="students of one cohort start an assignment whose forms were prepared ahead",
    )
    parser.add_argument("--answers", type=int, default=3)
    parser.add_argument("--answer-gap", type=float, nargs=2, default=(5.0, 20.0))
    parser.add_argument("--submit-spread", type=float, default=60)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one scenario and print its tables."""
    args = parse(argv)
    result = run(args)
    print(f"{result['scenario']} N={result['n']} workers={result['workers']} ({result['machine']})")
    print(f"prepared in {result['prepare_seconds']} s; sign-in {result['sign_in_seconds']} s")
    print(table(result["sign_in"]))
    if "saturation" in result:
        sat = result["saturation"]
        print(
            f"\nsaturation ({sat['concurrency']} clients, {sat['rounds']}x{sat['seconds_each']} s"
            f" each): autosave {sat['autosave_per_second']}/s, floor {sat['floor_per_second']}/s,"
            f" ratio {sat['ratio']} (per round {sat['pair_ratios']},"
            f" median {round(statistics.median(sat['pair_ratios']), 3)})"
        )
        print(table(sat["endpoints"]))
    if "timed_out_after_s" in result:
        print(f"\ncut short by --timeout after {result['timed_out_after_s']} s")
    if "started" in result:
        print(f"\nattempts started: {result['started']} of {result['n']}")
    if "assigned" in result:
        print("assigned:", json.dumps(result["assigned"]))
    print("\nwindow:")
    print(table(result["window"]))
    if "client_loop_lag_ms" in result:
        print("client event-loop lag (ms):", result["client_loop_lag_ms"])
        for row in result.get("timeline", []):
            print("  ", row)
    print("\naudit:", json.dumps(result["audit"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    everyone_started = result.get("started", result["n"]) == result["n"]
    if not everyone_started:
        print(f"only {result['started']} of {result['n']} candidates started", file=sys.stderr)
    saved = result["audit"]["lost"] == 0 and result["audit"]["corrupt"] == 0
    return 0 if saved and everyone_started else 1


if __name__ == "__main__":
    sys.exit(main())
