"""Bank import and export through the database: every format, all or nothing, the CLI."""

from __future__ import annotations

import csv
import io
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import csv_format
from exam_engine.models import AuditEvent, ExamTemplate, Question, QuestionVersion
from exam_engine.services import interchange
from exam_engine.services.bank import ImportFailed, import_bank, version_record
from exam_engine.services.errors import ValidationFailed
from question_bank import LoadedBank, load_bank
from tests.support import count
from tests.support.properties import examples

FORMATS = ("yaml", "csv", "gift", "qti")


@lru_cache(maxsize=1)
def bundled() -> LoadedBank:
    bank = load_bank()
    assert bank.ok
    return bank


def newest(session) -> dict[str, QuestionVersion]:
    versions: dict[str, QuestionVersion] = {}
    for key, version in session.execute(
        select(Question.key, QuestionVersion).join(QuestionVersion.question)
    ):
        if key not in versions or version.number > versions[key].number:
            versions[key] = version
    return versions


def fields(item: ItemRecord) -> tuple[object, ...]:
    """Every field a format carries (all four carry them all)."""
    return (
        item.key,
        item.domain,
        item.subdomain,
        item.difficulty,
        item.stem,
        item.options,
        item.answer,
        item.rationales,
        item.references,
        tuple(sorted(item.enemies)),
    )


def empty_the_bank(session) -> None:
    session.execute(delete(QuestionVersion))
    session.execute(delete(Question))
    session.execute(delete(ExamTemplate))
    session.execute(delete(AuditEvent))
    session.commit()


@pytest.fixture
def seeded(session):
    import_bank(session, bundled())
    return session


def csv_rows(*rows: dict[str, str]) -> bytes:
    base = {
        "key": "D1-A-101",
        "subdomain": "D1-A",
        "difficulty": "medium",
        "stem": "A firm adopts AI. Which step is BEST?",
        "option_a": "Option one",
        "option_b": "Option two",
        "option_c": "Option three",
        "option_d": "Option four",
        "answer": "B",
        "rationale_a": "Why one is weaker than two.",
        "rationale_b": "Why two is the BEST answer.",
        "rationale_c": "Why three is weaker than two.",
        "rationale_d": "Why four is weaker than two.",
        "references": "ISO/IEC 42001:2023, clause 6",
        "enemies": "",
    }
    lines = [",".join(csv_format.COLUMNS)]
    for changes in rows:
        values = {**base, **changes}
        lines.append(",".join(f'"{values.get(c, "")}"' for c in csv_format.COLUMNS))
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- round trips over the whole bundled bank --------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_the_whole_bank(seeded, fmt: str) -> None:
    session = seeded
    content, filename = interchange.export_bank(session, fmt)
    assert filename == f"aaism-bank{interchange.EXPORT_SUFFIXES[fmt]}"
    empty_the_bank(session)
    assert count(session, Question) == 0

    result = interchange.import_file(
        session, fmt, content, filename=filename, publish=True, author_id=None
    )
    assert result.warnings == []
    assert len(result.created) == len(bundled().items) == result.total
    assert result.status == "published"
    assert result.templates_changed > 0
    versions = newest(session)
    assert len(versions) == len(bundled().items)
    for original in bundled().items:
        version = versions[original.key]
        assert fields(version_record(original.key, version)) == fields(original), original.key
        assert version.content_hash == original.content_hash()
        assert version.status == "published"
        assert version.number == 1

    again = interchange.import_file(
        session, fmt, content, filename=filename, publish=True, author_id=None
    )
    assert again.created == []
    assert again.new_versions == []
    assert again.unchanged == result.total


def test_the_yaml_export_is_a_bank_directory_the_loader_reads(seeded, tmp_path: Path) -> None:
    content, _ = interchange.export_bank(seeded, "yaml")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(tmp_path)
    reloaded = load_bank(tmp_path)
    assert reloaded.problems == ()
    assert len(reloaded.items) == len(bundled().items)


def _file_keys(path: str) -> tuple[set[str], set[str]]:
    """The keys of one bundled file's items, and the enemies they name."""
    items = [item for item in bundled().items if item.source.file == path]
    return {item.key for item in items}, {e for item in items for e in item.enemies}


