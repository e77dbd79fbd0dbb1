"""A no-knowledge solver: surface strategies that pick an answer without knowing the subject.

Each strategy scores the four options of an item from its text alone (length, form, echo of
the stem, wording habits) and picks the highest; a tie shares the credit, so a strategy
that cannot tell options apart scores the 25% of a blind guess. Two strategies learn the
bank's own habits (which words and which forms keys have) by ten-fold cross-validation
split by item, so an item is never answered by a model that saw its key.

A bank measures knowledge when every strategy stays near 25%; the bundled bank's test fails
above :data:`HIT_RATE_LIMIT`.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from exam_engine.domain import wording
from exam_engine.domain.bank import OPTION_LABELS, ItemRecord
from exam_engine.domain.lint import text as lint_text
from exam_engine.domain.registry import Entry, Registry
from exam_engine.domain.wording import Form

HIT_RATE_LIMIT = 0.30
FOLDS = 10
# Capitals only: the qualifier as ISACA writes it ("What should the manager do FIRST?").
_FIRST_STEP = re.compile(r"\b(?:FIRST|NEXT|BEGIN|INITIAL|INITIALLY|START)\b")


@dataclass(frozen=True)
class Question:
    """What the solver may read: the stem and the options, never the key."""

    key: str
    stem: str
    options: tuple[str, ...]

    @classmethod
    def of(cls, item: ItemRecord) -> Question:
        """The visible part of an item."""
        return cls(item.key, item.stem, item.options)

    def asks_first_step(self) -> bool:
        """True when the question asks for a first or next step."""
        return _FIRST_STEP.search(lint_text.question_sentence(self.stem)) is not None


@dataclass
class Context:
    """Bank-wide knowledge a strategy may use: word rarity and models fitted on other items."""

    idf: Mapping[str, float]
    models: dict[str, Callable[[Question], list[float]]] = field(default_factory=dict)


Scorer = Callable[[Question, Context], list[float]]
Trainer = Callable[[Sequence[ItemRecord], Context], Callable[[Question], list[float]]]


Strategy = Entry[Scorer]
STRATEGIES: Registry[Scorer] = Registry("strategy")
TRAINERS: dict[str, Trainer] = {}


def strategy(name: str, summary: str) -> Callable[[Scorer], Scorer]:
    """Register a strategy that scores options (highest wins, ties share the credit)."""
    return STRATEGIES.register(name, summary)


def learned(name: str, summary: str) -> Callable[[Trainer], Trainer]:
    """Register a strategy fitted on the other folds of the bank (cross-validated)."""

    def register(train: Trainer) -> Trainer:
        TRAINERS[name] = train

        def score(question: Question, context: Context) -> list[float]:
            return context.models[name](question)

        strategy(name, summary)(score)
        return train

    return register


# --- helpers --------------------------------------------------------------------------------


def _ranks(values: Sequence[float]) -> list[int]:
    """Each value's rank: how many values are strictly smaller."""
    return [sum(other < value for other in values) for value in values]


def _echo(question: Question) -> list[float]:
    stem = wording.content_words(question.stem)
    return [float(len(wording.content_words(o) & stem)) for o in question.options]


def _idf_echo(question: Question, context: Context) -> list[float]:
    stem = wording.content_words(question.stem)
    return [
        math.fsum(context.idf.get(w, 0.0) for w in wording.content_words(o) & stem)
        for o in question.options
    ]


def _convergence(question: Question) -> list[float]:
    sets = [wording.content_words(o) for o in question.options]
    return [
        float(sum(len(s & other) for j, other in enumerate(sets) if j != i))
        for i, s in enumerate(sets)
    ]


def _self_arguing(text: str) -> bool:
    form = Form.of(text)
    return form.justification or form.absolute


# --- the battery ------------------------------------------------------------------------------


@strategy("longest", "pick the longest option")
def _longest(question: Question, context: Context) -> list[float]:
    return [float(len(o.strip())) for o in question.options]


@strategy("shortest", "pick the shortest option")
def _shortest(question: Question, context: Context) -> list[float]:
    return [-float(len(o.strip())) for o in question.options]


