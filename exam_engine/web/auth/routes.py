"""Account views."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from exam_engine.extensions import current_session, limiter
from exam_engine.services import accounts, email_verification
from exam_engine.services.errors import ServiceError
from exam_engine.web.auth import bp
from exam_engine.web.auth.account_mail import account_links, check_mail_page, throttled_mail
from exam_engine.web.auth.forms import ChangePasswordForm, LoginForm, RegisterForm
from exam_engine.web.input_guard import is_safe_next
from exam_engine.web.security import login_required
from exam_engine.web.sign_in import (
    note_failure,
    note_success,
    seconds_to_wait,
    sign_in,
    sign_out,
    too_many_failures,
)


def _safe_next(target: str | None) -> str:
    """Follow ``next`` only to a path on this site (no open redirect, no header injection)."""
    return target if target and is_safe_next(target) else url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    error_message="Too many sign-in attempts from your network. Wait a minute and try again.",
)
def login() -> Any:
    """Sign in with email and password; failures slow further tries (web/sign_in.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data or ""
        wait = seconds_to_wait(email)
        if wait:
            return too_many_failures(form, wait)
        try:
            user = accounts.authenticate(current_session(), email, form.password.data or "")
        except ServiceError as error:
            form.password.errors.append(str(error))
            status = error.status
            note_failure(email)
        else:
            note_success(email)
            sign_in(user)
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
    """Sign out (POST with CSRF, so a link on another site cannot sign you out).

    The server-side session is deleted: a copy of the cookie no longer signs anyone in.
    """
    sign_out()
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
            # The change ended every session of the account, this one too: a new session
            # (new key, new cookie) keeps this browser signed in and nothing else.
            session.clear()
            sign_in(user)
            flash("Password changed. Your other sessions are signed out.", "success")
            return redirect(url_for("candidate.dashboard"), 303)
    elif form.is_submitted():
        status = 400
    return render_template("auth/password.html", form=form), status
