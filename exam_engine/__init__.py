"""AAISM practice-exam engine: the Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers, commands."""
    instance_path = os.environ.get("EXAM_ENGINE_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from exam_engine.config import configure

    configure(app, config)
    from exam_engine.logs import configure_logging

    configure_logging(app)
    register_extensions(app)
    register_web(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension instances to this app."""
    from exam_engine.extensions import compress, csrf, db, limiter, login_manager, migrate
    from exam_engine.services import passwords
    from exam_engine.services.mail import mail

    passwords.use_profile(app.config["PASSWORD_HASH_PROFILE"])
    mail.init_app(app)
    from exam_engine.services import jobs

    jobs.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    from exam_engine.web.security import SecureWhenHttpsSessionInterface

    app.session_interface = SecureWhenHttpsSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    from exam_engine.web import sign_in

    # Sessions live on the server (database or Redis); the cookie holds only their key.
    sign_in.init_app(app)

    with app.app_context():
        from exam_engine.models.base import enable_sqlite_pragmas

        enable_sqlite_pragmas(db.engine)


def register_web(app: Flask) -> None:
    """Register blueprints, error handlers and template helpers."""
    from exam_engine.web import register

    register(app)


def register_commands(app: Flask) -> None:
    """Register the ``flask`` commands."""
    from exam_engine.cli import register

    register(app)
