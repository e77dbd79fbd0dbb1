"""Forms of the account mail pages: ask for a reset link, choose a new password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from exam_engine.web.auth.forms import ChangePasswordForm


class ResetRequestForm(FlaskForm):
    """The address to mail a reset link to."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(ChangePasswordForm):
    """A new password typed twice: the change form without the current password."""

    # Following the mailed link stands in for knowing the current password.
    current_password = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # The change form's hint mentions the current password, which this form does not ask.
        self.new_password.description = self.new_password.description.split(",")[0] + "."
