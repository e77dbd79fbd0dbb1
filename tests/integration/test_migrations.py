"""Models and migrations agree, and the migrations go down and up again cleanly."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from exam_engine.extensions import db
from exam_engine.models import Base
from tests.support import drop_pg_schema, make_app, pg_schema_url


@pytest.fixture
def fresh_url(tmp_path, worker_id: str):
    """An empty database: a new SQLite file or a new PostgreSQL schema (dropped after)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3")
        return
    schema = f"ee_migrations_{worker_id}_{os.getpid()}"
    yield pg_schema_url(base, schema)
    drop_pg_schema(base, schema)


def test_upgrade_downgrade_upgrade_and_models_agree(tmp_path, fresh_url) -> None:
    app = make_app(fresh_url, str(tmp_path / "instance"))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory)
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        upgrade(directory=directory)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def test_constraint_names_follow_the_convention(app) -> None:
    with app.app_context():
        inspector = inspect(db.engine)
        uniques = {u["name"] for u in inspector.get_unique_constraints("attempt_items")}
        assert "uq_attempt_items_attempt_id_position" in uniques
        fks = {fk["name"] for fk in inspector.get_foreign_keys("attempt_items")}
        assert "fk_attempt_items_attempt_id_attempts" in fks


def test_accounts_that_exist_before_verification_are_marked_verified(tmp_path, fresh_url) -> None:
    from sqlalchemy import text

    app = make_app(fresh_url, str(tmp_path / "instance"))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0006")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, role, time_multiplier, "
                    "is_active, must_change_password, created_at) VALUES ('old@example.com', "
                    "'', 'x', 'candidate', 1.0, true, false, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            verified = connection.execute(
                text("SELECT email_verified FROM users WHERE email = 'old@example.com'")
            ).scalar_one()
        assert verified in (True, 1)
        db.engine.dispose()


BEFORE = "0006"


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_multipliers_move_to_student_enrolments_and_back(tmp_path, fresh_url) -> None:
    """Instructor-set account multipliers move to the student enrolments, and back down."""
    app = make_app(fresh_url, str(tmp_path / "instance"))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, role, time_multiplier, "
                    "is_active, created_at, must_change_password) VALUES "
                    "(1, 'teach@example.com', '', 'x', 'instructor', 1.0, true, "
                    "CURRENT_TIMESTAMP, false), "
                    "(2, 'stu@example.com', '', 'x', 'candidate', 2.5, true, "
                    "CURRENT_TIMESTAMP, false), "
                    "(3, 'solo@example.com', '', 'x', 'candidate', 1.5, true, "
                    "CURRENT_TIMESTAMP, false)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO cohorts (id, name, created_at) VALUES (1, 'C', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO memberships (id, cohort_id, user_id, role, joined_at) VALUES "
                    "(1, 1, 1, 'instructor', CURRENT_TIMESTAMP), "
                    "(2, 1, 2, 'student', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(directory=directory)
        assert _rows("SELECT id, time_multiplier FROM memberships ORDER BY id") == [
            (1, 1.0),
            (2, 2.5),
        ]
        # Every account goes back to 1.0: the account's multiplier is an admin's from now on.
        assert _rows("SELECT id, time_multiplier FROM users ORDER BY id") == [
            (1, 1.0),
            (2, 1.0),
            (3, 1.0),
        ]
        downgrade(directory=directory, revision=BEFORE)
        assert _rows("SELECT id, time_multiplier FROM users ORDER BY id") == [
            (1, 1.0),
            (2, 2.5),
            (3, 1.0),
        ]
        db.engine.dispose()
