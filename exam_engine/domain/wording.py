"""Surface features of option text: the habits a test-wise candidate reads instead of knowledge.

One place defines what counts as a two-part option, a justification clause, an absolute,
a hedge or a drastic move, and how words are normalised, so the lint rules that keep a bank
free of cues and the no-knowledge solver that measures them (``testwise``) agree.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def _pattern(*phrases: str) -> re.Pattern[str]:
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(r"\b(?:" + body + r")\b", re.IGNORECASE)


# Joins two actions or two things: "X and Y", "X, then Y", "X; Y", "X as well as Y".
TWO_PART = re.compile(
    r"\b(?:and|then|plus|as\s+well\s+as|along\s+with|together\s+with|followed\s+by)\b|;",
    re.IGNORECASE,
)
# An option that argues for (or against) itself.
JUSTIFICATION = _pattern(
    "because",
    "since",
    "so that",
    "in order to",
    "so as to",
    "given that",
    "as this",
    "as it",
    "which means",
    "thereby",
    "otherwise",
    "to ensure",
    "to avoid",
    "to prevent",
)
ABSOLUTE = _pattern(
    "all",
    "any",
    "every",
    "always",
    "never",
    "only",
    "none",
    "entire",
    "entirely",
    "complete",
    "completely",
    "fully",
    "guarantee",
    "guarantees",
    "guaranteed",
    "solely",
    "exclusively",
    "whatever",
    "whenever",
    "no longer",
)
HEDGE = _pattern(
    "appropriate",
    "appropriately",
    "relevant",
    "proportionate",
    "risk-based",
    "where needed",
    "where necessary",
    "as needed",
    "based on",
    "according to",
    "in line with",
    "consistent with",
    "aligned with",
    "agreed",
    "documented",
    "approved",
    "defined",
)
NEGATION = _pattern("not", "no", "without", "instead of", "rather than", "nor")
# Overreactions that ISACA-style distractors often take: stop, ban, replace, delete.
DRASTIC = _pattern(
    "ban",
    "bans",
    "banning",
    "block",
    "blocks",
    "prohibit",
    "prohibits",
    "forbid",
    "stop",
    "stops",
    "suspend",
    "suspends",
    "shut",
    "halt",
    "terminate",
    "terminates",
    "discontinue",
    "decommission",
    "withdraw",
    "remove",
    "delete",
    "disable",
    "replace",
    "switch",
    "abandon",
    "cancel",
    "freeze",
)
# Words a candidate who has only read about ISACA's "think like a manager" picks for.
MANAGER = _pattern(
    "risk",
    "risks",
    "governance",
    "policy",
    "policies",
    "owner",
    "owners",
    "ownership",
    "accountable",
    "accountability",
    "business",
    "stakeholder",
    "stakeholders",
    "board",
    "management",
    "program",
    "programme",
    "process",
    "framework",
    "appetite",
    "strategy",
    "strategic",
    "objectives",
    "oversight",
)
# Verbs of an earlier step, for "FIRST" questions.
EARLY_STEP = _pattern(
    "assess",
    "identify",
    "determine",
    "define",
    "inventory",
    "review",
    "establish",
    "classify",
    "evaluate",
    "understand",
    "map",
    "analyse",
    "analyze",
    "confirm",
    "clarify",
    "scope",
    "gather",
    "consult",
)
SPECIFIC = re.compile(r"\b(?:\d[\d.,:%/-]*|[A-Z]{2,}[A-Za-z0-9-]*)\b")

STOPWORDS = frozenset(
    """a an the and or of to in on for with by from at as into onto over under about after
    before between during than then that this these those it its it's is are was were be been
    being has have had do does did can could should would will may might must shall their
    there they them he she his her we our you your which who whom whose what when where why
    how not no nor so such only also any all each every other more most less least very
    same own both either neither per via upon within without against across through until
    while if else because since just one two first next new its""".split()
)


def words(text: str) -> list[str]:
    """Lower-cased words of a text, hyphenated terms kept whole."""
    return _WORD.findall(text.casefold())


def normalise(word: str) -> str:
    """Fold simple inflections so 'controls', 'controlled' and 'control' meet."""
    for suffix, minimum in (("ies", 5), ("ing", 6), ("ed", 5), ("es", 5), ("s", 4)):
        if word.endswith(suffix) and len(word) >= minimum and not word.endswith("ss"):
            stem = word[: -len(suffix)]
            return stem + "y" if suffix == "ies" else stem
    return word


def content_words(text: str) -> set[str]:
    """The normalised words of a text that carry meaning (no stop words, no one-letter words)."""
    return {normalise(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def count(pattern: re.Pattern[str], text: str) -> int:
    """How many times a feature pattern occurs in a text."""
    return len(pattern.findall(text))


@dataclass(frozen=True)
class Form:
    """The surface form of one option, as booleans a candidate could read without knowledge."""

    two_part: bool
    justification: bool
    absolute: bool
    hedge: bool
    negation: bool
    drastic: bool

    @classmethod
    def of(cls, text: str) -> Form:
        """Read the form of an option text."""
        return cls(
            two_part=bool(TWO_PART.search(text)),
            justification=bool(JUSTIFICATION.search(text)),
            absolute=bool(ABSOLUTE.search(text)),
            hedge=bool(HEDGE.search(text)),
            negation=bool(NEGATION.search(text)),
            drastic=bool(DRASTIC.search(text)),
        )

    def as_dict(self) -> dict[str, bool]:
        """The features by name."""
        return {name: bool(getattr(self, name)) for name in FORM_FEATURES}


FORM_FEATURES: tuple[str, ...] = (
    "two_part",
    "justification",
    "absolute",
    "hedge",
    "negation",
    "drastic",
)
FEATURE_LABELS: dict[str, str] = {
    "two_part": "two parts (X and Y)",
    "justification": "a justification clause (because, so that, to ensure ...)",
    "absolute": "an absolute (all, any, every, only, never ...)",
    "hedge": "a hedge (appropriate, based on, documented, approved ...)",
    "negation": "a negation (not, without, instead of ...)",
    "drastic": "a drastic move (ban, stop, replace, delete ...)",
}


def odd_feature(options: Sequence[str], index: int) -> list[str]:
    """The features in which option ``index`` is the odd one out among the options.

    Odd means it is the only option with the feature, or the only one without it.
    """
    forms = [Form.of(text).as_dict() for text in options]
    odd: list[str] = []
    for name in FORM_FEATURES:
        having = [i for i, form in enumerate(forms) if form[name]]
        if having == [index] or (
            len(having) == len(options) - 1 and index not in having and len(options) > 2
        ):
            odd.append(name)
    return odd


def inverse_document_frequency(documents: Iterable[set[str]]) -> dict[str, float]:
    """Smoothed IDF of every word over a collection of word sets."""
    df: Counter[str] = Counter()
    total = 0
    for document in documents:
        total += 1
        df.update(document)
    return {word: math.log((total + 1) / (n + 1)) + 1.0 for word, n in df.items()}
