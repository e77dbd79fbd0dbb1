"""The authoring workflow as a state machine: every move, and every refusal."""

from __future__ import annotations

import itertools

import pytest

from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.domain.workflow import (
    TRANSITIONS,
    Step,
    TransitionRefused,
    advance,
    edit_makes_new_version,
    label,
    status_after_edit,
)

DRAFT, IN_REVIEW, PUBLISHED, RETIRED = (
    VersionStatus.DRAFT,
    VersionStatus.IN_REVIEW,
    VersionStatus.PUBLISHED,
    VersionStatus.RETIRED,
)
ALLOWED = {
    (DRAFT, Step.SUBMIT): IN_REVIEW,
    (IN_REVIEW, Step.PUBLISH): PUBLISHED,
    (IN_REVIEW, Step.RETURN): DRAFT,
    (PUBLISHED, Step.RETIRE): RETIRED,
}


@pytest.mark.parametrize(("status", "step"), list(itertools.product(VersionStatus, Step)))
def test_each_status_allows_exactly_its_steps(status: VersionStatus, step: Step) -> None:
    if (status, step) in ALLOWED:
        assert advance(status, step) == ALLOWED[(status, step)]
    else:
        with pytest.raises(TransitionRefused) as refused:
            advance(status, step)
        assert refused.value.status == status
        assert refused.value.step == step
        assert str(refused.value) == f"{label(status)}; {TRANSITIONS[step].refusal}"


def test_refusals_read_as_people_speak() -> None:
    with pytest.raises(TransitionRefused, match="^in review; only a draft can be sent to review$"):
        advance("in_review", Step.SUBMIT)
    with pytest.raises(
        TransitionRefused, match="^draft; only a version in review can be published$"
    ):
        advance("draft", Step.PUBLISH)


def test_plain_strings_from_the_database_advance_like_enum_members() -> None:
    assert advance("draft", Step.SUBMIT) == "in_review"


@pytest.mark.parametrize(
    ("status", "new_version"),
    [(DRAFT, False), (IN_REVIEW, False), (PUBLISHED, True), (RETIRED, True)],
)
def test_edits_freeze_published_and_retired_versions(status: str, new_version: bool) -> None:
    assert edit_makes_new_version(status) is new_version
    assert status_after_edit(status) == DRAFT


def test_an_unknown_status_is_a_bug_not_a_draft() -> None:
    with pytest.raises(ValueError, match="archived"):
        status_after_edit("archived")
