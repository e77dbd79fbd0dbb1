"""Other tools' files through the database: drafts, keys, re-keys, refusals, the CLI."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.models import AuditEvent, Question, QuestionVersion
from exam_engine.services import authoring, drafts, interchange
from exam_engine.services.authoring.completeness import IncompleteItem
from exam_engine.services.bank import ImportFailed
from exam_engine.services.errors import Conflict, ValidationFailed
from tests.factories import UserFactory
from tests.integration.test_interchange import invoke, newest
from tests.support import count

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
MOODLE = (Path(__file__).parents[1] / "unit" / "foreign" / "moodle_export.gift").read_bytes()
COMPLETE_ROW = (
    "ID,Question,Option A,Option B,Option C,Option D,Answer,Feedback A,Feedback B,Feedback C,"
    "Feedback D,Category,Difficulty,References\r\n"
    "s-1,Which control comes FIRST for a new AI system?,An inventory entry,A red team,"
    "An audit,A budget,A,Basis,Later,Later,Unrelated,D1-A,easy,ISO/IEC 42001:2023\r\n"
)


def import_moodle(session, **extra):
    return interchange.import_file(
        session, "gift", MOODLE, filename="m.gift", publish=False, author_id=None, now=NOW, **extra
    )


def test_a_moodle_gift_file_lands_its_items_as_drafts_with_engine_keys(session) -> None:
    result = import_moodle(session)
    assert result.foreign and result.status == "draft"
    assert [n.key for n in result.drafts] == ["D2-A-001", "DRAFT-0001", "DRAFT-0002"]
    assert [n.source_ref for n in result.drafts] == [
        "Model inventory",
        "Escapes : colons",
        "Weighted single",
    ]
    assert len(result.warnings) == 8  # seven other types and the unknown $CATEGORY code
    stored = newest(session)
    first = stored["D2-A-001"]
    assert (first.status, first.subdomain, first.domain, first.difficulty) == (
        "draft",
        "D2-A",
        "D2",
        "",
    )
    assert first.source_ref == "Model inventory"
    assert first.source_feedback == "See the AI management system's asset clause."
    assert first.rationales[0] == "The inventory is the basis of every later control."
    assert result.drafts[0].missing == (
        "difficulty",
        "exactly four options (has 3)",
        "references",
    )
    assert len(stored["DRAFT-0002"].options) == 5
    event = session.scalars(select(AuditEvent)).one()
    assert event.details["created"] == ["D2-A-001", "DRAFT-0001", "DRAFT-0002"]
    assert len(event.details["warnings"]) == 8


def test_subdomain_tags_items_whose_file_named_none_and_keys_follow_the_bank(session) -> None:
    interchange.import_file(
        session, "csv", COMPLETE_ROW.encode(), filename="s.csv", publish=False, author_id=None
    )
    result = import_moodle(session, subdomain="d1-a")
    assert [n.key for n in result.drafts] == ["D2-A-001", "D1-A-002", "D1-A-003"]


def test_importing_the_same_file_again_makes_no_copies(session) -> None:
    import_moodle(session)
    again = import_moodle(session)
    assert again.drafts == [] and again.unchanged == 3
    assert again.warnings[-3:] == [
        "m.gift:6: item 'Model inventory' skipped: already imported as D2-A-001 "
        "(same name, stem and options)",
        "m.gift:45: item 'Escapes : colons' skipped: already imported as DRAFT-0001 "
        "(same name, stem and options)",
        "m.gift:54: item 'Weighted single' skipped: already imported as DRAFT-0002 "
        "(same name, stem and options)",
    ]
    assert count(session, Question) == 3


def test_an_unknown_subdomain_option_is_refused_and_nothing_written(session) -> None:
    with pytest.raises(ValidationFailed, match="unknown sub-domain 'D9-Z'"):
        import_moodle(session, subdomain="D9-Z")
    assert count(session, Question) == 0


def test_a_cut_gift_file_imports_nothing(session) -> None:
    cut = MOODLE[: MOODLE.index(b"~A benchmark score")]
    with pytest.raises(ImportFailed) as caught:
        interchange.import_file(
            session, "gift", cut, filename="cut.gift", publish=False, author_id=None
        )
    assert caught.value.problems == (
        "cut.gift:6: question ::Model inventory::: unbalanced braces: the answers go between "
        "one { and one } (is the file cut short? escape a literal brace as \\{ or \\})",
    )
    assert count(session, Question) == 0


def test_publish_refuses_an_incomplete_item_naming_each_part(session) -> None:
    with pytest.raises(drafts.IncompleteItems) as caught:
        interchange.import_file(
            session, "gift", MOODLE, filename="m.gift", publish=True, author_id=None
        )
    assert caught.value.status == 422
    assert caught.value.problems[0] == (
        "m.gift:6: item 'Model inventory' is incomplete: it needs difficulty; exactly four "
        "options (has 3); references; import without --publish to complete it as a draft"
    )
    assert count(session, Question) == 0


def test_a_complete_spreadsheet_row_may_be_published(session) -> None:
    result = interchange.import_file(
        session, "csv", COMPLETE_ROW.encode(), filename="s.csv", publish=True, author_id=None
    )
    assert result.drafts[0].missing == ()
    version = newest(session)["D1-A-001"]
    assert version.status == "published"
    assert version.source_ref == "s-1"


def test_submit_and_publish_refuse_an_incomplete_draft(session) -> None:
    author = UserFactory(role="instructor")
    import_moodle(session)
    with pytest.raises(IncompleteItem) as caught:
        authoring.submit_for_review(session, author.id, "D2-A-001", now=NOW)
    assert isinstance(caught.value, Conflict) and caught.value.status == 409
    assert caught.value.missing == ("difficulty", "exactly four options (has 3)", "references")
    assert str(caught.value).startswith("D2-A-001 is incomplete: it needs difficulty;")
    assert newest(session)["D2-A-001"].status == "draft"


def test_bulk_set_rekeys_provisional_drafts_and_keeps_tagged_keys(session) -> None:
    user = UserFactory(role="instructor")
    import_moodle(session)
    result = drafts.set_drafts(
        session,
        user.id,
        ["DRAFT-0001", "DRAFT-0002", "D2-A-001"],
        subdomain="D2-A",
        difficulty="hard",
        now=NOW,
    )
    assert result.changed == {
        "DRAFT-0001": "D2-A-002",
        "DRAFT-0002": "D2-A-003",
        "D2-A-001": "D2-A-001",
    }
    stored = newest(session)
    assert set(stored) == {"D2-A-001", "D2-A-002", "D2-A-003"}
    assert {v.difficulty for v in stored.values()} == {"hard"}
    assert stored["D2-A-002"].source_ref == "Escapes : colons"
    assert count(session, QuestionVersion) == 3  # drafts change in place


def test_bulk_set_refuses_moving_a_tagged_draft_or_a_published_item(session) -> None:
    user = UserFactory(role="instructor")
    import_moodle(session)
    with pytest.raises(Conflict, match="D2-A-001 is in D2-A: its key belongs"):
        drafts.set_drafts(session, user.id, ["D2-A-001"], subdomain="D1-A", now=NOW)
    interchange.import_file(
        session, "csv", COMPLETE_ROW.encode(), filename="s.csv", publish=True, author_id=None
    )
    with pytest.raises(Conflict, match="D1-A-001 v1 is published, not a draft"):
        drafts.set_drafts(session, user.id, ["D1-A-001"], difficulty="hard", now=NOW)
    with pytest.raises(ValidationFailed, match="choose a sub-domain or a difficulty"):
        drafts.set_drafts(session, user.id, ["D2-A-001"], now=NOW)
    assert newest(session)["D2-A-001"].subdomain == "D2-A"


def test_a_completed_draft_goes_through_review_and_exports_its_source_ref(session) -> None:
    author, reviewer = UserFactory(role="instructor"), UserFactory(role="instructor")
    import_moodle(session)
    item = authoring.ItemInput(
        key="DRAFT-0001",
        subdomain="D2-B",
        difficulty="medium",
        stem="Which symbol starts a GIFT answer's feedback in braces? Which is BEST?",
        options=("The hash sign", "The equals sign", "The tilde sign", "A backslash"),
        rationales=(
            "The hash sign opens each answer's feedback in GIFT, so it is the BEST answer.",
            "The equals sign marks the correct answer, not where its feedback starts.",
            "The tilde sign marks a wrong answer, not where its feedback starts.",
            "A backslash escapes a control character; it starts no feedback at all.",
        ),
        answer="A",
        references=("Moodle GIFT format documentation",),
    )
    saved = authoring.save_draft(session, author.id, "DRAFT-0001", item, now=NOW)
    key = saved.version.question.key
    assert key == "D2-B-001"
    assert saved.version.source_ref == "Escapes : colons"
    authoring.submit_for_review(session, author.id, key, now=NOW)
    authoring.publish(session, reviewer.id, key, now=NOW)
    exported = interchange.export(session, "csv").content.decode("utf-8-sig")
    assert exported.splitlines()[0].endswith(",as_of,source_ref")
    assert exported.splitlines()[1].endswith(",Escapes : colons")
    again = interchange.import_file(
        session, "csv", exported.encode(), filename="back.csv", publish=True, author_id=None
    )
    assert again.unchanged == 1 and not again.foreign
    yaml_zip = interchange.export(session, "yaml").content
    with zipfile.ZipFile(io.BytesIO(yaml_zip)) as archive:
        text = archive.read("items/D2-B.yaml").decode()
    assert "source_ref: 'Escapes : colons'" in text
    back = interchange.import_file(
        session, "yaml", yaml_zip, filename="back.zip", publish=True, author_id=None
    )
    assert back.unchanged == 1


def test_only_published_items_reach_the_assembly_and_the_stats(session) -> None:
    from exam_engine.services.bank import bank_stats

    import_moodle(session)
    stats = bank_stats(session)
    assert stats["items"] == 3 and stats["published"] == 0
    assert stats["by_subdomain"] == {} and stats["by_difficulty"] == {}
    assert (
        session.scalars(
            select(QuestionVersion).where(QuestionVersion.status == VersionStatus.PUBLISHED)
        ).all()
        == []
    )


def test_cli_import_of_a_moodle_file_reports_drafts_and_skips(app, session, tmp_path) -> None:
    path = tmp_path / "moodle.gift"
    path.write_bytes(MOODLE)
    result = invoke(app, "import", "--format", "gift", "--subdomain", "D3-A", str(path))
    assert result.exit_code == 0, result.stderr
    assert "as draft: 3 incomplete, 8 skipped or noted" in result.output
    assert "  D2-A-001 (Model inventory): needs difficulty; exactly four options (has 3)" in (
        result.output
    )
    assert "  D3-A-001 (Escapes : colons): needs difficulty" in result.output
    assert "::Essay:: skipped: an essay" in result.stderr


def test_cli_publish_of_incomplete_items_exits_1_naming_parts(app, session, tmp_path) -> None:
    path = tmp_path / "moodle.gift"
    path.write_bytes(MOODLE)
    result = invoke(app, "import", "--format", "gift", "--publish", str(path))
    assert result.exit_code == 1
    assert "m" in result.stderr and "is incomplete: it needs difficulty;" in result.stderr
    assert "nothing imported" in result.stderr
    assert count(session, Question) == 0
    bad = invoke(app, "import", "--format", "gift", "--subdomain", "X1", str(path))
    assert bad.exit_code == 1
    assert "unknown sub-domain 'X1'" in bad.stderr


def test_an_item_with_more_options_than_a_draft_holds_is_skipped(session) -> None:
    answers = " ".join(f"~option {n}" for n in range(30))
    text = f"::Big::Which?{{={answers}}}\n\n::Small::Which?{{=a ~b}}\n".encode()
    result = interchange.import_file(
        session, "gift", text, filename="big.gift", publish=False, author_id=None
    )
    assert [n.source_ref for n in result.drafts] == ["Small"]
    assert "big.gift:1: item 'Big' skipped: 31 options; a draft holds at most 26" in (
        result.warnings
    )


def test_a_gift_export_carries_source_ref_and_reads_back_unchanged(session) -> None:
    interchange.import_file(
        session, "csv", COMPLETE_ROW.encode(), filename="s.csv", publish=True, author_id=None
    )
    exported = interchange.export(session, "gift").content
    assert b"\\n\\nSource\\: s-1\n}" in exported
    again = interchange.import_file(
        session, "gift", exported, filename="back.gift", publish=True, author_id=None
    )
    assert not again.foreign and again.unchanged == 1 and again.warnings == []


@pytest.mark.parametrize("fmt", ["yaml", "csv", "gift", "qti"])
def test_exporting_drafts_leaves_out_incomplete_ones_and_names_them(session, fmt) -> None:
    import_moodle(session)
    interchange.import_file(
        session, "csv", COMPLETE_ROW.encode(), filename="s.csv", publish=False, author_id=None
    )
    export = interchange.export(session, fmt, statuses=("draft",))
    assert export.items == 1
    assert export.left_out == ("D2-A-001", "DRAFT-0001", "DRAFT-0002")


def test_cli_export_warns_of_left_out_drafts(app, session, tmp_path) -> None:
    import_moodle(session)
    result = invoke(app, "export", "--format", "csv", "--status", "draft", str(tmp_path / "d.csv"))
    assert result.exit_code == 0, result.stderr
    assert "warning: 3 incomplete drafts left out (complete them first): D2-A-001" in (
        result.stderr
    )
