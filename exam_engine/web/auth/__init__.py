"""Sign in, register, sign out, verify an address, reset a password."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from exam_engine.web.auth import account, account_mail, routes  # noqa: E402,F401  (registers the views)
