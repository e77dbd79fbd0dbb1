"""Blind-review sheets of a bank: ``reviews/*.csv`` beside ``items/`` (see REVIEW.md)."""

from __future__ import annotations

from pathlib import Path

from exam_engine.domain.bank import Problem
from exam_engine.domain.review import Review, parse_reviews
from question_bank.loader import display_path

REVIEWS_DIR = "reviews"


def review_folder(bank: Path) -> Path:
    """The reviews folder of a bank directory, items directory or item file."""
    bank = bank.resolve()
    if bank.is_file():
        bank = bank.parent
    if bank.name == "items":
        bank = bank.parent
    return bank / REVIEWS_DIR


def load_reviews(folder: Path) -> tuple[list[Review], list[Problem]]:
    """Read every ``*.csv`` sheet in the folder, in name order; rows in file order."""
    reviews: list[Review] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return reviews, [Problem(display_path(folder), 1, "no reviews folder")]
    for path in sorted(folder.glob("*.csv")):
        display = display_path(path)
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(display, 1, f"cannot read the sheet: {error}"))
            continue
        found, bad = parse_reviews(text, display)
        reviews.extend(found)
        problems.extend(bad)
    return reviews, problems
