"""Unbound extension instances, bound to the app in ``create_app``."""

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from exam_engine.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory, or Redis shared by every worker).
limiter = Limiter(key_func=get_remote_address)
# Brotli or gzip for pages, stylesheets, scripts and JSON (settings in config.py).
compress = Compress()


def current_session() -> Session:
    """The request's SQLAlchemy session, as a plain Session for the services."""
    return db.session()
