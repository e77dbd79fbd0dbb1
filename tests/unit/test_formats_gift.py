"""GIFT (Moodle) reading and writing: round trips, Moodle's syntax, skips, errors, fuzzing."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import gift
from question_bank import LoadedBank, load_bank
from tests.support.bundled import bundled_blueprint, bundled_item, bundled_subdomain
from tests.support.properties import examples
from tests.unit import formats_golden as golden_items

FILE = "bank.gift"


@lru_cache(maxsize=1)
def bundled() -> LoadedBank:
    bank = load_bank()
    assert bank.ok
    assert len(bank.items) > 300
    return bank


def parse(text: str, known_keys: tuple[str, ...] = ()) -> gift.Parsed:
    return gift.parse(
        text.encode("utf-8"), filename=FILE, blueprint=bundled_blueprint(), known_keys=known_keys
    )


def reasons(found) -> list[str]:
    return [str(p) for p in found]


def content(item: ItemRecord) -> tuple[object, ...]:
    return (item.domain, item.canonical_content())


GOOD = """\
// A hand-written file in Moodle's own style.
$CATEGORY: $course$/top/aaism/D2/D2-B

// question: 1  name: D2-B-001
::D2-B-001::[markdown]A team ships a model. Which control is BEST \\{first\\}?{
\t~Retrain weekly#Retraining alone does not address the \\= risk at hand.
\t=Threat-model the pipeline#It finds the attack paths before anything else.
\t~Buy insurance#Insurance transfers money, not the risk of harm\\: weak.
\t~Do nothing#Doing nothing leaves every \\#1 risk in place.
\t####GENERAL
}

