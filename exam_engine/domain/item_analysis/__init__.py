"""Classical item analysis over random forms, after Moodle's quiz statistics report.

Entries and marks
-----------------
An *entry* is one item an attempt showed: (attempt, position, item, choice). Its mark x is 1
when the stored choice equals the item version's key and 0 otherwise (unanswered is wrong).
Forms differ between attempts, so a candidate's standing is measured on their own form:

    rest(a, i) = (T_a - x_ai) / (k_a - 1)

with T_a the attempt's number correct and k_a its number of items: the share correct on the
rest of that form. An attempt of a single item has no rest score; its entries are left out.

Item statistics (``item_stats``)
--------------------------------
Over an item's N counted entries (the caller chooses them: first exposures in one scope), with
marks x_n, rest scores R_n, Rbar = mean(R), N1 = sum(x):

    facility           p   = N1 / N                                  (Moodle's F, as a share)
    standard deviation SD  = sqrt(sum((x - p)^2) / (N - 1))          (Moodle's SD; N >= 2)
    discrimination     r   = sum((x - p)(R - Rbar)) / sqrt(sum((x - p)^2) * sum((R - Rbar)^2))
                             the Pearson item-rest correlation (Moodle's index / 100)
    efficiency         DE  = C(x, R) / Cmax(x, R): C is the covariance and Cmax the covariance
                             of x and R each sorted ascending, the largest their marginals allow.
                             For a 0/1 mark that pairs the N1 ones with the N1 highest R, so
                             DE = sum(x (R - Rbar)) / (sum of the N1 largest (R - Rbar)).
                             It is at most 1; a reversed item can go below -1, since the
                             most negative covariance need not mirror Cmax.
    upper / lower      the g = 0.27 N entries with the highest / lowest rest scores (g is not
    27% groups         rounded). Entries tied on R at a group's edge share the room left
                       equally: each gets weight (overlap of its tie block with the group) /
                       (tie block size), so tied entries are never split by storage order.
    upper facility     p_U = sum(w_U x) / g;   lower facility p_L = sum(w_L x) / g
    per option o       (A-D by stored index, plus "unanswered"), y = [entry chose o]:
                       share = sum(y) / N, upper share = sum(w_U y) / g,
                       lower share = sum(w_L y) / g, option-rest r = Pearson(y, R)
                       (the key's option-rest r equals the item's r).

A statistic whose denominator is zero (no variance, N < 2) is undefined: NaN here, None in JSON.

Flags (``item_flags``); an item with N below the minimum gets only "too-few-responses" and
its statistics are withheld from the summary:

    low-discrimination          r < 0.15, negative included, unless a ceiling or floor item
    distractor-beats-key        possible miskey: a distractor's upper-group share exceeds the
                                key's, and a one-sided exact binomial test between the two
                                upper-group counts (round(share * g)) gives p < 0.05
    non-functioning-distractor  a distractor chosen by under 5% of the N
    too-easy / too-hard         ceiling / floor effect: p > 0.95 / p < 0.20

Test statistics (``score_stats``)
---------------------------------
Per template, each counted attempt's marks by position ("slots", as Moodle treats random
questions: a slot holds different versions on different forms) make an A x k 0/1 matrix with
totals X_a, slot facilities p_j and population variances (divisor A):

    mean and SD of X (SD with divisor A - 1), also as percent of k
    KR-20 alpha = k / (k - 1) * (1 - sum_j p_j (1 - p_j) / var(X))
    SEM         = SD * sqrt(1 - alpha)
    distribution: counts of percent scores in [0, 10), [10, 20), ..., [90, 100]

Computation
-----------
Everything is vectorised over all items at once: one sort of the entries by (item, rest
descending) on exact integer ranks of the rest scores (``Scored.rest_rank``), then sums per
item or per (item, option) cell with ``np.bincount``. Tie blocks and group weights come from
the sorted keys; sums of rest scores are centred per item first, for precision.
"""

from exam_engine.domain.item_analysis.base import (
    BLANK,
    DEFAULT_MIN_RESPONSES,
    DISTRIBUTION_BINS,
    FLAG_LABELS,
    FLAG_ORDER,
    FLAG_RULES,
    GROUP_SHARE,
    N_OPTIONS,
    OPTION_LABELS,
    UNANSWERED,
    Bools,
    Floats,
    Ints,
    Thresholds,
)
from exam_engine.domain.item_analysis.flags import (
    OPTION_FIELDS,
    FlagMasks,
    ItemSummary,
    describe_flag,
    flag_masks,
    item_flags,
    item_summaries,
)
from exam_engine.domain.item_analysis.form_stats import (
    ScoreStats,
    score_stats,
    slot_matrices,
    slot_matrix,
)
from exam_engine.domain.item_analysis.option_stats import (
    ItemStats,
    RankedEntries,
    item_stats,
    rank_entries,
    ranked_item_stats,
    scoped_item_stats,
)
from exam_engine.domain.item_analysis.scoring import Scored, first_exposures, score_entries

__all__ = [
    "BLANK",
    "DEFAULT_MIN_RESPONSES",
    "DISTRIBUTION_BINS",
    "FLAG_LABELS",
    "FLAG_ORDER",
    "FLAG_RULES",
    "GROUP_SHARE",
    "N_OPTIONS",
    "OPTION_FIELDS",
    "OPTION_LABELS",
    "UNANSWERED",
    "Bools",
    "FlagMasks",
    "Floats",
    "Ints",
    "ItemStats",
    "ItemSummary",
    "RankedEntries",
    "ScoreStats",
    "Scored",
    "Thresholds",
    "describe_flag",
    "first_exposures",
    "flag_masks",
    "item_flags",
    "item_stats",
    "item_summaries",
    "rank_entries",
    "ranked_item_stats",
    "score_entries",
    "score_stats",
    "scoped_item_stats",
    "slot_matrices",
    "slot_matrix",
]
