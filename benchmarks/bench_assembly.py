"""Time blueprint-exact form assembly on synthetic banks of 1k, 10k and 100k items.

Run as ``.venv/bin/python benchmarks/bench_assembly.py [--seeds N]``; prints a markdown table.
Index building ("bank loading") is timed separately and never counted in assembly times.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import statistics
import time
from collections.abc import Callable

from exam_engine.domain.assembly import BankIndex, PoolItem, assemble
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain, TemplateSpec

SHAPE = {"D1": (31, "ABCDE"), "D2": (31, "ABC"), "D3": (38, "ABCDE")}
BANK_SIZES = (1_000, 10_000, 100_000)
EXPOSURE_CAP = 8


def build_blueprint() -> Blueprint:
    """Return a blueprint in AAISM's shape: 13 sub-domains, weights 31/31/38."""
    domains = tuple(
        Domain(
            code=code,
            title=code,
            weight=weight,
            subdomains=tuple(Subdomain(f"{code}-{s}", code, f"{code}-{s}") for s in letters),
        )
        for code, (weight, letters) in SHAPE.items()
    )
    full = TemplateSpec(
        name="aaism-full",
        title="Full mock",
        item_count=90,
        minutes=180,
        difficulty_mix={"easy": 0.25, "medium": 0.5, "hard": 0.25},
    )
    return Blueprint(name="aaism", title="AAISM", domains=domains, templates=(full,))


def build_bank(size: int, blueprint: Blueprint, rng: random.Random) -> list[PoolItem]:
    """Return ``size`` items spread evenly over the sub-domains, with some enemy pairs."""
    subs = [(s.code, s.domain) for d in blueprint.domains for s in d.subdomains]
    keys = [f"{subs[i % len(subs)][0]}-{i:06d}" for i in range(size)]
    items: list[PoolItem] = []
    for i, key in enumerate(keys):
        code, domain = subs[i % len(subs)]
        difficulty = rng.choices(("easy", "medium", "hard"), weights=(30, 45, 25))[0]
        # One item in ten has one or two near-duplicates in its sub-domain it must not meet.
        enemies: frozenset[str] = frozenset()
        if rng.random() < 0.1:
            enemies = frozenset(
                keys[(i + len(subs) * rng.randrange(1, 50)) % size] for _ in range(2)
            )
        items.append(PoolItem(key, i + 1, domain, code, difficulty, enemies))
    return items


def history(items: list[PoolItem], rng: random.Random) -> tuple[dict[str, int], dict[str, int]]:
    """Return a candidate's seen counts (four earlier mocks) and cohort usage counts."""
    seen = {item.key: rng.randint(1, 4) for item in rng.sample(items, 360)}
    # Roughly one item in five is at or over the exposure cap.
    usage = {item.key: rng.randint(0, EXPOSURE_CAP + 1) for item in items}
    return seen, usage


def measure(run: Callable[[int], object], seeds: int) -> tuple[float, float]:
    """Return median and p95 milliseconds of ``run(seed)`` over ``seeds`` seeds, after warm-up."""
    # Warm-up: first calls pay for imports, allocator growth and cold caches.
    for seed in range(50):
        run(10_000 + seed)
    times: list[float] = []
    for seed in range(seeds):
        start = time.perf_counter_ns()
        run(seed)
        times.append((time.perf_counter_ns() - start) / 1e6)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95


def main() -> None:
    """Build the banks, time both paths, print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=200, help="assemblies per measurement")
    args = parser.parse_args()
    blueprint = build_blueprint()
    full = blueprint.template("aaism-full")
    plain = dataclasses.replace(full, difficulty_mix={})
    rows: list[tuple[int, float, str, float, float]] = []
    for size in BANK_SIZES:
        rng = random.Random(size)
        items = build_bank(size, blueprint, rng)
        seen, usage = history(items, rng)
        start = time.perf_counter()
        index = BankIndex(items)
        build_ms = (time.perf_counter() - start) * 1e3

        def run_plain(seed: int, index: BankIndex = index) -> object:
            return assemble(index, blueprint, plain, seed=seed)

        def run_full(
            seed: int,
            index: BankIndex = index,
            seen: dict[str, int] = seen,
            usage: dict[str, int] = usage,
        ) -> object:
            return assemble(
                index, blueprint, full, seed=seed, seen=seen, usage=usage, exposure_cap=EXPOSURE_CAP
            )

        for label, run in (("stratified", run_plain), ("full constraints", run_full)):
            median, p95 = measure(run, args.seeds)
            rows.append((size, build_ms, label, median, p95))

    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {args.seeds} seeds each\n")
    print("| bank items | index build (ms) | path | median (ms) | p95 (ms) |")
    print("|---:|---:|---|---:|---:|")
    for size, build_ms, label, median, p95 in rows:
        print(f"| {size:,} | {build_ms:.0f} | {label} | {median:.3f} | {p95:.3f} |")
    print()
    for label in ("stratified", "full constraints"):
        small = next(r for r in rows if r[0] == BANK_SIZES[0] and r[2] == label)
        large = next(r for r in rows if r[0] == BANK_SIZES[-1] and r[2] == label)
        print(
            f"{label}: 100k / 1k = {large[3] / small[3]:.2f}x (median), "
            f"{large[4] / small[4]:.2f}x (p95)"
        )


if __name__ == "__main__":
    main()
