"""SQLAlchemy models on one DeclarativeBase."""

from exam_engine.models.base import Base, utcnow
from exam_engine.models.cohort import Assignment, Cohort, Membership
from exam_engine.models.exam import Attempt, AttemptItem, ExamTemplate, Response
from exam_engine.models.question import PublishedVersionImmutable, Question, QuestionVersion
from exam_engine.models.user import ROLES, User

__all__ = [
    "ROLES",
    "Assignment",
    "Attempt",
    "AttemptItem",
    "Base",
    "Cohort",
    "ExamTemplate",
    "Membership",
    "PublishedVersionImmutable",
    "Question",
    "QuestionVersion",
    "Response",
    "User",
    "utcnow",
]
