"""Account mail views: verify an address, resend the link, reset a forgotten password."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from exam_engine.extensions import current_session, limiter
from exam_engine.services import email_verification, password_reset
from exam_engine.services.account_links import LinkRefused, Links
from exam_engine.services.accounts import normalize_email
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.mail import Delivery
from exam_engine.web.auth import bp
from exam_engine.web.auth.mail_forms import ResetPasswordForm, ResetRequestForm
from exam_engine.web.security import ALWAYS_REACHABLE, login_required, wants_json

# The pages mail links to, by the names the services use.
PAGES = {
    "verify": "auth.verify_email",
    "reset": "auth.reset_password",
    "register": "auth.register",
}

# What a signed-in user whose address is not yet verified may still reach.
ALLOWED_BEFORE_VERIFICATION = ALWAYS_REACHABLE | {
    "auth.verify_pending",
    "auth.resend_verification",
    "auth.verify_email",
    "auth.reset_request",
    "auth.reset_password",
}


def account_links() -> Links:
    """Links for this request: the app's secret, the time now, pages on the configured site."""
    config = current_app.config
    base = (config.get("BASE_URL") or "").rstrip("/")

    def page(name: str, token: str | None) -> str:
        values: dict[str, Any] = {"token": token} if token else {}
        if base:
            # Never from the request's Host header, which whoever sends the request chooses.
            return base + url_for(PAGES[name], **values)
        return url_for(PAGES[name], _external=True, **values)

    return Links(
        secret=config["SECRET_KEY"],
        now=time.time(),
        page=page,
        verify_hours=int(config["VERIFY_LINK_HOURS"]),
        reset_minutes=int(config["RESET_LINK_MINUTES"]),
    )


def address_key() -> str:
    """Throttle key for mail to one address: the same for known and unknown addresses."""
    try:
        address = normalize_email(request.form.get("email") or "")
    except ValidationFailed:
        address = "invalid"
    return f"account-mail:{request.endpoint}:{address}"


def _account_key() -> str:
    user_id = current_user.id if current_user.is_authenticated else "anonymous"
    return f"account-mail:resend:{user_id}"


def mail_sent(response: Any) -> bool:
    """Count a request against the per-address limit only when it sent a mail."""
    return bool(response.status_code == 200)


def per_client_limit() -> str:
    """Requests that send mail, per client address."""
    return str(current_app.config["ACCOUNT_MAIL_CLIENT_LIMIT"])


def per_address_limit() -> str:
    """Mails to one address (or one account)."""
    return str(current_app.config["ACCOUNT_MAIL_LIMIT"])


TOO_MANY_MAILS = "Too many mails asked for this address. Wait an hour and try again."
TOO_MANY_REQUESTS = "Too many requests from your network. Wait an hour and try again."


def throttled_mail(view: Callable[..., Any]) -> Callable[..., Any]:
    """Throttle a form that mails someone: posts per client, and mails per address."""
    per_address = limiter.limit(
        per_address_limit,
        methods=["POST"],
        key_func=address_key,
        deduct_when=mail_sent,
        error_message=TOO_MANY_MAILS,
    )
    per_client = limiter.limit(per_client_limit, methods=["POST"], error_message=TOO_MANY_REQUESTS)
    return per_client(per_address(view))


def check_mail_page(purpose: str, email: str, delivery: Delivery) -> Any:
    """The one answer to a request that mailed someone, whatever the mail said."""
    return render_template("auth/check_mail.html", purpose=purpose, email=email, delivery=delivery)


@bp.before_app_request
def _verification_first() -> Any:
    """Keep a signed-in user whose address is unverified on the page that asks for it."""
    if request.endpoint in ALLOWED_BEFORE_VERIFICATION or request.endpoint is None:
        return None
    if not current_user.is_authenticated or current_user.email_verified:
        return None
    if wants_json():
        message = "verify your email address first: follow the link mailed to you"
        return jsonify(error=message, status=403), 403
    return redirect(url_for("auth.verify_pending"))


@bp.get("/account/verify")
@login_required
def verify_pending() -> Any:
    """Ask an unverified user to follow the mailed link, with a button to send it again."""
    if current_user.email_verified:
        return redirect(url_for("main.index"))
    return render_template("auth/verify_pending.html")


@bp.post("/account/verify/resend")
@limiter.limit(per_address_limit, key_func=_account_key, error_message=TOO_MANY_MAILS)
@login_required
def resend_verification() -> Any:
    """Mail a fresh verification link to the signed-in user."""
    delivery = email_verification.resend(current_session(), account_links(), current_user.id)
    return check_mail_page("verify", current_user.email, delivery)


@bp.get("/account/verify/<token>")
def verify_email(token: str) -> Any:
    """Follow a verification link: the address is proven and the link used up."""
    user = email_verification.verify(current_session(), account_links(), token)
    flash("Your email address is verified.", "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("main.index"))
    return redirect(url_for("auth.login"))


@bp.route("/account/reset", methods=["GET", "POST"])
@throttled_mail
def reset_request() -> Any:
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            delivery = password_reset.request_reset(
                current_session(), account_links(), form.email.data or ""
            )
        except ValidationFailed as error:
            form.email.errors.append(str(error).partition(": ")[2] or str(error))
        else:
            return check_mail_page("reset", form.email.data or "", delivery)
        return render_template("auth/reset_request.html", form=form), 400
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    """Set a new password through a mailed link; every session of the account ends."""
    links = account_links()
    user = password_reset.check_link(current_session(), links, token)
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            password_reset.reset_password(
                current_session(), links, token, form.new_password.data or ""
            )
        except LinkRefused:
            raise
        except ValidationFailed as error:
            # The password rules' message ("password: ...") goes under the field.
            form.new_password.errors.append(str(error).partition(": ")[2] or str(error))
            status = error.status
        else:
            # Whoever is signed in here (perhaps an old session of this account) is signed out.
            logout_user()
            session.clear()
            flash("Your password is changed and every session signed out. Sign in.", "success")
            return redirect(url_for("auth.login"), 303)
    elif form.is_submitted():
        status = 400
    return render_template("auth/reset_password.html", form=form, user=user), status
