"""flask bank review-packet and review-check: the blind review's commands."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml

from question_bank import BUNDLED_BANK

ITEMS = [
    {
        "key": f"D1-A-90{n}",
        "difficulty": "medium",
        "stem": f"Scenario {n} about a lender's model. Which step is BEST?",
        "options": {k: f"Option {k} of scenario {n}" for k in "ABCD"},
        "answer": "ABCD"[n],
        "rationale": {k: f"Why option {k} fares as it does here." for k in "ABCD"},
        "references": ["NIST AI RMF 1.0, MAP 1.1"],
        "as_of": "2026-12-04",
    }
    for n in range(3)
]


@pytest.fixture
def runner(app, session):
    return app.test_cli_runner()


@pytest.fixture
def bank(tmp_path) -> Path:
    root = tmp_path / "bank"
    (root / "items").mkdir(parents=True)
    shutil.copy(BUNDLED_BANK / "blueprint.yaml", root / "blueprint.yaml")
    document = {"subdomain": "D1-A", "items": ITEMS}
    (root / "items" / "D1-A.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return root


def fill(sheet: Path, reviewer: str, **overrides: str) -> None:
    with sheet.open() as handle:
        rows = list(csv.DictReader(handle))
    for row, item in zip(rows, ITEMS, strict=True):
        row.update(
            reviewer=reviewer,
            blind_answer=item["answer"],
            blind_difficulty="medium",
            key_shown=item["answer"],
            key_ok="yes",
            single_best="yes",
            accurate="yes",
            cue_free="yes",
            difficulty_ok="yes",
            outcome="pass",
            reviewed_on="2026-12-04",
        )
        row.update(overrides)
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_packet_hides_the_keys_and_a_filled_sheet_passes_the_check(runner, bank) -> None:
    out = bank / "work"
    result = runner.invoke(
        args=[
            "bank",
            "review-packet",
            str(bank / "items" / "D1-A.yaml"),
            "--writer",
            "w1",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    packet = (out / "D1-A.packet.md").read_text()
    assert "Scenario 1 about a lender's model" in packet
    assert "Why option" not in packet
    assert "answer" not in packet
    before = runner.invoke(args=["bank", "review-check", str(bank), "--reviews", str(out)])
    assert before.exit_code == 1
    (bank / "reviews").mkdir()
    sheet = bank / "reviews" / "D1-A.csv"
    shutil.copy(out / "D1-A.review.csv", sheet)
    fill(sheet, "r1")
    checked = runner.invoke(args=["bank", "review-check", str(bank), "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.output)
    assert report["reviewed"] == 3
    assert report["agreement"]["first_key_agreement"] == 1.0
    assert report["agreement"]["difficulty_agreement"] == 1.0


def test_a_changed_item_needs_a_new_review(runner, bank) -> None:
    out = bank / "work"
    runner.invoke(args=["bank", "review-packet", str(bank), "--writer", "w1", "--out", str(out)])
    (bank / "reviews").mkdir()
    shutil.copy(out / "bank.review.csv", bank / "reviews" / "D1-A.csv")
    fill(bank / "reviews" / "D1-A.csv", "r1")
    path = bank / "items" / "D1-A.yaml"
    path.write_text(path.read_text().replace("Option A of scenario 0", "Option A, reworded"))
    result = runner.invoke(args=["bank", "review-check", str(bank)])
    assert result.exit_code == 1
    assert "stale: D1-A-900" in result.output


def test_a_sheet_with_bad_rows_is_named_and_fails(runner, bank) -> None:
    out = bank / "work"
    runner.invoke(args=["bank", "review-packet", str(bank), "--writer", "w1", "--out", str(out)])
    (bank / "reviews").mkdir()
    shutil.copy(out / "bank.review.csv", bank / "reviews" / "D1-A.csv")
    fill(bank / "reviews" / "D1-A.csv", "w1")  # the writer reviewing their own items
    result = runner.invoke(args=["bank", "review-check", str(bank)])
    assert result.exit_code == 1
    assert "D1-A.csv:2: D1-A-900: the reviewer wrote the item" in result.output


def test_a_packet_never_overwrites_and_unknown_keys_are_named(runner, bank) -> None:
    out = bank / "work"
    args = ["bank", "review-packet", str(bank), "--writer", "w1", "--out", str(out)]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 1
    assert "exists; choose another --out" in again.output
    missing = runner.invoke(args=[*args[:-1], str(bank / "other"), "--key", "D1-A-999"])
    assert missing.exit_code == 1
    assert "no such item in" in missing.output
    assert "D1-A-999" in missing.output
