"""Candidate forms (they work without JavaScript)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class StartForm(FlaskForm):
    """Start a mock from a template."""

    template = StringField(validators=[DataRequired(), Length(max=80)])


class AnswerForm(FlaskForm):
    """Save the answer of one position and move on."""

    choice = RadioField(choices=[], validators=[Optional()], validate_choice=True)
    flagged = BooleanField("Flag for review")
    go = HiddenField(default="next")


class SubmitForm(FlaskForm):
    """Final submit with an explicit confirmation."""

    confirm = BooleanField(
        "I have reviewed my answers and want to submit this exam now.",
        validators=[InputRequired(message="Tick the box to confirm that you want to submit.")],
    )
