"""Cohort forms (they work without JavaScript)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exam_engine.services.cohorts import JOIN_DAYS_DEFAULT, JOIN_DAYS_MAX, NAME_MAX
from exam_engine.web.fields import TextArea


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CohortForm(FlaskForm):
    """A new cohort."""

    name = StringField(
        "Cohort name",
        validators=[DataRequired(message="Give the cohort a name."), Length(max=NAME_MAX)],
        description="For example: Spring 2026 bootcamp, evening group.",
    )


class JoinCodeForm(FlaskForm):
    """A fresh join code and how long it lasts."""

    days = IntegerField(
        "Valid for (days)",
        default=JOIN_DAYS_DEFAULT,
        validators=[
            InputRequired(message="Say how many days the code should work."),
            NumberRange(min=1, max=JOIN_DAYS_MAX, message=f"Between 1 and {JOIN_DAYS_MAX} days."),
        ],
    )


class JoinForm(FlaskForm):
    """A student's join code."""

    code = StringField(
        "Join code",
        validators=[DataRequired(message="Enter the join code."), Length(max=40)],
        description="The code your instructor gave you, for example K7QM-2XWP-9A.",
    )


class RosterForm(FlaskForm):
    """A roster as a CSV file or pasted lines."""

    file = FileField(
        "Roster file (CSV)",
        description="One student a line: email,name. A header line email,name is optional.",
    )
    text = TextArea(
        "Or paste the lines",
        validators=[Optional(), Length(max=200_000)],
        render_kw={"rows": 5, "spellcheck": "false"},
    )


class MultiplierForm(FlaskForm):
    """A student's time accommodation."""

    multiplier = DecimalField(
        "Time multiplier",
        places=2,
        validators=[
            InputRequired(message="Enter a multiplier."),
            NumberRange(min=1, max=4, message="Between 1.0 and 4.0."),
        ],
        render_kw={"step": "0.25", "min": "1", "max": "4", "inputmode": "decimal"},
    )


class AssignmentForm(FlaskForm):
    """A mock for the cohort and its window, in the instructor's zone (labels say which)."""

    template = SelectField("Mock to assign", choices=[], validate_choice=True)
    opens_at = DateTimeLocalField(
        "Opens (UTC)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message="Give the opening date and time.")],
    )
    closes_at = DateTimeLocalField(
        "Closes (UTC)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message="Give the closing date and time.")],
    )
