"""Question authoring views: bank browser, editor, review workflow, history and diffs."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from exam_engine.domain.bank import OPTION_LABELS
from exam_engine.domain.drafts import DRAFT_LABELS, option_labels
from exam_engine.domain.lint import Finding
from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services import authoring
from exam_engine.services.authoring import BrowseQuery, ItemCheck, ItemInput, ItemInvalid
from exam_engine.services.authoring.completeness import version_checklist
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import Conflict, ServiceError
from exam_engine.web.authoring import bp
from exam_engine.web.authoring.forms import (
    LINT_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    ActionForm,
    BrowseForm,
    QuestionForm,
    ReturnForm,
)
from exam_engine.web.clock import now
from exam_engine.web.security import role_required

instructor_only = role_required(Role.INSTRUCTOR)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "status_label": lambda s: STATUS_LABELS.get(s, s),
        "option_labels": OPTION_LABELS,
        "field_of": authoring.field_of,
        "field_label": _field_label,
    }


def _field_label(name: str) -> str:
    head, _, label = name.partition(".")
    names = {
        "key": "Key",
        "subdomain": "Sub-domain",
        "difficulty": "Difficulty",
        "stem": "Stem",
        "options": "Option",
        "rationale": "Rationale",
        "answer": "Key (correct option)",
        "references": "References",
        "enemies": "Enemies",
    }
    text = names.get(head, "Item")
    return f"{text} {label}" if label else text


def _subdomain_choices() -> list[SelectChoice]:
    """Sub-domains grouped by domain."""
    blueprint = bundled_blueprint()
    return [
        SelectChoice(sub.code, f"{sub.code} · {sub.title}", optgroup=f"{d.code} · {d.title}")
        for d in blueprint.domains
        for sub in d.subdomains
    ]


# --- bank browser ----------------------------------------------------------------------------


@bp.get("/")
@instructor_only
def index() -> Any:
    """The bank browser: search, filter, sort and page the newest version of each question."""
    blueprint = bundled_blueprint()
    form = BrowseForm(formdata=request.args)
    form.domain.choices = [("", "Any")] + [
        (d.code, f"{d.code} · {d.title}") for d in blueprint.domains
    ]
    form.subdomain.choices = [("", "Any")] + _subdomain_choices()
    status = 200
    if request.args and not form.validate():
        status = 400
        # A bad filter is shown with its error and ignored rather than guessed at.
        for name in form.errors:
            field = getattr(form, name)
            given = request.args.get(name, "")
            field.errors = [f"{given!r} is not one of the choices, so it was ignored."]
            field.data = field.default
    query = BrowseQuery(
        text=form.q.data or "",
        domain=form.domain.data or "",
        subdomain=form.subdomain.data or "",
        difficulty=form.difficulty.data or "",
        status=form.status.data or "",
        lint=form.lint.data or "",
        completeness=form.complete.data or "",
        sort=form.sort.data or "key",
        descending=form.dir.data == "desc",
        page=form.page.data or 1,
    )
    result = authoring.browse(current_session(), query)
    return (
        render_template(
            "authoring/index.html",
            form=form,
            query=query,
            result=result,
            sort_labels=SORT_LABELS,
            lint_labels=LINT_LABELS,
            page_url=_page_url,
            sort_url=_sort_url,
        ),
        status,
    )


def _args_with(**changes: Any) -> dict[str, Any]:
    args: MultiDict[str, str] = MultiDict(request.args)
    for name, value in changes.items():
        args.pop(name, None)
        if value not in (None, ""):
            args[name] = str(value)
    return {k: v for k, v in args.items() if v != ""}


def _page_url(page: int) -> str:
    return url_for("authoring.index", **_args_with(page=page))


def _sort_url(column: str, query: BrowseQuery) -> str:
    descending = not query.descending if query.sort == column else False
    return url_for(
        "authoring.index", **_args_with(sort=column, dir="desc" if descending else "asc", page=None)
    )


# --- editor ----------------------------------------------------------------------------------


def _preview(data: ItemInput) -> dict[str, Any]:
    """What the candidate preview shows: the stem and the options in stored order."""
    labels = option_labels(len(data.options))
    return {
        "stem": data.stem,
        "options": [
            {"id": label, "text": data.options[i] if i < len(data.options) else ""}
            for i, label in enumerate(labels)
        ],
        "answer": data.answer,
        "rationales": {
            label: data.rationales[i] if i < len(data.rationales) else ""
            for i, label in enumerate(labels)
        },
        "references": list(data.references),
    }


def _findings_by_field(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(authoring.field_of(finding), []).append(finding)
    return grouped


def _render_editor(
    form: QuestionForm,
    *,
    question: Any = None,
    check: ItemCheck | None = None,
    general: list[str] | None = None,
    preview: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    current = authoring.newest_of(question) if question is not None else None
    return (
        render_template(
            "authoring/editor.html",
            form=form,
            question=question,
            current=current,
            check=check,
            general=general or [],
            findings_by_field=_findings_by_field(check.findings) if check else {},
            preview=preview,
            missing=_missing(current),
        ),
        status,
    )


def _missing(version: Any) -> tuple[str, ...]:
    """A draft's checklist (other versions passed it to get where they are)."""
    if version is None or version.status != "draft":
        return ()
    return version_checklist(version)


