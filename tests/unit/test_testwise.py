"""The no-knowledge solver: each strategy finds its own habit, and nothing in a symmetric bank."""

from __future__ import annotations

import math

import pytest

from exam_engine.domain import testwise, wording
from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.testwise import Question, credit, fold_of, run

SUBS = ("D1-A", "D2-B", "D3-C")


def item(key: str, options: tuple[str, ...], answer: int, stem: str = "") -> ItemRecord:
    return ItemRecord(
        key=key,
        subdomain="D2-B",
        domain="D2",
        stem=stem or f"Scenario {key} about a lender's model. Which action is BEST?",
        options=options,
        answer=answer,
        rationales=("why",) * 4,
        references=("NIST AI RMF 1.0, MAP 1.1",),
        difficulty="medium",
    )


def bank_where(make_options, n: int = 40) -> list[ItemRecord]:
    """Items whose key is option ``i % 4`` and whose options ``make_options(i, key)`` builds."""
    return [item(f"D2-B-{i:03d}", make_options(i, i % 4), i % 4) for i in range(n)]


def test_credit_shares_ties_and_scores_misses_zero() -> None:
    assert credit([3, 3, 1, 0], 0) == 0.5
    assert credit([3, 3, 1, 0], 1) == 0.5
    assert credit([3, 3, 1, 0], 2) == 0.0
    assert credit([1, 1, 1, 1], 3) == 0.25
    assert credit([0, 0, 5, 0], 2) == 1.0


def test_a_perfectly_symmetric_bank_gives_every_strategy_a_blind_guess() -> None:
    # Options that cannot be told apart, keys balanced over A-D: no habit exists.
    def options(i: int, key: int) -> tuple[str, ...]:
        return (f"Review the vendor's model card and tests for case {i}",) * 4

    report = run(bank_where(options, n=40))
    assert set(report.hit_rates) == set(testwise.STRATEGIES)
    for name, rate in report.hit_rates.items():
        if name != "letter":
            assert rate == pytest.approx(0.25), name
    # Balanced letters over the bank are unbalanced against each held-out fold's own letters.
    assert report.hit_rates["letter"] <= 0.25
    assert report.failing() == {}


def two_part_key(i: int, key: int) -> tuple[str, ...]:
    base = [f"Option {n} for case {i}" for n in range(4)]
    base[key] = f"Assess case {i} and record it"
    return tuple(base)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("two-part", two_part_key),
        ("drop-then-two-part", two_part_key),
        (
            "longest",
            lambda i, key: tuple(
                f"Act on case {i} with a much longer and fuller option" if n == key else f"Act {n}"
                for n in range(4)
            ),
        ),
        (
            "shortest",
            lambda i, key: tuple(
                "Act" if n == key else f"Act on case {i} in way {n} now" for n in range(4)
            ),
        ),
        (
            "no-self-argument",
            lambda i, key: tuple(
                f"Act on case {i}" if n == key else f"Act {n} because it is safe" for n in range(4)
            ),
        ),
        (
            "not-drastic",
            lambda i, key: tuple(
                f"Review case {i}" if n == key else f"Suspend service {n}" for n in range(4)
            ),
        ),
        (
            "manager-words",
            lambda i, key: tuple(
                f"Agree risk owner and policy {i}" if n == key else f"Patch server {n}"
                for n in range(4)
            ),
        ),
        (
            "odd-opening",
            lambda i, key: tuple(
                f"Escalate case {i} now" if n == key else f"Keep it live with control {n}"
                for n in range(4)
            ),
        ),
        (
            "specific",
            lambda i, key: tuple(
                f"Apply ISO 42001 clause 6.1 to {i}" if n == key else f"apply control {n}"
                for n in range(4)
            ),
        ),
    ],
)
def test_each_surface_strategy_finds_its_own_habit(name: str, make) -> None:
    report = run(bank_where(make, n=40), names=[name])
    assert report.hit_rates[name] == pytest.approx(1.0)
    assert report.failing() == {name: pytest.approx(1.0)}


def test_stem_echo_strategies_pick_the_option_that_repeats_the_stem() -> None:
    items = [
        item(
            f"D2-B-{i:03d}",
            tuple(
                f"quarantine the embedding cluster {i}" if n == i % 4 else f"option {n} plain"
                for n in range(4)
            ),
            i % 4,
            stem=f"Case {i}: the embedding cluster was poisoned. Which step is BEST?",
        )
        for i in range(40)
    ]
    report = run(items, names=["stem-echo", "distinctive-echo"])
    assert report.hit_rates["stem-echo"] == pytest.approx(1.0)
    assert report.hit_rates["distinctive-echo"] == pytest.approx(1.0)


