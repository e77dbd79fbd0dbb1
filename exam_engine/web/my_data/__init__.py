"""My data: download everything stored about me, or delete my account."""

from flask import Blueprint

bp = Blueprint("my_data", __name__, url_prefix="/account")

from exam_engine.web.my_data import routes  # noqa: E402,F401  (registers the views)
