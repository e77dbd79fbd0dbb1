"""CSV reading and writing: round trips, spreadsheet habits, malformed files, fuzzing."""

from __future__ import annotations

import csv
import dataclasses
import io
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import csv_format
from question_bank import LoadedBank, load_bank
from tests.support.bundled import bundled_blueprint, bundled_item
from tests.support.properties import examples
from tests.unit import formats_golden as golden_items

FILE = "bank.csv"
HEADER = ",".join(csv_format.COLUMNS)


@lru_cache(maxsize=1)
def bundled() -> LoadedBank:
    bank = load_bank()
    assert bank.ok
    return bank


def parse(data: bytes | str, known_keys: tuple[str, ...] = ()) -> csv_format.Parsed:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return csv_format.parse(
        raw, filename=FILE, blueprint=bundled_blueprint(), known_keys=known_keys
    )


def content(item: ItemRecord) -> tuple[object, ...]:
    return (item.domain, item.canonical_content())


def record(**changes: object) -> ItemRecord:
    base = bundled_item("D3-A-001")
    changes.setdefault("enemies", ())
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def row(**cells: str) -> str:
    values = {
        "key": "D1-A-001",
        "domain": "D1",
        "subdomain": "D1-A",
        "difficulty": "easy",
        "stem": "Which standard is BEST?",
        "option_a": "One",
        "option_b": "Two",
        "option_c": "Three",
        "option_d": "Four",
        "answer": "C",
        "rationale_a": "Why not one.",
        "rationale_b": "Why not two.",
        "rationale_c": "Why three.",
        "rationale_d": "Why not four.",
        "references": "ISO/IEC 42001:2023 | NIST AI RMF 1.0",
        "enemies": "",
        "as_of": "",
    }
    values.update(cells)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[c] for c in csv_format.COLUMNS])
    return buffer.getvalue()


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.whole_bank
def test_the_whole_bundled_bank_round_trips_exactly() -> None:
    bank = bundled()
    parsed = parse(csv_format.write(bank.items))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    by_key = {item.key: item for item in parsed.items}
    assert len(by_key) == len(bank.items)
    for original in bank.items:
        assert content(by_key[original.key]) == content(original), original.key


def test_the_file_is_spreadsheet_friendly() -> None:
    data = csv_format.write([record(enemies=("D3-A-002", "D3-A-003"), as_of=None)])
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert ",D3-A-002 | D3-A-003,\r\n" in text  # enemies, then an empty as_of


@pytest.mark.parametrize(
    "text", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tTab", "'=quoted", "''", "'plain"]
)
def test_formula_guard_round_trips(text: str) -> None:
    guarded = csv_format.guard(text)
    assert csv_format.unguard(guarded) == text
    assert not guarded.startswith(csv_format.FORMULA_START)


def test_cells_that_look_like_formulas_are_defused_and_restored() -> None:
    item = record(
        stem='=HYPERLINK("http://evil") Which is BEST?', options=("-1", "+2", "@3", "'=4")
    )
    data = csv_format.write([item])
    cells = next(csv.reader(io.StringIO(data.decode("utf-8-sig").splitlines()[1])))
    assert cells[4].startswith("'=")
    assert cells[5] == "'-1"
    assert cells[8] == "''=4"
    assert content(parse(data).items[0]) == content(item)


def test_references_with_pipes_and_backslashes_round_trip() -> None:
    item = record(references=("A | B", "C\\D", "E\\|F", "multi\nline"))
    parsed = parse(csv_format.write([item]))
    assert parsed.problems == ()
    assert parsed.items[0].references == item.references


@pytest.mark.parametrize(
    ("cell", "refs"),
    [("a|b", ["a", "b"]), (" a | | b ", ["a", "b"]), ("a\\|b", ["a|b"]), ("a\\\\|b", ["a\\", "b"])],
)
def test_split_references(cell: str, refs: list[str]) -> None:
    assert csv_format.split_references(cell) == refs


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() == t and t != "")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stem=texts,
    options=st.lists(texts, min_size=4, max_size=4),
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
    )
    parsed = parse(csv_format.write([item]))
    assert parsed.problems == (), [str(p) for p in parsed.problems]
    assert content(parsed.items[0]) == content(item)


