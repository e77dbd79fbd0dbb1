"""Fixtures of the cohort tests: an instructor and the cohort they teach."""

from __future__ import annotations

import pytest

from exam_engine.services import cohorts
from tests.factories import UserFactory


@pytest.fixture
def instructor(session):
    return UserFactory(role="instructor", email="teach@example.com")


@pytest.fixture
def cohort(session, instructor):
    return cohorts.create_cohort(session, "Spring bootcamp", instructor.id)
