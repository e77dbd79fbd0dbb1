"""The calibration simulation in memory, over many seeds: the domain functions without the database.

Run as ``.venv/bin/python benchmarks/bench_calibration_memory.py --seeds 1,2,3``; prints one
markdown row a seed. The same design as ``bench_calibration.py`` (its docstring) without the
services, so a seed takes seconds instead of half an hour on a busy machine: a bank of 1,001
items in AAISM's shape with known 2PL parameters (b = 0.6 x the authored prior mean + N(0,
0.8^2), a log-normal(0, 0.25)); ``--candidates`` simulees with abilities N(0, 1) each answer a
90-item form drawn per domain by the blueprint's weights (28 / 28 / 34); ``calibrate`` fits 2PL
with the authored priors, as ``flask bank calibrate`` does; ``--held-out`` fresh simulees take
one more form each and get EAP abilities from the calibrated parameters with their SEs, as
the scorecard does, and from the true parameters (the ceiling of the coverage); the readiness
check (``--checks`` simulees) runs on the shrunk discriminations as the service reads them,
once with the SE-0.30-or-40 stop and once with the classified stop too, on the same simulees.
Its selection is ``select_next``'s rule vectorised (``next_domain``, then at random among the
five items of most expected information), without exposure control (the services bench runs
without it too). ``--source DIR`` imports ``exam_engine`` from another checkout (for example
``git archive <commit> exam_engine | tar -x -C DIR``), so a "before" runs on the same seeds.
``--big N`` also times the 2PL fit of N simulated attempts x 90 items (wall and CPU seconds).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

WEIGHTS = {"D1": 31.0, "D2": 31.0, "D3": 38.0}
SUBDOMAINS = {"D1": 5, "D2": 3, "D3": 5}
PER_FORM = {"D1": 28, "D2": 28, "D3": 34}
PER_SUBDOMAIN = 77


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--held-out", type=int, default=2000)
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--big", type=int, default=0, help="attempts in a timed fit (0: none)")
    parser.add_argument("--source", default=str(Path(__file__).resolve().parents[1]))
    args = parser.parse_args()
    sys.path.insert(0, args.source)
    import exam_engine

    print(
        f"exam_engine from {Path(exam_engine.__file__).parents[1]}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    print()
    print(
        "| seed | corr(b) | median a ratio | b in its 95% interval | cut true / calibrated "
        "| RMSE | mean SE | coverage (true parameters) | Brier IRT / beta-binomial "
        "| agreement: full form | check SE-0.30: agreement, items | check classified: "
        "agreement, items |"
    )
    print("|---" * 12 + "|")
    for seed in [int(s) for s in args.seeds.split(",")]:
        print(one_seed(seed, args.candidates, args.held_out, args.checks), flush=True)
    if args.big:
        from exam_engine.domain.irt import calibrate, probability

        rng = np.random.default_rng(50)
        a = rng.lognormal(0, 0.25, 1000)
        b = rng.normal(0, 1, 1000)
        theta = rng.normal(0, 1, args.big)
        items = np.argsort(rng.random((args.big, 1000)), axis=1)[:, :90]
        person = np.repeat(np.arange(args.big), 90)
        item = items.ravel()
        correct = rng.random(person.size) < probability(theta[person], a[item], b[item])
        wall, cpu = time.perf_counter(), time.process_time()
        fit = calibrate(person, item, correct, np.zeros(1000), model="2pl")
        print()
        print(
            f"Fit of {args.big:,} attempts x 90 items (2PL): "
            f"{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU, "
            f"{fit.iterations} iterations, corr(b) {np.corrcoef(fit.b, b)[0, 1]:.3f}"
        )
    print(f"Load average at the end: {os.getloadavg()[0]:.1f}")


def one_seed(seed: int, candidates: int, held_out: int, checks: int) -> str:
    """One seed's row of the table."""
    from exam_engine.domain.irt import calibrate, cut_score, eap, pass_probability, prior_b_mean
    from exam_engine.domain.irt import probability as p_right
    from exam_engine.domain.irt.shrinkage import shrink_discrimination
    from exam_engine.domain.readiness import pass_probability as classical_pass

    rng = np.random.default_rng(seed)
    domain, level = [], []
    for code, count in SUBDOMAINS.items():
        for _ in range(count):
            for n in range(1, PER_SUBDOMAIN + 1):
                domain.append(code)
                level.append(("easy", "medium", "hard")[n % 3])
    dom = np.array(domain)
    prior = np.array([prior_b_mean(x) for x in level])
    b = prior * 0.6 + rng.normal(0, 0.8, prior.size)
    a = rng.lognormal(0, 0.25, prior.size)
    by_domain = {d: np.flatnonzero(dom == d) for d in WEIGHTS}

    def forms(n: int) -> np.ndarray:
        return np.array(
            [
                np.concatenate(
                    [rng.choice(by_domain[d], PER_FORM[d], replace=False) for d in WEIGHTS]
                )
                for _ in range(n)
            ]
        )

    theta = rng.normal(0, 1, candidates)
    form = forms(candidates)
    person = np.repeat(np.arange(candidates), 90)
    item = form.ravel()
    correct = rng.random(person.size) < p_right(theta[person], a[item], b[item])
    fit = calibrate(person, item, correct, prior, model="2pl")
    true_cut = cut_score({d: (a[i], b[i]) for d, i in by_domain.items()}, WEIGHTS)
    cut = cut_score({d: (fit.a[i], fit.b[i]) for d, i in by_domain.items()}, WEIGHTS)
    held = rng.normal(0, 1, held_out)
    held_form = forms(held_out)
    est, ses, ceiling, p_irt, p_classical = [], [], [], [], []
    for t, its in zip(held, held_form, strict=True):
        x = rng.random(90) < p_right(t, a[its], b[its])
        e = eap(fit.a[its], fit.b[its], x, se_a=fit.se_a[its], se_b=fit.se_b[its])
        est.append(e.theta)
        ses.append(e.se)
        p_irt.append(pass_probability(e, cut))
        p_classical.append(classical_pass(int(x.sum()), 90))
        true_e = eap(a[its], b[its], x)
        ceiling.append(abs(true_e.theta - t) <= 1.96 * true_e.se)
    est_, ses_ = np.array(est), np.array(ses)
    status = held > true_cut
    shrunk, shrunk_se = shrink_discrimination(fit.a, fit.se_a)
    pool = (shrunk, fit.b, shrunk_se, fit.se_b)
    check_theta = held[:checks]
    results = []
    for classified in (False, True):
        local = np.random.default_rng(seed + 7)
        runs = [check(t, a, b, dom, pool, cut, local, classified) for t in check_theta]
        items = np.array([r[0] for r in runs])
        agree = np.mean((np.array([r[1] for r in runs]) >= 0.5) == status[:checks])
        results.append(f"{agree:.1%}, {items.mean():.1f} (max {items.max()})")
    return (
        f"| {seed} | {np.corrcoef(fit.b, b)[0, 1]:.3f} | {np.median(fit.a / a):.3f} "
        f"| {np.mean(np.abs(fit.b - b) <= 1.96 * fit.se_b):.1%} | {true_cut:.3f} / {cut:.3f} "
        f"| {np.sqrt(np.mean((est_ - held) ** 2)):.3f} | {ses_.mean():.3f} "
        f"| **{np.mean(np.abs(est_ - held) <= 1.96 * ses_):.1%}** ({np.mean(ceiling):.1%}) "
        f"| {np.mean((np.array(p_irt) - status) ** 2):.4f} / "
        f"{np.mean((np.array(p_classical) - status) ** 2):.4f} "
        f"| {np.mean((np.array(p_irt) >= 0.5) == status):.1%} | {results[0]} | {results[1]} |"
    )


