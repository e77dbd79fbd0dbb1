"""factory-boy factories for every model (committed, so other connections see them)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    Cohort,
    ExamTemplate,
    Membership,
    Question,
    QuestionVersion,
    Response,
    User,
    utcnow,
)
from exam_engine.services.passwords import hash_password

DEFAULT_PASSWORD = "password-123456"


_session: Session | None = None


def bind_session(session: Session | None) -> None:
    """Point every factory at the current test's session."""
    global _session
    _session = session


def _current_session() -> Session:
    if _session is None:
        raise RuntimeError("factories need the `session` fixture")
    return _session


class BaseFactory(SQLAlchemyModelFactory):
    """Commit through the current test's session."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = _current_session
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = "candidate"
    password_hash = factory.LazyFunction(lambda: hash_password(DEFAULT_PASSWORD))
    time_multiplier = 1.0


class CohortFactory(BaseFactory):
    class Meta:
        model = Cohort

    name = factory.Sequence(lambda n: f"Cohort {n}")


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)
    role = "student"


class ExamTemplateFactory(BaseFactory):
    class Meta:
        model = ExamTemplate

    name = factory.Sequence(lambda n: f"template-{n}")
    title = factory.Sequence(lambda n: f"Template {n}")
    blueprint = "aaism"
    item_count = 4
    minutes = 10
    mode = "exam"


class AssignmentFactory(BaseFactory):
    class Meta:
        model = Assignment

    cohort_id = factory.LazyFunction(lambda: CohortFactory().id)
    template_id = factory.LazyFunction(lambda: ExamTemplateFactory().id)
    opens_at = factory.LazyFunction(utcnow)
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + timedelta(days=7))


class QuestionFactory(BaseFactory):
    class Meta:
        model = Question

    key = factory.Sequence(lambda n: f"D1-A-{n + 1:03d}")


class QuestionVersionFactory(BaseFactory):
    class Meta:
        model = QuestionVersion

    question = factory.SubFactory(QuestionFactory)
    number = 1
    status = "published"
    domain = "D1"
    subdomain = "D1-A"
    difficulty = "medium"
    stem = factory.Sequence(lambda n: f"Scenario {n}. Which action is BEST?")
    options = factory.LazyFunction(lambda: ["Option A", "Option B", "Option C", "Option D"])
    rationales = factory.LazyFunction(
        lambda: ["Why A is best.", "Why B is weaker.", "Why C is weaker.", "Why D is weaker."]
    )
    answer_index = 0
    references = factory.LazyFunction(lambda: ["NIST AI RMF 1.0, GOVERN function"])
    enemies = factory.LazyFunction(list)
    content_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.stem.encode()).hexdigest())


class AttemptFactory(BaseFactory):
    class Meta:
        model = Attempt

    user = factory.SubFactory(UserFactory)
    template = factory.SubFactory(ExamTemplateFactory)
    seed = factory.Sequence(lambda n: n)
    mode = "exam"
    kind = "mock"
    status = "in_progress"
    started_at = factory.LazyFunction(utcnow)
    deadline_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=10))


class AttemptItemFactory(BaseFactory):
    class Meta:
        model = AttemptItem

    attempt = factory.SubFactory(AttemptFactory)
    position = factory.Sequence(lambda n: n + 1)
    version = factory.SubFactory(QuestionVersionFactory)
    question_id = factory.LazyAttribute(lambda o: o.version.question_id)
    option_order = factory.LazyFunction(lambda: [2, 0, 3, 1])


class ResponseFactory(BaseFactory):
    class Meta:
        model = Response

    attempt_item_id = factory.LazyFunction(lambda: AttemptItemFactory().id)
    seq = factory.Sequence(lambda n: n + 1)
    choice = 1
    flagged = False