@strategy("second-longest", "pick the second-longest option (a habit some prep books teach)")
def _second_longest(question: Question, context: Context) -> list[float]:
    return [1.0 if rank == 2 else 0.0 for rank in _ranks([len(o) for o in question.options])]


@strategy("two-part", "pick an option with two parts (X and Y, X then Y)")
def _two_part(question: Question, context: Context) -> list[float]:
    return [float(bool(wording.TWO_PART.search(o))) for o in question.options]


@strategy(
    "no-self-argument",
    "drop options that argue for themselves (because, so that) or speak in absolutes",
)
def _no_self_argument(question: Question, context: Context) -> list[float]:
    return [0.0 if _self_arguing(o) else 1.0 for o in question.options]


@strategy("not-drastic", "drop overreactions: ban, stop, replace, delete, suspend")
def _not_drastic(question: Question, context: Context) -> list[float]:
    return [0.0 if wording.DRASTIC.search(o) else 1.0 for o in question.options]


@strategy("stem-echo", "pick the option that repeats most words of the stem")
def _stem_echo(question: Question, context: Context) -> list[float]:
    return _echo(question)


@strategy("distinctive-echo", "pick the option that repeats the stem's rarest words")
def _distinctive_echo(question: Question, context: Context) -> list[float]:
    return _idf_echo(question, context)


# The mirror habits: a bank whose writers strip the stem's words out of keys teaches the
# candidate to pick the option that echoes the stem least.
@strategy("least-echo", "pick the option that repeats fewest words of the stem")
def _least_echo(question: Question, context: Context) -> list[float]:
    return [-score for score in _echo(question)]


@strategy("least-distinctive-echo", "pick the option that repeats the stem's rarest words least")
def _least_distinctive_echo(question: Question, context: Context) -> list[float]:
    return [-score for score in _idf_echo(question, context)]


@strategy("convergence", "pick the option that shares most words with the other options")
def _converge(question: Question, context: Context) -> list[float]:
    return _convergence(question)


@strategy("manager-words", "pick the option richest in risk, governance, owner, business words")
def _manager(question: Question, context: Context) -> list[float]:
    return [float(wording.count(wording.MANAGER, o)) for o in question.options]


@strategy(
    "first-step",
    "for FIRST/NEXT questions pick an assess/identify/define step, else the manager's option",
)
def _first_step(question: Question, context: Context) -> list[float]:
    pattern = wording.EARLY_STEP if question.asks_first_step() else wording.MANAGER
    return [float(wording.count(pattern, o)) for o in question.options]


@strategy("most-qualified", "pick the most hedged option (appropriate, documented, based on)")
def _qualified(question: Question, context: Context) -> list[float]:
    return [float(wording.count(wording.HEDGE, o)) for o in question.options]


@strategy("specific", "pick the option with the most figures and acronyms")
def _specific(question: Question, context: Context) -> list[float]:
    return [float(len(wording.SPECIFIC.findall(o))) for o in question.options]


@strategy("odd-one-out", "pick the option whose form differs from the other three")
def _odd(question: Question, context: Context) -> list[float]:
    return [float(len(wording.odd_feature(question.options, i))) for i in range(4)]


@strategy("drop-odd", "drop options whose form differs from the other three")
def _drop_odd(question: Question, context: Context) -> list[float]:
    return [0.0 if wording.odd_feature(question.options, i) else 1.0 for i in range(4)]


def _opening(text: str) -> str:
    return " ".join(wording.words(text)[:2])


@strategy("odd-opening", "pick the option whose first words differ from the others'")
def _odd_opening(question: Question, context: Context) -> list[float]:
    openings = [_opening(o) for o in question.options]
    shared = {opening for opening in openings if openings.count(opening) > 1}
    if not shared:
        return [0.0] * len(openings)
    return [0.0 if opening in shared else 1.0 for opening in openings]


@strategy(
    "drop-then-two-part",
    "drop self-arguing options, then prefer two parts, then the longest",
)
def _combined(question: Question, context: Context) -> list[float]:
    return [
        (0.0 if _self_arguing(o) else 1e6)
        + (1e3 if wording.TWO_PART.search(o) else 0.0)
        + len(o.strip())
        for o in question.options
    ]