# --- reading what people write --------------------------------------------------------------


def test_a_hand_written_file_without_bom_reads() -> None:
    parsed = parse(HEADER + "\n" + row())
    assert parsed.problems == ()
    (item,) = parsed.items
    assert item.answer == 2
    assert item.references == ("ISO/IEC 42001:2023", "NIST AI RMF 1.0")
    assert item.source.line == 2


def test_lenient_spellings_are_accepted() -> None:
    header = HEADER.replace("option_a", "Option A").replace("rationale_b", "Rationale-B").upper()
    parsed = parse(header + "\n" + row(answer=" c ", difficulty="Easy", subdomain="", domain=""))
    assert parsed.problems == ()
    assert parsed.items[0].answer == 2
    assert parsed.items[0].subdomain == "D1-A"


def test_optional_columns_may_be_left_out_and_columns_reordered() -> None:
    columns = [c for c in csv_format.COLUMNS if c not in csv_format.OPTIONAL_COLUMNS][::-1]
    values = dict(zip(csv_format.COLUMNS, next(csv.reader([row()])), strict=True))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerow([values[c] for c in columns])
    parsed = parse(buffer.getvalue())
    assert parsed.problems == ()
    assert parsed.items[0].subdomain == "D1-A"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_are_detected(delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(csv_format.COLUMNS)
    writer.writerow(next(csv.reader([row()])))
    assert len(parse(buffer.getvalue()).items) == 1


def test_blank_rows_are_skipped_and_multiline_cells_keep_row_lines() -> None:
    text = (
        HEADER
        + "\n\n"
        + row(stem="Line one\nline two: which is BEST?")
        + ",,,\n"
        + row(key="D1-A-002")
    )
    parsed = parse(text)
    assert parsed.problems == ()
    assert [(i.key, i.source.line) for i in parsed.items] == [("D1-A-001", 3), ("D1-A-002", 6)]
    assert parsed.items[0].stem == "Line one\nline two: which is BEST?"


def test_unknown_columns_are_warned_about_with_a_suggestion() -> None:
    parsed = parse(HEADER + ",notes,optoin_e\n" + row().rstrip("\n") + ",mine,x\n")
    assert len(parsed.items) == 1
    assert [w.reason for w in parsed.warnings] == [
        "column 'notes' is not read",
        "column 'optoin_e' is not read (did you mean 'option_d'?)",
    ]


# --- problems ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", f"{FILE}:1: the file is empty: expected a header row"),
        ("\n \n", f"{FILE}:1: the file is empty: expected a header row"),
        (
            "key,stem\nD1-A-001,x\n",
            f"{FILE}:1: missing columns: difficulty, option_a, option_b, option_c, option_d, "
            "answer, rationale_a, rationale_b, rationale_c, rationale_d, references (the header "
            "needs key, difficulty, stem, option_a, option_b, option_c, option_d, answer, "
            "rationale_a, rationale_b, rationale_c, rationale_d, references)",
        ),
        (HEADER + ",key\n", f"{FILE}:1: column 'key' appears twice in the header"),
        (
            HEADER + "\n" + row().rstrip("\n") + ",surprise\n",
            f"{FILE}:2: the row has 18 cells but the header has 17 (quote a cell that contains "
            "the delimiter)",
        ),
        (HEADER + '\n"unclosed,x\n', f"{FILE}:2: CSV syntax error: unexpected end of data"),
        (HEADER + '\nD1-A-001,"a"b,c\n', f"{FILE}:2: CSV syntax error: ',' expected after '\"'"),
    ],
)
def test_malformed_files_name_the_line(text: str, expected: str) -> None:
    parsed = parse(text)
    assert parsed.items == ()
    assert expected in [str(p) for p in parsed.problems], [str(p) for p in parsed.problems]


