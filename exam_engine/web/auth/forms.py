"""Account forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from exam_engine.services.accounts import MIN_PASSWORD


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class RegisterForm(FlaskForm):
    """A new candidate account."""

    name = StringField("Name", validators=[Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=1024)],
        description=(
            f"At least {MIN_PASSWORD} characters and hard to guess (not your email or name)."
        ),
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="Passwords do not match.")],
    )


class ChangePasswordForm(FlaskForm):
    """The current password and a new one, typed twice."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1024)]
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, message=f"Must be at least {MIN_PASSWORD} characters."),
            Length(max=1024),
        ],
        description=(
            f"At least {MIN_PASSWORD} characters, hard to guess, different from your current one."
        ),
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[
            DataRequired(),
            EqualTo("new_password", message="Passwords do not match."),
        ],
    )
