"""Item analysis views: the item table, one item's option analysis, and "Recompute now"."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from exam_engine.domain.item_analysis import FLAG_LABELS, FLAG_RULES, OPTION_LABELS, describe_flag
from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services import calibration, item_stats, jobs
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.jobs import names
from exam_engine.web.security import role_required
from exam_engine.web.stats import bp
from exam_engine.web.stats.forms import (
    FLAG_FILTER_LABELS,
    SORT_LABELS,
    FilterForm,
    RecomputeForm,
)

instructor_only = role_required(Role.INSTRUCTOR)
# Table badges; the item page and the badges' titles give the full wording.
SHORT_FLAG_LABELS = {
    "too-few-responses": "Too few responses",
    "low-discrimination": "Low discrimination",
    "distractor-beats-key": "Possible miskey",
    "non-functioning-distractor": "Weak distractor",
    "too-easy": "Ceiling effect",
    "too-hard": "Floor effect",
}
# Longest a scope name may be in a query string (template names are String(80)).
MAX_TEMPLATE = 80


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "flag_labels": FLAG_LABELS,
        "flag_rules": FLAG_RULES,
        "short_flag_labels": SHORT_FLAG_LABELS,
        "option_labels": OPTION_LABELS,
    }


def _edit_path(key: str) -> str:
    """The authoring editor's address for a question (a plain path: it may not exist yet)."""
    return f"{request.script_root}/authoring/questions/{quote(key, safe='')}/edit"


def _scope_arg() -> str:
    """The ``template`` query argument; an overlong one is a 400 naming the argument."""
    template = request.args.get("template", "")
    if len(template) > MAX_TEMPLATE:
        abort(400, f"template: at most {MAX_TEMPLATE} characters")
    return template


@bp.get("/")
@instructor_only
def index() -> Any:
    """Items of one scope with their statistics: filter, sort, page; never recomputes."""
    session = current_session()
    scopes = item_stats.list_scopes(session)
    form = FilterForm(formdata=request.args)
    form.template.choices = [SelectChoice(name, title) for name, title in scopes]
    form.subdomain.choices = [SelectChoice("", "Any")] + [
        SelectChoice(sub.code, f"{sub.code} · {sub.title}")
        for domain in bundled_blueprint().domains
        for sub in domain.subdomains
    ]
    status = 200
    if request.args and not form.validate():
        status = 400
        # A bad filter is shown with its error and ignored rather than guessed at.
        for name in form.errors:
            getattr(form, name).data = getattr(form, name).default
    template = form.template.data or ""
    sort = form.sort.data or "flags"
    order = form.order.data or ""
    page = item_stats.list_items(
        session,
        template,
        sort=sort,
        descending=None if not order else order == "desc",
        flag=form.flag.data or "",
        subdomain=form.subdomain.data or "",
        search=form.q.data or "",
        page=form.page.data or 1,
    )
    scope = item_stats.scope_status(session, template)
    args = {
        "template": template,
        "flag": form.flag.data or "",
        "subdomain": form.subdomain.data or "",
        "q": form.q.data or "",
        "sort": sort,
        "order": order,
    }

    def page_url(**changes: Any) -> str:
        merged = {**args, **changes}
        return url_for("stats.index", **{k: v for k, v in merged.items() if v not in ("", None)})

    descending = order == "desc" if order else sort == "flags"
    return (
        render_template(
            "stats/index.html",
            form=form,
            recompute_form=RecomputeForm(template=template),
            recompute_job=jobs.latest_job(session, names.RECOMPUTE),
            scope=scope,
            page=page,
            sort=sort,
            descending=descending,
            sort_labels=SORT_LABELS,
            flag_filter_labels=FLAG_FILTER_LABELS,
            page_url=page_url,
            item_url=lambda row: url_for(
                "stats.item", version_id=row.version_id, template=template or None
            ),
        ),
        status,
    )


@bp.get("/items/<int:version_id>")
@instructor_only
def item(version_id: int) -> Any:
    """One item version: its flags, option table, other scopes and other versions."""
    template = _scope_arg()
    session = current_session()
    detail = item_stats.item_detail(session, version_id, template)
    scope = item_stats.scope_status(session, template)
    messages = []
    if detail.stat is not None:
        stat = detail.stat
        messages = [
            (
                code,
                describe_flag(
                    code,
                    responses=stat.responses,
                    facility=stat.facility,
                    discrimination=stat.discrimination,
                    values=stat.values,
                ),
            )
            for code in stat.flags
        ]
    return render_template(
        "stats/item.html",
        detail=detail,
        scope=scope,
        template=template,
        messages=messages,
        edit_path=_edit_path(detail.key),
        recompute_form=RecomputeForm(template=template),
        recompute_job=jobs.latest_job(session, names.RECOMPUTE),
        parameters=calibration.item_parameters(
            session,
            version_id,
            min_responses=item_stats.min_responses_setting(current_app.config),
        ),
    )


@bp.post("/recompute")
@instructor_only
def recompute() -> Any:
    """Recompute every statistic now (the same as ``flask bank item-stats --recompute``)."""
    form = RecomputeForm()
    if not form.validate():
        abort(400, "template: " + " ".join(form.template.errors or ["invalid"]))
    template = form.template.data or ""
    session = current_session()
    # An unknown scope is a 404 before any work is done.
    item_stats.scope_status(session, template)
    job_id = jobs.enqueue(session, names.RECOMPUTE, user_id=current_user.id)
    assert job_id is not None
    job = jobs.job_view(session, job_id)
    result = job.result or {}
    if job.status == "failed":
        flash(f"Recompute failed: {job.error}", "error")
    elif job.status != "done":
        flash(f"Recompute {job.summary}: the line under the button follows it.", "info")
    elif result.get("skipped"):
        flash("A newer recompute had already stored its numbers; nothing was changed.", "info")
    else:
        flash(
            f"Recomputed: {result['rows']:,} item rows from {result['attempts']:,} finished mock "
            f"attempts ({result['responses']:,} first-attempt responses) in "
            f"{result['seconds']:.1f} s.",
            "success",
        )
    return redirect(url_for("stats.index", template=template or None), 303)
