"""Item response theory: calibrated item parameters, ability on one scale, adaptive selection.

Models (logistic, no scaling constant): P(correct | theta) = 1 / (1 + exp(-a (theta - b))),
with a = 1 for Rasch and a estimated for 2PL.

Calibration (``calibration.calibrate``) is marginal maximum likelihood by the EM algorithm of
Bock and Aitkin (1981): ability is integrated out over a fixed standard-normal quadrature
grid (which also fixes the scale: mean 0, SD 1). The E-step gives each person's posterior over
the grid; the M-step maximises, item by item, the expected complete-data log-likelihood plus
the log prior by Fisher scoring. Priors make it a marginal maximum a posteriori estimate:
a b ~ N(mean for the authored difficulty, 1) (easy -1, medium 0, hard +1), so an item with few
responses stays near what its author said, and for 2PL log a ~ N(0, 0.5^2). For Rasch (a = 1)
that is a prior on b; for 2PL it is a prior on the intercept of the slope-intercept form
(logit = a theta - a b), as mirt places its priors, not on b. Why not on b: the responses pin
an item's proportion correct, roughly a function of a b / (1 + c a^2)^0.5, and leave a and b
free to trade along that ridge; a prior pulling b toward its mean slides the mode along it,
to a smaller |b| and a larger a. In the simulation (``benchmarks/bench_calibration.py``, about
160 answers an item, authored means 1.7 times the true ones) that made discriminations about
7% too high and the spread of b 7-12% too narrow, so the scale shrank, the cut sat 0.03-0.05
low and ability intervals covered 91-93%. On a b the prior costs nothing along the ridge:
discriminations come out within 2% (as with no b prior at all) and b keeps its spread.
Standard errors come from the empirical cross-product of the marginal per-person scores
(the XPD estimate of the observed information) plus the priors' Fisher information, item by
item; an item with no answers gets the prior's own spread (SE of b (1 + b^2 0.5^2)^0.5).
Fit (``infit``/``outfit``) uses each person's EAP ability: outfit is the mean squared
standardised residual, infit the information-weighted one; both near 1 when the model fits.
The implementation is checked against girth's ``rasch_mml``/``twopl_mml`` in the unit tests.

Ability (``ability``) is EAP over the same grid with its posterior SD as the SE; the cut is the
ability at which the expected score on a blueprint-weighted form equals the target (65%).
The adaptive selector (``adaptive``) picks the most informative item at the current estimate
within the most under-served domain, at random among the few best (randomesque exposure
control) and skipping items already shown to more than a set share of earlier checks.

Calibration error is carried, not ignored: given the items' SEs, ability uses each item's
expected response function (``model.expected_probability``: the curve averaged over the
parameters' sampling distribution, Lewis 2001), which predicts less sharply, so the SE
does not take the estimates at face value; the selector ranks by that curve's information;
and the readiness check's discriminations are shrunk toward the bank's spread
(``shrinkage``, empirical Bayes) so it does not favour the items whose a was over-estimated.
"""

from exam_engine.domain.irt.ability import (
    AbilityEstimate,
    cut_score,
    eap,
    expected_score,
    pass_probability,
)
from exam_engine.domain.irt.adaptive import (
    PoolItem,
    next_domain,
    select_next,
    stop_reason,
)
from exam_engine.domain.irt.calibration import Calibration, calibrate
from exam_engine.domain.irt.model import (
    MODELS,
    PRIOR_B_MEAN,
    information,
    prior_b_mean,
    probability,
)

__all__ = [
    "MODELS",
    "PRIOR_B_MEAN",
    "AbilityEstimate",
    "Calibration",
    "PoolItem",
    "calibrate",
    "cut_score",
    "eap",
    "expected_score",
    "information",
    "next_domain",
    "pass_probability",
    "prior_b_mean",
    "probability",
    "select_next",
    "stop_reason",
]