def check(theta, a_true, b_true, dom, pool, cut, rng, classified) -> tuple[int, float]:
    """One readiness check; (items used, P(theta above the cut))."""
    from exam_engine.domain.irt import eap, pass_probability, probability
    from exam_engine.domain.irt.adaptive import next_domain
    from exam_engine.domain.irt.model import expected_information

    shrunk, b, se_a, se_b = pool
    given: list[int] = []
    right: list[bool] = []
    counts: dict[str, int] = {}
    estimate = eap([], [], [])
    free = np.ones(a_true.size, dtype=bool)
    while True:
        # The service's rule (adaptive.stop_reason), written out so the "before" source,
        # which has no classified stop, runs the same check.
        if estimate.se <= 0.30 or len(given) >= 40:
            break
        if classified and len(given) >= 10 and abs(estimate.theta - cut) > 1.959964 * estimate.se:
            break
        domain = next_domain(WEIGHTS, counts, set(WEIGHTS))
        candidates = np.flatnonzero(free & (dom == domain))
        info = expected_information(
            estimate.theta, shrunk[candidates], b[candidates], se_a[candidates], se_b[candidates]
        )
        best = candidates[np.lexsort((candidates, -info))[:5]]
        chosen = int(rng.choice(best))
        free[chosen] = False
        given.append(chosen)
        counts[domain] = counts.get(domain, 0) + 1
        right.append(bool(rng.random() < float(probability(theta, a_true[chosen], b_true[chosen]))))
        g = np.array(given)
        estimate = eap(shrunk[g], b[g], right, se_a=se_a[g], se_b=se_b[g])
    return len(given), pass_probability(estimate, cut)


if __name__ == "__main__":
    main()
