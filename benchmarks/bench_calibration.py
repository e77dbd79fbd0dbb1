"""Proof by simulation of the IRT calibration, ability, pass probability and readiness check.

Run as ``.venv/bin/python benchmarks/bench_calibration.py [--candidates N] [--held-out N]``;
prints a markdown report. A synthetic bank of 1,001 items in AAISM's shape (77 a sub-domain)
gets known 2PL parameters (b around the authored difficulty's prior mean, a log-normal);
simulated candidates with known abilities N(0, 1) take ``aaism-full`` mocks through the real
services (``attempts.start_attempt`` assembles the form, answers are drawn from the model and
written to the attempt items as the exam page's saves leave them, ``attempts.submit_attempt``
grades and records), on a fresh SQLite database. Then:

- ``calibration.recalibrate`` (2PL) fits the bank: correlation of true and estimated b and a;
- held-out candidates take one more mock each through the services; their ability comes from
  ``scorecards.attempt_ability`` (EAP on the stored scale): RMSE and 95% interval coverage;
- pass probability P(theta above the cut) against the true status (theta above the cut of the
  true parameters), Brier score, beside today's beta-binomial on the same attempt;
- the adaptive readiness check, run in memory with the domain functions the service uses
  (``select_next``, ``eap``, ``stop_reason``) on the calibrated parameters as the service reads
  them (discriminations shrunk, SEs carried), answers drawn from the true ones: items used
  and agreement of its verdict with the true status, beside the verdict of the full form;
- the fit alone on 50,000 simulated attempts x 90 items (in memory), timed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from exam_engine import create_app  # noqa: E402
from exam_engine.domain.irt import (  # noqa: E402
    PoolItem,
    calibrate,
    cut_score,
    eap,
    pass_probability,
    prior_b_mean,
    probability,
    select_next,
    stop_reason,
)
from exam_engine.domain.irt.shrinkage import shrink_discrimination  # noqa: E402
from exam_engine.domain.readiness import pass_probability as classical_pass  # noqa: E402
from exam_engine.extensions import db  # noqa: E402
from exam_engine.models import AttemptItem, ItemCalibration, Question, QuestionVersion, User  # noqa: E402
from exam_engine.services import attempts, calibration  # noqa: E402
from exam_engine.services.catalog import bundled_blueprint, sync_templates  # noqa: E402
from exam_engine.services.scorecards.card import attempt_ability  # noqa: E402

PER_SUBDOMAIN = 77
GRACE = 30


def make_app() -> object:
    """An app on a fresh SQLite file, migrated."""
    instance = tempfile.mkdtemp(prefix="bench-calibration-")
    os.environ["EXAM_ENGINE_INSTANCE_PATH"] = instance
    app = create_app(
        {
            "DATABASE_URL": "sqlite:///" + str(Path(instance) / "bench.sqlite3"),
            "SECRET_KEY": "bench",
            "TESTING": True,
            "PASSWORD_HASH_PROFILE": "fast",
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
    return app


def seed_bank(session, rng: np.random.Generator) -> dict[int, tuple[float, float, str]]:
    """The bank with true (a, b, domain) per version id."""
    blueprint = bundled_blueprint()
    made = []
    for domain in blueprint.domains:
        for sub in domain.subdomains:
            for n in range(1, PER_SUBDOMAIN + 1):
                key = f"{sub.code}-{n:03d}"
                level = ("easy", "medium", "hard")[n % 3]
                stem = f"Synthetic scenario {key}. Which action is BEST?"
                version = QuestionVersion(
                    question=Question(key=key),
                    number=1,
                    status="published",
                    domain=domain.code,
                    subdomain=sub.code,
                    difficulty=level,
                    stem=stem,
                    options=[f"{key} option {c}" for c in "ABCD"],
                    rationales=[f"{key} rationale {c}" for c in "ABCD"],
                    answer_index=n % 4,
                    references=[],
                    enemies=[],
                    content_hash=hashlib.sha256(stem.encode()).hexdigest(),
                )
                session.add(version)
                made.append((version, level, domain.code))
    sync_templates(session, blueprint)
    session.commit()
    truth = {}
    for version, level, domain in made:
        b = prior_b_mean(level) * 0.6 + rng.normal(0, 0.8)
        truth[version.id] = (float(rng.lognormal(0.0, 0.25)), float(b), domain)
    return truth


def take_mock(session, user_id, theta, truth, rng, when) -> int:
    """One aaism-full mock through the services, answered by the 2PL model; its id."""
    attempt = attempts.start_attempt(session, user_id, "aaism-full", now=when)
    for item in attempt.items:
        a, b, _ = truth[item.question_version_id]
        right = rng.random() < float(probability(theta, a, b))
        key = item.version.answer_index
        item.choice = key if right else (key + 1) % 4
    session.commit()
    attempts.submit_attempt(
        session, user_id, attempt.id, now=when + timedelta(minutes=100), grace_seconds=GRACE
    )
    return attempt.id


def add_users(session, count: int, prefix: str) -> list[int]:
    users = [
        User(
            email=f"{prefix}{i}@example.com",
            name=f"{prefix}{i}",
            role="candidate",
            password_hash="x",
        )
        for i in range(count)
    ]
    session.add_all(users)
    session.commit()
    return [u.id for u in users]


def adaptive_check(
    pool, truth, theta, cut, weights, rng, *, classified: bool = False
) -> tuple[int, float]:
    """Run the check in memory; return (items used, P(theta above the cut)).

    With ``classified`` it also stops once its 95% interval excludes the cut (the service's
    rule); without, only at SE 0.30 or 40 items (the rule before it).
    """
    given: list[PoolItem] = []
    right: list[bool] = []
    counts: dict[str, int] = {}
    estimate = eap([], [], [])
    pick = random.Random(int(rng.integers(2**31)))
    while (
        stop_reason(
            estimate.se,
            len(given),
            theta=estimate.theta if classified else None,
            cut=cut if classified else None,
        )
        is None
    ):
        item = select_next(
            pool,
            theta=estimate.theta,
            administered={p.version_id for p in given},
            counts=counts,
            weights=weights,
            rng=pick,
        )
        if item is None:
            break
        a, b, _ = truth[item.version_id]
        given.append(item)
        right.append(bool(rng.random() < float(probability(theta, a, b))))
        counts[item.domain] = counts.get(item.domain, 0) + 1
        estimate = eap(
            [p.a for p in given],
            [p.b for p in given],
            right,
            se_a=[p.se_a for p in given],
            se_b=[p.se_b for p in given],
        )
    return len(given), pass_probability(estimate, cut)


def big_fit(n_attempts: int, n_items: int = 1000) -> tuple[float, int, float]:
    """Seconds to fit n_attempts x 90 simulated responses (2PL), iterations, corr of b."""
    rng = np.random.default_rng(50)
    a = rng.lognormal(0, 0.25, n_items)
    b = rng.normal(0, 1, n_items)
    theta = rng.normal(0, 1, n_attempts)
    items = np.argsort(rng.random((n_attempts, n_items)), axis=1)[:, :90]
    person = np.repeat(np.arange(n_attempts), 90)
    item = items.ravel()
    correct = rng.random(person.size) < probability(theta[person], a[item], b[item])
    started = time.perf_counter()
    fit = calibrate(person, item, correct, np.zeros(n_items), model="2pl")
    seconds = time.perf_counter() - started
    return seconds, fit.iterations, float(np.corrcoef(fit.b, b)[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--held-out", type=int, default=500)
    parser.add_argument(
        "--big", type=int, default=50_000, help="attempts in the timed fit (0: skip it)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the simulation")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    app = make_app()
    blueprint = bundled_blueprint()
    weights = {d.code: float(d.weight) for d in blueprint.domains}
    start = datetime.now(UTC) - timedelta(days=60)
    with app.app_context():
        session = db.session()
        truth = seed_bank(session, rng)
        pools: dict[str, tuple[list[float], list[float]]] = {}
        for a, b, domain in truth.values():
            pools.setdefault(domain, ([], []))[0].append(a)
            pools[domain][1].append(b)
        true_cut = cut_score(pools, weights)
        users = add_users(session, args.candidates, "sim")
        thetas = rng.normal(0, 1, args.candidates)
        t0 = time.perf_counter()
        for n, (user_id, theta) in enumerate(zip(users, thetas, strict=True)):
            take_mock(session, user_id, theta, truth, rng, start + timedelta(minutes=n))
        simulate_seconds = time.perf_counter() - t0
        report = calibration.recalibrate(session, model="2pl", now=datetime.now(UTC))
        rows = session.execute(
            select(
                ItemCalibration.question_version_id,
                ItemCalibration.discrimination,
                ItemCalibration.difficulty,
                ItemCalibration.difficulty_se,
                ItemCalibration.responses,
                ItemCalibration.discrimination_se,
            )
        ).all()
        est_a = np.array([r[1] for r in rows])
        est_b = np.array([r[2] for r in rows])
        se_b = np.array([r[3] for r in rows])
        true_a = np.array([truth[r[0]][0] for r in rows])
        true_b = np.array([truth[r[0]][1] for r in rows])
        responses = np.array([r[4] for r in rows])
        # Held-out candidates: one more mock each, scored on the stored scale.
        held = add_users(session, args.held_out, "held")
        held_theta = rng.normal(0, 1, args.held_out)
        est, ses, p_irt, p_classical, full_pass = [], [], [], [], []
        for n, (user_id, theta) in enumerate(zip(held, held_theta, strict=True)):
            attempt_id = take_mock(
                session, user_id, theta, truth, rng, start + timedelta(days=30, minutes=n)
            )
            ability = attempt_ability(session, attempt_id, blueprint)
            assert ability.overall is not None, ability.reason
            est.append(ability.overall.theta)
            ses.append(ability.overall.se)
            p_irt.append(ability.pass_probability)
            correct = session.scalar(
                select(db.func.count())
                .select_from(AttemptItem)
                .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
                .where(
                    AttemptItem.attempt_id == attempt_id,
                    AttemptItem.choice == QuestionVersion.answer_index,
                )
            )
            p_classical.append(classical_pass(int(correct), 90))
            full_pass.append((ability.pass_probability or 0) >= 0.5)
        scale_cut = report.cut
        # As the check's service reads them: discriminations shrunk, with the SEs.
        shrunk, shrunk_se = shrink_discrimination([r[1] for r in rows], [r[5] for r in rows])
        calibrated = {
            r[0]: (float(shrunk[i]), r[2], float(shrunk_se[i]), r[3]) for i, r in enumerate(rows)
        }
        pool = [
            PoolItem(vid, truth[vid][2], *calibrated[vid]) for vid in truth if vid in calibrated
        ]
        check_items, check_pass = [], []
        for theta in held_theta:
            used, probability_ = adaptive_check(pool, truth, theta, scale_cut, weights, rng)
            check_items.append(used)
            check_pass.append(probability_ >= 0.5)
        classified_items, classified_pass = [], []
        for theta in held_theta:
            used, probability_ = adaptive_check(
                pool, truth, theta, scale_cut, weights, rng, classified=True
            )
            classified_items.append(used)
            classified_pass.append(probability_ >= 0.5)
        del session
    est_ = np.array(est)
    ses_ = np.array(ses)
    status = held_theta > true_cut
    rmse = float(np.sqrt(np.mean((est_ - held_theta) ** 2)))
    coverage = float(np.mean(np.abs(est_ - held_theta) <= 1.96 * ses_))
    brier_irt = float(np.mean((np.array(p_irt) - status) ** 2))
    brier_classical = float(np.mean((np.array(p_classical) - status) ** 2))
    agree_check = float(np.mean(np.array(check_pass) == status))
    agree_full = float(np.mean(np.array(full_pass) == status))
    agree_classified = float(np.mean(np.array(classified_pass) == status))
    big_seconds, big_iterations, big_corr = big_fit(args.big) if args.big else (0.0, 0, 0.0)
    cpu = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    rows_out = [
        (
            "simulated mocks through the services",
            f"{args.candidates:,} in {simulate_seconds:.0f} s",
            "",
        ),
        (
            "calibration (2PL, service: load + fit + write)",
            f"{report.load_seconds + report.fit_seconds + report.write_seconds:.1f} s, "
            f"{report.iterations} EM iterations, {report.items:,} items, "
            f"median {int(np.median(responses))} responses an item",
            "",
        ),
        (
            "correlation of true and estimated b",
            f"{np.corrcoef(true_b, est_b)[0, 1]:.3f}",
            ">= 0.95",
        ),
        ("correlation of true and estimated a", f"{np.corrcoef(true_a, est_a)[0, 1]:.3f}", ""),
        ("median ratio of estimated to true a", f"{np.median(est_a / true_a):.3f}", ""),
        (
            "b within its 95% interval",
            f"{np.mean(np.abs(est_b - true_b) <= 1.96 * se_b):.1%}",
            "about 95%",
        ),
        ("cut: true parameters / calibrated", f"{true_cut:.3f} / {scale_cut:.3f}", ""),
        (f"ability RMSE, held-out 90-item forms ({args.held_out})", f"{rmse:.3f}", ""),
        ("mean SE of the held-out abilities", f"{np.mean(ses_):.3f}", ""),
        ("95% ability intervals covering the true ability", f"{coverage:.1%}", "93-97%"),
        (
            "Brier score of P(pass): IRT / beta-binomial",
            f"{brier_irt:.4f} / {brier_classical:.4f}",
            "IRT lower",
        ),
        ("pass/fail agreement with true status: full 90-item form", f"{agree_full:.1%}", ""),
        (
            "pass/fail agreement: adaptive check, SE 0.30 or 40 items",
            f"{agree_check:.1%}",
            ">= 90%",
        ),
        (
            "adaptive check items (SE 0.30 or 40): mean / max",
            f"{np.mean(check_items):.1f} / {max(check_items)}",
            "<= 40",
        ),
        (
            "pass/fail agreement: adaptive check with the classified stop",
            f"{agree_classified:.1%}",
            ">= 90%",
        ),
        (
            "adaptive check items (classified stop too): mean / max",
            f"{np.mean(classified_items):.1f} / {max(classified_items)}",
            "<= 40",
        ),
        (
            f"fit alone, {args.big:,} attempts x 90 items (2PL, in memory)",
            f"{big_seconds:.1f} s, {big_iterations} iterations, corr(b) {big_corr:.3f}",
            "< 30 s",
        ),
    ]
    print(
        "Command: `.venv/bin/python benchmarks/bench_calibration.py "
        f"--candidates {args.candidates} --held-out {args.held_out} --big {args.big} "
        f"--seed {args.seed}`"
    )
    print(
        f"Date: {datetime.now(UTC):%Y-%m-%d}. Machine: {os.cpu_count()} CPUs, {cpu}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}."
    )
    print()
    print("| measure | result | target |")
    print("|---|---:|---|")
    for name, value, target in rows_out:
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