def test_a_single_yaml_file_imports(session) -> None:
    # A file whose enemies are all its own items stands alone.
    path = next(p for p in bundled().files if _file_keys(p)[1] <= _file_keys(p)[0])
    data = Path(path).read_bytes()
    result = interchange.import_file(
        session, "yaml", data, filename=Path(path).name, publish=False, author_id=None
    )
    assert result.created
    assert result.status == "draft"
    assert {v.status for v in newest(session).values()} == {"draft"}


def test_a_file_naming_enemies_in_other_files_is_refused_whole(session) -> None:
    path = next(p for p in bundled().files if not _file_keys(p)[1] <= _file_keys(p)[0])
    outside = sorted(_file_keys(path)[1] - _file_keys(path)[0])
    with pytest.raises(ImportFailed) as failed:
        interchange.import_file(
            session,
            "yaml",
            Path(path).read_bytes(),
            filename="one.yaml",
            publish=False,
            author_id=None,
        )
    assert f"enemy '{outside[0]}' is not a key in the bank" in str(failed.value)
    assert count(session, Question) == 0


# --- drafts, versions, publishing -----------------------------------------------------------


def test_imports_are_drafts_unless_published(session) -> None:
    result = interchange.import_file(
        session, "csv", csv_rows({}), filename="new.csv", publish=False, author_id=None
    )
    assert result.created == ["D1-A-101"]
    assert result.status == "draft"
    version = newest(session)["D1-A-101"]
    assert version.status == "draft"
    assert version.published_at is None


def test_publishing_an_unchanged_draft_publishes_it(session) -> None:
    interchange.import_file(
        session, "csv", csv_rows({}), filename="a.csv", publish=False, author_id=None
    )
    result = interchange.import_file(
        session, "csv", csv_rows({}), filename="a.csv", publish=True, author_id=None
    )
    assert result.published == ["D1-A-101"]
    assert result.unchanged == 0
    version = newest(session)["D1-A-101"]
    assert version.number == 1
    assert version.status == "published"
    assert version.published_at


def test_a_changed_item_becomes_a_new_version_and_retires_the_published_one(session) -> None:
    interchange.import_file(
        session, "csv", csv_rows({}), filename="a.csv", publish=True, author_id=None
    )
    changed = csv_rows({"stem": "A firm adopts AI. Which step is MOST important?"})
    drafted = interchange.import_file(
        session, "csv", changed, filename="b.csv", publish=False, author_id=None
    )
    assert drafted.new_versions == ["D1-A-101"]
    statuses = [v.status for v in session.scalars(select(QuestionVersion).order_by("number"))]
    assert statuses == ["published", "draft"]  # the live version stays until a publish

    newer = csv_rows({"stem": "A firm adopts AI. Which step comes FIRST?"})
    interchange.import_file(session, "csv", newer, filename="c.csv", publish=True, author_id=None)
    versions = list(session.scalars(select(QuestionVersion).order_by("number")))
    assert [v.status for v in versions] == ["retired", "draft", "published"]
    assert versions[0].retired_at is not None
    assert session.scalar(select(func.count()).where(QuestionVersion.status == "published")) == 1


def test_the_author_is_recorded(session) -> None:
    from tests.factories import UserFactory

    author = UserFactory(role="instructor")
    interchange.import_file(
        session, "csv", csv_rows({}), filename="a.csv", publish=False, author_id=author.id
    )
    assert newest(session)["D1-A-101"].author_id == author.id


