"""SQLAlchemy models on one DeclarativeBase."""

from exam_engine.models.audit import AuditEvent
from exam_engine.models.base import Base, utcnow
from exam_engine.models.calibration import CalibrationRun, ItemCalibration
from exam_engine.models.cohort import (
    Assignment,
    Cohort,
    CohortInvitation,
    Membership,
    PreparedForm,
)
from exam_engine.models.exam import Attempt, AttemptItem, ExamTemplate, Response
from exam_engine.models.job import Job
from exam_engine.models.login_session import LoginSession
from exam_engine.models.question import (
    BankRevision,
    PublishedVersionImmutable,
    Question,
    QuestionVersion,
)
from exam_engine.models.stats import ItemStatistic, ResponseRecord, TemplateStatistic
from exam_engine.models.study import ReviewCard, ReviewLog
from exam_engine.models.user import ROLES, User

__all__ = [
    "ROLES",
    "Assignment",
    "AuditEvent",
    "BankRevision",
    "Attempt",
    "AttemptItem",
    "Base",
    "CalibrationRun",
    "Cohort",
    "CohortInvitation",
    "ExamTemplate",
    "ItemCalibration",
    "ItemStatistic",
    "Job",
    "LoginSession",
    "Membership",
    "PreparedForm",
    "PublishedVersionImmutable",
    "Question",
    "QuestionVersion",
    "Response",
    "ResponseRecord",
    "ReviewCard",
    "ReviewLog",
    "TemplateStatistic",
    "User",
    "utcnow",
]
