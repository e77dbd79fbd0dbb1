"""Account views."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from exam_engine.extensions import current_session, limiter
from exam_engine.services import accounts, email_verification
from exam_engine.services.errors import ServiceError
from exam_engine.web.auth import bp
from exam_engine.web.auth.account_mail import account_links, check_mail_page, throttled_mail
from exam_engine.web.auth.forms import ChangePasswordForm, LoginForm, RegisterForm
from exam_engine.web.security import login_required


def _safe_next(target: str | None) -> str:
    """Follow ``next`` only to a path on this site (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("main.index")


def _login_account_key() -> str:
    """Throttle key for one account name; the same for existing and unknown emails."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()


LOCKOUT_MESSAGE = (
    "Too many failed sign-in attempts for this email. Wait 15 minutes and try again, "
    "or ask an administrator to help."
)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    error_message="Too many sign-in attempts from your network. Wait a minute and try again.",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LOCKOUT_LIMIT"],
    methods=["POST"],
    key_func=_login_account_key,
    deduct_when=lambda response: response.status_code == 401,
    error_message=LOCKOUT_MESSAGE,
)
def login() -> Any:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                current_session(), form.email.data or "", form.password.data or ""
            )
        except ServiceError as error:
            form.password.errors.append(str(error))
            status = error.status
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


def _show_on_field(form: Any, error: ServiceError, default: Any) -> int:
    """Put a service error ("field: message") under its form field; return its status."""
    field, _, message = str(error).partition(": ")
    getattr(form, field, default).errors.append(message or str(error))
    return error.status


@bp.route("/register", methods=["GET", "POST"])
@throttled_mail
def register() -> Any:
    """Create an unverified candidate account and mail the link that verifies it.

    A taken address gets the same page and status (its owner is mailed instead), so this
    page never tells whether an address has an account.
    """
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            delivery = email_verification.register(
                current_session(),
                account_links(),
                form.email.data or "",
                form.password.data or "",
                form.name.data or "",
            )
        except ServiceError as error:
            status = _show_on_field(form, error, form.email)
        else:
            return check_mail_page("register", form.email.data or "", delivery)
    elif form.is_submitted():
        status = 400
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Sign out (POST with CSRF, so a link on another site cannot sign you out)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _password_change_key() -> str:
    """Throttle key for wrong current passwords: one bucket per signed-in account."""
    user_id = current_user.id if current_user.is_authenticated else "anonymous"
    return f"password-change:{user_id}"


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LOCKOUT_LIMIT"],
    methods=["POST"],
    key_func=_password_change_key,
    deduct_when=lambda response: response.status_code == 401,
    error_message="Too many wrong current passwords. Wait 15 minutes and try again.",
)
@login_required
def change_password() -> Any:
    """Change the signed-in user's password; other sessions of the account end."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                current_session(),
                current_user.id,
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except ServiceError as error:
            status = _show_on_field(form, error, form.new_password)
        else:
            # A fresh cookie under the new password's session id: copies of the old one
            # (other browsers, a stolen cookie) no longer load the user.
            logout_user()
            session.clear()
            login_user(user, fresh=True)
            flash("Password changed. Your other sessions are signed out.", "success")
            return redirect(url_for("candidate.dashboard"), 303)
    elif form.is_submitted():
        status = 400
    return render_template("auth/password.html", form=form), status