# --- all or nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "data", "expected"),
    [
        (
            "csv",
            csv_rows({}, {"key": "D1-A-102", "difficulty": "extreme"}),
            "bad.csv:3: item D1-A-102: difficulty 'extreme' must be one of easy, medium, hard",
        ),
        (
            "gift",
            b"::D1-A-101::Which is BEST?{=a#w ~b#x ~c#y ~d#z####Difficulty: easy\\n"
            b"References:\\n- R}\n\n::D1-A-102::Broken {=a ~b\n",
            "bad.gift:3: question ::D1-A-102::: unbalanced braces",
        ),
        ("qti", b"<qti-assessment-item><oops></qti-assessment-item>", "bad.qti:1: XML syntax"),
        (
            "qti",
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"\n<qti-assessment-item>&e;</qti-assessment-item>",
            "bad.qti:2: refused: the XML declares a DTD or entities",
        ),
        ("yaml", b"subdomain: D1-A\nitems:\n  - key: D1-A-101\n    stem: [\n", "bad.yaml:5: YAML"),
    ],
)
def test_a_bad_file_imports_nothing(seeded, fmt: str, data: bytes, expected: str) -> None:
    session = seeded
    before = count(session, QuestionVersion), count(session, AuditEvent)
    with pytest.raises(ImportFailed) as caught:
        interchange.import_file(
            session, fmt, data, filename=f"bad.{fmt}", publish=True, author_id=None
        )
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.status == 400
    assert (count(session, QuestionVersion), count(session, AuditEvent)) == before


def test_a_file_with_nothing_importable_is_refused_with_its_warnings(session) -> None:
    with pytest.raises(ImportFailed) as caught:
        interchange.import_file(
            session,
            "gift",
            b"::TF::Is it?{TRUE}\n",
            filename="tf.gift",
            publish=False,
            author_id=None,
        )
    assert caught.value.problems == ("tf.gift:1: no items to import (1 skipped: see the warnings)",)
    assert "true/false" in caught.value.warnings[0]
    assert count(session, Question) == 0


def test_skipped_questions_are_warnings_and_the_rest_imports(session) -> None:
    text = (
        b"::TF::Is it?{TRUE}\n\n"
        b"::D1-A-101::Which is BEST?{=a#w ~b#x ~c#y ~d#z####Difficulty: easy\\n"
        b"References:\\n- R}\n"
    )
    result = interchange.import_file(
        session, "gift", text, filename="mix.gift", publish=False, author_id=None
    )
    assert result.created == ["D1-A-101"]
    assert result.warnings[0].startswith("mix.gift:1: question ::TF:: skipped: a true/false")
    event = session.scalars(select(AuditEvent)).one()
    assert event.details["warnings"] == result.warnings


def test_enemies_may_name_questions_already_in_the_database(seeded) -> None:
    result = interchange.import_file(
        seeded,
        "csv",
        csv_rows({"enemies": "D1-A-001"}),
        filename="e.csv",
        publish=False,
        author_id=None,
    )
    assert result.created == ["D1-A-101"]
    assert newest(seeded)["D1-A-101"].enemies == ["D1-A-001"]


def test_a_too_large_upload_is_refused(session, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        ImportFailed, match="big.csv:1: the file is .* the import limit is 10 bytes"
    ):
        interchange.import_file(
            session,
            "csv",
            csv_rows({}),
            filename="big.csv",
            publish=False,
            author_id=None,
            limits=interchange.ImportLimits(max_bytes=10),
        )


def test_a_yaml_zip_ignores_a_different_blueprint_with_a_warning(seeded) -> None:
    content, _ = interchange.export_bank(seeded, "yaml")
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            files[name] = archive.read(name)
    files["blueprint.yaml"] = b"name: other\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    result = interchange.import_file(
        seeded, "yaml", buffer.getvalue(), filename="b.zip", publish=True, author_id=None
    )
    assert result.unchanged == len(bundled().items)
    assert result.warnings == [
        "b.zip/blueprint.yaml:1: not read: imports use the installed blueprint (sub-domains "
        "and templates)"
    ]


def test_unknown_formats_and_statuses_are_refused(session) -> None:
    with pytest.raises(ValidationFailed, match="unknown format 'docx': choose one of yaml, csv"):
        interchange.import_file(session, "docx", b"", filename="x", publish=False, author_id=None)
    with pytest.raises(ValidationFailed, match="unknown format"):
        interchange.export_bank(session, "pdf")
    with pytest.raises(ValidationFailed, match="unknown status 'live'"):
        interchange.export_bank(session, "csv", statuses=("live",))


