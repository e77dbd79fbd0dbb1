"""Item-writing lint: every rule fires on a bad fixture and stays quiet on a good one."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_engine.domain import lint as lint_module
from exam_engine.domain.bank import ItemRecord, SourceRef
from exam_engine.domain.lint import (
    ABSOLUTES,
    LENGTH_RANKS,
    QUALIFIERS,
    RULES,
    Finding,
    answer_skew,
    chi_square_p_value_3df,
    count_by_rule,
    finding,
    item_rule,
    jaccard,
    key_length_rank,
    lint,
    question_sentence,
    share_skew,
    shingles,
    similar_pairs,
    summarize,
)
from exam_engine.domain.lint import text as text_module
from tests.support.properties import examples

README = Path(__file__).resolve().parents[2] / "question_bank" / "README.md"

GOOD_STEM = (
    "A hospital deploys a triage classifier trained on records from two clinics. After a "
    "third clinic joins, its patients are sent to the wrong queue more often than others. "
    "Which action should the security manager take FIRST?"
)
LINES = {
    "stem": 12,
    "options": 15,
    "options.A": 16,
    "options.B": 17,
    "options.C": 18,
    "options.D": 19,
    "answer": 20,
    "rationale": 21,
    "rationale.A": 22,
    "rationale.B": 23,
    "rationale.C": 24,
    "rationale.D": 25,
}


def make_item(
    key: str = "D3-B-001", file: str = "items/D3-B.yaml", **changes: object
) -> ItemRecord:
    """A clean item that passes every rule; ``changes`` replace fields."""
    item = ItemRecord(
        key=key,
        subdomain="D3-B",
        domain="D3",
        stem=GOOD_STEM,
        options=(
            "Retrain the model at once on records from all three clinics",
            "Assess whether the new clinic's data differs from the training data",
            "Route patients from the new clinic to manual triage for the time being",
            "Ask the vendor to certify the model for the new clinic's patients",
        ),
        answer=1,
        rationales=(
            "Retraining before the cause is known may repeat the error with new data.",
            "Understanding the shift comes first: it shows what treatment fits the risk.",
            "A stopgap that may help but does not address why performance dropped.",
            "Transfers the question to a vendor without understanding the local cause.",
        ),
        references=("NIST AI RMF 1.0, MEASURE function",),
        difficulty="medium",
        source=SourceRef(file, 10),
        field_lines=LINES,
    )
    return dataclasses.replace(item, **changes)  # type: ignore[arg-type]


def options_with(index: int, text: str) -> tuple[str, ...]:
    options = list(make_item().options)
    options[index] = text
    return tuple(options)


def rules_hit(items: Sequence[ItemRecord] | ItemRecord) -> list[tuple[str, str]]:
    batch = [items] if isinstance(items, ItemRecord) else list(items)
    return [(f.rule, f.level) for f in lint(batch)]


def test_the_clean_fixture_passes_every_rule() -> None:
    assert lint([make_item()]) == []


def test_every_rule_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name in RULES if f"`{name}`" not in text]
    assert missing == []


# --- option-count and single-key ------------------------------------------------------------


def test_three_options_is_an_error() -> None:
    item = make_item(options=make_item().options[:3], rationales=make_item().rationales[:3])
    [found] = lint([item])
    assert (found.rule, found.level, found.line) == ("option-count", "error", 15)
    assert "has 3 options" in found.message


def test_two_identical_distractors_are_an_error() -> None:
    item = make_item(options=options_with(3, make_item().options[0].upper() + "."))
    [found] = lint([item])
    assert (found.rule, found.line) == ("option-count", LINES["options.D"])
    assert "options A and D say the same thing" in found.message


def test_an_answer_pointing_nowhere_is_an_error() -> None:
    [found] = lint([make_item(answer=4)])
    assert (found.rule, found.level, found.line) == ("single-key", "error", LINES["answer"])


def test_a_distractor_repeating_the_key_is_two_keys() -> None:
    item = make_item(options=options_with(2, make_item().options[1]))
    assert ("single-key", "error") in rules_hit(item)


def test_one_key_among_four_options_passes() -> None:
    assert lint([make_item()], rules=["option-count", "single-key"]) == []


# --- all / none of the above ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["All of the above", "None of the above.", "both of the above", "none of these"]
)
def test_all_or_none_of_the_above_is_an_error(text: str) -> None:
    found = lint([make_item(options=options_with(3, text))], rules=["all-none-above"])
    assert [(f.level, f.line) for f in found] == [("error", LINES["options.D"])]


def test_an_option_about_everything_above_the_threshold_passes() -> None:
    item = make_item(options=options_with(3, "Review the alerts that rank above the threshold"))
    assert lint([item], rules=["all-none-above"]) == []


# --- negative stems -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Which of the following is not a control the manager should apply?",
        "All of the following are appropriate responses except:",
        "Which option is least effective at reducing the risk?",
    ],
)
def test_a_lower_case_negative_stem_is_an_error(question: str) -> None:
    item = make_item(stem="A bank runs a fraud model, BEST practice aside. " + question)
    [found] = lint([item], rules=["negative-stem"])
    assert (found.level, found.line) == ("error", LINES["stem"])
    assert "without emphasis" in found.message


@pytest.mark.parametrize("word", ["NOT", "EXCEPT", "LEAST"])
def test_a_capitalised_negative_stem_is_a_warning(word: str) -> None:
    item = make_item(stem=f"A bank runs a fraud model. Which control is {word} appropriate?")
    [found] = lint([item], rules=["negative-stem"])
    assert found.level == "warning"
    assert "avoid" in found.message


@pytest.mark.parametrize(
    "stem",
    [
        GOOD_STEM,
        "The vendor has not shared a model card. Which action should the manager take FIRST?",
        "Which control BEST enforces least privilege for the agent's tools?",
        "Which control BEST ensures at least two reviewers approve each release?",
    ],
)
def test_negation_outside_the_question_or_in_set_phrases_passes(stem: str) -> None:
    assert lint([make_item(stem=stem)], rules=["negative-stem"]) == []


def test_question_sentence_is_the_last_sentence() -> None:
    assert question_sentence("One. Two is here! Which is BEST?") == "Which is BEST?"
    assert question_sentence("Only one sentence") == "Only one sentence"
    assert question_sentence("") == ""


# --- absolutes ------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ABSOLUTES)
def test_each_absolute_word_in_an_option_is_a_warning(word: str) -> None:
    item = make_item(options=options_with(0, f"Retrain the model {word} on data from all clinics"))
    [found] = lint([item], rules=["absolutes"])
    assert (found.level, found.line) == ("warning", LINES["options.A"])
    assert repr(word) in found.message


def test_words_that_only_contain_an_absolute_pass() -> None:
    item = make_item(options=options_with(0, "Tell everyone; nonetheless review everything"))
    assert lint([item], rules=["absolutes"]) == []


def test_absolutes_in_the_stem_are_not_the_options_rule() -> None:
    item = make_item(stem="Staff never log prompts. Which control should the manager add FIRST?")
    assert lint([item], rules=["absolutes"]) == []


# --- key length cue -----------------------------------------------------------------------


def test_a_markedly_longer_key_is_a_warning() -> None:
    long_key = "Assess whether the new clinic's data differs from the training data " * 2
    [found] = lint([make_item(options=options_with(1, long_key))], rules=["key-length-cue"])
    assert (found.level, found.line) == ("warning", LINES["options.B"])


def test_a_key_longer_by_ratio_but_few_characters_passes() -> None:
    options = ("Log it", "Audit it", "Encrypt the data now", "Patch it")
    # 20 characters against 8: 2.5x but only 12 characters longer
    assert lint([make_item(options=options, answer=2)], rules=["key-length-cue"]) == []


def test_a_key_longer_by_characters_but_not_ratio_passes() -> None:
    base = "x" * 100
    options = (base, base + "y" * 20, base + "z", base + "w")
    # 120 characters against 101: 19 longer but only 1.19x
    assert lint([make_item(options=options, answer=1)], rules=["key-length-cue"]) == []


# --- rationales -----------------------------------------------------------------------------


def test_a_missing_rationale_is_an_error() -> None:
    item = make_item(rationales=make_item().rationales[:3])
    [found] = lint([item], rules=["rationale"])
    assert (found.level, found.line) == ("error", LINES["rationale"])
    assert "no rationale for option D" in found.message


def test_a_trivially_short_rationale_is_an_error() -> None:
    rationales = list(make_item().rationales)
    rationales[2] = "Incorrect."
    [found] = lint([make_item(rationales=tuple(rationales))], rules=["rationale"])
    assert (found.level, found.line) == ("error", LINES["rationale.C"])
    assert "trivially short (10 characters)" in found.message


def test_a_twenty_character_rationale_passes() -> None:
    rationales = ("x" * 20,) * 4
    assert lint([make_item(rationales=rationales)], rules=["rationale"]) == []


# --- qualifier ------------------------------------------------------------------------------


def test_a_stem_without_a_qualifier_is_an_error() -> None:
    item = make_item(stem="A bank runs a fraud model. What should the manager do?")
    [found] = lint([item], rules=["qualifier"])
    assert (found.level, found.line) == ("error", LINES["stem"])


def test_a_lower_case_qualifier_gets_a_hint() -> None:
    item = make_item(stem="A bank runs a fraud model. What is the best thing to do first?")
    [found] = lint([item], rules=["qualifier"])
    assert "write 'best' in capitals (BEST)" in found.message


@pytest.mark.parametrize("qualifier", QUALIFIERS)
def test_each_capitalised_qualifier_passes(qualifier: str) -> None:
    item = make_item(stem=f"A bank runs a fraud model. Which step is {qualifier} appropriate?")
    assert lint([item], rules=["qualifier"]) == []


def test_a_qualifier_inside_a_word_does_not_count() -> None:
    item = make_item(stem="A MAINFRAME team runs a model. Which step should come after testing?")
    assert [f.rule for f in lint([item], rules=["qualifier"])] == ["qualifier"]


# --- duplicate and near-duplicate stems -----------------------------------------------------


def test_a_duplicate_stem_is_an_error_naming_both_keys() -> None:
    a = make_item("D3-B-001")
    b = make_item("D3-B-002", stem=GOOD_STEM.upper().replace(".", " ;"))
    [found] = lint([a, b], rules=["duplicate-stem", "near-duplicate-stem"])
    assert (found.rule, found.level, found.key) == ("duplicate-stem", "error", "D3-B-002")
    assert "D3-B-001" in found.message


def test_a_near_duplicate_stem_is_a_warning_naming_both_keys() -> None:
    a = make_item("D3-B-001")
    b = make_item("D3-B-002", stem=GOOD_STEM.replace("hospital", "clinic group"))
    [found] = lint([a, b], rules=["duplicate-stem", "near-duplicate-stem"])
    assert (found.rule, found.level, found.key) == ("near-duplicate-stem", "warning", "D3-B-002")
    assert "D3-B-001" in found.message
    assert "similar" in found.message


def test_a_repeated_phrase_counts_once_and_sixty_percent_alike_is_near_duplicate() -> None:
    # Shingles {review the model, the model review, model review the} are shared and each
    # stem has one more of its own: 3 of 5, exactly the threshold.
    a = make_item("D3-B-001", stem="Review the model, review the model now?")
    b = make_item("D3-B-002", stem="Review the model, review the model later?")
    [found] = lint([a, b], rules=["near-duplicate-stem"])
    assert found.message == (
        "the stem is 60% similar to D3-B-001's (items/D3-B.yaml:12): D3-B-002 and D3-B-001 "
        "may test the same thing"
    )


def test_different_stems_pass_both_duplicate_rules() -> None:
    a = make_item("D3-B-001")
    b = make_item(
        "D3-B-002",
        stem="An insurer's claims agent can call payment tools. Testing shows it pays claims "
        "that a reviewer would reject. Which control should the manager add FIRST?",
    )
    assert lint([a, b], rules=["duplicate-stem", "near-duplicate-stem"]) == []


def test_shingles_and_jaccard() -> None:
    assert shingles("One two three four") == frozenset({"one two three", "two three four"})
    assert shingles("Short text") == frozenset({"short text"})
    assert shingles("") == frozenset()
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0


def naive_pairs(sets: Sequence[frozenset[str]], threshold: float) -> list[tuple[int, int, float]]:
    return [
        (i, j, jaccard(sets[i], sets[j]))
        for i in range(len(sets))
        for j in range(i + 1, len(sets))
        if sets[i] and sets[j] and jaccard(sets[i], sets[j]) >= threshold
    ]


@settings(max_examples=examples(150), deadline=None)
@given(
    sets=st.lists(st.frozensets(st.integers(0, 12).map(str), max_size=8), max_size=25),
    threshold=st.sampled_from([0.3, 0.5, 0.6, 0.75, 1.0]),
)
def test_the_prefix_filter_join_finds_exactly_the_naive_pairs(
    sets: list[frozenset[str]], threshold: float
) -> None:
    assert similar_pairs(sets, threshold) == naive_pairs(sets, threshold)


@pytest.mark.parametrize("threshold", [0.0, -0.5, 1.5])
def test_a_threshold_outside_zero_to_one_is_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match=r"^threshold must be in \(0, 1\]$"):
        similar_pairs([frozenset("ab")], threshold)


def test_identical_sets_are_a_pair_at_threshold_one() -> None:
    pair = frozenset({"rotate", "keys"})
    assert similar_pairs([pair, frozenset({"other"}), pair], 1.0) == [(0, 2, 1.0)]


def test_the_join_verifies_only_pairs_sharing_a_rare_token_and_of_fitting_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verified: list[tuple[frozenset[str], frozenset[str]]] = []

    def counting_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
        verified.append((a, b))
        return jaccard(a, b)

    monkeypatch.setattr(text_module, "jaccard", counting_jaccard)
    sets = [
        frozenset({"a", "r", "u1", "u2"}),
        frozenset({"a", "v1", "v2", "v3"}),
        frozenset({"a", "w1", "w2", "w3"}),
        frozenset({"r"}),
        frozenset({"a", "v1", "v2", "v3"}),
    ]
    # "a" is in four sets, so it sorts last and stays out of every 3-token prefix at 0.5;
    # {"r"} shares the first set's rare "r" but is too small to be half of it.
    assert similar_pairs(sets, 0.5) == [(1, 4, 1.0)]
    assert verified == [(sets[4], sets[1])]


def random_stem(rng: random.Random, vocabulary: Sequence[str]) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(35, 70))) + " FIRST?"


@pytest.mark.whole_bank
def test_near_duplicates_in_ten_thousand_items_are_found() -> None:
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(3000)]
    stems = [random_stem(rng, vocabulary) for _ in range(10_000)]
    # Plant near-duplicates: one word changed near the end of the stem.
    for source, target in [(5, 9000), (1234, 4321), (777, 9999)]:
        words = stems[source].split()
        words[-3] = "changed"
        stems[target] = " ".join(words)
    items = [make_item(f"D3-B-{n:05d}", stem=stem) for n, stem in enumerate(stems)]
    # Speed is a benchmark concern (shared machines are noisy); this checks the answer.
    found = lint(items, rules=["near-duplicate-stem"])
    assert sorted(f.key for f in found) == ["D3-B-04321", "D3-B-09000", "D3-B-09999"]


# --- answer balance -------------------------------------------------------------------------


def bank(answers: str, file: str = "items/D3-B.yaml", start: int = 0) -> list[ItemRecord]:
    return [
        make_item(f"D3-B-{start + n:03d}", file=file, answer="ABCD".index(letter))
        for n, letter in enumerate(answers)
    ]


def test_a_badly_skewed_file_is_a_warning() -> None:
    [found] = lint(bank("A" * 12 + "BCDB"), rules=["answer-balance"])
    assert (found.level, found.file, found.key) == ("warning", "items/D3-B.yaml", "")
    assert "A 12 (75%)" in found.message


def test_a_balanced_file_passes() -> None:
    assert lint(bank("ABCDDCBABCADCABD" * 2), rules=["answer-balance"]) == []


def test_a_small_file_is_not_judged() -> None:
    assert lint(bank("AAAAAB"), rules=["answer-balance"]) == []


def test_a_mild_but_significant_skew_in_a_large_bank_passes() -> None:
    # 30% / 23% / 23% / 24% over 1,000 items: statistically unlikely, not badly skewed.
    answers = "A" * 300 + "B" * 230 + "C" * 230 + "D" * 240
    assert lint(bank(answers), rules=["answer-balance"]) == []


def test_skew_across_files_is_reported_for_the_bank() -> None:
    # Each file is too small to judge; together 16 of 20 keys are A.
    items = bank("AAAAAAAABC", "a.yaml") + bank("AAAAAAAABD", "b.yaml", start=100)
    assert lint(items, rules=["answer-balance"]) == [
        Finding(
            "",
            "<bank>",
            0,
            "answer-balance",
            "warning",
            "answer letters are skewed over the bank: A 16 (80%), B 2 (10%), C 1 (5%), D 1 (5%); "
            "aim for about a quarter each",
        )
    ]


def test_a_skewed_file_is_reported_at_its_first_item() -> None:
    items = [
        dataclasses.replace(item, source=SourceRef(item.source.file, 30 + 12 * n))
        for n, item in enumerate(bank("A" * 12 + "BCDB"))
    ]
    assert lint(items[::-1], rules=["answer-balance"]) == [
        Finding(
            "",
            "items/D3-B.yaml",
            30,
            "answer-balance",
            "warning",
            "answer letters are skewed in items/D3-B.yaml: A 12 (75%), B 2 (12%), C 1 (6%), "
            "D 1 (6%); aim for about a quarter each",
        )
    ]


def test_a_single_file_is_not_reported_again_for_the_bank() -> None:
    assert [f.file for f in lint(bank("A" * 16), rules=["answer-balance"])] == ["items/D3-B.yaml"]


def test_twelve_items_are_enough_to_judge_a_file() -> None:
    assert [f.file for f in lint(bank("A" * 10 + "BC"), rules=["answer-balance"])] == [
        "items/D3-B.yaml"
    ]


def test_a_small_file_does_not_stop_a_later_file_being_judged() -> None:
    items = bank("AAAAB", "a.yaml") + bank("A" * 16, "b.yaml", start=100)
    assert [f.file for f in lint(items, rules=["answer-balance"])] == ["<bank>", "b.yaml"]


def test_a_file_without_four_option_items_does_not_stop_a_later_file_being_judged() -> None:
    three = make_item().options[:3]
    unjudged = [dataclasses.replace(item, options=three) for item in bank("A" * 12, "a.yaml")]
    items = unjudged + bank("A" * 16, "b.yaml", start=100)
    assert [f.file for f in lint(items, rules=["answer-balance"])] == ["<bank>", "b.yaml"]


def test_items_without_four_options_are_not_counted() -> None:
    three_options = make_item("D3-B-099", options=make_item().options[:3], answer=0)
    [found] = lint([*bank("A" * 12 + "BCDB"), three_options], rules=["answer-balance"])
    assert "A 12 (75%), B 2 (12%), C 1 (6%), D 1 (6%);" in found.message


def test_a_letter_exactly_ten_points_from_a_quarter_passes() -> None:
    # A and B are 15% (exactly 0.10 off in floating point), C and D 35%; p = 0.022.
    assert lint(bank("A" * 9 + "B" * 9 + "C" * 21 + "D" * 21), rules=["answer-balance"]) == []


# --- key length rank ---------------------------------------------------------------------

# Four options of 10, 20, 30 and 40 characters: the key's rank is the length of its text.
BY_LENGTH = ("a" * 10, "b" * 20, "c" * 30, "d" * 40)


def ranked(ranks: str, file: str = "items/D3-B.yaml") -> list[ItemRecord]:
    """Items whose key is the option of rank r (0 shortest .. 3 longest), one per digit."""
    return [
        make_item(f"D3-B-{n:03d}", file=file, options=BY_LENGTH, answer=int(rank))
        for n, rank in enumerate(ranks)
    ]


def test_key_length_rank_counts_shorter_distractors() -> None:
    assert [key_length_rank(item) for item in ranked("0123")] == list(LENGTH_RANKS)
    # A key tied with the longest distractor is not "the longest".
    tied = make_item(options=("a" * 40, "b" * 10, "c" * 20, "d" * 40), answer=0)
    assert key_length_rank(tied) == "second longest"


def test_keys_that_are_usually_shortest_are_a_warning() -> None:
    [found] = lint(ranked("0" * 10 + "0123" + "12"), rules=["key-length-rank"])
    assert (found.level, found.file, found.key) == ("warning", "items/D3-B.yaml", "")
    assert "shortest 11 (69%)" in found.message
    assert "longest 1 (6%)" in found.message


def test_keys_that_are_seldom_longest_are_a_warning() -> None:
    [found] = lint(ranked("012" * 8), rules=["key-length-rank"])
    assert "longest 0 (0%)" in found.message


def test_an_answer_pointing_nowhere_has_no_length_rank() -> None:
    nowhere = make_item("D3-B-099", options=BY_LENGTH, answer=4)
    items = ranked("0" * 10 + "0123" + "12")
    assert lint([*items, nowhere], rules=["key-length-rank"]) == lint(
        items, rules=["key-length-rank"]
    )


def test_keys_spread_over_the_length_ranks_pass() -> None:
    assert lint(ranked("0123" * 6), rules=["key-length-rank"]) == []
    assert lint(ranked("0000"), rules=["key-length-rank"]) == []  # too few to judge


def test_chi_square_p_values() -> None:
    assert chi_square_p_value_3df(7.815) == pytest.approx(0.05, abs=1e-4)
    assert chi_square_p_value_3df(11.345) == pytest.approx(0.01, abs=1e-4)
    assert chi_square_p_value_3df(0) == 1.0
    assert chi_square_p_value_3df(0.5) == pytest.approx(0.918891, abs=1e-6)
    # P(X >= s) is 1 for any s <= 0, not only for 0.
    assert chi_square_p_value_3df(-1.0) == 1.0


def test_share_skew_counts_and_tests_against_an_even_spread() -> None:
    # Expected 2 each: chi-square (2**2 + 0 + 1 + 1) / 2 = 3.0 on 3 df, p = 0.39163.
    assert share_skew(list("AAAABBCD"), "ABCD") == (
        {"A": 4, "B": 2, "C": 1, "D": 1},
        0.25,
        pytest.approx(0.391625, abs=1e-6),
    )
    assert share_skew([], "ABCD") is None


def test_answer_skew_counts_the_key_letters_of_four_option_items() -> None:
    three_options = make_item("D3-B-099", options=make_item().options[:3], answer=0)
    # Expected 1 each: chi-square (2**2 + 0 + 1 + 1) / 1 = 6.0 on 3 df, p = 0.11161.
    assert answer_skew([*bank("AAAB"), three_options]) == (
        {"A": 3, "B": 1, "C": 0, "D": 0},
        0.5,
        pytest.approx(0.111610, abs=1e-6),
    )
    assert answer_skew([three_options]) is None


# --- the API ------------------------------------------------------------------------------


def test_summarize_and_count_by_rule() -> None:
    items = [
        make_item(stem="Which option is not useful?"),
        make_item("D3-B-002", options=options_with(0, "It never fails")),
    ]
    found = lint(items)
    # The two items share their key's words, and are not enemies: shared-key-idea too.
    assert summarize(found) == {"errors": 2, "warnings": 2}
    assert count_by_rule(found) == {
        "absolutes": {"warning": 1},
        "shared-key-idea": {"warning": 1},
        "negative-stem": {"error": 1},
        "qualifier": {"error": 1},
    }
    assert summarize([]) == {"errors": 0, "warnings": 0}


def test_findings_render_as_file_line_level_rule() -> None:
    found = Finding("D3-B-001", "items/D3-B.yaml", 12, "qualifier", "error", "no qualifier")
    assert str(found) == "items/D3-B.yaml:12: error [qualifier] D3-B-001: no qualifier"


def test_findings_are_sorted_by_file_and_line() -> None:
    items = [make_item("D3-B-002", file="b.yaml", stem="Why?"), make_item(stem="How?")]
    found = lint(items)
    assert [(f.file, f.line) for f in found] == sorted((f.file, f.line) for f in found)


def test_an_unknown_rule_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown lint rules"):
        lint([make_item()], rules=["no-such-rule"])


@pytest.fixture
def extra_rule() -> Iterator[str]:
    name = "test-no-tbd"

    @item_rule(name, "no TBD left in a stem (error)")
    def check(item: ItemRecord) -> Iterator[Finding]:
        if "TBD" in item.stem:
            yield finding(item, name, "error", "the stem still says TBD", "stem")

    yield name
    del lint_module.RULES[name]


def test_a_new_rule_is_one_registered_function(extra_rule: str) -> None:
    assert lint([make_item()]) == []
    [found] = lint([make_item(stem=GOOD_STEM + " TBD")])
    assert (found.rule, found.line) == (extra_rule, LINES["stem"])
    with pytest.raises(ValueError, match="already registered"):
        item_rule(extra_rule, "again")(lambda item: iter(()))
