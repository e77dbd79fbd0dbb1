"""as_of through the database, every interchange format, the stale command and the editor."""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from exam_engine.domain import formats
from exam_engine.models import QuestionVersion, utcnow
from exam_engine.services import authoring, interchange
from exam_engine.services.catalog import bundled_blueprint
from question_bank import BUNDLED_BANK, load_bank
from tests.factories import UserFactory

ITEM = {
    "key": "D1-A-901",
    "difficulty": "medium",
    "stem": "A lender deploys a credit model in the EU. Which duty applies FIRST?",
    "options": {"A": "One duty", "B": "Two duties", "C": "Three duties", "D": "Four duties"},
    "answer": "B",
    "rationale": {k: f"Because of {k} the answer is what it is." for k in "ABCD"},
    "references": ["EU AI Act (Regulation (EU) 2024/1689), Art. 26"],
}


def write_bank(root: Path, items: list[dict]) -> Path:
    bank = root / "bank"
    (bank / "items").mkdir(parents=True)
    shutil.copy(BUNDLED_BANK / "blueprint.yaml", bank / "blueprint.yaml")
    document = {"subdomain": "D1-A", "items": items}
    (bank / "items" / "D1-A.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return bank


@pytest.fixture
def runner(app, session):
    return app.test_cli_runner()


def test_as_of_is_stored_and_travels_through_every_format(session, tmp_path) -> None:
    bank = write_bank(tmp_path, [{**ITEM, "as_of": "2026-11-30"}])
    loaded = load_bank(bank)
    assert loaded.problems == ()
    [record] = loaded.items
    assert record.as_of == date(2026, 11, 30)
    interchange.import_loaded_bank(session, loaded, source="test", publish=True)
    version = session.query(QuestionVersion).one()
    assert version.as_of == date(2026, 11, 30)
    blueprint = bundled_blueprint()
    for fmt in ("yaml", "csv", "gift", "qti"):
        data = formats.write(fmt, [record], blueprint)
        parsed, _ = interchange.parse_file(session, fmt, data, filename=f"x.{fmt}")
        assert not parsed.problems, fmt
        [back] = parsed.items
        assert back.as_of == date(2026, 11, 30), fmt
        assert back.content_hash() == record.content_hash(), fmt


def test_an_item_without_as_of_keeps_its_old_hash(tmp_path) -> None:
    with_date = load_bank(write_bank(tmp_path / "a", [{**ITEM, "as_of": "2026-11-30"}]))
    without = load_bank(write_bank(tmp_path / "b", [ITEM]))
    assert without.items[0].as_of is None
    assert "as_of" not in without.items[0].canonical_content()
    assert with_date.items[0].content_hash() != without.items[0].content_hash()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-30", "as_of '2026-02-30' is not a calendar date"),
        ("30/11/2026", "must be a date written YYYY-MM-DD"),
        ("", "as_of '' must be a date written YYYY-MM-DD"),
    ],
)
def test_a_bad_as_of_is_named_at_its_line(tmp_path, value: str, reason: str) -> None:
    loaded = load_bank(write_bank(tmp_path, [{**ITEM, "as_of": value}]))
    [problem] = loaded.problems
    assert reason in problem.reason
    assert problem.file.endswith("D1-A.yaml")
    assert problem.line > 1


def test_a_bad_as_of_in_a_csv_names_the_row(session) -> None:
    # An item without as_of, so the row ends with an empty as_of cell to fill in.
    record = dataclasses.replace(load_bank(BUNDLED_BANK).items[0], as_of=None)
    data = formats.write("csv", [record], bundled_blueprint()).decode("utf-8-sig")
    header, row = data.rstrip("\r\n").split("\r\n")
    parsed = formats.parse(
        "csv",
        (header + "\r\n" + row + "2026-13-01\r\n").encode(),
        filename="b.csv",
        blueprint=bundled_blueprint(),
    )
    assert [str(p) for p in parsed.problems] == [
        f"b.csv:2: item {record.key}: as_of '2026-13-01' is not a calendar date"
    ]


def test_stale_lists_old_and_undated_items_and_exits_1(runner, tmp_path) -> None:
    old = {**ITEM, "as_of": "2020-01-15"}
    fresh = {
        **ITEM,
        "key": "D1-A-902",
        "stem": "Another stem. Which is BEST?",
        "as_of": "2026-11-01",
    }
    undated = {**ITEM, "key": "D1-A-903", "stem": "A third stem. Which is BEST?"}
    bank = write_bank(tmp_path, [old, fresh, undated])
    result = runner.invoke(args=["bank", "stale", str(bank), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["older_than_days"] == 365
    assert [s["key"] for s in report["stale"]] == ["D1-A-901"]
    assert report["stale"][0]["age_days"] == (utcnow().date() - date(2020, 1, 15)).days
    assert [u["key"] for u in report["undated"]] == ["D1-A-903"]
    wide = runner.invoke(args=["bank", "stale", str(bank), "--older-than", "100000"])
    assert wide.exit_code == 1  # the undated item is still listed
    assert (
        "0 of 3 items checked more than 100000 days ago; 1 dated item without as_of" in wide.output
    )
    clean = write_bank(tmp_path / "clean", [fresh])
    assert runner.invoke(args=["bank", "stale", str(clean)]).exit_code == 0


def test_the_stale_limit_comes_from_the_setting_and_a_bad_one_is_named(
    app, runner, tmp_path
) -> None:
    bank = write_bank(tmp_path, [{**ITEM, "as_of": "2026-11-01"}])
    app.config["STALE_DAYS"] = 1
    try:
        assert runner.invoke(args=["bank", "stale", str(bank)]).exit_code == 1
        app.config["STALE_DAYS"] = "soon"
        result = runner.invoke(args=["bank", "stale", str(bank)])
        assert result.exit_code == 1
        assert "EXAM_ENGINE_STALE_DAYS must be a whole number of days" in result.output
    finally:
        app.config["STALE_DAYS"] = 365


def test_the_editor_saves_shows_and_diffs_as_of(session) -> None:
    author = UserFactory(role="instructor")
    data = authoring.ItemInput(
        key="D1-A-950",
        subdomain="D1-A",
        difficulty="medium",
        stem=ITEM["stem"],
        options=tuple(ITEM["options"].values()),
        rationales=tuple(ITEM["rationale"].values()),
        answer="B",
        references=tuple(ITEM["references"]),
        as_of="2026-10-01",
    )
    version = authoring.create_question(session, author.id, data, now=utcnow())
    assert version.as_of == date(2026, 10, 1)
    assert authoring.ItemInput.from_version("D1-A-950", version).as_of == "2026-10-01"
    bad = authoring.check_item(
        session,
        data._replace(as_of="tomorrow")
        if hasattr(data, "_replace")
        else __import__("dataclasses").replace(data, as_of="tomorrow"),
        editing="D1-A-950",
    )
    assert bad.problems == {
        "as_of": ["as_of 'tomorrow' must be a date written YYYY-MM-DD, e.g. 2026-12-04"]
    }
    saved = authoring.save_draft(
        session,
        author.id,
        "D1-A-950",
        replace(data, as_of="2026-12-01"),
        now=utcnow(),
    )
    assert saved.fields == ("as_of",)
    diff = authoring.diff_versions(session, "D1-A-950", 1, 1)
    assert "as_of" in {f.name for f in diff.fields}