def test_least_echo_strategies_pick_the_option_that_avoids_the_stem() -> None:
    # The mirror bank: three options echo the stem's rare word, the key alone does not.
    words = [f"zorb{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(40)]
    items = [
        item(
            f"D2-B-{i:03d}",
            tuple(
                "rotate the signing keys now" if n == i % 4 else f"quarantine the {words[i]} {n}"
                for n in range(4)
            ),
            i % 4,
            stem=f"Case {i}: the {words[i]} cluster was poisoned. Which step is BEST?",
        )
        for i in range(40)
    ]
    report = run(items, names=["least-echo", "least-distinctive-echo", "stem-echo"])
    assert report.hit_rates["least-echo"] == pytest.approx(1.0)
    assert report.hit_rates["least-distinctive-echo"] == pytest.approx(1.0)
    assert report.hit_rates["stem-echo"] == pytest.approx(0.0)


def test_learned_strategies_find_a_wording_habit_the_other_folds_show() -> None:
    # A word that appears only in keys: words and phrases learn it out of fold.
    def options(i: int, key: int) -> tuple[str, ...]:
        return tuple(
            f"Escalate the zebrafish finding {i}" if n == key else f"Handle item {i} way {n}"
            for n in range(4)
        )

    report = run(bank_where(options, n=60), names=["learned-words", "learned-phrases"])
    assert report.hit_rates["learned-words"] > 0.9
    assert report.hit_rates["learned-phrases"] > 0.9


def test_the_letter_strategy_learns_a_skewed_answer_key() -> None:
    items = [item(f"D2-B-{i:03d}", ("a", "b", "c", "d"), 2) for i in range(30)]
    assert run(items, names=["letter"]).hit_rates["letter"] == 1.0


def test_items_are_never_answered_by_a_model_that_saw_them() -> None:
    # One item in its own fold with a unique key word: out of fold it cannot be learned.
    lone = item("D2-B-500", ("Glimmer the tortoise", "plain b", "plain c", "plain d"), 0)
    others = [
        item(f"D2-B-{i:03d}", ("x one", "x two", "x three", "x four"), i % 4) for i in range(20)
    ]
    report = run([lone, *others], names=["learned-words"])
    assert report.credits["learned-words"]["D2-B-500"] == 0.25


def test_folds_are_stable_and_spread() -> None:
    assert fold_of("D2-B-001") == fold_of("D2-B-001")
    assert {fold_of(f"D1-A-{n:03d}") for n in range(200)} == set(range(testwise.FOLDS))


def test_first_step_questions_are_read_from_the_question_sentence() -> None:
    assert Question(
        "k", "A team acts. What should the manager do FIRST?", ("a",) * 4
    ).asks_first_step()
    assert Question("k", "What is the NEXT step?", ("a",) * 4).asks_first_step()
    assert not Question("k", "First, a bank acts. Which is BEST?", ("a",) * 4).asks_first_step()


def test_unknown_strategies_and_malformed_items_are_handled() -> None:
    with pytest.raises(ValueError, match="unknown strategies \\['nope'\\]"):
        run([], names=["nope"])
    three = item("D2-B-001", ("a", "b", "c"), 0)
    assert run([three]).items == 0
    assert run([]).hit_rates["longest"] == 0.25


def test_cue_load_sums_credit_per_item() -> None:
    report = run(bank_where(two_part_key, n=20), names=["two-part", "longest"])
    load = report.cue_load()
    assert set(load) == {f"D2-B-{i:03d}" for i in range(20)}
    assert all(value >= 1.0 for value in load.values())


def test_telling_words_rank_key_words_first_and_distractor_words_last() -> None:
    # Keys always "verify the lineage"; one distractor always "raise the annual budget".
    def options(i: int, key: int) -> tuple[str, ...]:
        texts = [f"Review option {i} {n} carefully" for n in range(4)]
        texts[key] = f"Verify the lineage of case {i}"
        texts[(key + 1) % 4] = f"Raise the annual budget for case {i}"
        return tuple(texts)

    found = testwise.telling_words(bank_where(options, n=20))
    by_word = {t.word: t for t in found}
    assert (by_word["lineage"].in_keys, by_word["lineage"].in_distractors) == (20, 0)
    assert (by_word["annual"].in_keys, by_word["annual"].in_distractors) == (0, 20)
    key_words = {wording.normalise(w) for w in ("verify", "lineage")}
    # Two distractors an item say "review ... carefully", one says "raise the annual budget".
    twice = {wording.normalise(w) for w in ("review", "option", "carefully")}
    once = {wording.normalise(w) for w in ("raise", "annual", "budget")}
    assert {t.word for t in found[:2]} == key_words
    assert {t.word for t in found[-3:]} == twice
    assert {t.word for t in found[-6:-3]} == once
    # log ratio with add-one smoothing: log(21/22) - log(1/62)
    assert by_word["lineage"].log_ratio == pytest.approx(math.log(21 / 22) - math.log(1 / 62))
    assert by_word["review"].log_ratio < 0 < by_word[wording.normalise("verify")].log_ratio


def test_telling_words_ignore_rare_words_and_items_without_four_options() -> None:
    items = [item("D2-B-001", ("Verify lineage", "Raise budget", "Wait", "Launch"), 0)]
    assert testwise.telling_words(items) == []
    top = [t.word for t in testwise.telling_words(items, min_uses=1)][:2]
    assert set(top) == {wording.normalise("verify"), "lineage"}
    three = item("D2-B-002", ("Verify lineage", "Raise budget", "Wait"), 0)
    assert testwise.telling_words([three], min_uses=1) == []


def test_cue_load_is_the_sum_of_each_strategys_credit_for_the_item() -> None:
    report = run(bank_where(two_part_key, n=20), names=["two-part", "longest"])
    load = report.cue_load()
    for key, total in load.items():
        assert total == report.credits["two-part"][key] + report.credits["longest"][key]


def test_telling_words_count_a_word_used_in_eight_options_by_default() -> None:
    # "lineage" is in the key of the first n items and nowhere else.
    def bank(n: int) -> list[ItemRecord]:
        return [
            item(
                f"D2-B-{i:03d}",
                (f"Verify the lineage {i}" if i < n else f"Verify case {i}", "Wait", "Log", "Ask"),
                0,
            )
            for i in range(10)
        ]

    assert "lineage" in {t.word for t in testwise.telling_words(bank(8))}
    assert "lineage" not in {t.word for t in testwise.telling_words(bank(7))}


@pytest.fixture
def restored_strategies():
    strategies, trainers = dict(testwise.STRATEGIES), dict(testwise.TRAINERS)
    yield
    testwise.STRATEGIES.clear()
    testwise.STRATEGIES.update(strategies)
    testwise.TRAINERS.clear()
    testwise.TRAINERS.update(trainers)


def test_a_registered_strategy_keeps_its_name_and_summary(restored_strategies) -> None:
    def always_b(question: Question, context: testwise.Context) -> list[float]:
        return [0.0, 1.0, 0.0, 0.0]

    assert testwise.strategy("test-always-b", "picks B")(always_b) is always_b
    entry = testwise.STRATEGIES["test-always-b"]
    assert (entry.name, entry.summary, entry.run) == ("test-always-b", "picks B", always_b)
    assert testwise.summaries()["test-always-b"] == "picks B"
    items = bank_where(lambda i, key: ("a", "b", "c", "d"), n=8)  # keys cycle A-D
    assert run(items, names=["test-always-b"]).hit_rates["test-always-b"] == 0.25


def test_a_learned_strategy_answers_with_the_model_its_trainer_fitted(restored_strategies) -> None:
    seen: list[int] = []

    def train(training, context):
        seen.append(len(training))
        # A model that picks the option whose text is the letter of the most common key.
        return lambda question: [float(text == "b") for text in question.options]

    assert testwise.learned("test-learned", "fits the letter")(train) is train
    assert testwise.TRAINERS["test-learned"] is train
    assert testwise.STRATEGIES["test-learned"].summary == "fits the letter"
    items = [item(f"D2-B-{i:03d}", ("a", "b", "c", "d"), 1) for i in range(12)]
    report = run(items, names=["test-learned"])
    assert report.hit_rates["test-learned"] == 1.0
    # One model per fold, each fitted on the items outside it.
    assert sum(seen) == len(seen) * 12 - 12


def test_a_strategy_at_the_limit_is_not_failing() -> None:
    report = testwise.Report({"at": 0.30, "over": 0.3001, "under": 0.2}, {}, 10)
    assert report.failing() == {"over": 0.3001}
    assert report.failing(limit=0.2) == {"at": 0.30, "over": 0.3001}


def test_scores_within_a_billionth_of_the_best_tie_even_near_zero() -> None:
    assert credit([1e-12, 0.0, 0.0, 0.0], 1) == 0.25
    assert credit([1e-6, 0.0, 0.0, 0.0], 1) == 0.0


def test_an_unknown_strategy_is_named_with_the_known_ones() -> None:
    known = ", ".join(testwise.STRATEGIES)
    with pytest.raises(ValueError) as caught:
        run([], names=["longest", "nope"])
    assert str(caught.value) == f"unknown strategies ['nope']; known: {known}"