@learned("letter", "pick the letter most often keyed in the rest of the bank")
def _train_letter(
    training: Sequence[ItemRecord], context: Context
) -> Callable[[Question], list[float]]:
    counts = Counter(item.answer for item in training)
    scores = [float(counts[i]) for i in range(len(OPTION_LABELS))]
    return lambda question: list(scores)


def _log_ratio(key_count: int, keys: int, other_count: int, others: int) -> float:
    return math.log((key_count + 1) / (keys + 2)) - math.log((other_count + 1) / (others + 2))


Features = Callable[[Question, Context], list[Collection[str]]]


def naive_bayes(
    training: Sequence[ItemRecord], context: Context, features: Features
) -> Callable[[Question], list[float]]:
    """Score options by how much likelier their features are in keys than in distractors.

    Counts each feature once per option (presence), with add-one smoothing: a feature seen
    only in keys of the training items pushes an option up, one seen only in distractors
    pushes it down.
    """
    key_counts: Counter[str] = Counter()
    other_counts: Counter[str] = Counter()
    keys = others = 0
    for item in training:
        for index, present in enumerate(features(Question.of(item), context)):
            if index == item.answer:
                key_counts.update(present)
                keys += 1
            else:
                other_counts.update(present)
                others += 1
    weights = {
        feature: _log_ratio(key_counts[feature], keys, other_counts[feature], others)
        for feature in key_counts.keys() | other_counts.keys()
    }
    return lambda question: [
        # fsum: a sum over a set must not depend on its order (string hashing varies by run).
        math.fsum(weights.get(f, 0.0) for f in present)
        for present in features(question, context)
    ]


def _option_words(question: Question, context: Context) -> list[Collection[str]]:
    return [wording.content_words(o) for o in question.options]


def _phrases(text: str) -> set[str]:
    """Pairs of neighbouring meaningful words: 'system prompt', 'quarterly review'."""
    kept = [wording.normalise(w) for w in wording.words(text) if w not in wording.STOPWORDS]
    return {f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False)}


def _option_phrases(question: Question, context: Context) -> list[Collection[str]]:
    return [_phrases(o) for o in question.options]


@learned("learned-words", "naive Bayes on option words, trained on the other folds")
def _train_words(
    training: Sequence[ItemRecord], context: Context
) -> Callable[[Question], list[float]]:
    return naive_bayes(training, context, _option_words)


@learned(
    "learned-phrases",
    "naive Bayes on two-word phrases (a distractor family such as 'system prompt')",
)
def _train_phrases(
    training: Sequence[ItemRecord], context: Context
) -> Callable[[Question], list[float]]:
    return naive_bayes(training, context, _option_phrases)


@dataclass(frozen=True)
class TellingWord:
    """A word whose presence tells keys from distractors: what ``learned-words`` learns."""

    word: str
    in_keys: int
    in_distractors: int
    log_ratio: float


def telling_words(items: Iterable[ItemRecord], min_uses: int = 8) -> list[TellingWord]:
    """Words used in at least ``min_uses`` options, most key-like first, most distractor-like last.

    ``log_ratio`` compares the share of keys holding the word with the share of distractors
    holding it (add-one smoothing, as the learner does): above 0 the word leans to keys.
    """
    pool = [item for item in items if _four_options(item)]
    in_keys: Counter[str] = Counter()
    in_others: Counter[str] = Counter()
    for item in pool:
        for index, text in enumerate(item.options):
            (in_keys if index == item.answer else in_others).update(wording.content_words(text))
    keys, others = len(pool), 3 * len(pool)
    found = [
        TellingWord(
            word,
            in_keys[word],
            in_others[word],
            _log_ratio(in_keys[word], keys, in_others[word], others),
        )
        for word in in_keys.keys() | in_others.keys()
        if in_keys[word] + in_others[word] >= min_uses
    ]
    return sorted(found, key=lambda t: (-t.log_ratio, t.word))