def test_schema_problems_use_the_bank_rules_with_row_lines() -> None:
    text = (
        HEADER
        + "\n"
        + row()
        + row(key="D1-A-002", option_b="", answer="E", references="")
        + row(key="D1-A-003", difficulty="extreme")
        + row(key="D1-A-001")
        + row(key="D1-A-004", domain="D2")
        + row(key="D1-A-005", enemies="D1-A-001, D1-A-999")
    )
    found = [str(p) for p in parse(text).problems]
    assert f"{FILE}:3: item D1-A-002: option B is empty" in found
    assert f"{FILE}:3: item D1-A-002: answer 'E' must be one of the option letters A, B, C, D" in (
        found
    )
    assert f"{FILE}:3: item D1-A-002: 'references' needs at least one entry" in found
    assert f"{FILE}:4: item D1-A-003: difficulty 'extreme' must be one of easy, medium, hard" in (
        found
    )
    assert any(p.startswith(f"{FILE}:5: duplicate key 'D1-A-001'") for p in found)
    assert (
        f"{FILE}:6: item D1-A-004: domain 'D2' does not match sub-domain 'D1-A', which is in D1"
        in found
    )
    assert any(p.startswith(f"{FILE}:7: item D1-A-005: enemy 'D1-A-999'") for p in found)


def test_enemies_may_name_keys_in_the_database() -> None:
    text = HEADER + "\n" + row(enemies="D1-A-020|D1-A-021")
    assert parse(text).problems
    parsed = parse(text, known_keys=("D1-A-020", "D1-A-021"))
    assert parsed.problems == ()
    assert parsed.items[0].enemies == ("D1-A-020", "D1-A-021")


def test_bad_utf8_names_its_line() -> None:
    data = (HEADER + "\n" + row()).encode("utf-8").replace(b"Four", b"F\xe9our")
    assert [str(p) for p in parse(data).problems] == [
        f"{FILE}:2: not UTF-8: byte 0xe9 on this line is not valid UTF-8; save the file as UTF-8"
    ]


# --- fuzzing: no exception escapes ----------------------------------------------------------


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(st.sampled_from([*",;\t\"\n\r\\|='ab 1", HEADER, "\ufeff"]), max_size=60).map("".join)
)
def test_fuzzed_csv_text_never_raises(text: str) -> None:
    parsed = parse(text)
    for found in (*parsed.problems, *parsed.warnings):
        assert found.file == FILE
        assert found.line >= 1


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.sampled_from([*",;\t\"\n\r\\|='ab 1", HEADER, "\ufeff", "\u2028"]), max_size=60
    ).map("".join)
)
def test_lines_decoded_from_the_bytes_are_those_of_the_whole_text(text: str) -> None:
    # The reader once split the decoded text with io.StringIO(newline=""), which holds four
    # bytes a character; the lines decoded from the bytes must be the same, delimiter too.
    data = text.encode("utf-8")
    whole = data.decode("utf-8-sig")
    lines, delimiter = csv_format.csv_lines(data)
    assert list(lines) == list(io.StringIO(whole, newline=""))
    assert delimiter == csv_format._delimiter(whole)


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=300))
def test_fuzzed_bytes_never_raise(data: bytes) -> None:
    parse(data)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.lists(st.text(max_size=12), min_size=0, max_size=18),
        max_size=5,
    )
)
def test_fuzzed_rows_under_a_real_header_never_raise(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_format.COLUMNS)
    writer.writerows(rows)
    parsed = parse(buffer.getvalue())
    assert len(parsed.items) <= len(rows)


# --- the writer's exact output ----------------------------------------------------------------


def test_the_writer_output_is_exact() -> None:
    assert csv_format.write(golden_items.ITEMS) == golden_items.golden("bank.csv")


def test_the_exact_output_reads_back_to_the_same_items() -> None:
    parsed = csv_format.parse(
        golden_items.golden("bank.csv"),
        filename=FILE,
        blueprint=golden_items.BLUEPRINT,
        known_keys=golden_items.AWKWARD.enemies,
    )
    assert parsed.warnings == ()
    assert [item.key for item in parsed.items] == ["D1-A-001", "D1-A-002"]
    assert parsed.items[0].canonical_content() == golden_items.SIMPLE.canonical_content()
    assert parsed.items[1].canonical_content() == golden_items.PLAIN.canonical_content()


# --- exact reading rules ----------------------------------------------------------------------


