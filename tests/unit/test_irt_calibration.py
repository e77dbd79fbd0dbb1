"""IRT calibration: agreement with girth, recovery by simulation, priors, SEs, fit, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from exam_engine.domain.irt import calibrate, information, prior_b_mean, probability


def simulate(seed: int, n_items: int, n_persons: int, *, spread_a: float = 0.25) -> tuple:
    """Every person answers every item of a 2PL bank with known parameters."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, spread_a, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    theta = rng.normal(0.0, 1.0, n_persons)
    person = np.repeat(np.arange(n_persons), n_items)
    item = np.tile(np.arange(n_items), n_persons)
    correct = rng.random(person.size) < probability(theta[person], a[item], b[item])
    return a, b, person, item, correct


def test_hand_worked_probability_and_information() -> None:
    assert probability(0.3, 1.0, 0.3) == pytest.approx(0.5)
    assert probability(1.0, 2.0, 0.0) == pytest.approx(1.0 / (1.0 + np.exp(-2.0)), abs=1e-12)
    assert information(0.3, 1.6, 0.3) == pytest.approx(1.6**2 / 4)
    assert information(3.0, 1.0, 0.0) < information(0.0, 1.0, 0.0)
    assert [prior_b_mean(d) for d in ("easy", "medium", "hard", "other")] == [-1, 0, 1, 0]


@pytest.mark.parametrize("model", ["rasch", "2pl"])
def test_agrees_with_girth_when_priors_are_flat(model: str) -> None:
    girth = pytest.importorskip("girth", reason="girth is a dev dependency (pyproject)")
    a, b, person, item, correct = simulate(3, 15, 800)
    ours = calibrate(
        person, item, correct, np.zeros(15), model=model, prior_b_sd=100, prior_log_a_sd=100
    )
    data = correct.reshape(800, 15).T.astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = (girth.twopl_mml if model == "2pl" else girth.rasch_mml)(data)
    # Both integrate over N(0, 1); the grids differ, so the estimates agree to a few hundredths.
    assert np.abs(ours.b - theirs["Difficulty"]).max() < 0.06
    assert np.abs(ours.a - theirs["Discrimination"]).max() < 0.06
    assert ours.converged


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_known_parameters(seed: int) -> None:
    a, b, person, item, correct = simulate(seed, 30, 1500)
    fit = calibrate(person, item, correct, np.zeros(30), model="2pl")
    assert np.corrcoef(fit.b, b)[0, 1] > 0.95
    assert np.corrcoef(fit.a, a)[0, 1] > 0.6
    assert np.abs(fit.b - b).mean() < 0.25
    # About 95% of intervals should cover; with 30 items anything under 70% means broken SEs.
    assert np.mean(np.abs(fit.b - b) < 1.96 * fit.se_b) > 0.7
    assert fit.persons == 1500
    assert fit.responses.tolist() == [1500] * 30


def test_rasch_fit_is_near_one_and_flags_a_noise_item() -> None:
    rng = np.random.default_rng(7)
    n_items, n_persons = 20, 1500
    b = rng.normal(0, 1, n_items)
    theta = rng.normal(0, 1, n_persons)
    person = np.repeat(np.arange(n_persons), n_items)
    item = np.tile(np.arange(n_items), n_persons)
    p = probability(theta[person], 1.0, b[item])
    # Item 0 is noise: right half the time whatever the ability.
    p = np.where(item == 0, 0.5, p)
    fit = calibrate(person, item, rng.random(p.size) < p, np.zeros(n_items), model="rasch")
    assert np.all(np.abs(fit.infit[1:] - 1) < 0.2)
    assert np.all(np.abs(fit.outfit[1:] - 1) < 0.3)
    assert fit.outfit[0] > 1.1
    assert fit.infit[0] > 1.1
    assert np.all(fit.se_a == 0)
    assert np.all(fit.a == 1)


def test_few_responses_stay_near_the_authored_prior() -> None:
    a, b, person, item, correct = simulate(4, 10, 600)
    # Item 10 is new and "hard" (prior mean +1): two responses, both right.
    person = np.concatenate([person, [0, 1]])
    item = np.concatenate([item, [10, 10]])
    correct = np.concatenate([correct, [True, True]])
    prior = np.array([0.0] * 10 + [prior_b_mean("hard")])
    fit = calibrate(person, item, correct, prior, model="rasch")
    assert fit.responses[10] == 2
    # Two right answers pull it below +1 (to about the answerers' ability, near 0), not to
    # the extreme a maximum likelihood estimate would give; its SE stays near the prior's SD.
    assert -1.0 < fit.b[10] < 0.9
    assert fit.se_b[10] > 0.7 > 3 * fit.se_b[:10].max()


