"""Blind-review sheets: parsing with lines, coverage of a bank, agreement, packets."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io

import pytest

from exam_engine.domain import review
from exam_engine.domain.bank import ItemRecord, Problem

ROW = {
    "key": "D2-B-001",
    "fingerprint": "",
    "writer": "writer-1",
    "reviewer": "reviewer-1",
    "blind_answer": "C",
    "blind_difficulty": "medium",
    "key_shown": "C",
    "key_ok": "yes",
    "single_best": "yes",
    "accurate": "yes",
    "cue_free": "yes",
    "difficulty_ok": "yes",
    "outcome": "pass",
    "note": "",
    "reviewed_on": "2026-12-04",
}


def record(key: str = "D2-B-001", answer: int = 2, **changes: object) -> ItemRecord:
    base = ItemRecord(
        key=key,
        subdomain="D2-B",
        domain="D2",
        stem=f"A retailer's chatbot {key} leaks data. Which control is BEST?",
        options=("Rate limits", "A banner", "Output filtering", "A survey"),
        answer=answer,
        rationales=("a", "b", "c", "d"),
        references=("OWASP Top 10 for LLM Applications 2025, LLM02",),
        difficulty="medium",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def sheet(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=review.COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**ROW, **row})
    return out.getvalue()


def test_the_fingerprint_covers_what_a_blind_reviewer_answers_and_nothing_else() -> None:
    item = record()
    same = review.item_fingerprint(item)
    assert len(same) == review.FINGERPRINT_CHARS
    assert review.item_fingerprint(dataclasses.replace(item, rationales=("x",) * 4)) == same
    assert review.item_fingerprint(dataclasses.replace(item, difficulty="hard")) == same
    assert review.item_fingerprint(dataclasses.replace(item, references=("Other",))) == same
    assert review.item_fingerprint(dataclasses.replace(item, stem="Other stem?")) != same
    assert review.item_fingerprint(dataclasses.replace(item, answer=1)) != same
    changed = dataclasses.replace(item, options=("Rate limits", "A banner", "X", "A survey"))
    assert review.item_fingerprint(changed) != same


def test_the_fingerprint_is_a_hash_of_canonical_json_so_stored_reviews_stay_valid() -> None:
    # Review files store fingerprints: the canonical form (sorted keys, no spaces, UTF-8 text
    # unescaped) is a contract, or every review in a bank would turn stale at once.
    item = record(stem="Which control is BEST for the café's chatbot — now?", answer=1)
    canonical = (
        '{"answer":"B","options":["Rate limits","A banner","Output filtering","A survey"],'
        '"stem":"Which control is BEST for the café\'s chatbot — now?"}'
    )
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    assert review.item_fingerprint(item) == expected


def test_a_good_sheet_parses_with_lines() -> None:
    reviews, problems = review.parse_reviews(sheet({"fingerprint": "abc"}), "s.csv")
    assert problems == []
    [only] = reviews
    assert only.passed
    assert (only.file, only.line) == ("s.csv", 2)
    assert only.verdicts == dict.fromkeys(review.VERDICTS, True)


def test_every_field_of_a_row_is_read_into_the_review() -> None:
    row = {"fingerprint": "abc", "blind_difficulty": "hard", "note": "fine", "key_shown": "B"}
    [read] = review.parse_reviews(sheet({**row, "blind_answer": "D"}), "s.csv")[0]
    assert read == review.Review(
        key="D2-B-001",
        fingerprint="abc",
        writer="writer-1",
        reviewer="reviewer-1",
        blind_answer="D",
        blind_difficulty="hard",
        key_shown="B",
        verdicts=dict.fromkeys(review.VERDICTS, True),
        difficulty_ok=True,
        outcome="pass",
        note="fine",
        reviewed_on="2026-12-04",
        file="s.csv",
        line=2,
    )


def test_a_difficulty_disagreement_alone_does_not_block_a_pass() -> None:
    # The difficulty label is adjusted, not rewritten: only the first four verdicts must hold.
    text = sheet({"fingerprint": "abc"}, {"fingerprint": "abc", "difficulty_ok": "no"})
    reviews, problems = review.parse_reviews(text, "s.csv")
    assert problems == []
    assert [r.difficulty_ok for r in reviews] == [True, False]
    assert reviews[1].verdicts["difficulty_ok"] is False
    assert reviews[1].passed


def test_a_byte_order_mark_before_the_header_is_ignored() -> None:
    reviews, problems = review.parse_reviews("\ufeff" + sheet({"fingerprint": "abc"}), "s.csv")
    assert problems == []
    assert [r.key for r in reviews] == ["D2-B-001"]


def test_rows_after_a_bad_row_are_still_read() -> None:
    text = sheet({"key": "", "fingerprint": "abc"}, {"key": "D2-B-002", "fingerprint": "abc"})
    reviews, problems = review.parse_reviews(text, "s.csv")
    # A row without a key is named by the word "row".
    assert problems == [Problem("s.csv", 2, "row: key is empty")]
    assert [(r.key, r.line) for r in reviews] == [("D2-B-002", 3)]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"reviewer": "writer-1"},
            "the reviewer wrote the item: a review must be by someone else",
        ),
        ({"blind_answer": "E"}, "blind_answer 'E' must be one of A, B, C, D"),
        ({"key_shown": ""}, "key_shown '' must be one of A, B, C, D"),
        ({"blind_difficulty": "tricky"}, "blind_difficulty 'tricky' must be easy/medium/hard"),
        ({"single_best": "maybe"}, "single_best 'maybe' must be yes or no"),
        ({"outcome": "ok"}, "outcome 'ok' must be pass or rewrite"),
        (
            {"cue_free": "no"},
            "outcome pass with a failed verdict: a failed item is rewritten",
        ),
        ({"outcome": "rewrite", "note": ""}, "a rewrite needs a note saying what is wrong"),
        ({"fingerprint": ""}, "fingerprint is empty"),
        ({"reviewed_on": ""}, "reviewed_on is empty"),
    ],
)
def test_a_bad_row_is_named_at_its_line_and_kept_out(change: dict[str, str], reason: str) -> None:
    text = sheet({"fingerprint": "abc"}, {"fingerprint": "abc", **change})
    reviews, problems = review.parse_reviews(text, "s.csv")
    assert len(reviews) == 1
    assert problems == [Problem("s.csv", 3, f"D2-B-001: {reason}")]


def test_a_sheet_without_the_columns_is_refused_with_each_missing_one_named() -> None:
    reviews, problems = review.parse_reviews("key,writer\nD2-B-001,w\n", "s.csv")
    assert reviews == []
    missing = [c for c in review.COLUMNS if c not in ("key", "writer")]
    assert problems == [Problem("s.csv", 1, f"missing columns {', '.join(missing)}")]
    assert missing[:2] == ["fingerprint", "reviewer"]


def test_coverage_tells_reviewed_unreviewed_stale_and_failed_apart() -> None:
    passed, stale, failed, missing, misread = (
        record("D2-B-001"),
        record("D2-B-002"),
        record("D2-B-003"),
        record("D2-B-004"),
        record("D2-B-005"),
    )
    fp = review.item_fingerprint
    text = sheet(
        {"key": passed.key, "fingerprint": fp(passed)},
        {"key": stale.key, "fingerprint": "0" * 16},
        {"key": failed.key, "fingerprint": fp(failed)},
        {"key": failed.key, "fingerprint": fp(failed), "outcome": "rewrite", "note": "cue"},
        {"key": misread.key, "fingerprint": fp(misread), "key_shown": "A"},
    )
    reviews, problems = review.parse_reviews(text, "s.csv")
    assert problems == []
    found = review.coverage([passed, stale, failed, missing, misread], reviews)
    assert set(found.reviewed) == {passed.key}
    assert found.stale == (stale.key,)
    assert found.unreviewed == (missing.key,)
    # The latest review counts; a key shown that is not the item's key is no pass.
    assert found.failed == (failed.key, misread.key)
    assert not found.complete


def test_a_rewrite_then_a_passing_review_of_the_new_text_completes_coverage() -> None:
    old, new = record(), record(stem="A rewritten stem about a chatbot. Which is BEST?")
    text = sheet(
        {"fingerprint": review.item_fingerprint(old), "outcome": "rewrite", "note": "cue"},
        {"fingerprint": review.item_fingerprint(new), "reviewer": "reviewer-2"},
    )
    reviews, _ = review.parse_reviews(text, "s.csv")
    found = review.coverage([new], reviews)
    assert found.complete
    assert found.reviewed[new.key].reviewer == "reviewer-2"


def test_agreement_counts_first_reviews_against_the_key_they_were_shown() -> None:
    a, b = record("D2-B-001"), record("D2-B-002", difficulty="hard")
    fp = review.item_fingerprint
    text = sheet(
        # First review of a: blind A against key C shown, sent back.
        {
            "key": a.key,
            "fingerprint": "1" * 16,
            "blind_answer": "A",
            "outcome": "rewrite",
            "note": "two defensible answers",
            "single_best": "no",
        },
        {"key": a.key, "fingerprint": fp(a), "reviewer": "reviewer-2", "blind_difficulty": "easy"},
        {"key": b.key, "fingerprint": fp(b), "blind_difficulty": "hard"},
    )
    reviews, problems = review.parse_reviews(text, "s.csv")
    assert problems == []
    found = review.coverage([a, b], reviews)
    rates = review.agreement([a, b], reviews, found.reviewed)
    assert rates.first_reviews == 2
    assert rates.first_key_agreement == 0.5
    assert rates.first_pass_rate == 0.5
    assert rates.final_reviews == 2
    assert rates.final_key_agreement == 1.0
    assert rates.difficulty_agreement == 0.5
    assert rates.to_dict()["first_key_agreement"] == 0.5


def test_agreement_rates_count_agreeing_reviews_not_disagreeing_ones() -> None:
    a, b, c = record("D2-B-001"), record("D2-B-002"), record("D2-B-003")
    fp = review.item_fingerprint
    text = sheet(
        {"key": a.key, "fingerprint": fp(a)},
        {"key": b.key, "fingerprint": fp(b), "blind_difficulty": "hard"},
        # c's first review: blind A against key C, sent back; its passing one read B blind.
        {
            "key": c.key,
            "fingerprint": "1" * 16,
            "blind_answer": "A",
            "outcome": "rewrite",
            "note": "two keys",
        },
        {"key": c.key, "fingerprint": fp(c), "blind_answer": "B", "blind_difficulty": "easy"},
    )
    reviews, problems = review.parse_reviews(text, "s.csv")
    assert problems == []
    found = review.coverage([a, b, c], reviews)
    rates = review.agreement([a, b, c], reviews, found.reviewed)
    assert rates.to_dict() == {
        "first_reviews": 3,
        "first_key_agreement": 0.6667,
        "first_pass_rate": 0.6667,
        "final_reviews": 3,
        "final_key_agreement": 0.6667,
        "difficulty_agreement": 0.3333,
    }


def test_agreement_of_no_reviews_is_zero_not_a_division_error() -> None:
    rates = review.agreement([record()], [], {})
    assert rates == review.Agreement(0, 0.0, 0.0, 0, 0.0, 0.0)


def test_the_packet_is_one_section_an_item_in_a_fixed_layout() -> None:
    one, two = record("D2-B-001"), record("D2-B-002")
    options = "A. Rate limits\nB. A banner\nC. Output filtering\nD. A survey\n"
    assert review.blind_packet([one, two]) == (
        f"## D2-B-001 (fingerprint {review.item_fingerprint(one)})\n\n{one.stem}\n\n{options}"
        "\n"
        f"## D2-B-002 (fingerprint {review.item_fingerprint(two)})\n\n{two.stem}\n\n{options}"
    )


def test_the_skeleton_has_unix_lines_and_a_cell_for_every_column() -> None:
    item = record()
    text = review.skeleton([item], "writer-9")
    blanks = "," * (len(review.COLUMNS) - 3)
    assert text == (
        ",".join(review.COLUMNS)
        + "\n"
        + f"D2-B-001,{review.item_fingerprint(item)},writer-9{blanks}\n"
    )


def test_the_packet_shows_stem_and_options_and_no_key_or_rationale() -> None:
    item = record(rationales=("RAT-A", "RAT-B", "RAT-C", "RAT-D"))
    packet = review.blind_packet([item])
    assert item.stem in packet
    assert "C. Output filtering" in packet
    assert review.item_fingerprint(item) in packet
    for hidden in ("RAT-", "answer", "medium", "OWASP"):
        assert hidden not in packet
    rows = list(csv.reader(io.StringIO(review.skeleton([item], "writer-9"))))
    assert rows[0] == list(review.COLUMNS)
    assert rows[1][:3] == [item.key, review.item_fingerprint(item), "writer-9"]
    assert set(rows[1][3:]) == {""}
