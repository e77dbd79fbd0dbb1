"""Helpers shared by the tests (fixtures live in the conftest files, helpers here)."""

from tests.support.app import (
    TEST_SECRET,
    Client,
    csrf_from_html,
    is_postgres,
    make_app,
    make_queued_app,
    scoped_to_test,
    worker_burst,
)
from tests.support.bank import add_template, seed_bank, stored_attempt
from tests.support.cohort import student_of
from tests.support.database import count, drop_pg_schema, pg_schema_url
from tests.support.properties import UNDER_MUTATION, examples

__all__ = [
    "TEST_SECRET",
    "UNDER_MUTATION",
    "Client",
    "add_template",
    "count",
    "csrf_from_html",
    "drop_pg_schema",
    "examples",
    "is_postgres",
    "make_app",
    "make_queued_app",
    "pg_schema_url",
    "scoped_to_test",
    "seed_bank",
    "student_of",
    "stored_attempt",
    "worker_burst",
]
