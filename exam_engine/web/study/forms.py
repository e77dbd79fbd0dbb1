"""Study forms (they work without JavaScript)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class DrillForm(FlaskForm):
    """Start a weak-area drill, optionally limited to some sub-domains."""

    subdomains = SelectMultipleField(
        "Only these sub-domains (optional)",
        choices=[],
        validate_choice=True,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class ReviewForm(FlaskForm):
    """Start or resume a review session (the CSRF token is the only field)."""
