"""Simulated first-exposure mocks from a known Rasch model, for calibration tests."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select

from exam_engine.domain.irt import probability
from exam_engine.models import utcnow
from tests.factories import UserFactory
from tests.support.bank import stored_attempt

T0 = utcnow().replace(microsecond=0) - timedelta(days=30)
PERSONS = 40


def simulate(session, bank, *, persons=PERSONS, seed=3, kind="mock"):
    """Finished attempts of ``persons`` users answering 60 bank items by a known Rasch model."""
    from exam_engine.models import ExamTemplate

    template = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "aaism-full"))
    rng = np.random.default_rng(seed)
    true_b = {v.id: rng.normal(0, 1.2) for v in bank}
    made = []
    for n in range(persons):
        user = UserFactory()
        theta = rng.normal(0, 1)
        shown = [bank[i] for i in rng.choice(len(bank), min(60, len(bank)), replace=False)]
        answers = []
        for version in shown:
            right = rng.random() < probability(theta, 1.0, true_b[version.id])
            answers.append(
                (version, version.answer_index if right else (version.answer_index + 1) % 4)
            )
        made.append(
            stored_attempt(
                session,
                user,
                template,
                answers,
                started=T0 + timedelta(minutes=n),
                seed=n,
                kind=kind,
            )
        )
    return true_b, made
