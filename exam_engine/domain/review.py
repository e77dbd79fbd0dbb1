"""Blind review records: who reviewed which item, what they answered blind, and their verdicts.

The protocol is ``question_bank/REVIEW.md``. A review is tied to the item as it was answered
(stem, options and key, by :func:`item_fingerprint`), so any later change to those makes the
review stale and the item must be reviewed again. Records are rows of CSV files, one file a
sub-domain, under a bank's ``reviews/`` folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from exam_engine.domain.bank import OPTION_LABELS, ItemRecord, Problem
from exam_engine.domain.plurals import plural

COLUMNS: tuple[str, ...] = (
    "key",
    "fingerprint",
    "writer",
    "reviewer",
    "blind_answer",
    "blind_difficulty",
    "key_shown",
    "key_ok",
    "single_best",
    "accurate",
    "cue_free",
    "difficulty_ok",
    "outcome",
    "note",
    "reviewed_on",
)
VERDICTS: tuple[str, ...] = ("key_ok", "single_best", "accurate", "cue_free", "difficulty_ok")
YES_NO: tuple[str, ...] = ("yes", "no")
OUTCOMES: tuple[str, ...] = ("pass", "rewrite")
FINGERPRINT_CHARS = 16


def item_fingerprint(item: ItemRecord) -> str:
    """A short hash of what a blind reviewer answers: the stem, the options and the key."""
    content = {"stem": item.stem, "options": list(item.options), "answer": item.answer_label}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


@dataclass(frozen=True)
class Review:
    """One reviewer's record of one item, at one fingerprint."""

    key: str
    fingerprint: str
    writer: str
    reviewer: str
    blind_answer: str
    blind_difficulty: str
    key_shown: str
    verdicts: Mapping[str, bool]
    difficulty_ok: bool
    outcome: str
    note: str
    reviewed_on: str
    file: str = ""
    line: int = 0

    @property
    def passed(self) -> bool:
        """True when the reviewer let the item through as it is."""
        return self.outcome == "pass"


def parse_reviews(text: str, file: str) -> tuple[list[Review], list[Problem]]:
    """Read a review file; every bad row is a problem at its line, nothing is guessed."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    problems: list[Problem] = []
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [
            Problem(file, 1, f"missing {plural(len(missing), 'column')} {', '.join(missing)}")
        ]
    reviews: list[Review] = []
    for row in reader:
        line = reader.line_num
        values = {name: (row.get(name) or "").strip() for name in COLUMNS}
        reasons = _row_problems(values)
        if reasons:
            problems.extend(Problem(file, line, f"{values['key'] or 'row'}: {r}") for r in reasons)
            continue
        reviews.append(
            Review(
                key=values["key"],
                fingerprint=values["fingerprint"],
                writer=values["writer"],
                reviewer=values["reviewer"],
                blind_answer=values["blind_answer"],
                blind_difficulty=values["blind_difficulty"],
                key_shown=values["key_shown"],
                verdicts={name: values[name] == "yes" for name in VERDICTS},
                difficulty_ok=values["difficulty_ok"] == "yes",
                outcome=values["outcome"],
                note=values["note"],
                reviewed_on=values["reviewed_on"],
                file=file,
                line=line,
            )
        )
    return reviews, problems


def _row_problems(values: Mapping[str, str]) -> list[str]:
    reasons: list[str] = []
    for name in ("key", "fingerprint", "writer", "reviewer", "reviewed_on"):
        if not values[name]:
            reasons.append(f"{name} is empty")
    if values["writer"] and values["writer"] == values["reviewer"]:
        reasons.append("the reviewer wrote the item: a review must be by someone else")
    if values["blind_answer"] not in OPTION_LABELS:
        reasons.append(f"blind_answer {values['blind_answer']!r} must be one of A, B, C, D")
    if values["key_shown"] not in OPTION_LABELS:
        reasons.append(f"key_shown {values['key_shown']!r} must be one of A, B, C, D")
    if values["blind_difficulty"] not in ("easy", "medium", "hard"):
        reasons.append(f"blind_difficulty {values['blind_difficulty']!r} must be easy/medium/hard")
    for name in VERDICTS:
        if values[name] not in YES_NO:
            reasons.append(f"{name} {values[name]!r} must be yes or no")
    if values["outcome"] not in OUTCOMES:
        reasons.append(f"outcome {values['outcome']!r} must be pass or rewrite")
    elif values["outcome"] == "pass" and any(values[name] == "no" for name in VERDICTS[:4]):
        reasons.append("outcome pass with a failed verdict: a failed item is rewritten")
    if values["outcome"] == "rewrite" and not values["note"]:
        reasons.append("a rewrite needs a note saying what is wrong")
    return reasons


@dataclass(frozen=True)
class Coverage:
    """How the review records cover a bank: current passing reviews, and what lacks one."""

    reviewed: dict[str, Review]
    unreviewed: tuple[str, ...]
    stale: tuple[str, ...]
    failed: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every item has a passing review of its current text."""
        return not (self.unreviewed or self.stale or self.failed)


