"""The vocabulary enums: stored text, JSON and SQL checks all read the same values."""

from __future__ import annotations

import json

from exam_engine.domain.vocabulary import (
    FINISHED,
    AttemptStatus,
    CohortRole,
    Role,
    VersionStatus,
    sql_in,
    values,
)


def test_members_are_their_stored_text() -> None:
    assert AttemptStatus.IN_PROGRESS == "in_progress"
    assert f"{Role.ADMIN}" == "admin"
    assert json.dumps({"status": VersionStatus.IN_REVIEW}) == '{"status": "in_review"}'
    assert FINISHED == ("submitted", "expired")


def test_values_and_sql_checks_keep_the_declared_order() -> None:
    assert values(CohortRole) == ("instructor", "student")
    assert sql_in("status", VersionStatus) == (
        "status IN ('draft', 'in_review', 'published', 'retired')"
    )
    assert sql_in("status", FINISHED) == "status IN ('submitted', 'expired')"