@bp.route("/questions/new", methods=["GET", "POST"])
@instructor_only
def new() -> Any:
    """Write a new question; the key proposed is the next free one in the sub-domain."""
    session = current_session()
    form = QuestionForm()
    form.subdomain.choices = _subdomain_choices()
    codes = [choice.value for choice in _subdomain_choices()]
    if request.method == "GET":
        wanted = request.args.get("subdomain", "")
        form.subdomain.data = wanted if wanted in codes else codes[0]
        form.key.data = authoring.next_free_key(session, form.subdomain.data)
        return _render_editor(form)
    action = request.form.get("action", "save")
    if action == "propose":
        if form.subdomain.data in codes:
            form.key.data = authoring.next_free_key(session, form.subdomain.data or "")
        else:
            form.subdomain.errors = ["Choose a sub-domain from the list."]
        return _render_editor(form, preview=_preview(form.to_input()))
    if not form.validate():
        return _render_editor(form, preview=_preview(form.to_input()), status=400)
    data = form.to_input()
    if action == "preview":
        check = authoring.check_item(session, data)
        general = form.add_errors(check.problems)
        return _render_editor(form, check=check, general=general, preview=_preview(data))
    try:
        authoring.create_question(session, current_user.id, data, now=now())
    except ItemInvalid as error:
        general = form.add_errors(error.errors)
        return _render_editor(
            form,
            check=ItemCheck(None, error.errors, ()),
            general=general,
            preview=_preview(data),
            status=400,
        )
    except Conflict as error:
        return _render_editor(form, general=[str(error)], preview=_preview(data), status=409)
    flash(f"Saved {data.key.strip()} v1 as a draft.", "success")
    return redirect(url_for("authoring.question", key=data.key.strip()), 303)


@bp.route("/questions/<key>/edit", methods=["GET", "POST"])
@instructor_only
def edit(key: str) -> Any:
    """Edit a question's newest version (a published one gets a new draft version)."""
    session = current_session()
    question = authoring.get_question(session, key)
    current = authoring.newest_of(question)
    # A draft with more than four options shows them all, for the instructor to trim.
    form = QuestionForm.for_options(len(current.options))()
    form.subdomain.choices = _subdomain_choices()
    if not current.subdomain:
        form.subdomain.choices.insert(0, SelectChoice("", "Choose a sub-domain"))
    if request.method == "GET":
        stored = ItemInput.from_version(key, current)
        form.fill(stored)
        form.base.data = authoring.base_token(question)
        check = authoring.check_item(session, stored, editing=key)
        general = form.add_errors(check.problems)
        return _render_editor(
            form, question=question, check=check, general=general, preview=_preview(stored)
        )
    # The key and sub-domain identify the question: they come from it, not from the form;
    # only a draft still without a sub-domain takes one here (and is re-keyed on saving).
    form.key.data = key
    subdomain = current.subdomain or (form.subdomain.data or "")
    form.subdomain.data = subdomain
    data = form.to_input(key=key, subdomain=subdomain)
    if not form.validate():
        return _render_editor(form, question=question, preview=_preview(data), status=400)
    if request.form.get("action", "save") == "preview":
        check = authoring.check_item(session, data, editing=key)
        general = form.add_errors(check.problems)
        return _render_editor(
            form, question=question, check=check, general=general, preview=_preview(data)
        )
    try:
        result = authoring.save_draft(
            session, current_user.id, key, data, now=now(), base=form.base.data or None
        )
    except ItemInvalid as error:
        general = form.add_errors(error.errors)
        return _render_editor(
            form,
            question=question,
            check=ItemCheck(None, error.errors, ()),
            general=general,
            preview=_preview(data),
            status=400,
        )
    except Conflict as error:
        return _render_editor(
            form, question=question, general=[str(error)], preview=_preview(data), status=409
        )
    if not result.changed:
        flash("Nothing changed, so nothing was saved.", "info")
    elif result.new_version:
        flash(
            f"Saved {key} v{result.version.number} as a new draft; the published version stays "
            "live until this one is published.",
            "success",
        )
    else:
        flash(f"Saved draft {result.version.question.key} v{result.version.number}.", "success")
    return redirect(url_for("authoring.question", key=result.version.question.key), 303)


