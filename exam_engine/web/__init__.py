"""Web layer: blueprints, forms, templates; views parse, call a service, render."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every blueprint and the error handlers."""
    from exam_engine.web import assets, errors, health, input_guard, main, security, uploads, zones
    from exam_engine.web.admin import bp as admin_bp

    uploads.install(app)
    # Before any rule is added: rules bind their converters when they are added.
    input_guard.install_converter(app)
    from exam_engine.web import jobs_pages, observability

    # First: every response, refusals by later hooks too, carries its request id and latency.
    observability.register(app)
    from exam_engine.web.api import bp as api_bp
    from exam_engine.web.auth import bp as auth_bp
    from exam_engine.web.authoring import bp as authoring_bp
    from exam_engine.web.candidate import bp as candidate_bp
    from exam_engine.web.cohorts import bp as cohorts_bp
    from exam_engine.web.my_data import bp as my_data_bp
    from exam_engine.web.stats import bp as stats_bp
    from exam_engine.web.study import bp as study_bp

    app.register_blueprint(health.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(candidate_bp)
    app.register_blueprint(study_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(my_data_bp)
    assets.register(app)
    errors.register(app)
    security.register(app)
    app.register_blueprint(jobs_pages.bp)
    input_guard.register(app)

    from exam_engine.web import charts, formatting
    from exam_engine.web.text import render_inline, render_markdown

    app.jinja_env.globals["charts"] = charts
    app.jinja_env.filters.update(formatting.FILTERS)
    zones.register(app)
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(render_inline, "markdown_inline")