def form_profile(question: Question, context: Context) -> list[Collection[str]]:
    """Discrete surface features of each option (for the learned form strategy)."""
    length = _ranks([len(o.strip()) for o in question.options])
    echo = _ranks(_echo(question))
    distinctive = _ranks(_idf_echo(question, context))
    converge = _ranks(_convergence(question))
    first = question.asks_first_step()
    profiles: list[Collection[str]] = []
    for i, text in enumerate(question.options):
        form = Form.of(text).as_dict()
        features = [f"{name}={value}" for name, value in form.items()]
        features += [
            f"length={length[i]}",
            f"echo={echo[i]}",
            f"distinctive={distinctive[i]}",
            f"converge={converge[i]}",
            f"manager={min(wording.count(wording.MANAGER, text), 2)}",
            f"early={first}:{bool(wording.EARLY_STEP.search(text))}",
            f"specific={min(len(wording.SPECIFIC.findall(text)), 2)}",
            f"odd={min(len(wording.odd_feature(question.options, i)), 2)}",
        ]
        profiles.append(tuple(features))
    return profiles


@learned("learned-form", "naive Bayes on every surface feature above, trained on other folds")
def _train_form(
    training: Sequence[ItemRecord], context: Context
) -> Callable[[Question], list[float]]:
    return naive_bayes(training, context, form_profile)


# --- running the battery ----------------------------------------------------------------------


def credit(scores: Sequence[float], answer: int) -> float:
    """The expected score of picking a best-scored option at random: 1/k if the key is among k."""
    best = max(scores)
    tied = [i for i, value in enumerate(scores) if math.isclose(value, best, abs_tol=1e-9)]
    return 1.0 / len(tied) if answer in tied else 0.0


def fold_of(key: str) -> int:
    """A stable fold for an item, by its key (the same in every process)."""
    return zlib.crc32(key.encode("utf-8")) % FOLDS


@dataclass(frozen=True)
class Report:
    """Hit rates per strategy and, per item, the credit each strategy earned on it."""

    hit_rates: dict[str, float]
    credits: dict[str, dict[str, float]]
    items: int

    def failing(self, limit: float = HIT_RATE_LIMIT) -> dict[str, float]:
        """Strategies whose hit rate is above the limit."""
        return {name: rate for name, rate in self.hit_rates.items() if rate > limit}

    def cue_load(self) -> dict[str, float]:
        """Per item, the total credit the strategies earn: high means many cues point at the key."""
        totals: dict[str, float] = {}
        for per_item in self.credits.values():
            for key, value in per_item.items():
                totals[key] = totals.get(key, 0.0) + value
        return totals


def _four_options(item: ItemRecord) -> bool:
    return len(item.options) == len(OPTION_LABELS) and 0 <= item.answer < len(item.options)


def run(items: Iterable[ItemRecord], names: Iterable[str] | None = None) -> Report:
    """Run the strategies (all, or the named ones) over items with four options each."""
    pool = [item for item in items if _four_options(item)]
    chosen = list(STRATEGIES) if names is None else list(names)
    unknown = [name for name in chosen if name not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; known: {', '.join(STRATEGIES)}")
    idf = wording.inverse_document_frequency(
        wording.content_words(" ".join((item.stem, *item.options))) for item in pool
    )
    folds: dict[int, list[ItemRecord]] = {}
    for item in pool:
        folds.setdefault(fold_of(item.key), []).append(item)
    credits: dict[str, dict[str, float]] = {name: {} for name in chosen}
    for fold, members in folds.items():
        context = Context(idf)
        training = [item for item in pool if fold_of(item.key) != fold]
        for name in chosen:
            if name in TRAINERS:
                context.models[name] = TRAINERS[name](training, context)
        for item in members:
            question = Question.of(item)
            for name in chosen:
                scores = STRATEGIES[name].run(question, context)
                credits[name][item.key] = credit(scores, item.answer)
    rates = {
        name: (math.fsum(per_item.values()) / len(pool) if pool else 0.25)
        for name, per_item in credits.items()
    }
    return Report(rates, credits, len(pool))


def summaries() -> dict[str, str]:
    """Each strategy's one-line description."""
    return {name: s.summary for name, s in STRATEGIES.items()}
