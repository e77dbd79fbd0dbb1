"""The authoring workflow as a state machine: draft -> in_review -> published -> retired.

A draft is edited in place, and editing a version in review withdraws it to draft; editing a
published or retired version makes a new draft version (the published one stays live until
the new one is published). Publishing retires the question's other published version; that
and who may publish are the service's business, this module only says which moves exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from exam_engine.domain.errors import DomainError
from exam_engine.domain.vocabulary import VersionStatus

DRAFT, IN_REVIEW, PUBLISHED, RETIRED = (
    VersionStatus.DRAFT,
    VersionStatus.IN_REVIEW,
    VersionStatus.PUBLISHED,
    VersionStatus.RETIRED,
)


class Step(StrEnum):
    """A workflow step an author or reviewer takes on a version."""

    SUBMIT = "submit"
    PUBLISH = "publish"
    RETURN = "return"
    RETIRE = "retire"


@dataclass(frozen=True)
class Transition:
    """A move from one status to another, and what to tell someone who tries it elsewhere."""

    source: VersionStatus
    target: VersionStatus
    refusal: str


TRANSITIONS: dict[Step, Transition] = {
    Step.SUBMIT: Transition(DRAFT, IN_REVIEW, "only a draft can be sent to review"),
    Step.PUBLISH: Transition(IN_REVIEW, PUBLISHED, "only a version in review can be published"),
    Step.RETURN: Transition(IN_REVIEW, DRAFT, "only a version in review can be sent back"),
    Step.RETIRE: Transition(PUBLISHED, RETIRED, "only a published version can be retired"),
}


class TransitionRefused(DomainError):
    """A step that the version's status does not allow."""

    def __init__(self, status: str, step: Step) -> None:
        self.status = status
        self.step = step
        self.reason = TRANSITIONS[step].refusal
        super().__init__(f"{label(status)}; {self.reason}")


def label(status: str) -> str:
    """A status as people read it: ``in review``."""
    return status.replace("_", " ")


def advance(status: str, step: Step) -> VersionStatus:
    """The status after ``step``, or TransitionRefused when ``status`` does not allow it."""
    transition = TRANSITIONS[step]
    if status != transition.source:
        raise TransitionRefused(status, step)
    return transition.target


def edit_makes_new_version(status: str) -> bool:
    """True when an edit must go into a new draft version (published and retired are frozen)."""
    return status in (PUBLISHED, RETIRED)


def status_after_edit(status: str) -> VersionStatus:
    """An edited version's status: always a draft (an edit in review withdraws it)."""
    VersionStatus(status)  # an unknown status is a bug, not a draft
    return DRAFT
