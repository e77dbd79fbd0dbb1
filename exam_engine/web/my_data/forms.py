"""The account-deletion form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired


class DeleteAccountForm(FlaskForm):
    """Deleting an account: the password, and a box ticked on purpose."""

    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Enter your password to confirm.")],
    )
    confirm = BooleanField(
        "I understand that my account, my attempts and my study history are deleted for good",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