gift_piece = st.sampled_from(
    [
        "::D1-A-1",
        "01::",
        "{",
        "}",
        "=a#why a",
        " ~b#why b",
        " ~c#why c",
        " ~d#why d",
        "####Difficulty: easy\\nReferences:\\n- R",
        "\n\n",
        "\\",
        "$CATEGORY: D1-A\n",
        "Which is BEST?",
        "%50%",
    ]
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(gift_piece, max_size=30).map("".join))
def test_fuzzed_gift_imports_either_succeed_or_fail_cleanly(session, text: str) -> None:
    try:
        result = interchange.import_file(
            session, "gift", text.encode(), filename="f.gift", publish=False, author_id=None
        )
    except ImportFailed as error:
        assert error.problems
        assert all(p.startswith("f.gift:") for p in error.problems)
    else:
        assert result.total >= 1


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.lists(st.sampled_from(["D1-A-101", "B", "easy", "x", "R", ""]), max_size=16)))
def test_fuzzed_csv_imports_either_succeed_or_fail_cleanly(session, rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_format.COLUMNS)
    writer.writerows(rows)
    try:
        interchange.import_file(
            session,
            "csv",
            buffer.getvalue().encode(),
            filename="f.csv",
            publish=True,
            author_id=None,
        )
    except ImportFailed as error:
        assert error.problems
        assert all(p.startswith("f.csv:") for p in error.problems)


# --- export choices and auditing -----------------------------------------------------------


def test_export_takes_each_questions_newest_version_with_the_statuses(session) -> None:
    interchange.import_file(
        session, "csv", csv_rows({}), filename="a.csv", publish=True, author_id=None
    )
    interchange.import_file(
        session,
        "csv",
        csv_rows({"key": "D1-A-102"}),
        filename="b.csv",
        publish=False,
        author_id=None,
    )
    edited = csv_rows({"stem": "A firm adopts AI. Which step comes FIRST?"})
    interchange.import_file(session, "csv", edited, filename="c.csv", publish=False, author_id=None)

    published = interchange.export(session, "csv")
    assert published.items == 1
    assert published.media_type.startswith("text/csv")
    assert b"Which step is BEST?" in published.content
    assert b"D1-A-102" not in published.content

    drafts = interchange.export(session, "csv", statuses=("draft",))
    assert drafts.items == 2
    assert b"Which step comes FIRST?" in drafts.content

    both = interchange.export_records(session, ("published", "draft"))
    assert [(r.key, "FIRST" in r.stem) for r in both] == [("D1-A-101", True), ("D1-A-102", False)]


def test_imports_and_exports_are_audited(session) -> None:
    from tests.factories import UserFactory

    admin = UserFactory(role="admin")
    interchange.import_file(
        session, "csv", csv_rows({}), filename="a.csv", publish=True, author_id=admin.id
    )
    interchange.export_bank(session, "gift", user_id=admin.id)
    imported, exported = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert (imported.action, imported.object_type, imported.object_id) == (
        "import",
        "bank",
        "aaism",
    )
    assert imported.actor_id == admin.id
    assert imported.details["format"] == "csv"
    assert imported.details["created"] == ["D1-A-101"]
    assert imported.details["status"] == "published"
    assert "a.csv" in imported.summary
    assert (exported.action, exported.object_type) == ("export", "bank")
    assert exported.details == {
        "format": "gift",
        "filename": "aaism-bank-gift.txt",
        "statuses": ["published"],
        "items": 1,
        "left_out": [],
    }


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("a.csv", None, "csv"),
        ("a.GIFT", None, "gift"),
        ("a.xml", None, "qti"),
        ("a.yml", None, "yaml"),
        ("a.txt", None, None),
        ("a.zip", b"not a zip", None),
    ],
)
def test_guess_format(name: str, data: bytes | None, fmt: str | None) -> None:
    assert interchange.guess_format(name, data) == fmt


def test_guess_format_looks_inside_zips(seeded) -> None:
    assert interchange.guess_format("x.zip", interchange.export_bank(seeded, "qti")[0]) == "qti"
    assert interchange.guess_format("x.zip", interchange.export_bank(seeded, "yaml")[0]) == "yaml"


# --- the CLI ----------------------------------------------------------------------------------


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["bank", *args])


