"""Packed response records: written at finalize, read by recompute, equal to the rows they pack."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import numpy as np
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import bindparam, func, inspect, select, text

from exam_engine.domain.item_analysis import (
    Thresholds,
    item_stats,
    item_summaries,
    score_entries,
)
from exam_engine.extensions import db
from exam_engine.models import (
    Attempt,
    AttemptItem,
    ItemStatistic,
    ResponseRecord,
    TemplateStatistic,
    utcnow,
)
from exam_engine.models.base import UTCDateTime
from exam_engine.services import attempts, response_records
from exam_engine.services import item_stats as service
from tests.factories import ExamTemplateFactory, QuestionVersionFactory, UserFactory
from tests.integration.test_item_stats import add_attempt
from tests.support import drop_pg_schema, make_app, pg_schema_url, seed_bank

T0 = utcnow().replace(microsecond=0) - timedelta(days=10)


def record_of(session, attempt_id):
    entries = session.scalar(
        select(ResponseRecord.entries).where(ResponseRecord.attempt_id == attempt_id)
    )
    if entries is None:
        return None
    return np.frombuffer(entries, dtype="<i4").reshape(-1, 3).tolist()


def rows_of(session, attempt_id):
    return [
        [position, version, -1 if choice is None else choice]
        for position, version, choice in session.execute(
            select(AttemptItem.position, AttemptItem.question_version_id, AttemptItem.choice)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        )
    ]


def take(session, user, template, *, kind=None, now=None, answers=3, submit=True):
    """Start an attempt through the service, answer some positions, and submit it."""
    now = now or utcnow()
    attempt = attempts.start_attempt(session, user.id, template, now=now, kind=kind)
    for position in range(1, answers + 1):
        attempts.save_response(
            session,
            user.id,
            attempt.id,
            position,
            choice="ABCD"[position % 4],
            flagged=False,
            seq=position,
            now=now,
            grace_seconds=30,
        )
    if submit:
        attempts.submit_attempt(session, user.id, attempt.id, now=now, grace_seconds=30)
    return attempt.id


# --- Written at finalize ---------------------------------------------------------------------


def test_finalize_stores_the_record_of_a_mock(session):
    seed_bank(session, per_subdomain=3)
    user = UserFactory()
    attempt_id = take(session, user, "quiz-20", answers=5)
    stored = record_of(session, attempt_id)
    assert stored == rows_of(session, attempt_id)
    assert len(stored) == 20
    assert [p for p, _, _ in stored] == list(range(1, 21))
    # Five answered (stored option indexes), fifteen left blank.
    assert sum(1 for *_, choice in stored if choice == -1) == 15
    assert all(0 <= choice < 4 for *_, choice in stored[:5])


def test_an_expired_mock_gets_its_record_when_swept(session):
    seed_bank(session, per_subdomain=3)
    user = UserFactory()
    start = utcnow() - timedelta(hours=3)
    attempt_id = take(session, user, "quiz-20", now=start, answers=2, submit=False)
    assert record_of(session, attempt_id) is None
    assert attempts.sweep_expired(session, now=utcnow(), grace_seconds=30) == [attempt_id]
    assert record_of(session, attempt_id) == rows_of(session, attempt_id)


@pytest.mark.parametrize("kind", ["drill", "review"])
def test_drills_and_reviews_get_no_record(session, kind):
    seed_bank(session, per_subdomain=6)
    user = UserFactory()
    attempt_id = take(session, user, "drill-d1", kind=kind, answers=2)
    assert session.get(Attempt, attempt_id).status == "submitted"
    assert record_of(session, attempt_id) is None


def test_record_responses_does_not_commit(session):
    version = QuestionVersionFactory()
    attempt = add_attempt(session, UserFactory(), ExamTemplateFactory(), [(version, 2)])
    service.record_responses(session, attempt.id)
    session.rollback()
    assert record_of(session, attempt.id) is None
    service.record_responses(session, attempt.id, kind="drill")
    session.commit()
    assert record_of(session, attempt.id) is None


def test_deleting_an_attempt_deletes_its_record(session):
    version = QuestionVersionFactory()
    attempt = add_attempt(session, UserFactory(), ExamTemplateFactory(), [(version, 1)])
    service.record_responses(session, attempt.id)
    session.commit()
    session.delete(attempt)
    session.commit()
    assert session.scalar(select(func.count()).select_from(ResponseRecord)) == 0


# --- Read by recompute -------------------------------------------------------------------------


@pytest.fixture
def cohort(session):
    """Finished mocks of two templates with retakes, plus attempts that never count."""
    alpha, beta = ExamTemplateFactory(name="alpha"), ExamTemplateFactory(name="beta")
    bank = [QuestionVersionFactory(answer_index=i % 4) for i in range(14)]
    rng = np.random.default_rng(21)
    users = [UserFactory() for _ in range(25)]
    made = []
    for n in range(70):
        user = users[int(rng.integers(0, len(users)))]
        form = rng.choice(len(bank), 6, replace=False)
        answers = [(bank[i], None if rng.random() < 0.1 else int(rng.integers(0, 4))) for i in form]
        kind = "drill" if n % 17 == 5 else "mock"
        status = "in_progress" if n % 23 == 7 else ("expired" if n % 9 == 0 else "submitted")
        made.append(
            add_attempt(
                session,
                user,
                alpha if n % 3 else beta,
                answers,
                minutes=int(rng.integers(0, 10_000)),
                kind=kind,
                status=status,
            )
        )
    return made


def stored(session):
    items = sorted(
        (
            r.question_version_id,
            r.template,
            r.responses,
            r.facility,
            r.discrimination,
            json.dumps(r.flags),
            json.dumps(r.values, sort_keys=True),
        )
        for r in session.execute(select(ItemStatistic.__table__))
    )
    templates = sorted(
        (r.template, r.attempts, json.dumps(r.values, sort_keys=True))
        for r in session.execute(select(TemplateStatistic.__table__))
    )
    return items, templates


def record_everything(session):
    """What finalize would have stored, for every finished mock."""
    finished = session.scalars(
        select(Attempt.id).where(Attempt.kind == "mock", Attempt.status != "in_progress")
    ).all()
    for attempt_id in finished:
        service.record_responses(session, attempt_id)
    session.commit()
    return finished


def test_records_and_rows_give_identical_statistics(session, cohort):
    # Without records every attempt is read from its rows (and gets its record).
    report = service.recompute(session, now=utcnow(), min_responses=3)
    from_rows = stored(session)
    finished = session.scalars(
        select(Attempt.id).where(Attempt.kind == "mock", Attempt.status != "in_progress")
    ).all()
    assert report.unrecorded == len(finished) > 0
    assert sorted(session.scalars(select(ResponseRecord.attempt_id))) == sorted(finished)
    for attempt_id in finished:
        assert record_of(session, attempt_id) == rows_of(session, attempt_id)
    # Now every attempt has its record: nothing is read from rows, the numbers are the same.
    report = service.recompute(session, now=utcnow() + timedelta(seconds=1), min_responses=3)
    assert report.unrecorded == 0
    assert stored(session) == from_rows
    # The reader before records (every attempt_items row) gives the same arrays.
    with_records = service.load_responses(session)
    without = service.load_responses(session, records=False)
    session.rollback()
    for name in ("attempt_ids", "attempt_user", "attempt_template", "version_ids", "keys"):
        assert getattr(with_records, name).tolist() == getattr(without, name).tolist(), name
    entries = [
        sorted(
            zip(
                *(
                    getattr(d, f).tolist()
                    for f in ("entry_attempt", "entry_position", "entry_item", "entry_choice")
                ),
                strict=True,
            )
        )
        for d in (with_records, without)
    ]
    assert entries[0] == entries[1]


def test_stored_statistics_equal_the_summaries_computed_from_the_rows(session, cohort):
    """An independent path: first exposures by dictionary, item_stats and item_summaries."""
    record_everything(session)
    service.recompute(session, now=utcnow(), min_responses=3)
    finished = session.execute(
        select(Attempt.id, Attempt.user_id, Attempt.template_id, Attempt.started_at)
        .where(Attempt.kind == "mock", Attempt.status != "in_progress")
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    row_of = {a.id: r for r, a in enumerate(finished)}
    items = session.execute(
        select(
            AttemptItem.attempt_id,
            AttemptItem.question_version_id,
            AttemptItem.choice,
        ).where(AttemptItem.attempt_id.in_(list(row_of)))
    ).all()
    versions = sorted({i.question_version_id for i in items})
    column = {v: c for c, v in enumerate(versions)}
    from exam_engine.models import QuestionVersion

    key_of = dict(session.execute(select(QuestionVersion.id, QuestionVersion.answer_index)).all())
    keys = np.array([key_of[v] for v in versions])
    attempt = np.array([row_of[i.attempt_id] for i in items])
    item = np.array([column[i.question_version_id] for i in items])
    choice = np.array([-1 if i.choice is None else i.choice for i in items])
    scored = score_entries(attempt, item, choice, keys, len(finished))
    earliest: dict[tuple[int, int], int] = {}
    for index, (a, i) in enumerate(zip(attempt.tolist(), item.tolist(), strict=True)):
        key = (finished[a].user_id, i)
        if key not in earliest or a < attempt[earliest[key]]:
            earliest[key] = index
    first = np.zeros(attempt.size, dtype=bool)
    first[list(earliest.values())] = True
    template_of = np.array([finished[a].template_id for a in attempt.tolist()])
    names = dict(session.execute(text("SELECT id, name FROM exam_templates")).all())
    scopes = {"": first}
    for template_id in set(template_of.tolist()):
        scopes[names[template_id]] = first & (template_of == template_id)
    expected = []
    thresholds = Thresholds(min_responses=3)
    for name, mask in scopes.items():
        mask = mask & (scored.rest_rank >= 0)
        stats = item_stats(item[mask], choice[mask], scored.rest[mask], keys)
        for summary in item_summaries(stats, thresholds):
            expected.append(
                (
                    versions[summary.index],
                    name,
                    summary.responses,
                    summary.facility,
                    summary.discrimination,
                    json.dumps(list(summary.flags)),
                    json.dumps(summary.values, sort_keys=True),
                )
            )
    assert stored(session)[0] == sorted(expected)


def test_attempts_without_a_usable_record_are_read_from_their_rows(session, cohort):
    finished = record_everything(session)
    service.recompute(session, now=utcnow(), min_responses=3)
    expected = stored(session)
    # One record gone, one cut short, one naming a version that does not exist, one with a
    # choice out of range: each of these attempts is read from its rows instead.
    broken = finished[:4]
    session.execute(ResponseRecord.__table__.delete().where(ResponseRecord.attempt_id == broken[0]))
    good = {a: session.get(ResponseRecord, a).entries for a in broken[1:]}
    session.get(ResponseRecord, broken[1]).entries = good[broken[1]][:-4]
    wrong_version = np.frombuffer(good[broken[2]], dtype="<i4").copy()
    wrong_version[1] = 10**9
    session.get(ResponseRecord, broken[2]).entries = wrong_version.tobytes()
    wrong_choice = np.frombuffer(good[broken[3]], dtype="<i4").copy()
    wrong_choice[2] = 7
    session.get(ResponseRecord, broken[3]).entries = wrong_choice.tobytes()
    session.commit()
    report = service.recompute(session, now=utcnow() + timedelta(seconds=1), min_responses=3)
    assert report.unrecorded == 4
    assert stored(session) == expected
    # ... and each got its record back from its rows.
    for attempt_id in broken:
        assert record_of(session, attempt_id) == rows_of(session, attempt_id)


def test_many_attempts_without_records_are_read_in_one_scan(session, cohort, monkeypatch):
    record_everything(session)
    service.recompute(session, now=utcnow(), min_responses=3)
    expected = stored(session)
    session.execute(ResponseRecord.__table__.delete())
    session.commit()
    monkeypatch.setattr(service.fast_io, "_BY_ID_LIMIT", 2)
    report = service.recompute(session, now=utcnow() + timedelta(seconds=1), min_responses=3)
    assert report.unrecorded > 2
    assert stored(session) == expected


def test_an_attempt_without_items_gets_an_empty_record(session):
    template = ExamTemplateFactory()
    empty = add_attempt(session, UserFactory(), template, [])
    add_attempt(session, UserFactory(), template, [(QuestionVersionFactory(), 0)])
    report = service.recompute(session, now=utcnow())
    assert report.attempts == 2
    assert report.unrecorded == 2
    assert session.get(ResponseRecord, empty.id).entries == b""
    assert service.recompute(session, now=utcnow() + timedelta(seconds=1)).unrecorded == 0


def test_pack_and_decode_round_trip():
    rows = [(3, 11, None), (1, 7, 2), (2, 9, 0)]
    packed = response_records.pack(rows)
    assert np.frombuffer(packed, "<i4").tolist() == [1, 7, 2, 2, 9, 0, 3, 11, -1]
    known = np.zeros(12, dtype=bool)
    known[[7, 9, 11]] = True
    decoded = response_records.decode([packed, None, packed[:5], b""], known)
    assert decoded.row.tolist() == [0, 0, 0]
    assert decoded.version.tolist() == [7, 9, 11]
    assert decoded.choice.tolist() == [2, 0, -1]
    assert decoded.unread.tolist() == [1, 2]
    many = response_records.pack_entries([5, 4, 5], [2, 1, 1], [9, 8, 7], [0, -1, 3])
    assert many == {
        4: response_records.pack([(1, 8, None)]),
        5: response_records.pack([(1, 7, 3), (2, 9, 0)]),
    }


# --- The migration's backfill ------------------------------------------------------------------


@pytest.fixture
def fresh_url(tmp_path, worker_id):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path / "backfill.sqlite3")
        return
    schema = f"ee_backfill_{worker_id}_{os.getpid()}"
    yield pg_schema_url(base, schema)
    drop_pg_schema(base, schema)


def test_migration_0003_backfills_finished_mocks(tmp_path, fresh_url):
    app = make_app(fresh_url, str(tmp_path / "instance"))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0002")
        assert "response_records" not in inspect(db.engine).get_table_names()
        connection = db.session.connection()

        def run(sql: str, **params) -> None:
            # Times typed as the models type them, so SQLite stores them as the ORM would.
            times = [bindparam(k, type_=UTCDateTime()) for k in params if k.endswith("_at")]
            connection.execute(text(sql).bindparams(*times), params)

        run(
            "INSERT INTO users (id, email, name, password_hash, role, time_multiplier,"
            " is_active, created_at) VALUES (1, 'a@example.com', '', 'x', 'candidate', 1.0,"
            " :yes, :created_at)",
            yes=True,
            created_at=T0,
        )
        run(
            "INSERT INTO exam_templates (id, name, title, description, blueprint, item_count,"
            " minutes, mode, domain_weights, subdomains, difficulty_mix, is_active, created_at)"
            " VALUES (1, 't', 'T', '', 'aaism', 3, 10, 'exam', '{}', '[]', '{}', :yes,"
            " :created_at)",
            yes=True,
            created_at=T0,
        )
        for v in range(1, 4):
            run(
                "INSERT INTO questions (id, key, created_at) VALUES (:v, :key, :created_at)",
                v=v,
                key=f"D1-A-{v:03d}",
                created_at=T0,
            )
            run(
                "INSERT INTO question_versions (id, question_id, number, status, domain,"
                " subdomain, difficulty, stem, options, rationales, answer_index,"
                ' "references", enemies, content_hash, review_note, created_at)'
                " VALUES (:v, :v, 1, 'published', 'D1', 'D1-A', 'easy', 'Stem', '[]', '[]',"
                " 0, '[]', '[]', :hash, '', :created_at)",
                v=v,
                hash=f"h{v}",
                created_at=T0,
            )
        made = {
            1: ("mock", "submitted"),
            2: ("mock", "expired"),
            3: ("drill", "submitted"),
            4: ("mock", "in_progress"),
            5: ("mock", "submitted"),  # no items at all
        }
        for attempt_id, (kind, status) in made.items():
            run(
                "INSERT INTO attempts (id, user_id, template_id, seed, mode, kind, status,"
                " started_at, deadline_at, submitted_at) VALUES (:id, 1, 1, 0, 'exam', :kind,"
                " :status, :started_at, :deadline_at, :submitted_at)",
                id=attempt_id,
                kind=kind,
                status=status,
                started_at=T0 + timedelta(minutes=attempt_id),
                deadline_at=T0 + timedelta(hours=1),
                submitted_at=None if status == "in_progress" else T0 + timedelta(minutes=30),
            )
            if attempt_id == 5:
                continue
            for position, (version, choice) in enumerate(
                [(3, None), (1, attempt_id % 4), (2, 1)], start=1
            ):
                run(
                    "INSERT INTO attempt_items (attempt_id, position, question_id,"
                    " question_version_id, option_order, choice, flagged, last_seq)"
                    " VALUES (:a, :p, :v, :v, '[0, 1, 2, 3]', :c, :no, 0)",
                    a=attempt_id,
                    p=position,
                    v=version,
                    c=choice,
                    no=False,
                )
        db.session.commit()
        upgrade(directory=directory)
        # Later migrations rebuild tables on SQLite (batch mode): no row may be lost, and the
        # pooled connection must enforce foreign keys again afterwards.
        assert db.session.execute(text("SELECT count(*) FROM attempts")).scalar() == 5
        assert db.session.execute(text("SELECT count(*) FROM attempt_items")).scalar() == 12
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        records = {
            attempt_id: np.frombuffer(entries, "<i4").reshape(-1, 3).tolist()
            for attempt_id, entries in db.session.execute(
                text("SELECT attempt_id, entries FROM response_records")
            )
        }
        assert set(records) == {1, 2, 5}
        assert records[1] == [[1, 3, -1], [2, 1, 1], [3, 2, 1]]
        assert records[2] == [[1, 3, -1], [2, 1, 2], [3, 2, 1]]
        assert records[5] == []
        # A recompute after the migration reads every attempt from its record.
        report = service.recompute(db.session, now=utcnow(), min_responses=1)
        assert report.attempts == 3
        assert report.unrecorded == 0
        assert report.responses == 3
        downgrade(directory=directory, revision="0002")
        assert "response_records" not in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
