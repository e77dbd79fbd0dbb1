"""Admin forms (they work without JavaScript)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import Length, NumberRange, Optional

from exam_engine.domain.vocabulary import Role, values
from exam_engine.services.admin_accounts import QUERY_MAX
from exam_engine.web.cohorts.forms import MultiplierForm


class SearchForm(FlaskForm):
    """The account search (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Search by email or name", validators=[Optional(), Length(max=QUERY_MAX)])
    page = IntegerField(
        "Page", default=1, validators=[Optional(), NumberRange(min=1, message="From 1 up.")]
    )


class ReturnForm(FlaskForm):
    """A button that changes an account; the hidden fields bring the admin back to their list."""

    q = HiddenField(validators=[Optional(), Length(max=QUERY_MAX)])
    page = HiddenField(validators=[Optional(), Length(max=9)])


class RoleForm(ReturnForm):
    """An account's new role."""

    role = SelectField(
        "Role", choices=[SelectChoice(r, r) for r in values(Role)], validate_choice=True
    )


class AccountMultiplierForm(MultiplierForm, ReturnForm):
    """An account's own time multiplier (unassigned mocks), with the same bounds as a cohort's."""