def coverage(items: Sequence[ItemRecord], reviews: Iterable[Review]) -> Coverage:
    """Match each item to its latest review of its current fingerprint.

    An item with reviews only of older text is stale; one whose latest current review asked
    for a rewrite has failed; one with no review at all is unreviewed.
    """
    by_key: dict[str, list[Review]] = {}
    for review in reviews:
        by_key.setdefault(review.key, []).append(review)
    reviewed: dict[str, Review] = {}
    unreviewed: list[str] = []
    stale: list[str] = []
    failed: list[str] = []
    for item in items:
        mine = by_key.get(item.key, [])
        current = [r for r in mine if r.fingerprint == item_fingerprint(item)]
        if not mine:
            unreviewed.append(item.key)
        elif not current:
            stale.append(item.key)
        elif not current[-1].passed or current[-1].key_shown != item.answer_label:
            failed.append(item.key)
        else:
            reviewed[item.key] = current[-1]
    return Coverage(reviewed, tuple(unreviewed), tuple(stale), tuple(failed))


@dataclass(frozen=True)
class Agreement:
    """How often blind reviewers agreed with writers, on first reviews and on passing ones."""

    first_reviews: int
    first_key_agreement: float
    first_pass_rate: float
    final_reviews: int
    final_key_agreement: float
    difficulty_agreement: float

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready values."""
        return {
            "first_reviews": self.first_reviews,
            "first_key_agreement": round(self.first_key_agreement, 4),
            "first_pass_rate": round(self.first_pass_rate, 4),
            "final_reviews": self.final_reviews,
            "final_key_agreement": round(self.final_key_agreement, 4),
            "difficulty_agreement": round(self.difficulty_agreement, 4),
        }


def agreement(
    items: Sequence[ItemRecord], reviews: Sequence[Review], final: Mapping[str, Review]
) -> Agreement:
    """Blind answers against the key, on each item's first review and on its passing one.

    A first review is judged against the key it was shown (the item may have changed since);
    difficulty agreement compares the reviewer's blind guess with the final label.
    """
    by_key = {item.key: item for item in items}
    first: dict[str, Review] = {}
    for review in reviews:
        first.setdefault(review.key, review)
    agreed = sum(r.blind_answer == r.key_shown for r in first.values())
    passed_first = sum(r.passed for r in first.values())
    kept = {key: review for key, review in final.items() if key in by_key}
    final_agreed = sum(r.blind_answer == by_key[key].answer_label for key, r in kept.items())
    difficulty = sum(r.blind_difficulty == by_key[key].difficulty for key, r in kept.items())
    n_first, n_final = len(first), len(kept)
    return Agreement(
        first_reviews=n_first,
        first_key_agreement=agreed / n_first if n_first else 0.0,
        first_pass_rate=passed_first / n_first if n_first else 0.0,
        final_reviews=n_final,
        final_key_agreement=final_agreed / n_final if n_final else 0.0,
        difficulty_agreement=difficulty / n_final if n_final else 0.0,
    )


def blind_packet(items: Sequence[ItemRecord]) -> str:
    """The text a blind reviewer answers from: key, fingerprint, stem and options only."""
    parts: list[str] = []
    for item in items:
        options = "\n".join(
            f"{label}. {text}" for label, text in zip(OPTION_LABELS, item.options, strict=False)
        )
        parts.append(
            f"## {item.key} (fingerprint {item_fingerprint(item)})\n\n{item.stem}\n\n{options}\n"
        )
    return "\n".join(parts)


def skeleton(items: Sequence[ItemRecord], writer: str) -> str:
    """A review CSV with key, fingerprint and writer filled in for the reviewer to complete."""
    out = io.StringIO()
    writer_csv = csv.writer(out, lineterminator="\n")
    writer_csv.writerow(COLUMNS)
    for item in items:
        writer_csv.writerow([item.key, item_fingerprint(item), writer] + [""] * (len(COLUMNS) - 3))
    return out.getvalue()