@bp.post("/lint")
@instructor_only
def lint_json() -> Any:
    """Check the editor's current values and return problems and lint findings as JSON."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="send the editor's fields as a JSON object"), 400
    # As many option fields as the last option letter sent (a draft may have more than D).
    sent = [i + 1 for i, label in enumerate(DRAFT_LABELS) if f"option_{label.lower()}" in payload]
    form = QuestionForm.for_options(max(sent, default=0))(
        formdata=MultiDict({k: str(v) for k, v in payload.items() if v is not None})
    )
    form.subdomain.choices = _subdomain_choices()
    session = current_session()
    editing = payload.get("editing") or None
    if editing is not None:
        current = authoring.newest_of(authoring.get_question(session, str(editing)))
        data = form.to_input(key=str(editing), subdomain=current.subdomain)
    else:
        data = form.to_input()
    check = authoring.check_item(session, data, editing=str(editing) if editing else None)
    return jsonify(
        ok=not check.problems and not check.errors,
        problems=[
            {"field": name, "label": _field_label(name), "message": message}
            for name, messages in check.problems.items()
            for message in messages
        ],
        findings=[
            {
                "field": authoring.field_of(f),
                "label": _field_label(authoring.field_of(f)),
                "level": f.level,
                "rule": f.rule,
                "message": f.message,
            }
            for f in check.findings
        ],
        summary={"errors": len(check.errors), "warnings": len(check.warnings)},
    )


@bp.get("/next-key")
@instructor_only
def next_key() -> Any:
    """The next free key in a sub-domain, as JSON."""
    subdomain = request.args.get("subdomain", "")
    try:
        key = authoring.next_free_key(current_session(), subdomain)
    except ServiceError as error:
        return jsonify(error=str(error)), error.status
    return jsonify(key=key, subdomain=subdomain)


# --- question page and workflow --------------------------------------------------------------


@bp.get("/questions/<key>")
@instructor_only
def question(key: str) -> Any:
    """A question: its newest (or a chosen) version, lint, workflow, versions and audit trail."""
    session = current_session()
    hist = authoring.history(session, key)
    newest = hist.versions[0]
    shown = newest
    wanted = request.args.get("version", type=int)
    if wanted is not None:
        shown = authoring.version_of(hist.question, wanted)
    stored = ItemInput.from_version(key, shown)
    check = authoring.check_item(session, stored, editing=key)
    return render_template(
        "authoring/question.html",
        hist=hist,
        key=key,
        newest=newest,
        shown=shown,
        live=authoring.live_of(hist.question),
        check=check,
        missing=_missing(newest),
        preview=_preview(stored),
        can_publish=authoring.can_publish(current_user, newest),
        action_form=ActionForm(),
        return_form=ReturnForm(),
    )


def _workflow(key: str, step: str) -> Any:
    form = ActionForm()
    if not form.validate():
        abort(400, "The form's security token is missing or invalid. Reload and try again.")
    session = current_session()
    actions = {
        "submit": (authoring.submit_for_review, "Sent {key} v{n} to review."),
        "publish": (authoring.publish, "Published {key} v{n}: new exams can draw it."),
        "retire": (authoring.retire, "Retired {key} v{n}: new exams no longer draw it."),
    }
    service, message = actions[step]
    version = service(session, current_user.id, key, now=now())
    flash(message.format(key=key, n=version.number), "success")
    return redirect(url_for("authoring.question", key=key), 303)


@bp.post("/questions/<key>/submit")
@instructor_only
def submit(key: str) -> Any:
    """Send the newest draft to review."""
    return _workflow(key, "submit")


@bp.post("/questions/<key>/publish")
@instructor_only
def publish(key: str) -> Any:
    """Publish the version in review (a reviewer other than its author, or an admin)."""
    return _workflow(key, "publish")


@bp.post("/questions/<key>/retire")
@instructor_only
def retire(key: str) -> Any:
    """Retire the published version."""
    return _workflow(key, "retire")


@bp.post("/questions/<key>/return")
@instructor_only
def send_back(key: str) -> Any:
    """Send the version in review back to draft with a note."""
    session = current_session()
    form = ReturnForm()
    if form.validate():
        version = authoring.return_to_draft(
            session, current_user.id, key, form.note.data or "", now=now()
        )
        flash(f"Sent {key} v{version.number} back to its author.", "success")
        return redirect(url_for("authoring.question", key=key), 303)
    hist = authoring.history(session, key)
    newest = hist.versions[0]
    stored = ItemInput.from_version(key, newest)
    return (
        render_template(
            "authoring/question.html",
            hist=hist,
            key=key,
            newest=newest,
            shown=newest,
            live=authoring.live_of(hist.question),
            check=authoring.check_item(session, stored, editing=key),
            preview=_preview(stored),
            can_publish=authoring.can_publish(current_user, newest),
            action_form=ActionForm(),
            return_form=form,
        ),
        400,
    )


@bp.get("/questions/<key>/diff")
@instructor_only
def diff(key: str) -> Any:
    """Field-by-field differences between two versions, side by side or unified."""
    session = current_session()
    question = authoring.get_question(session, key)
    numbers = sorted(v.number for v in question.versions)
    new_number = request.args.get("b", type=int) or numbers[-1]
    old_number = request.args.get("a", type=int) or max(
        [n for n in numbers if n < new_number], default=new_number
    )
    view = "unified" if request.args.get("view") == "unified" else "side"
    result = authoring.diff_versions(session, key, old_number, new_number)
    return render_template("authoring/diff.html", key=key, diff=result, view=view, numbers=numbers)