::D2-B-002:: Which activity comes FIRST when \\~ scoping an AI red team?{
~Write the report#Reports come last, after the exercise.
=Agree the rules of engagement#Rules of engagement set scope and safety first.
~Run the attacks#Attacks come after scoping and approval.
~Fix findings#Fixes follow findings.
####Difficulty: easy\\n\\nReferences:\\n\\n- MITRE ATLAS
}
"""
GOOD = GOOD.replace(
    "GENERAL",
    "Difficulty\\: hard\\n\\nReferences\\:\\n\\n- NIST AI RMF 1.0, MAP 1.1\\n"
    "- OWASP LLM Top 10\\n\\nEnemies\\: D2-B-002",
)


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.whole_bank
def test_the_whole_bundled_bank_round_trips_exactly() -> None:
    bank = bundled()
    parsed = parse(gift.write(bank.items, bank.blueprint).decode("utf-8"))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    assert len(parsed.items) == len(bank.items)
    by_key = {item.key: item for item in parsed.items}
    for original in bank.items:
        assert content(by_key[original.key]) == content(original), original.key
        assert by_key[original.key].content_hash() == original.content_hash()


def test_the_writer_uses_moodle_syntax_for_metadata() -> None:
    item = next(i for i in bundled_subdomain("D1-A") if i.enemies)
    text = gift.write([item], bundled_blueprint()).decode("utf-8")
    assert text.startswith("// ")
    assert f"$CATEGORY: aaism/{item.domain}/{item.subdomain}\n" in text
    assert f"::{item.key}::[markdown]" in text
    assert "\t=" in text
    assert text.count("\t~") == 3
    assert "####Difficulty\\: " + item.difficulty in text
    assert "Enemies\\: " + ", ".join(item.enemies) in text
    assert "\ufeff" not in text


def record(**changes: object) -> ItemRecord:
    base = bundled_item("D2-B-001")
    changes.setdefault("enemies", ())  # its enemies are not in a one-item file
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_awkward_text_survives_every_escape() -> None:
    awkward = record(
        stem="Use \\ and \\n and {braces} ~ = # : and //not a comment\nsecond line  with  spaces",
        options=("[html]<b>not html</b>", "=starts with equals", "~tilde", "#hash"),
        rationales=("a\\b", "two\n\nparagraphs", "ends with backslash \\", "::colons::"),
        references=("Ref | with pipe", "multi\nline\n\n  indented ref"),
        enemies=(),
    )
    parsed = parse(gift.write([awkward], bundled_blueprint()).decode("utf-8"))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    assert content(parsed.items[0]) == content(awkward)


def test_carriage_returns_become_newlines() -> None:
    item = record(stem="line one\r\nline two\rline three?")
    parsed = parse(gift.write([item], bundled_blueprint()).decode("utf-8"))
    assert parsed.items[0].stem == "line one\nline two\nline three?"


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() == t and t.strip() != "")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stem=texts,
    options=st.lists(texts, min_size=4, max_size=4, unique=True),
    rationales=st.lists(texts, min_size=4, max_size=4),
    references=st.lists(texts, min_size=1, max_size=3),
    answer=st.integers(0, 3),
)
def test_any_item_text_round_trips(stem, options, rationales, references, answer) -> None:
    item = record(
        stem=stem,
        options=tuple(options),
        rationales=tuple(rationales),
        references=tuple(references),
        answer=answer,
        enemies=(),
    )
    parsed = parse(gift.write([item], bundled_blueprint()).decode("utf-8"))
    assert parsed.problems == (), reasons(parsed.problems)
    assert content(parsed.items[0]) == content(item)


# --- reading Moodle's syntax ----------------------------------------------------------------


def test_a_moodle_style_file_reads_with_escapes_comments_and_metadata() -> None:
    parsed = parse(GOOD)
    assert parsed.problems == ()
    assert parsed.warnings == ()
    first, second = parsed.items
    assert first.key == "D2-B-001"
    assert first.subdomain == "D2-B"
    assert first.domain == "D2"
    assert first.stem == "A team ships a model. Which control is BEST {first}?"
    assert first.answer == 1
    assert first.options[1] == "Threat-model the pipeline"
    assert first.rationales[0] == "Retraining alone does not address the = risk at hand."
    assert first.rationales[2] == "Insurance transfers money, not the risk of harm: weak."
    assert first.rationales[3] == "Doing nothing leaves every #1 risk in place."
    assert first.difficulty == "hard"
    assert first.references == ("NIST AI RMF 1.0, MAP 1.1", "OWASP LLM Top 10")
    assert first.enemies == ("D2-B-002",)
    assert second.stem == "Which activity comes FIRST when ~ scoping an AI red team?"
    assert second.references == ("MITRE ATLAS",)
    assert second.difficulty == "easy"


def test_lines_point_at_the_question_and_its_answers() -> None:
    parsed = parse(GOOD)
    first = parsed.items[0]
    assert first.source.line == 5  # the title line (the comment above it is not the question)
    assert first.line_of("options.A") == 6
    assert first.line_of("options.D") == 9
    assert first.line_of("difficulty") == 10


def test_a_category_line_directly_above_a_question_applies_to_it() -> None:
    text = GOOD.replace("$CATEGORY: $course$/top/aaism/D2/D2-B\n\n", "$CATEGORY: D2-B\n")
    parsed = parse(text)
    assert parsed.problems == ()
    assert [i.subdomain for i in parsed.items] == ["D2-B", "D2-B"]


def test_without_a_category_the_subdomain_comes_from_the_key() -> None:
    parsed = parse(GOOD.replace("$CATEGORY: $course$/top/aaism/D2/D2-B\n", ""))
    assert parsed.problems == ()
    assert {i.subdomain for i in parsed.items} == {"D2-B"}


def test_a_category_for_another_subdomain_is_reported_against_the_key() -> None:
    parsed = parse(GOOD.replace("aaism/D2/D2-B", "aaism/D1/D1-A"))
    assert parsed.items == ()
    assert any(
        p.line == 5 and "key 'D2-B-001' does not match sub-domain D1-A" in p.reason
        for p in parsed.problems
    )


def test_a_category_whose_domain_disagrees_is_a_problem() -> None:
    parsed = parse(GOOD.replace("aaism/D2/D2-B", "aaism/D3/D2-B"))
    assert any(
        p.line == 2 and "domain 'D3' does not match sub-domain 'D2-B'" in p.reason
        for p in parsed.problems
    )


@pytest.mark.parametrize("fmt", ["markdown", "plain", "moodle"])
def test_text_formats_other_than_html_are_taken_as_written(fmt: str) -> None:
    parsed = parse(GOOD.replace("[markdown]A team", f"[{fmt}]A *team*"))
    assert parsed.problems == ()
    assert parsed.items[0].stem.startswith("A *team* ships")


def test_html_text_is_converted_to_markdown() -> None:
    text = GOOD.replace(
        "[markdown]A team ships a model. Which control is BEST \\{first\\}?",
        "[html]<p>A <b>team</b> ships<br>a model.</p><p>Which control is BEST?</p>",
    ).replace("\t~Retrain weekly#", "\t~<i>Retrain</i>   weekly#")
    # The stem's format is the default for its answers and feedback, the general one too:
    # as HTML its lines need paragraphs (a newline is only a space in HTML).
    html_feedback = (
        "####<p>Difficulty\\: hard</p><p>References\\:</p><ul><li>NIST AI RMF 1.0</li>"
        "<li>OWASP &amp; co</li></ul>"
    )
    text = text.replace(
        text[text.index("\t####Difficulty\\: hard") + 1 : text.index("\n}")], html_feedback
    )
    parsed = parse(text)
    assert parsed.problems == ()
    assert parsed.warnings == ()
    first = parsed.items[0]
    assert first.stem == "A **team** ships\na model.\n\nWhich control is BEST?"
    assert first.options[0] == "*Retrain* weekly"
    assert first.difficulty == "hard"
    assert first.references == ("NIST AI RMF 1.0", "OWASP & co")


def test_general_feedback_may_set_its_own_format() -> None:
    text = GOOD.replace("[markdown]A team", "[html]A team").replace(
        "####Difficulty\\: hard", "####[markdown]Difficulty\\: hard"
    )
    parsed = parse(text)
    assert parsed.problems == ()
    assert parsed.items[0].references == ("NIST AI RMF 1.0, MAP 1.1", "OWASP LLM Top 10")


def test_html_that_loses_markup_is_warned_about() -> None:
    text = GOOD.replace("[markdown]A team", '[html]<img src="x.png" alt="diagram"> A team')
    text = text.replace("####Difficulty", "####[markdown]Difficulty")
    parsed = parse(text)
    assert parsed.problems == ()
    assert parsed.items[0].stem.startswith("[image: diagram] A team")
    assert any("<img>" in w.reason and w.line == 5 for w in parsed.warnings)


def test_general_feedback_text_that_is_not_metadata_is_warned_about() -> None:
    parsed = parse(GOOD.replace("####Difficulty: easy", "####Well done!\\nDifficulty: easy"))
    assert parsed.problems == ()
    assert any("1 line of general feedback ignored" in w.reason for w in parsed.warnings)


def test_a_full_weight_answer_counts_as_the_key() -> None:
    parsed = parse(GOOD.replace("\t=Threat-model", "\t~%100%Threat-model"))
    assert parsed.problems == ()
    assert parsed.items[0].answer == 1


def test_missing_word_form_with_one_key_and_three_distractors_is_read() -> None:
    text = (
        "::D1-A-001::The BEST standard to certify against is {~ISO/IEC 23894#Guidance only. "
        "~NIST AI RMF#No certification scheme. =ISO/IEC 42001#Certifiable requirements. "
        "~OECD Principles#Values, not requirements.} for AI management.\n"
        "{####Difficulty: easy\\nReferences:\\n- ISO/IEC 42001:2023}\n"
    )
    # The second brace pair makes two answer sections: skipped, not misread.
    parsed = parse(text)
    assert parsed.items == ()
    assert "more than one answer section" in parsed.warnings[0].reason
    fixed = (
        "::D1-A-001::The BEST standard to certify against is {~ISO/IEC 23894#Guidance only. "
        "~NIST AI RMF#No certification scheme. =ISO/IEC 42001#Certifiable requirements. "
        "~OECD Principles#Values, not requirements.####Difficulty: easy\\nReferences:\\n"
        "- ISO/IEC 42001\\:2023} for AI management.\n"
    )
    parsed = parse(fixed)
    assert parsed.problems == (), reasons(parsed.problems)
    assert (
        parsed.items[0].stem == "The BEST standard to certify against is _____ for AI management."
    )
    assert parsed.items[0].answer == 2


# --- unsupported questions are skipped, named, with their line -------------------------------

UNSUPPORTED = {
    "true/false": "::TF1::The sky is blue.{TRUE}",
    "true/false with feedback": "::TF2::Grass is red.{F#Wrong.#Right.}",
    "short answer": "::SA::Who wrote it?{=Shakespeare =shakespeare}",
    "matching": "::MATCH::Match.{=Canada -> Ottawa =Italy -> Rome}",
    "numerical": "::NUM::When was it?{#1822:5}",
    "essay": "::ESSAY::Write about risk.{}",
    "description": "::DESC::Read the following case carefully.",
    "partial weights": "::PARTIAL::Pick two.{~%50%a ~%50%b ~%-100%c ~%-100%d}",
    "negative weight": "::NEG::Pick.{=a ~%-50%b ~c ~d}",
    "two keys": "::TWO::Pick.{=a =b ~c ~d}",
    "no key": "::NONE::Pick.{~a ~b ~c ~d}",
    "three options": "::THREE::Pick.{=a ~b ~c}",
    "five options": "::FIVE::Pick.{=a ~b ~c ~d ~e}",
    "missing word, two answers": "::MW::The {=cat ~dog} sat on the mat.",
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_questions_are_skipped_with_a_named_warning(name: str) -> None:
    question = UNSUPPORTED[name]
    parsed = parse(f"{GOOD}\n// the unsupported one\n{question}\n")
    assert parsed.problems == (), reasons(parsed.problems)
    assert [i.key for i in parsed.items] == ["D2-B-001", "D2-B-002"]
    (warning,) = parsed.warnings
    title = question[2 : question.index("::", 2)]
    assert warning.line == GOOD.count("\n") + 3
    assert f"question ::{title}:: skipped" in warning.reason


def test_an_untitled_unsupported_question_is_named_by_its_text() -> None:
    parsed = parse("Is this true?{T}\n")
    assert parsed.warnings[0].reason.startswith("question 'Is this true?' skipped: a true/false")


# --- problems ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("::D1-A-001::Stem {=a ~b ~c ~d\n", 1, "unbalanced braces"),
        ("::D1-A-001::Stem } =a ~b ~c ~d {\n", 1, "unbalanced braces"),
        ("\n\n::D1-A-001::Stem {=a ~b ~c ~d} and } more\n", 3, "a stray }"),
        ("Which is BEST?{=a#x ~b#x ~c#x ~d#x}\n", 1, "no ::title::; the title is the item key"),
    ],
)
def test_malformed_questions_are_problems_with_lines(text: str, line: int, reason: str) -> None:
    parsed = parse(text)
    assert parsed.items == ()
    assert any(p.line == line and reason in p.reason for p in parsed.problems), reasons(
        parsed.problems
    )


def test_schema_problems_use_the_bank_rules_and_point_at_lines() -> None:
    text = GOOD.replace("Difficulty\\: hard", "Difficulty\\: extreme").replace(
        "~Buy insurance#Insurance transfers money, not the risk of harm\\: weak.",
        "~Buy insurance",
    )
    parsed = parse(text)
    assert [i.key for i in parsed.items] == ["D2-B-002"]
    found = reasons(parsed.problems)
    assert f"{FILE}:10: item D2-B-001: difficulty 'extreme' must be one of easy, medium, hard" in (
        found
    )
    assert any("rationale missing for C" in p for p in found), found


def test_missing_metadata_is_reported() -> None:
    parsed = parse("::D1-A-001::Which is BEST?{=a#why a ~b#why b ~c#why c ~d#why d}\n")
    found = reasons(parsed.problems)
    assert any("missing required field 'difficulty'" in p for p in found)
    assert any("missing required field 'references'" in p for p in found)


def test_bad_utf8_names_its_line() -> None:
    data = GOOD.encode("utf-8").replace(b"Retrain", b"Re\xfftrain")
    parsed = gift.parse(data, filename=FILE, blueprint=bundled_blueprint())
    assert parsed.items == ()
    assert reasons(parsed.problems) == [
        f"{FILE}:6: not UTF-8: byte 0xff on this line is not valid UTF-8; save the file as UTF-8"
    ]


def test_a_byte_order_mark_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + GOOD.encode("utf-8")
    assert len(gift.parse(data, filename=FILE, blueprint=bundled_blueprint()).items) == 2


def test_enemies_may_name_keys_that_exist_outside_the_file() -> None:
    text = GOOD.replace("Enemies\\: D2-B-002", "Enemies\\: D2-B-002, D2-B-030")
    assert any("enemy 'D2-B-030' is not a key" in p.reason for p in parse(text).problems)
    parsed = parse(text, known_keys=("D2-B-030",))
    assert parsed.problems == ()
    assert parsed.items[0].enemies == ("D2-B-002", "D2-B-030")


def test_an_empty_file_parses_to_nothing() -> None:
    assert parse("// only a comment\n\n") == gift.Parsed((), (), ())


# --- fuzzing: no exception escapes ----------------------------------------------------------

gift_alphabet = st.sampled_from(
    list("{}~=#:\\/$[]%-> \n\t\r.aA1") + ["::", "//", "####", "$CATEGORY:", "[html]", "\\n", "<b>"]
)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(gift_alphabet, max_size=80).map("".join))
def test_fuzzed_gift_text_never_raises(text: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed.items, tuple)
    assert isinstance(parsed.problems, tuple)
    for found in (*parsed.problems, *parsed.warnings):
        assert found.file == FILE
        assert found.line >= 1


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=200))
def test_fuzzed_bytes_never_raise(data: bytes) -> None:
    gift.parse(data, filename=FILE, blueprint=bundled_blueprint())


question_parts = st.tuples(
    st.sampled_from(["", "::D1-A-001::", "::D1-A-00x::", "::"]),
    st.text(max_size=15),
    st.lists(
        st.tuples(st.sampled_from(["~", "=", "~%50%", "~%100%"]), st.text(max_size=8)),
        max_size=6,
    ),
    st.sampled_from(["", "####Difficulty: easy\\nReferences:\\n- X", "####junk"]),
    st.text(max_size=8),
)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(question_parts, max_size=4))
def test_fuzzed_near_gift_questions_never_raise(questions) -> None:
    blocks = []
    for title, stem, answers, general, after in questions:
        body = " ".join(mark + text for mark, text in answers)
        blocks.append(f"{title}{stem}{{{body}{general}}}{after}")
    parsed = parse("\n\n".join(blocks))
    assert len(parsed.items) <= len(questions)


# --- exact messages, lines and edge cases of the reader --------------------------------------

META = "####Difficulty: easy\\nReferences:\\n- R"


def four(key: str = "D2-B-001", stem: str = "Q", answers: str = "=a#r ~b#r ~c#r ~d#r") -> str:
    """One complete question on one line."""
    return f"::{key}::{stem}{{{answers}{META}}}\n"


def test_every_field_of_a_question_over_many_short_lines_has_its_own_line() -> None:
    text = (
        "$CATEGORY: aaism/D2/D2-B\n"
        "\n"
        "::D2-B-001::\n"
        "Which control is BEST?{\n"
        "~a#x\n"
        "=\n"  # the key's marker alone on its line: the answer is read from that line
        "Xb#y\n"
        "~c#v\\:~d#w\n"  # an escape just before the next marker, no space between answers
        "####Difficulty: hard\\nReferences: R0\\n- R1\\nEnemies: D2-B-002\\nAs of: 2026-12-04\n"
        "}\n"
    )
    parsed = parse(text, known_keys=("D2-B-002",))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    (item,) = parsed.items
    assert item.stem == "Which control is BEST?"
    assert item.options == ("a", "Xb", "c", "d")
    assert item.answer == 1
    assert item.rationales == ("x", "y", "v:", "w")
    assert item.references == ("R0", "R1")
    assert item.difficulty == "hard"
    assert item.enemies == ("D2-B-002",)
    assert str(item.as_of) == "2026-12-04"
    assert dict(item.field_lines) == {
        "key": 3,
        "stem": 4,
        "options.A": 5,
        "rationale.A": 5,
        "options.B": 6,
        "rationale.B": 6,
        "options.C": 8,
        "rationale.C": 8,
        "options.D": 8,
        "rationale.D": 8,
        "answer": 6,
        "difficulty": 9,
        "references": 9,
        "enemies": 9,
        "as_of": 9,
        "subdomain": 1,
    }


def test_a_subdomain_taken_from_the_key_points_at_the_title_line() -> None:
    parsed = parse("\n\n" + four())
    assert parsed.problems == ()
    assert parsed.items[0].line_of("subdomain") == 3
    assert parsed.items[0].line_of("answer") == 3


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_number_lines_as_unix_ones_do(newline: str) -> None:
    text = four().replace("\n", newline) + newline + "::D2-B-002::" + newline + four("", "R?")[4:]
    parsed = parse(text)
    assert parsed.problems == (), reasons(parsed.problems)
    assert [(i.key, i.stem, i.source.line, i.line_of("stem")) for i in parsed.items] == [
        ("D2-B-001", "Q", 1, 1),
        ("D2-B-002", "R?", 3, 4),
    ]


def test_only_php_trim_whitespace_makes_a_line_blank() -> None:
    # A no-break space is not blank to Moodle, so the two questions are one block.
    parsed = parse(four() + "\u00a0\n" + four("D2-B-002"))
    assert parsed.items == ()
    assert reasons(parsed.warnings) == [
        f"{FILE}:1: question ::D2-B-001:: skipped: more than one answer section; "
        "the engine holds one question a block"
    ]


def test_html_warnings_name_the_part_and_its_line() -> None:
    text = (
        "::D2-B-001::[html]<blink>Q</blink>{\n"
        "=<blink>a</blink>#<i>x</i>\n"
        "~b#<blink>y</blink>\n"
        "~c#x\n"
        "~d#x\n"
        "####<img><blink>Difficulty: easy</blink><p>References:</p><p>- R</p>\n"
        "}\n"
    )
    parsed = parse(text)
    assert parsed.problems == ()
    assert parsed.items[0].rationales == ("*x*", "y", "x", "x")
    dropped = "dropped when converting to Markdown"
    assert reasons(parsed.warnings) == [
        f"{FILE}:1: question ::D2-B-001:: stem: HTML <blink> {dropped}",
        f"{FILE}:2: question ::D2-B-001:: answer: HTML <blink> {dropped}",
        f"{FILE}:3: question ::D2-B-001:: feedback: HTML <blink> {dropped}",
        f"{FILE}:6: question ::D2-B-001:: general feedback: HTML <blink>, <img> {dropped}",
    ]


def test_an_unclosed_format_marker_is_text_not_a_format() -> None:
    parsed = parse(four(stem="[html?", answers="=<b>a</b>#r ~b#r ~c#r ~d#r"))
    assert parsed.problems == ()
    assert parsed.items[0].stem == "[html?"
    assert parsed.items[0].options[0] == "<b>a</b>"


def test_full_and_zero_weights_mark_the_key_and_the_distractors() -> None:
    parsed = parse(four(answers="~b#r ~%0%c#r =%100%a#r ~d#r"))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    assert parsed.items[0].options == ("b", "c", "a", "d")
    assert parsed.items[0].answer == 2


def test_a_zero_weight_on_an_equals_answer_is_a_partial_weight() -> None:
    parsed = parse(four(answers="=%0%a#r ~b#r ~c#r ~d#r"))
    assert parsed.items == ()
    assert reasons(parsed.warnings) == [
        f"{FILE}:1: question ::D2-B-001:: skipped: an answer has the partial weight %0% "
        "(multiple answers or partial credit)"
    ]


def test_an_answer_without_feedback_keeps_its_whole_text() -> None:
    parsed = parse("::D2-B-001::Q{=a ~b ~c ~d}\n")
    assert parsed.items == ()
    assert parsed.warnings == ()
    # One-letter options: a lost last letter would show as an empty option.
    assert reasons(parsed.problems) == [
        f"{FILE}:1: item D2-B-001: missing required field 'difficulty'",
        f"{FILE}:1: item D2-B-001: missing required field 'references'",
        f"{FILE}:1: item D2-B-001: rationale missing for A, B, C, D: give one for A, B, C and D",
    ]


def test_the_general_feedback_starts_at_the_last_four_hashes() -> None:
    parsed = parse(four(answers="=a#r ~b#r ~c#r ~d#r#"))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    assert parsed.items[0].rationales == ("r", "r", "r", "r#")
    assert parsed.items[0].difficulty == "easy"


def test_an_escaped_brace_at_the_very_end_does_not_close_the_answers() -> None:
    parsed = parse("::D2-B-001::Q{=a#r ~b#r ~c#r ~d#r\\}\n")
    assert reasons(parsed.problems) == [f"{FILE}:1: question ::D2-B-001::: {UNBALANCED}"]


def test_general_feedback_metadata_reading_rules() -> None:
    general = (
        "####Difficulty: easy\\nReferences: R0\\n- R1\\n- R2\\n- R3\\n  more\\n"
        "  as of: 2020 edition\\nDifficulty: easy\\nWell done\\nSee you"
    )
    parsed = parse(f"::D2-B-001::Q{{=a#r ~b#r ~c#r ~d#r{general}}}\n")
    assert parsed.problems == ()
    # An indented line continues the last reference even when it reads like metadata;
    # a line after another field is not a reference.
    assert parsed.items[0].references == ("R0", "R1", "R2", "R3\nmore\nas of: 2020 edition")
    assert reasons(parsed.warnings) == [
        f"{FILE}:1: question ::D2-B-001::: 2 lines of general feedback ignored "
        "(only Difficulty, References, Enemies and As of are read)"
    ]


def test_a_question_without_general_feedback_warns_of_nothing() -> None:
    parsed = parse("::D2-B-001::Q{=a#r ~b#r ~c#r ~d#r}\n")
    assert parsed.warnings == ()
    assert reasons(parsed.problems) == [
        f"{FILE}:1: item D2-B-001: missing required field 'difficulty'",
        f"{FILE}:1: item D2-B-001: missing required field 'references'",
    ]


SKIPPED = "the engine holds single-best-answer multiple choice only"


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("::T::Q{}", f"an essay (empty answer braces); {SKIPPED}"),
        ("::T::Q{#1822:5}", f"a numerical question; {SKIPPED}"),
        ("::T::Q{=a -> b =c -> d}", f"a matching question; {SKIPPED}"),
        ("::T::Q{a -> b}", f"a short-answer question; {SKIPPED}"),
        ("::T::Q{=Shakespeare}", f"a short-answer question; {SKIPPED}"),
        ("::T::Q{T}", f"a true/false question; {SKIPPED}"),
        ("::T::Q{TRUE}", f"a true/false question; {SKIPPED}"),
        ("::T::Q{F}", f"a true/false question; {SKIPPED}"),
        ("::T::Q{FALSE}", f"a true/false question; {SKIPPED}"),
        ("::T::Q{T#right}", f"a true/false question; {SKIPPED}"),
        ("::T::Q{FALSE#no#yes}", f"a true/false question; {SKIPPED}"),
        ("::T::Q{x=a ~b ~c ~d}", "text before the first answer marker (~ or =)"),
        ("::T::Q{~a ~b ~c ~d}", "no answer is marked correct with ="),
        ("::T::Q{=a =b ~c ~d}", "2 answers are marked correct; the engine needs exactly one"),
        ("::T::Q{=a ~b ~c ~d ~e}", "5 answers; the engine needs exactly four"),
        (
            "::T::Q{~%50%a ~b ~c ~d}",
            "an answer has the partial weight %50% (multiple answers or partial credit)",
        ),
        (
            "::T::Q{=a ~b ~c ~d}{x}",
            "more than one answer section; the engine holds one question a block",
        ),
        ("::T::", "a description (no answers); the engine holds multiple choice only"),
        ("::Q{1}::Q{=a ~b ~c}", "3 answers; the engine needs exactly four"),
    ],
)
def test_each_skip_has_its_exact_reason(question: str, reason: str) -> None:
    parsed = parse("\n" + question + "\n")
    assert parsed.items == ()
    assert parsed.problems == ()
    title = question[2 : question.index("::", 2)]
    assert reasons(parsed.warnings) == [f"{FILE}:2: question ::{title}:: skipped: {reason}"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Read the case.", "Read the case."),
        ("Q" * 40, "Q" * 40),
        ("Q" * 41, "Q" * 39 + "…"),
    ],
)
def test_an_untitled_question_is_named_by_its_first_forty_characters(text: str, name: str) -> None:
    parsed = parse(text)
    assert reasons(parsed.warnings) == [
        f"{FILE}:1: question {name!r} skipped: a description (no answers); "
        "the engine holds multiple choice only"
    ]


UNBALANCED = (
    "unbalanced braces: the answers go between one { and one } "
    "(escape a literal brace as \\{ or \\})"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("::D1-A-001::Stem =a ~b } here", f"question ::D1-A-001::: {UNBALANCED}"),
        ("::D1-A-001::Stem { =a ~b ~c ~d", f"question ::D1-A-001::: {UNBALANCED}"),
        (
            "::D1-A-001::Q{=a ~b ~c ~d}}",
            "question ::D1-A-001::: a stray } after the answers (escape a literal brace as \\})",
        ),
        (
            "::Which is BEST?{=a ~b ~c ~d}",
            "question 'Which is BEST?': no ::title::; the title is the item key "
            "(e.g. ::D2-B-014::)",
        ),
    ],
)
def test_malformed_questions_have_exact_problems(text: str, reason: str) -> None:
    parsed = parse("\n" + text + "\n")
    assert parsed.items == ()
    assert parsed.warnings == ()
    assert reasons(parsed.problems) == [f"{FILE}:2: {reason}"]


def test_an_empty_title_is_an_empty_key_not_a_missing_title() -> None:
    parsed = parse(four(key=""))
    assert parsed.items == ()
    assert reasons(parsed.problems)[0] == f"{FILE}:1: item: key is empty"


def test_a_domain_mismatch_in_the_category_names_the_question() -> None:
    parsed = parse("$CATEGORY: aaism/D3/D2-B\n" + four())
    assert reasons(parsed.problems) == [
        f"{FILE}:1: question ::D2-B-001::: domain 'D3' does not match sub-domain 'D2-B', "
        "which is in D2"
    ]


# --- the writer's exact output ----------------------------------------------------------------


def test_the_writer_output_is_exact_grouped_by_category_in_key_order() -> None:
    data = gift.write(golden_items.ITEMS, golden_items.BLUEPRINT)
    assert data == golden_items.golden("bank.gift")


def test_the_exact_output_reads_back_to_the_same_items() -> None:
    parsed = gift.parse(
        golden_items.golden("bank.gift"),
        filename=FILE,
        blueprint=golden_items.BLUEPRINT,
        known_keys=golden_items.AWKWARD.enemies,
    )
    assert parsed.warnings == ()
    # The awkward item's empty rationale is written as it is, and read back as missing.
    assert reasons(parsed.problems) == [
        f"{FILE}:26: item D1-B-001: rationale missing for C: give one for A, B, C and D"
    ]
    assert [item.key for item in parsed.items] == ["D1-A-001", "D1-A-002"]
    assert parsed.items[0].canonical_content() == golden_items.SIMPLE.canonical_content()
    assert parsed.items[1].canonical_content() == golden_items.PLAIN.canonical_content()