def test_cli_import_of_the_bundled_bank_still_publishes_and_is_audited(app, session) -> None:
    result = invoke(app, "import")
    assert result.exit_code == 0, result.output
    assert f"imported {len(bundled().items)} items: {len(bundled().items)} new" in result.output
    assert {v.status for v in newest(session).values()} == {"published"}
    event = session.scalars(select(AuditEvent)).one()
    assert event.action == "import"
    assert event.details["format"] == "yaml"


def test_cli_yaml_import_can_be_drafts(app, session) -> None:
    assert invoke(app, "import", "--draft").exit_code == 0
    assert {v.status for v in newest(session).values()} == {"draft"}


@pytest.mark.parametrize("fmt", ["csv", "gift", "qti", "yaml"])
def test_cli_export_then_import_in_each_format(app, seeded, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"bank{interchange.EXPORT_SUFFIXES[fmt]}"
    exported = invoke(app, "export", "--format", fmt, str(out))
    assert exported.exit_code == 0, exported.output + exported.stderr
    assert f"exported {len(bundled().items)} items (published) as {fmt}" in exported.output
    empty_the_bank(seeded)
    imported = invoke(app, "import", "--format", fmt, str(out))
    assert imported.exit_code == 0, imported.output + imported.stderr
    expected_status = "published" if fmt == "yaml" else "draft"
    assert {v.status for v in newest(seeded).values()} == {expected_status}
    assert len(newest(seeded)) == len(bundled().items)


def test_cli_guesses_the_format_and_publish_overrides_drafts(app, session, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_bytes(csv_rows({}))
    result = invoke(app, "import", "--publish", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    assert "as published: 1 new" in result.output
    assert newest(session)["D1-A-101"].status == "published"


def test_cli_yaml_export_to_a_directory_validates(app, seeded, tmp_path: Path) -> None:
    out = tmp_path / "bank"
    assert invoke(app, "export", "--format", "yaml", str(out)).exit_code == 0
    assert (out / "blueprint.yaml").is_file()
    assert (out / "items" / "D2-B.yaml").is_file()
    validated = invoke(app, "validate", str(out))
    assert validated.exit_code == 0
    assert f"ok: {len(bundled().items)} items" in validated.output
    again = invoke(app, "export", "--format", "yaml", str(out))
    assert again.exit_code == 1
    assert "is not an empty directory" in again.stderr


def test_cli_export_to_stdout(app, seeded) -> None:
    result = invoke(app, "export", "--format", "gift", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("// AAISM exam engine question bank, GIFT format")
    assert "to standard output" in result.stderr


def test_cli_bad_file_exits_1_with_lines_and_writes_nothing(app, seeded, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_rows({}, {"key": "D1-A-102", "answer": "Z"}))
    before = count(seeded, QuestionVersion)
    result = invoke(app, "import", "--format", "csv", str(path))
    assert result.exit_code == 1
    assert "bad.csv:3: item D1-A-102: answer 'Z' must be one of the option letters" in result.stderr
    assert "nothing imported" in result.stderr
    assert count(seeded, QuestionVersion) == before


def test_cli_warnings_go_to_stderr(app, session, tmp_path: Path) -> None:
    path = tmp_path / "mix.gift"
    path.write_bytes(
        b"::TF::Is it?{TRUE}\n\n::D1-A-101::Which is BEST?{=a#w ~b#x ~c#y ~d#z"
        b"####Difficulty: easy\\nReferences:\\n- R}\n"
    )
    result = invoke(app, "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert "warning: " in result.stderr
    assert "::TF:: skipped" in result.stderr
    assert "as draft: 1 new" in result.output


def test_cli_needs_a_file_for_other_formats_and_a_format_to_export(app, session) -> None:
    assert invoke(app, "import", "--format", "csv").exit_code == 2
    missing = invoke(app, "import", "--format", "gift", "nowhere.gift")
    assert missing.exit_code == 1
    assert "nowhere.gift:1: no such file" in missing.stderr
    result = invoke(app, "export", "out.csv")
    assert result.exit_code == 2
    assert "--format is required" in result.stderr
