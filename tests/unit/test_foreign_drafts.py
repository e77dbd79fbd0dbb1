"""Other tools' GIFT and CSV files read as foreign items, and the draft checklist."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_engine.domain.drafts import (
    checklist,
    is_provisional,
    missing_message,
    next_provisional_key,
)
from exam_engine.domain.formats import csv_foreign, gift_foreign, qti
from exam_engine.domain.formats.foreign import subdomain_in
from exam_engine.domain.formats.foreign_formats import is_foreign, parse_foreign
from question_bank import BUNDLED_BLUEPRINT, load_blueprint
from tests.support.properties import examples
from tests.unit import formats_golden as golden_items

BLUEPRINT = load_blueprint(BUNDLED_BLUEPRINT)
MOODLE = (Path(__file__).parent / "foreign" / "moodle_export.gift").read_bytes()


def read_gift(data: bytes):
    return parse_foreign("gift", data, filename="m.gift", blueprint=BLUEPRINT)


def test_moodle_gift_lands_its_single_answer_multiple_choice_items() -> None:
    parsed = read_gift(MOODLE)
    assert parsed.ok
    first, escapes, weighted = parsed.items
    assert first.source_ref == "Model inventory"
    assert first.line == 6
    assert first.stem == "Which record should an organisation keep **first** for each AI model?"
    assert first.options == (
        "An inventory entry with owner and purpose",
        "A benchmark score",
        "The vendor's marketing sheet",
    )
    assert first.answer == 0
    assert first.rationales[0] == "The inventory is the basis of every later control."
    assert first.general_feedback == "See the AI management system's asset clause."
    assert first.subdomain == "D2-A"  # from '$course$/top/Default for AI Security/D2-A Risk ...'
    # Escapes resolve; the unknown code D9-Z tags nothing.
    assert escapes.source_ref == "Escapes : colons"
    assert escapes.stem == "Which symbol starts a GIFT answer's feedback {in braces}?"
    assert escapes.options == ("The # sign", "The = sign", "The ~ sign", "A backslash \\")
    assert escapes.rationales == ("Right: a hash.", "That marks a correct answer.", "", "")
    assert escapes.subdomain is None
    # =%100% is the key; %0% answers are wrong ones; five options are kept as five.
    assert weighted.answer == 0 and len(weighted.options) == 5
    assert weighted.subdomain is None  # 'Unsorted' names no code and warns of nothing


def test_other_types_are_skipped_each_with_its_name_and_type() -> None:
    reasons = [w.reason for w in read_gift(MOODLE).warnings]
    for name, kind in [
        ("TF drift", "a true/false question"),
        ("Short", "a short-answer question"),
        ("Match", "a matching question"),
        ("Num", "a numerical question"),
        ("Essay", "an essay"),
        ("Intro", "a description"),
        ("Multi", "a multiple-answer or partial-credit question"),
    ]:
        assert any(r.startswith(f"question ::{name}:: skipped: {kind}") for r in reasons), name


def test_an_unknown_code_in_category_is_a_warning_at_its_line_in_gifts_words() -> None:
    warnings = [w for w in read_gift(MOODLE).warnings if "D9-Z" in w.reason]
    assert len(warnings) == 1
    assert warnings[0].line == 42
    assert warnings[0].reason.startswith("$CATEGORY '$course$/top/Default for AI Security/D9-Z")
    assert "not a sub-domain of aaism" in warnings[0].reason


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (b"::A::Which?{=a ~b}\n\n::B::Cut here {=a ~b\n", 3),
        (b"::A::Which?{=a ~b}\n\n::B::Closed twice {=a ~b}}\n", 3),
        (b"::A::Which?{=a ~b}\n\n::C::No opening =a ~b}\n", 3),
    ],
)
def test_a_syntax_error_names_its_line_and_nothing_is_read(text: bytes, line: int) -> None:
    parsed = read_gift(text)
    assert not parsed.ok
    assert parsed.items == ()
    assert parsed.problems[0].line == line
    assert "unbalanced braces" in parsed.problems[0].reason


def test_an_untitled_question_is_named_by_its_first_words() -> None:
    parsed = read_gift(b"Which is true?{=yes ~no}\n\nIs it?{T}\n")
    assert parsed.items[0].source_ref == ""
    assert parsed.warnings[0].reason.startswith("question 'Is it?' skipped: a true/false")


def test_html_that_cannot_be_kept_is_named() -> None:
    parsed = read_gift(b"::T::[html]<video>x</video> Which?{=a ~b}\n")
    # A video (and its fallback text) cannot be kept: it is dropped and the loss named.
    assert parsed.items[0].stem == "Which?"
    assert parsed.warnings[0].reason == (
        "question ::T:: stem: HTML <video> dropped when converting to Markdown"
    )


def test_the_engine_tells_its_own_gift_from_other_tools() -> None:
    assert gift_foreign.is_engine_gift("::D1-A-001::Which?{=a ~b ~c ~d}")
    assert not gift_foreign.is_engine_gift(MOODLE.decode())
    assert is_foreign("gift", MOODLE)
    assert not is_foreign("gift", b"$CATEGORY: aaism/D1/D1-A\n\n::D1-A-001::Q{=a ~b}")
    assert not is_foreign("gift", b"\xff\xfe")  # left to the strict reader to name the byte
    assert not is_foreign("yaml", b"key: x")


def test_the_engine_tells_its_own_qti_by_its_metadata_rubric_or_the_old_attributes() -> None:
    package = qti.write([golden_items.SIMPLE], golden_items.BLUEPRINT)
    item = qti.item_xml(golden_items.SIMPLE)
    assert not is_foreign("qti", package)
    assert not is_foreign("qti", item)
    old = item.replace(b"<qti-item-body>", b'<qti-item-body data-aaism-key="D1-A-001">')
    assert not is_foreign("qti", old.replace(b'class="aaism-metadata"', b'class="x"'))
    assert is_foreign("qti", item.replace(b'class="aaism-metadata"', b'class="x"'))


SHEET = (
    "ID,Question,Option A,Option B,Option C,Answer,Feedback A,Feedback B,Category,Notes\r\n"
    "q-1,Which control comes FIRST?,Inventory,Red team,Audit,A,Basis of all,Later,"
    "AI/D2-A risk,x\r\n"
    'q-2,"Two, with a comma",Yes,No,,2,,,D9-Z stuff,\r\n'
    "q-3,Only one option,Alone,,,A,,,,\r\n"
    "q-4,Bad answer,One,Two,,E,,,,\r\n"
)


def test_a_spreadsheet_lands_its_rows_and_names_what_it_skipped() -> None:
    parsed = parse_foreign("csv", SHEET.encode(), filename="s.csv", blueprint=BLUEPRINT)
    assert parsed.ok
    one, two = parsed.items
    assert (one.source_ref, one.line, one.subdomain) == ("q-1", 2, "D2-A")
    assert one.options == ("Inventory", "Red team", "Audit")
    assert one.rationales == ("Basis of all", "Later", "")
    assert (two.stem, two.options, two.answer, two.subdomain) == (
        "Two, with a comma",
        ("Yes", "No"),
        1,
        None,
    )
    reasons = [(w.line, w.reason) for w in parsed.warnings]
    assert (1, "column 'Notes' is not read") in reasons
    assert any(line == 3 and "category 'D9-Z stuff' names 'D9-Z'" in r for line, r in reasons)
    assert (4, "row 'q-3' skipped: fewer than two options") in reasons
    assert any(line == 5 and r.startswith("row 'q-4' skipped: answer 'E'") for line, r in reasons)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Stem,Option A\r\nQ,a\r\n", "fewer than two option columns"),
        ("Option A,Option B,Answer\r\na,b,A\r\n", "no question column"),
        ("Question,Option A,Option B\r\nQ,a,b\r\n", "no answer column"),
        ('Question,Option A,Option B,Answer\r\n"Q,a,b,A\r\n', "CSV syntax error"),
    ],
)
def test_a_spreadsheet_that_is_no_question_table_imports_nothing(text: str, message: str) -> None:
    parsed = csv_foreign.parse(text.encode(), filename="s.csv", blueprint=BLUEPRINT)
    assert parsed.items == ()
    assert any(message in p.reason for p in parsed.problems), parsed.problems


def test_the_engine_tells_its_own_csv_by_its_key_column() -> None:
    assert csv_foreign.is_engine_csv("key,stem,option_a\r\n")
    assert not csv_foreign.is_engine_csv("ID;Question;Option A\n")


def complete(**changes):
    fields = dict(
        subdomain="D1-A",
        difficulty="easy",
        stem="Which is BEST?",
        options=("a", "b", "c", "d"),
        answer=0,
        rationales=("w", "x", "y", "z"),
        references=("ISO/IEC 42001:2023",),
        blueprint=BLUEPRINT,
    )
    fields.update(changes)
    return checklist(**fields)


def test_a_complete_item_has_an_empty_checklist() -> None:
    assert complete() == ()


def test_the_checklist_names_each_missing_part() -> None:
    missing = complete(
        subdomain="",
        difficulty="",
        options=("a", "", "c"),
        answer=0,
        rationales=("w",),
        references=(),
    )
    assert missing == (
        "sub-domain",
        "difficulty",
        "exactly four options (has 3)",
        "text for option B",
        "a rationale for option B, C",
        "references",
    )
    assert complete(subdomain="D9-Z") == ("sub-domain",)
    assert complete(stem="  ") == ("stem",)
    assert complete(answer=4) == ("a correct option",)
    assert missing_message("DRAFT-0001", ("difficulty", "references")) == (
        "DRAFT-0001 is incomplete: it needs difficulty; references"
    )


def test_provisional_keys() -> None:
    assert next_provisional_key([]) == "DRAFT-0001"
    assert next_provisional_key(["DRAFT-0001", "DRAFT-0009", "D1-A-001"]) == "DRAFT-0010"
    assert is_provisional("DRAFT-0001") and not is_provisional("D1-A-001")
    assert not is_provisional("DRAFT-1")


def test_a_spreadsheet_with_semicolons_numbers_and_answer_texts() -> None:
    text = (
        "\ufeffQuestion;Choice 1;Choice 2;Choice 3;Correct;Sub-domain;Difficulty;References\n"
        "First?;x;y;z;2;D3-E;Hard;ISO | NIST\n"
        "Second?;x;'=SUM(A1);z;z;;;\n"
    )
    parsed = csv_foreign.parse(text.encode(), filename="s.csv", blueprint=BLUEPRINT)
    first, second = parsed.items
    assert (first.answer, first.subdomain, first.difficulty) == (1, "D3-E", "hard")
    assert first.references == ("ISO", "NIST")
    assert second.options[1] == "=SUM(A1)"  # the spreadsheet guard is undone
    assert second.answer == 2 and second.source_ref == ""


@settings(max_examples=examples(60), deadline=None)
@given(st.text(alphabet="::{}~=#%\\$CATEGORY: D2-A\n abc[html]<p>", max_size=200))
def test_the_gift_reader_never_raises(text: str) -> None:
    parsed = read_gift(text.encode())
    assert parsed.ok or parsed.items == ()
    for item in parsed.items:
        assert 0 <= item.answer < len(item.options)
        assert len(item.rationales) == len(item.options)


@settings(max_examples=examples(60), deadline=None)
@given(st.text(alphabet='Question,Option A,B,Answer\n"x;2', max_size=200))
def test_the_csv_reader_never_raises(text: str) -> None:
    parsed = csv_foreign.parse(text.encode(), filename="s.csv", blueprint=BLUEPRINT)
    assert parsed.ok or parsed.items == ()
    for item in parsed.items:
        assert 0 <= item.answer < len(item.options) and item.options[item.answer]


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("$course$/top/D2-A Risk", "D2-A"),
        ("aaism/d2_a", "D2-A"),
        ("Imported/D3B", "D3-B"),
        ("Unit D3 a review", None),  # free text, not a code
        ("Module d3a", None),
        ("Dungeons/D20 rolls", None),
    ],
)
def test_a_category_names_a_subdomain_only_by_a_code(words, code) -> None:
    blueprint = load_blueprint(BUNDLED_BLUEPRINT)
    found = subdomain_in(words, blueprint)
    assert found.subdomain == code
    assert found.warning is None