def test_empty_cells_past_the_header_are_ignored() -> None:
    parsed = parse(HEADER + "\n" + row().rstrip("\n") + ",,  \n")
    assert parsed.problems == ()
    assert [item.key for item in parsed.items] == ["D1-A-001"]


def test_a_short_row_reads_its_missing_cells_as_empty() -> None:
    parsed = parse(HEADER + "\n" + "D1-A-001,D1,D1-A,easy,stem\n")
    found = [str(p) for p in parsed.problems]
    assert f"{FILE}:2: item D1-A-001: option D is empty" in found
    assert f"{FILE}:2: item D1-A-001: 'references' needs at least one entry" in found
    assert f"{FILE}:2: item D1-A-001: answer '' must be one of the option letters A, B, C, D" in (
        found
    )


def test_cells_are_normalised_before_validation() -> None:
    parsed = parse(HEADER + "\n" + row(answer=" b ", difficulty=" HARD ", as_of=" 2026-01-02 "))
    assert parsed.problems == ()
    (item,) = parsed.items
    assert (item.answer, item.difficulty, str(item.as_of)) == (1, "hard", "2026-01-02")


def test_only_a_one_letter_answer_is_upper_cased() -> None:
    parsed = parse(HEADER + "\n" + row(answer="cc"))
    assert [str(p) for p in parsed.problems] == [
        f"{FILE}:2: item D1-A-001: answer 'cc' must be one of the option letters A, B, C, D"
    ]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("D1-A-001", "item D1-A-001: domain 'D2' does not match sub-domain 'D1-A', which is in D1"),
        ("", "domain 'D2' does not match sub-domain 'D1-A', which is in D1"),
    ],
)
def test_a_disagreeing_domain_names_the_row_and_its_key(key: str, message: str) -> None:
    parsed = parse(HEADER + "\n" + row(key=key, domain="D2"))
    assert f"{FILE}:2: {message}" in [str(p) for p in parsed.problems]


def test_the_subdomain_defaults_to_the_key_prefix() -> None:
    parsed = parse(HEADER + "\n" + row(key="D1-A-001", subdomain="", domain="D2"))
    assert [str(p) for p in parsed.problems] == [
        f"{FILE}:2: item D1-A-001: domain 'D2' does not match sub-domain 'D1-A', which is in D1"
    ]


def test_a_semicolon_header_wins_over_tabs_in_it() -> None:
    header = HEADER.replace(",", ";").replace("stem", "st\tem")
    parsed = parse(header + "\n" + row().replace(",", ";"))
    assert [str(w) for w in parsed.warnings] == [
        f"{FILE}:1: column 'st\\tem' is not read (did you mean 'stem'?)"
    ]


def test_a_syntax_error_names_the_line_where_its_row_starts() -> None:
    parsed = parse(HEADER + "\n" + row() + row(key="D1-A-002") + '"a\n')
    assert [str(p) for p in parsed.problems] == [
        f"{FILE}:4: CSV syntax error: unexpected end of data"
    ]


def test_enemies_may_be_separated_by_commas_pipes_or_spaces() -> None:
    keys = ("D1-A-002", "D1-A-003", "D1-A-004", "D1-A-005")
    parsed = parse(HEADER + "\n" + row(enemies="D1-A-002, D1-A-003|D1-A-004  D1-A-005"), keys)
    assert parsed.items[0].enemies == keys


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@1", "'@1"),
        ("\t1", "'\t1"),
        ("\r1", "'\r1"),
        ("'=1", "''=1"),
        ("''", "'''"),
        ("'", "'"),
        ("'a", "'a"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_the_formula_guard_prefixes_exactly_what_a_spreadsheet_would_run(
    cell: str, guarded: str
) -> None:
    assert csv_format.guard(cell) == guarded
    assert csv_format.unguard(guarded) == cell


@pytest.mark.parametrize(
    ("header", "name"),
    [("\ufeffKey", "key"), ("  Option - A ", "option_a"), ("RATIONALE b", "rationale_b")],
)
def test_header_names_are_folded_to_column_names(header: str, name: str) -> None:
    assert csv_format._column_name(header) == name
