"""Test data beyond the factories: a seeded bank, templates and finished attempts."""

from __future__ import annotations


def seed_bank(session, per_subdomain: int = 10, *, status: str = "published") -> list:
    """Create ``per_subdomain`` versions in every bundled sub-domain plus the bundled templates."""
    import hashlib

    from exam_engine.models import Question, QuestionVersion
    from exam_engine.services.catalog import bundled_blueprint, sync_templates

    blueprint = bundled_blueprint()
    versions = []
    difficulties = ("easy", "medium", "hard")
    for domain in blueprint.domains:
        for sub in domain.subdomains:
            for n in range(1, per_subdomain + 1):
                key = f"{sub.code}-{n:03d}"
                stem = f"Synthetic scenario {key}. Which action is BEST?"
                version = QuestionVersion(
                    question=Question(key=key),
                    number=1,
                    status=status,
                    domain=domain.code,
                    subdomain=sub.code,
                    difficulty=difficulties[n % 3],
                    stem=stem,
                    options=[f"{key} option {c}" for c in "ABCD"],
                    rationales=[f"{key} rationale {c}" for c in "ABCD"],
                    answer_index=n % 4,
                    references=["NIST AI RMF 1.0, GOVERN function"],
                    enemies=[],
                    content_hash=hashlib.sha256(stem.encode()).hexdigest(),
                )
                session.add(version)
                versions.append(version)
    sync_templates(session, blueprint)
    session.commit()
    return versions


def add_template(session, name: str, *, item_count: int, minutes: int, mode: str = "exam"):
    """Add a template row (e.g. a short timed one for expiry tests)."""
    from exam_engine.models import ExamTemplate

    template = ExamTemplate(
        name=name,
        title=name.replace("-", " ").title(),
        blueprint="aaism",
        item_count=item_count,
        minutes=minutes,
        mode=mode,
    )
    session.add(template)
    session.commit()
    return template


def stored_attempt(
    session, user, template, answers, *, started, seed=0, kind="mock", status="submitted"
):
    """Store an attempt of ``template`` that showed ``answers``: [(version, stored choice)].

    Timed for an hour from ``started``; a finished one was submitted after 30 minutes.
    """
    from datetime import timedelta

    from exam_engine.models import Attempt, AttemptItem

    attempt = Attempt(
        user_id=user.id,
        template_id=template.id,
        seed=seed,
        mode="exam",
        kind=kind,
        status=status,
        started_at=started,
        deadline_at=started + timedelta(minutes=60),
        submitted_at=None if status == "in_progress" else started + timedelta(minutes=30),
    )
    attempt.items = [
        AttemptItem(
            position=position,
            question_id=version.question_id,
            question_version_id=version.id,
            option_order=[0, 1, 2, 3],
            choice=choice,
        )
        for position, (version, choice) in enumerate(answers, start=1)
    ]
    session.add(attempt)
    session.commit()
    return attempt