def test_more_responses_give_smaller_standard_errors() -> None:
    _, _, person, item, correct = simulate(5, 10, 2000)
    small = calibrate(person[:2000], item[:2000], correct[:2000], np.zeros(10))
    large = calibrate(person, item, correct, np.zeros(10))
    assert np.all(large.se_b < small.se_b)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="model must be one of rasch, 2pl"):
        calibrate([0], [0], [True], [0.0], model="3pl")
    with pytest.raises(ValueError, match="same length"):
        calibrate([0, 1], [0], [True], [0.0])
    with pytest.raises(ValueError, match=r"item in 0\.\.0"):
        calibrate([0], [1], [True], [0.0])
    with pytest.raises(ValueError, match="prior SDs must be positive"):
        calibrate([0], [0], [True], [0.0], prior_b_sd=0)


def test_no_responses_leave_every_item_at_its_prior() -> None:
    fit = calibrate([], [], [], [-1.0, 1.0], model="2pl")
    assert fit.b == pytest.approx([-1.0, 1.0], abs=1e-6)
    assert fit.a == pytest.approx([1.0, 1.0], abs=1e-6)
    assert fit.persons == 0
    assert fit.responses.tolist() == [0, 0]
    assert np.all(np.isnan(fit.infit))


def authored_bank(seed: int) -> tuple:
    """A 2PL bank whose authored difficulties are right in order but not in size.

    As in the simulation: b is 0.6 x the authored prior mean (-1 / 0 / +1) plus N(0, 0.8^2),
    so the prior's means are too far out and its SD too wide; each item gets about 150
    answers from persons who see 30 items of 300.
    """
    rng = np.random.default_rng(seed)
    n_items, n_persons, per_form = 300, 1500, 30
    levels = np.array(["easy", "medium", "hard"])[np.arange(n_items) % 3]
    prior = np.array([prior_b_mean(level) for level in levels])
    b = 0.6 * prior + rng.normal(0.0, 0.8, n_items)
    a = rng.lognormal(0.0, 0.25, n_items)
    theta = rng.normal(0.0, 1.0, n_persons)
    item = np.argsort(rng.random((n_persons, n_items)), axis=1)[:, :per_form].ravel()
    person = np.repeat(np.arange(n_persons), per_form)
    correct = rng.random(item.size) < probability(theta[person], a[item], b[item])
    return a, b, prior, person, item, correct


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_authored_prior_does_not_inflate_discriminations(seed: int) -> None:
    a, b, prior, person, item, correct = authored_bank(seed)
    fit = calibrate(person, item, correct, prior, model="2pl")
    # With the prior on b itself the median ratio was 1.05-1.08 here and the b's spread
    # shrank by 7%; with it on the location a b both stay within sampling error.
    assert 0.96 < float(np.median(fit.a / a)) < 1.04
    assert float(fit.b.std() / b.std()) > 0.97
    assert 0.9 < float(np.mean(np.abs(fit.b - b) < 1.96 * fit.se_b)) < 0.99


@pytest.mark.parametrize("mean", [-1.0, 0.0, 1.0])
def test_an_unanswered_item_has_the_priors_own_spread(mean: float) -> None:
    fit = calibrate([], [], [], [mean], model="2pl")
    # a b ~ N(mean, 1) and log a ~ N(0, 0.5^2) at the mode a = 1, b = mean: b = (a b) / a has
    # variance 1 + mean^2 0.5^2 by the delta method, and a an SE of 0.5.
    assert fit.a[0] == pytest.approx(1.0, abs=1e-6)
    assert fit.b[0] == pytest.approx(mean, abs=1e-6)
    assert fit.se_a[0] == pytest.approx(0.5, rel=1e-6)
    assert fit.se_b[0] == pytest.approx(np.sqrt(1.0 + 0.25 * mean**2), rel=1e-6)
    rasch = calibrate([], [], [], [mean], model="rasch")
    assert rasch.se_b[0] == pytest.approx(1.0, rel=1e-6)
