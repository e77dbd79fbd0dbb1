"""Cohort test data beyond the factories."""

from __future__ import annotations


def student_of(cohort, **kwargs):
    """A new candidate (``kwargs`` for the user) enrolled as a student of ``cohort``."""
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(**kwargs)
    MembershipFactory(cohort=cohort, user=user, role="student")
    return user
